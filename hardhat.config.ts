import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

const require = createRequire(import.meta.url);

// The compiler comes from the npm `solc` package (solc-js) so that builds work offline:
// Hardhat would otherwise download a native solc, which these machines cannot reach.
// Keep `version` equal to the pinned `solc` package version.
const solcJs = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: "0.8.28",
    path: solcJs,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Shanghai: the newest hardfork that the consortium's EVM chains (our chain-node,
      // Besu QBFT, FISCO BCOS EVM) all execute identically; no Cancun-only opcodes.
      evmVersion: "shanghai",
    },
  },
  paths: {
    sources: "contracts/src",
    ignition: "deploy/ignition",
    tests: { mocha: "contracts/test", solidity: "contracts/test" },
  },
  test: {
    solidity: { fuzz: { runs: 256 } },
  },
  networks: {
    // Any EVM JSON-RPC endpoint: our chain-node, a consortium node, or the government chain.
    // `npm start` runs the embedded chain on 127.0.0.1:8545.
    // The local development chain: `npm start`'s chain-node (or any dev node) at 127.0.0.1:8545, or at
    // CHAIN_NODE_URL. The node holds no keys: the public development mnemonic signs here.
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.CHAIN_NODE_URL ?? "http://127.0.0.1:8545",
      accounts: { mnemonic: "test test test test test test test test test test test junk", count: 20 },
    },
    consortium: {
      type: "http",
      chainType: "l1",
      url: configVariable("CONSORTIUM_RPC_URL"),
      accounts: [configVariable("CONSORTIUM_DEPLOYER_KEY")],
    },
  },
});
