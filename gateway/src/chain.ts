// Chain access for the gateway: one public client for reads, and relaying through the configured
// institutions' allowlisted accounts. `send` serialises the transactions of each account (nonce
// from the `pending` count, kept locally between sends, refetched and retried on a nonce
// conflict), refuses a call the contract would revert before sending it (CONTRACT_REVERTED with
// the custom error's name and arguments, through sdk `toPlatformError`), waits for the receipt and
// returns the transaction hash, block and the decoded events. Only standard JSON-RPC is used.
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  encodeFunctionData,
  getAddress,
  http,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type Log,
  type PublicClient,
  type WalletClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import {
  CONTRACT_NAMES,
  HEALTH_CHAIN_ABIS,
  createHealthChainClient,
  loadDeployments,
  platformError,
  toPlatformError,
  type ContractName,
  type Deployments,
  type HealthChainClient,
} from "@health-chain/sdk";
import { DEV_CHAIN_IDS, readSigningKey, type GatewayConfig } from "./config.ts";
import type { GatewayMetrics } from "./metrics.ts";

/** The public development mnemonic (Hardhat's): only for dev mode on a dev chain. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

type AbiOf<N extends ContractName> = (typeof HEALTH_CHAIN_ABIS)[N];
/** The state-changing functions of a contract of the suite. */
export type WriteFunctionName<N extends ContractName> = ContractFunctionName<AbiOf<N>, "nonpayable" | "payable">;
/** The arguments of a state-changing function. */
export type WriteArgs<N extends ContractName, F extends WriteFunctionName<N>> = ContractFunctionArgs<AbiOf<N>, "nonpayable" | "payable", F>;

/** An event of a mined transaction, decoded with the emitting contract's ABI. */
export interface DecodedEvent {
  readonly contract: ContractName;
  readonly address: Address;
  readonly eventName: string;
  /** Arguments by name (uint values as bigint). */
  readonly args: Readonly<Record<string, unknown>>;
  readonly logIndex: number;
}

/** A mined, successful transaction. */
export interface SentTransaction {
  readonly txHash: Hash;
  readonly blockNumber: number;
  readonly logs: readonly DecodedEvent[];
}

export interface ChainAccess {
  readonly chainId: number;
  readonly deployments: Deployments;
  readonly publicClient: PublicClient;
  /** Typed contract instances for reads (`contracts.consentRegistry.read.checkAccess([...])`). */
  readonly contracts: HealthChainClient;
  /** The relaying institution (the platform), from the configuration. */
  readonly relayer: Address;
  /** The chain account that acts for a configured institution. */
  accountOf(institution: Address): Address;
  /**
   * Sends `contract.functionName(args)` from the account of `actor` (a configured institution) and
   * waits for it to be mined. CONTRACT_REVERTED when the contract refuses (before anything is sent
   * when the refusal shows in simulation), CHAIN_UNAVAILABLE when the node cannot be reached,
   * FORBIDDEN when the gateway holds no key for `actor`.
   */
  send<N extends ContractName, F extends WriteFunctionName<N>>(
    actor: Address,
    contract: N,
    functionName: F,
    args: WriteArgs<N, F>,
  ): Promise<SentTransaction>;
}

export interface ChainAccessOptions {
  /** Receipt polling interval in ms (default 100). */
  pollingIntervalMs?: number;
  /** Counts relayed transactions by contract, function and outcome. */
  metrics?: Pick<GatewayMetrics, "relays">;
}

const NONCE_CONFLICT = /nonce too low|nonce has already been used|already known|replacement transaction underpriced|invalid nonce|nonce.*(?:lower|higher|gap)/i;

