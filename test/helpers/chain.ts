// A development chain for the tests and benchmarks of the components above the chain (mirror,
// gateway, services): a chain-node in development mode on an ephemeral port, with the five
// contracts deployed from the compiled artifacts by the development founders (DEV_FOUNDERS), and
// the deployments written in the format of deploy/README.md.
//
// In process by default (fast, one event loop); `separateProcess: true` runs the node's CLI in its
// own process, as a benchmark needs so that the node does not share a core with what it measures.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createPublicClient, createWalletClient, getAddress, http, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { CONTRACT_NAMES, type ContractName, type Deployments } from "../../sdk/src/index.ts";
import { DEV_FOUNDERS } from "../../deploy/ignition/modules/HealthChain.ts";
import { MNEMONIC, NodeProcess, initDevDir, startInProcess, tempDir } from "../../chain-node/test/helpers.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** Development accounts (the "test … junk" mnemonic), index i = `m/44'/60'/0'/0/i`. */
export function devAccount(index: number): HDAccount {
  return mnemonicToAccount(MNEMONIC, { addressIndex: index });
}

/** The development founders' accounts, by role in the dev consortium. */
export const DEV = {
  /** District health commission: DATA_CONSUMER, AUDIT_RECORDER, SHARING_APPROVER. */
  healthAuthority: 0,
  /** District people's hospital: DATA_PROVIDER, DATA_CONSUMER. */
  hospital: 1,
  /** Clinical laboratory centre: CERT_ISSUER. */
  eqaCentre: 2,
  /** Regional platform operator: AUDIT_RECORDER. */
  platform: 3,
} as const;

export interface TestChain {
  rpcUrl: string;
  chainId: number;
  deployments: Deployments;
  /** A directory holding `<chainId>.json`, for `loadDeployments({ dir })`. */
  deploymentsDir: string;
  publicClient: PublicClient;
  stop(): Promise<void>;
}

export interface TestChainOptions {
  /** Run the node as a child process (benchmarks). Default: in this process. */
  separateProcess?: boolean;
  /** Interval sealing in ms instead of sealing as soon as there is work. */
  blockTimeMs?: number;
}

function artifact(name: ContractName): { abi: Abi; bytecode: Hex } {
  const file = join(ROOT, "artifacts", "contracts", "src", `${name}.sol`, `${name}.json`);
  const json = JSON.parse(readFileSync(file, "utf8")) as { abi: Abi; bytecode: Hex };
  return { abi: json.abi, bytecode: json.bytecode };
}

/** Starts a development chain and deploys the contract suite on it. */
export async function startTestChain(options: TestChainOptions = {}): Promise<TestChain> {
  let rpcUrl: string;
  let stopNode: () => Promise<void>;
  const config = options.blockTimeMs ? { blockTime: options.blockTimeMs } : {};
  if (options.separateProcess) {
    const dir = await tempDir("test-chain-");
    const configFile = initDevDir(dir);
    if (options.blockTimeMs) {
      const parsed = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
      await writeFile(configFile, JSON.stringify({ ...parsed, ...config }));
    }
    const node = await NodeProcess.start(configFile);
    rpcUrl = node.url;
    stopNode = async () => {
      await node.stop();
    };
  } else {
    const node = await startInProcess({ config });
    rpcUrl = node.url;
    stopNode = () => node.close();
  }

  const deployer = devAccount(DEV.healthAuthority);
  const transport = http(rpcUrl, { batch: false, retryCount: 0 });
  const publicClient = createPublicClient({ transport, pollingInterval: 20 });
  const chainId = await publicClient.getChainId();
  const chain = { id: chainId, name: "health-chain-dev", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } };
  const wallet = createWalletClient({ account: deployer, chain, transport });

  const deploy = async (name: ContractName, args: readonly unknown[]) => {
    const { abi, bytecode } = artifact(name);
    const txHash = await wallet.deployContract({ abi, bytecode, args });
    const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash, pollingInterval: 20 });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed (${txHash})`);
    return { address: getAddress(receipt.contractAddress) as Address, blockNumber: Number(receipt.blockNumber), txHash };
  };

  const founders = DEV_FOUNDERS.map((f) => ({ ...f, roles: f.roles as Hex[], institution: f.institution as Address }));
  const registry = await deploy("ConsortiumRegistry", [founders, 6667, 7n * 24n * 3600n]);
  const contracts = { ConsortiumRegistry: registry } as Record<ContractName, typeof registry>;
  for (const name of CONTRACT_NAMES) {
    if (name !== "ConsortiumRegistry") contracts[name] = await deploy(name, [registry.address]);
  }
  const block = await publicClient.getBlock({ blockNumber: BigInt(registry.blockNumber) });
  const deployments: Deployments = {
    chainId,
    network: "test",
    deployedAt: new Date(Number(block.timestamp) * 1000).toISOString(),
    deployer: deployer.address,
    contracts,
  };
  const deploymentsDir = await tempDir("test-deployments-");
  await mkdir(deploymentsDir, { recursive: true });
  await writeFile(join(deploymentsDir, `${chainId}.json`), `${JSON.stringify(deployments, null, 2)}\n`);

  return { rpcUrl, chainId, deployments, deploymentsDir, publicClient, stop: stopNode };
}
