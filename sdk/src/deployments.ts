// The deployments file, <dir>/<chainId>.json: where the sdk, the gateway and the mirror find the
// contracts (format: deploy/README.md; deploy/scripts/deploy.ts writes it). `parseDeployments`
// checks a parsed object and works anywhere, a browser included; `loadDeployments` reads the file
// and is for Node only (it imports node:fs when called, never at module load).
import { getAddress, isAddress, isHex, type Address, type Hash } from "viem";
import { platformError } from "./errors.ts";

/** The contracts of the suite, in deployment-file order. */
export const CONTRACT_NAMES = [
  "ConsortiumRegistry",
  "ConsentRegistry",
  "DataIndex",
  "CertificateRegistry",
  "AuditTrail",
] as const;

/** The name of a contract of the suite. */
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Where and when one contract was deployed. */
export interface DeployedContract {
  /** Checksummed contract address. */
  address: Address;
  /** Block of the creating transaction: where an indexer starts reading the contract's events. */
  blockNumber: number;
  /** The creating transaction. */
  txHash: Hash;
}

/** The deployments file of one chain. */
export interface Deployments {
  /** The chain's `eth_chainId`, also the file name. */
  chainId: number;
  /** The Hardhat network it was deployed through (`localhost`, `consortium`). */
  network: string;
  /** ISO 8601 UTC time of the block that created `ConsortiumRegistry`. */
  deployedAt: string;
  /** Checksummed address that sent the deployment transactions. */
  deployer: Address;
  contracts: Record<ContractName, DeployedContract>;
}

/** One thing wrong with a deployments file: where, what, and the value found. */
export interface DeploymentProblem {
  readonly path: string;
  readonly problem: string;
  readonly value?: unknown;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Checks a parsed deployments object and returns it typed, addresses checksummed; fields it does
 * not know are dropped. Throws INVALID_INPUT listing every problem (`details.problems`);
 * `source` names the file or origin in the error.
 */
export function parseDeployments(value: unknown, source = "deployments"): Deployments {
  const problems: DeploymentProblem[] = [];
  const problem = (path: string, what: string, found?: unknown) =>
    problems.push({ path, problem: what, ...(found === undefined ? {} : { value: shown(found) }) });

  if (!isRecord(value)) {
    throw invalid(source, [{ path: "", problem: "not a JSON object", value: shown(value) }]);
  }
  const chainId = value.chainId;
  if (!isPositiveInteger(chainId)) problem("chainId", "not a positive integer", chainId);
  if (typeof value.network !== "string" || value.network === "")
    problem("network", "not a non-empty string", value.network);
  if (
    typeof value.deployedAt !== "string" ||
    !ISO_UTC.test(value.deployedAt) ||
    Number.isNaN(Date.parse(value.deployedAt))
  ) {
    problem("deployedAt", "not an ISO 8601 UTC time", value.deployedAt);
  }
  const deployer = address(value.deployer, "deployer", problem);

  const contracts = {} as Record<ContractName, DeployedContract>;
  if (!isRecord(value.contracts)) {
    problem("contracts", "not an object", value.contracts);
  } else {
    for (const name of CONTRACT_NAMES) {
      const entry = value.contracts[name];
      const path = `contracts.${name}`;
      if (!isRecord(entry)) {
        problem(path, "missing", entry);
        continue;
      }
      const contractAddress = address(entry.address, `${path}.address`, problem);
      if (!isNonNegativeInteger(entry.blockNumber))
        problem(`${path}.blockNumber`, "not a block number", entry.blockNumber);
      if (!isHex(entry.txHash, { strict: true }) || entry.txHash.length !== 66) {
        problem(`${path}.txHash`, "not a 32-byte transaction hash", entry.txHash);
      }
      contracts[name] = {
        address: contractAddress!,
        blockNumber: entry.blockNumber as number,
        txHash: entry.txHash as Hash,
      };
    }
  }
  if (problems.length > 0) throw invalid(source, problems);
  return {
    chainId: chainId as number,
    network: value.network as string,
    deployedAt: value.deployedAt as string,
    deployer: deployer!,
    contracts,
  };
}

/** Options of `loadDeployments`. */
export interface LoadDeploymentsOptions {
  /** The chain whose file to read. */
  readonly chainId: number | bigint;
  /**
   * The directory of the files; default: DEPLOYMENTS_DIR (relative to the repository root, as
   * deploy.ts takes it), else the repository's deploy/deployments.
   */
  readonly dir?: string;
}

/**
 * Reads and checks <dir>/<chainId>.json (Node only). Throws DEPLOYMENT_NOT_FOUND when there is no
 * file for the chain, INVALID_INPUT when it is not valid JSON, not valid, or of another chain.
 */
export async function loadDeployments({ chainId, dir }: LoadDeploymentsOptions): Promise<Deployments> {
  const [{ readFile }, { resolve }, { fileURLToPath }] = await Promise.all([
    import("node:fs/promises"),
    import("node:path"),
    import("node:url"),
  ]);
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const directory =
    dir !== undefined ? resolve(dir) : resolve(root, process.env.DEPLOYMENTS_DIR ?? "deploy/deployments");
  const file = resolve(directory, `${String(chainId)}.json`);

  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw platformError("DEPLOYMENT_NOT_FOUND", { details: { chainId: Number(chainId), file }, cause: error });
    }
    throw platformError("INTERNAL", { message: `Cannot read ${file}.`, details: { file }, cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw platformError("INVALID_INPUT", {
      message: `${file} is not valid JSON.`,
      messageZh: `${file} 不是有效的 JSON。`,
      details: { source: file, problems: [{ path: "", problem: "not valid JSON" }] },
      cause: error,
    });
  }
  const deployments = parseDeployments(json, file);
  if (deployments.chainId !== Number(chainId)) {
    throw invalid(file, [
      { path: "chainId", problem: `not the chain of the file name (${String(chainId)})`, value: deployments.chainId },
    ]);
  }
  return deployments;
}

function address(
  value: unknown,
  path: string,
  problem: (path: string, what: string, found?: unknown) => void,
): Address | undefined {
  // Checksum checked when the address has mixed case; an all-lower-case address is accepted.
  if (typeof value !== "string" || !isAddress(value)) {
    problem(path, "not an address (0x and 40 hex digits, checksummed when in mixed case)", value);
    return undefined;
  }
  return getAddress(value);
}

function invalid(source: string, problems: DeploymentProblem[]) {
  const first = problems[0]!;
  const where = first.path === "" ? source : `${source}: ${first.path}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return platformError("INVALID_INPUT", {
    message: `Invalid deployments file ${where} is ${first.problem}${more}.`,
    messageZh: `部署文件无效：${where}（共 ${problems.length} 处问题，见 details.problems）。`,
    details: { source, problems },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function shown(value: unknown): unknown {
  if (typeof value === "string") return value.slice(0, 100);
  if (value === null || typeof value === "number" || typeof value === "boolean" || value === undefined) return value;
  return Array.isArray(value) ? "array" : typeof value;
}