/** Connects to the chain of the configuration, loads its deployments and prepares the relaying accounts. */
export async function createChainAccess(config: GatewayConfig, options: ChainAccessOptions = {}): Promise<ChainAccess> {
  const pollingInterval = options.pollingIntervalMs ?? 100;
  const transport = http(config.chain.rpcUrl, { batch: false, retryCount: 1, timeout: 30_000 });
  const probe = createPublicClient({ transport });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    throw toPlatformError(error);
  }
  const devKeys = config.institutions.some((i) => "devIndex" in i.key);
  if ((config.mode === "dev" || devKeys) && !DEV_CHAIN_IDS.includes(chainId)) {
    throw platformError("FORBIDDEN", {
      message: `Dev mode and the development keys are refused on chain ${chainId}: only on development chains (${DEV_CHAIN_IDS.join(", ")}).`,
      messageZh: `开发模式和开发密钥只能用于开发链（${DEV_CHAIN_IDS.join("、")}），不能用于链 ${chainId}。`,
      details: { chainId, devChainIds: DEV_CHAIN_IDS },
    });
  }
  const chain: Chain = {
    id: chainId,
    name: `health-chain-${chainId}`,
    nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.chain.rpcUrl] } },
  };
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as PublicClient;
  const deployments = await loadDeployments({ chainId, dir: config.chain.deploymentsDir });
  const contracts = await createHealthChainClient({ publicClient, deployments });

  const wallets = new Map<Address, { account: Account; wallet: WalletClient }>();
  for (const institution of config.institutions) {
    const key = readSigningKey(institution.key);
    const account = typeof key === "string" ? privateKeyToAccount(key) : mnemonicToAccount(DEV_MNEMONIC, { addressIndex: key.devIndex });
    wallets.set(institution.address, { account, wallet: createWalletClient({ account, chain, transport }) });
  }
  const contractOf = new Map<string, ContractName>(
    CONTRACT_NAMES.map((name) => [deployments.contracts[name].address.toLowerCase(), name]),
  );

  // Per account: the tail of its queue of sends, and the next nonce it may use.
  const queues = new Map<Address, Promise<unknown>>();
  const nextNonce = new Map<Address, number>();

  const serialise = <T>(account: Address, task: () => Promise<T>): Promise<T> => {
    const tail = queues.get(account) ?? Promise.resolve();
    const run = tail.then(task, task);
    queues.set(
      account,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  };

  const decodeLogs = (logs: readonly Log[]): DecodedEvent[] => {
    const out: DecodedEvent[] = [];
    for (const log of logs) {
      const contract = contractOf.get(log.address.toLowerCase());
      if (contract === undefined) continue;
      try {
        const decoded = decodeEventLog({ abi: HEALTH_CHAIN_ABIS[contract] as Abi, data: log.data, topics: log.topics });
        out.push({
          contract,
          address: getAddress(log.address),
          eventName: decoded.eventName ?? "",
          args: (decoded.args ?? {}) as Record<string, unknown>,
          logIndex: Number(log.logIndex ?? 0),
        });
      } catch {
        // An event of a newer ABI than ours: skipped, the mirror has it.
      }
    }
    return out;
  };

  const access: ChainAccess = {
    chainId,
    deployments,
    publicClient,
    contracts,
    relayer: config.relayer,
    accountOf(institution) {
      const entry = wallets.get(getAddress(institution));
      if (!entry) {
        throw platformError("FORBIDDEN", {
          message: `The gateway holds no chain key for institution ${institution}.`,
          messageZh: `网关没有机构 ${institution} 的链上签名密钥。`,
          details: { institution },
        });
      }
      return entry.account.address;
    },
    async send(actor, contract, functionName, args) {
      try {
        const sent = await sendOnce(actor, contract, functionName as string, args as readonly unknown[]);
        options.metrics?.relays.inc({ contract, function: functionName as string, outcome: "mined" });
        return sent;
      } catch (error) {
        const code = (error as { code?: string }).code;
        options.metrics?.relays.inc({ contract, function: functionName as string, outcome: code === "CONTRACT_REVERTED" ? "reverted" : "failed" });
        throw error;
      }
    },
  };

  async function sendOnce(actor: Address, contract: ContractName, functionName: string, args: readonly unknown[]): Promise<SentTransaction> {
    const entry = wallets.get(getAddress(actor));
    if (!entry) access.accountOf(actor);
    const { account, wallet } = entry as { account: Account; wallet: WalletClient };
    const abi = HEALTH_CHAIN_ABIS[contract] as Abi;
    const to = deployments.contracts[contract].address;
    const data = encodeFunctionData({ abi, functionName, args });

    const simulate = async (): Promise<void> => {
      try {
        await publicClient.simulateContract({ abi, address: to, functionName, args, account });
      } catch (error) {
        throw toPlatformError(error);
      }
    };

    const txHash = await serialise(account.address, async () => {
      let gas: bigint;
      try {
        gas = await publicClient.estimateGas({ account, to, data });
      } catch (error) {
        await simulate(); // throws the decoded revert
        throw toPlatformError(error);
      }
      for (let attempt = 0; ; attempt++) {
        const pending = nextNonce.get(account.address);
        let nonce: number;
        try {
          const counted = await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
          nonce = Math.max(counted, pending ?? 0);
        } catch (error) {
          throw toPlatformError(error);
        }
        try {
          const hash = await wallet.sendTransaction({ account, chain, to, data, nonce, gas: (gas * 12n) / 10n });
          nextNonce.set(account.address, nonce + 1);
          return hash;
        } catch (error) {
          const text = error instanceof Error ? `${error.message} ${(error as { details?: string }).details ?? ""}` : String(error);
          if (attempt < 3 && NONCE_CONFLICT.test(text)) {
            nextNonce.delete(account.address);
            continue;
          }
          nextNonce.delete(account.address);
          throw toPlatformError(error);
        }
      }
    });

    let receipt;
    try {
      receipt = await publicClient.waitForTransactionReceipt({ hash: txHash, timeout: config.chain.receiptTimeoutMs, pollingInterval });
    } catch (error) {
      throw toPlatformError(error);
    }
    if (receipt.status !== "success") {
      await simulate();
      throw platformError("CONTRACT_REVERTED", {
        details: { functionName, contract, txHash, blockNumber: Number(receipt.blockNumber) },
      });
    }
    return { txHash, blockNumber: Number(receipt.blockNumber), logs: decodeLogs(receipt.logs) };
  }
  return access;
}

/** JSON-safe copy of event arguments (bigint → decimal string). */
export function jsonArgs(args: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const conv = (v: unknown): unknown =>
    typeof v === "bigint" ? v.toString() : Array.isArray(v) ? v.map(conv) : typeof v === "object" && v !== null ? jsonArgs(v as Record<string, unknown>) : v;
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, conv(v)]));
}


