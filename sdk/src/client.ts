// Typed access to the five contracts of one deployment: viem `getContract` instances whose reads,
// writes, simulations and events are typed from the generated ABIs. Works with any viem client
// (HTTP or WebSocket transport, wagmi's clients, a custom transport over an EIP-1193 provider).
import {
  BaseError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  SocketClosedError,
  TimeoutError,
  WebSocketRequestError,
  getContract,
  type Address,
  type GetContractReturnType,
  type PublicClient,
  type WalletClient,
} from "viem";
import { consentDomain, type ConsentDomain } from "./eip712.ts";
import { isPlatformError, platformError, type HealthChainError } from "./errors.ts";
import type { ContractName, Deployments } from "./deployments.ts";
import {
  auditTrailAbi,
  certificateRegistryAbi,
  consentRegistryAbi,
  consortiumRegistryAbi,
  dataIndexAbi,
} from "./generated/abis.ts";

/** The ABI of each contract of the suite, by name. */
export const HEALTH_CHAIN_ABIS = {
  ConsortiumRegistry: consortiumRegistryAbi,
  ConsentRegistry: consentRegistryAbi,
  DataIndex: dataIndexAbi,
  CertificateRegistry: certificateRegistryAbi,
  AuditTrail: auditTrailAbi,
} as const;

/** The clients a contract instance uses: reads through the public client, writes through the wallet. */
export type HealthChainKeyedClient<P extends PublicClient, W extends WalletClient | undefined> = W extends WalletClient
  ? { public: P; wallet: W }
  : { public: P };

/** A typed contract instance of the suite. */
export type HealthChainContract<
  N extends ContractName,
  P extends PublicClient = PublicClient,
  W extends WalletClient | undefined = undefined,
> = GetContractReturnType<(typeof HEALTH_CHAIN_ABIS)[N], HealthChainKeyedClient<P, W>, Address>;

/** The suite on one chain: its contracts, the clients they use and the consent signing domain. */
export interface HealthChainClient<
  P extends PublicClient = PublicClient,
  W extends WalletClient | undefined = undefined,
> {
  readonly chainId: number;
  readonly deployments: Deployments;
  readonly publicClient: P;
  readonly walletClient: W;
  /** The EIP-712 domain of this deployment's ConsentRegistry, for `consentTypedData`. */
  readonly consentDomain: ConsentDomain;
  readonly consortiumRegistry: HealthChainContract<"ConsortiumRegistry", P, W>;
  readonly consentRegistry: HealthChainContract<"ConsentRegistry", P, W>;
  readonly dataIndex: HealthChainContract<"DataIndex", P, W>;
  readonly certificateRegistry: HealthChainContract<"CertificateRegistry", P, W>;
  readonly auditTrail: HealthChainContract<"AuditTrail", P, W>;
}

/** Options of `createHealthChainClient`. */
export interface HealthChainClientOptions<P extends PublicClient, W extends WalletClient | undefined> {
  /** Reads, simulations and event queries. */
  readonly publicClient: P;
  /** Transactions; without it the contracts have no `write`. */
  readonly walletClient?: W;
  /** The deployment to use (`parseDeployments`, or `loadDeployments` in Node). */
  readonly deployments: Deployments;
}

/**
 * The contracts of `deployments`, after checking that the public client (and the wallet client,
 * whose wallet may have switched networks) is on the deployments' chain: otherwise
 * DEPLOYMENT_NOT_FOUND; CHAIN_UNAVAILABLE when a node cannot be asked.
 */
export async function createHealthChainClient<P extends PublicClient, W extends WalletClient | undefined = undefined>(
  options: HealthChainClientOptions<P, W>,
): Promise<HealthChainClient<P, W>> {
  const { publicClient, deployments } = options;
  const walletClient = options.walletClient as W;
  await assertChain(deployments, "public", publicClient);
  if (walletClient !== undefined) await assertChain(deployments, "wallet", walletClient);

  const client = (
    walletClient === undefined ? { public: publicClient } : { public: publicClient, wallet: walletClient }
  ) as HealthChainKeyedClient<P, W>;
  const contract = <N extends ContractName>(name: N) =>
    getContract({
      abi: HEALTH_CHAIN_ABIS[name],
      address: deployments.contracts[name].address,
      client,
    }) as HealthChainContract<N, P, W>;
  return {
    chainId: deployments.chainId,
    deployments,
    publicClient,
    walletClient,
    consentDomain: consentDomain(deployments.chainId, deployments.contracts.ConsentRegistry.address),
    consortiumRegistry: contract("ConsortiumRegistry"),
    consentRegistry: contract("ConsentRegistry"),
    dataIndex: contract("DataIndex"),
    certificateRegistry: contract("CertificateRegistry"),
    auditTrail: contract("AuditTrail"),
  };
}

async function assertChain(
  deployments: Deployments,
  which: "public" | "wallet",
  client: PublicClient | WalletClient,
): Promise<void> {
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (error) {
    throw toPlatformError(error);
  }
  if (chainId !== deployments.chainId) {
    throw platformError("DEPLOYMENT_NOT_FOUND", {
      message: `The ${which} client is on chain ${chainId}, the deployments are for chain ${deployments.chainId}.`,
      messageZh: `${which === "public" ? "节点" : "钱包"}所在链为 ${chainId}，部署文件对应链 ${deployments.chainId}。`,
      details: { client: which, chainId, deploymentsChainId: deployments.chainId },
    });
  }
}

/**
 * The platform error of a failed chain call: CONTRACT_REVERTED with the contract's custom error
 * (`details.errorName`, `details.args`) when a contract refused, CHAIN_UNAVAILABLE when the node
 * could not be reached, INTERNAL otherwise. Platform errors pass through unchanged.
 */
export function toPlatformError(error: unknown): HealthChainError {
  if (isPlatformError(error)) return error;
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const call = error.walk((e) => e instanceof ContractFunctionExecutionError);
      const functionName = call instanceof ContractFunctionExecutionError ? call.functionName : undefined;
      const contractAddress = call instanceof ContractFunctionExecutionError ? call.contractAddress : undefined;
      const errorName = reverted.data?.errorName ?? (reverted.reason === undefined ? undefined : "Error");
      const args = reverted.data?.args ?? (reverted.reason === undefined ? [] : [reverted.reason]);
      const what = errorName === undefined ? "without a reason" : `with ${errorName}(${args.map(String).join(", ")})`;
      return platformError("CONTRACT_REVERTED", {
        message: `${functionName ?? "The call"} reverted ${what}.`,
        messageZh: `合约拒绝了调用 ${functionName ?? ""}：${errorName ?? "无原因"}。`,
        details: jsonSafe({ functionName, contractAddress, errorName, args, signature: reverted.signature }) as Record<
          string,
          unknown
        >,
        cause: error,
      });
    }
    const unreachable = error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof WebSocketRequestError ||
        e instanceof TimeoutError ||
        e instanceof SocketClosedError,
    );
    if (unreachable !== null) {
      const url =
        unreachable instanceof HttpRequestError || unreachable instanceof TimeoutError ? unreachable.url : undefined;
      return platformError("CHAIN_UNAVAILABLE", {
        details: jsonSafe({ url, reason: error.shortMessage }) as Record<string, unknown>,
        cause: error,
      });
    }
  }
  return platformError("INTERNAL", {
    details: { reason: error instanceof Error ? error.message : String(error) },
    cause: error,
  });
}

/** Details travel as JSON: bigints become decimal strings. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, jsonSafe(v)]),
    );
  }
  return value;
}
