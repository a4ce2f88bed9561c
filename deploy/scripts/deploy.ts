// Deploys the HealthChain Ignition module to a JSON-RPC network and writes the deployments file
// that sdk, gateway and mirror read (format: deploy/README.md).
//
//   hardhat run --network localhost deploy/scripts/deploy.ts
//
// Options, as environment variables (`hardhat run` passes no arguments to scripts):
//   CHAIN_RPC_URL          JSON-RPC URL replacing the network's configured one
//   DEPLOY_PARAMETERS      Ignition parameters file; founders' kinds and roles may be given by name
//   DEPLOY_RESET=1         forget this chain's Ignition journal first (the chain was restarted empty)
//   DEPLOY_CONFIRMATIONS   blocks to wait after each transaction (Ignition's default: 5, 1 when automined)
//   DEPLOYMENTS_DIR        where <chainId>.json is written (default deploy/deployments)
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import { listTransactions, type DeploymentParameters } from "@nomicfoundation/ignition-core";
import { getAddress } from "viem";
import { artifacts, config, network } from "hardhat";
import HealthChain, { DEV_FOUNDERS, InstitutionKind, Role } from "../ignition/modules/HealthChain.ts";
import { CONTRACT_NAMES, deploymentsFile, type Deployments } from "./deployments.ts";

const MODULE_ID = "HealthChain";

/** A deployment problem the operator can fix; printed without a stack trace. */
class DeployError extends Error {}

function fail(message: string): never {
  throw new DeployError(message);
}

function byName<T>(table: Record<string, T>, value: unknown, what: string): T | unknown {
  if (typeof value !== "string" || /^0x/i.test(value) || /^\d+$/.test(value)) return value;
  if (!(value in table)) fail(`unknown ${what} "${value}"; one of ${Object.keys(table).join(", ")}`);
  return table[value];
}

/** Reads an Ignition parameters file, turning founders' kind and role names into their values. */
function readParameters(path: string): DeploymentParameters {
  const parameters = JSON.parse(readFileSync(path, "utf8")) as DeploymentParameters;
  const founders = parameters[MODULE_ID]?.founders;
  if (founders !== undefined) {
    if (!Array.isArray(founders) || founders.length === 0) fail(`${path}: ${MODULE_ID}.founders must be a non-empty list`);
    parameters[MODULE_ID]!.founders = founders.map((founder) => {
      const f = founder as Record<string, unknown>;
      const roles = Array.isArray(f.roles) ? f.roles.map((r) => byName(Role, r, "role")) : fail(`${path}: founder without roles`);
      return { ...f, kind: byName(InstitutionKind, f.kind, "institution kind"), roles } as never;
    });
  }
  return parameters;
}

/** Whether every development founder is an account this node unlocks, i.e. a throwaway dev chain. */
async function isDevelopmentChain(request: (method: string) => Promise<unknown>): Promise<boolean> {
  const accounts = ((await request("eth_accounts").catch(() => [])) as string[]).map((a) => a.toLowerCase());
  return DEV_FOUNDERS.every((f) => accounts.includes(f.institution.toLowerCase()));
}

async function main(): Promise<void> {
  const rpcUrl = process.env.CHAIN_RPC_URL;
  const connection = await network.create(rpcUrl ? { override: { url: rpcUrl } } : undefined);
  if (connection.networkConfig.type !== "http") {
    fail(`network "${connection.networkName}" runs inside this process and vanishes with it; use --network localhost or consortium`);
  }
  const request = (method: string) => connection.provider.request({ method });
  const chainId = Number(await request("eth_chainId"));

  const parametersPath = process.env.DEPLOY_PARAMETERS;
  const parameters = parametersPath ? readParameters(parametersPath) : {};
  if (parameters[MODULE_ID]?.founders === undefined && !(await isDevelopmentChain(request))) {
    fail(
      `the default founders are development accounts whose keys are public, and "${connection.networkName}" (chain ${chainId}) ` +
        `is not a development node holding them; give the founding members in DEPLOY_PARAMETERS (see deploy/README.md)`,
    );
  }

  const deploymentId = `chain-${chainId}`;
  const deploymentDir = join(config.paths.ignition, "deployments", deploymentId);
  if (process.env.DEPLOY_RESET === "1") rmSync(deploymentDir, { recursive: true, force: true });
  await assertJournalMatchesChain(deploymentDir, connection.ethers.provider);

  const confirmations = process.env.DEPLOY_CONFIRMATIONS;
  const contracts = await connection.ignition.deploy(HealthChain, {
    parameters,
    deploymentId,
    config: confirmations ? { requiredConfirmations: Number(confirmations) } : {},
  });

  const transactions = await listTransactions(deploymentDir, new HardhatArtifactResolver(artifacts));
  const entries = await Promise.all(
    CONTRACT_NAMES.map(async (name) => {
      const address = await contracts[name].getAddress();
      const tx = transactions.find((t) => t.address?.toLowerCase() === address.toLowerCase());
      if (tx === undefined) fail(`no deployment transaction for ${name} at ${address} in ${deploymentDir}`);
      const receipt = (await connection.ethers.provider.getTransactionReceipt(tx.txHash)) ?? fail(`no receipt for ${tx.txHash}`);
      return [name, { address, blockNumber: receipt.blockNumber, txHash: tx.txHash, from: tx.from }] as const;
    }),
  );
  const registry = entries.find(([name]) => name === "ConsortiumRegistry")![1];
  const registryBlock = (await connection.ethers.provider.getBlock(registry.blockNumber)) ?? fail(`no block ${registry.blockNumber}`);

  const deployments: Deployments = {
    chainId,
    network: connection.networkName,
    deployedAt: new Date(registryBlock.timestamp * 1000).toISOString(),
    deployer: getAddress(registry.from),
    contracts: Object.fromEntries(
      entries.map(([name, { address, blockNumber, txHash }]) => [name, { address, blockNumber, txHash }]),
    ) as Deployments["contracts"],
  };
  const file = writeDeployments(deployments);

  for (const [name, { address, blockNumber }] of entries) console.log(`${name.padEnd(20)} ${address}  block ${blockNumber}`);
  console.log(`deployments file: ${displayPath(file)}`);
  await connection.close();
}

function displayPath(file: string): string {
  const path = relative(process.cwd(), file);
  return path.startsWith("..") ? file : path;
}

/** Refuses a journal whose contracts are not on this chain: Ignition would report them as deployed. */
async function assertJournalMatchesChain(
  deploymentDir: string,
  provider: { getCode(address: string): Promise<string> },
): Promise<void> {
  const addressesFile = join(deploymentDir, "deployed_addresses.json");
  if (!existsSync(addressesFile)) return;
  const recorded = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
  for (const [future, address] of Object.entries(recorded)) {
    if ((await provider.getCode(address)) === "0x") {
      fail(
        `${displayPath(deploymentDir)} records ${future} at ${address}, where this chain has no code; ` +
          `if the chain was restarted empty, rerun with DEPLOY_RESET=1`,
      );
    }
  }
}

/** Writes <dir>/<chainId>.json atomically, so that a reader never sees half a file. */
function writeDeployments(deployments: Deployments): string {
  const file = deploymentsFile(deployments.chainId, config.paths.root);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(deployments, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

try {
  await main();
} catch (error) {
  console.error(error instanceof DeployError ? `deploy: ${error.message}` : error);
  process.exitCode = 1;
}
