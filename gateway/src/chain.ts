// Chain access for the gateway: one public client for reads, and relaying through the configured
// institutions' allowlisted accounts. `send` estimates the transaction outside any lock (a call the
// contract would revert is refused before anything is sent: CONTRACT_REVERTED with the custom
// error's name and arguments, through sdk `toPlatformError`); then, in the account's queue (in the
// order of the calls), only takes the next nonce (kept locally, initialised from the `pending`
// count, resynchronised on a nonce conflict and retried), signs locally with the fees read once from
// the node, and dispatches eth_sendRawTransaction. The node's answer and the receipt are awaited
// outside the queue; it returns the transaction hash, block and the decoded events. Only standard
// JSON-RPC is used.
import {
  BaseError,
  RawContractError,
  concatHex,
  createPublicClient,
  decodeAbiParameters,
  decodeEventLog,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  getContractError,
  getAddress,
  http,
  keccak256,
  numberToHex,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type Hex,
  type Log,
  type PublicClient,
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
  /**
   * Evaluates view calls together in ONE `eth_call` at the latest block, so all of them see one
   * state (and one round trip): a deployless reader (READ_TOGETHER_BYTECODE, its Solidity below)
   * sent as a contract-creation call, standard on any EVM chain, nothing deployed. Each answer is
   * the decoded result, or the error that call alone would have thrown (a revert decoded with the contract's ABI). When the
   * eth_call itself fails (the node cannot be reached), that error is thrown. The order is the calls'.
   */
  readTogether(calls: readonly ViewCall[]): Promise<ViewAnswer[]>;
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

/** A view call for `readTogether`. */
export interface ViewCall {
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
  /** An upper bound of the ABI-encoded answer in bytes (default 1,024): how calls are grouped. */
  readonly answerBytes?: number;
}

/** A bound on one eth_call's answers in `readTogether`, under EIP-170's 24,576-byte cap on a creation result. */
export const READ_TOGETHER_ANSWER_BYTES = 20_000;

/** What a call's answer is assumed to take (ABI-encoded, with its Result wrapper) when it does not say. */
const DEFAULT_ANSWER_BYTES = 1_024;
const RESULT_OVERHEAD_BYTES = 160;

/** Consecutive calls in groups whose answers fit READ_TOGETHER_ANSWER_BYTES (a group holds one call at least). */
function groupByAnswerSize(calls: readonly ViewCall[]): ViewCall[][] {
  const groups: ViewCall[][] = [];
  let size = 0;
  for (const call of calls) {
    const bytes = (call.answerBytes ?? DEFAULT_ANSWER_BYTES) + RESULT_OVERHEAD_BYTES;
    const last = groups.at(-1);
    if (last === undefined || size + bytes > READ_TOGETHER_ANSWER_BYTES) {
      groups.push([call]);
      size = bytes;
    } else {
      last.push(call);
      size += bytes;
    }
  }
  return groups;
}

/** The answer to one view call of `readTogether`. */
export type ViewAnswer =
  | { readonly status: "success"; readonly result: unknown }
  | { readonly status: "failure"; readonly error: unknown };

/**
 * The creation code of the deployless reader of `readTogether` (solc 0.8.28, optimizer 200 runs,
 * evmVersion shanghai, metadata.appendCBOR false; gateway/test/read-together.test.ts compiles the
 * source again and compares). Its constructor argument is `Call[]`; it returns `Result[]` ABI-encoded:
 *
 *     // SPDX-License-Identifier: Apache-2.0
 *     pragma solidity 0.8.28;
 *     contract ReadTogether {
 *         struct Call { address target; bytes callData; }
 *         struct Result { bool success; bytes returnData; }
 *         constructor(Call[] memory calls) {
 *             Result[] memory results = new Result[](calls.length);
 *             for (uint256 i = 0; i < calls.length; ++i) {
 *                 (bool success, bytes memory returnData) = calls[i].target.staticcall(calls[i].callData);
 *                 results[i] = Result(success, returnData);
 *             }
 *             bytes memory out = abi.encode(results);
 *             assembly { return(add(out, 32), mload(out)) }
 *         }
 *     }
 *
 * Why not viem's deployless Multicall3: it deploys Multicall3's runtime inside every call, which on
 * chain-node (ethereumjs) cost ~3.5 ms of node CPU per eth_call before the first sub-call.
 */
export const READ_TOGETHER_BYTECODE: Hex =
  "0x608060405234801561000f575f5ffd5b5060405161046b38038061046b83398101604081905261002e91610228565b5f81516001600160401b038111156100485761004861019a565b60405190808252806020026020018201604052801561008d57816020015b604080518082019091525f8152606060208201528152602001906001900390816100665790505b5090505f5b825181101561016e575f5f8483815181106100af576100af6103a6565b60200260200101515f01516001600160a01b03168584815181106100d5576100d56103a6565b6020026020010151602001516040516100ee91906103ba565b5f60405180830381855afa9150503d805f8114610126576040519150601f19603f3d011682016040523d82523d5f602084013e61012b565b606091505b50915091506040518060400160405280831515815260200182815250848481518110610159576101596103a6565b60209081029190910101525050600101610092565b505f8160405160200161018191906103d5565b6040516020818303038152906040529050805160208201f35b634e487b7160e01b5f52604160045260245ffd5b604080519081016001600160401b03811182821017156101d0576101d061019a565b60405290565b604051601f8201601f191681016001600160401b03811182821017156101fe576101fe61019a565b604052919050565b5f5b83811015610220578181015183820152602001610208565b50505f910152565b5f60208284031215610238575f5ffd5b81516001600160401b0381111561024d575f5ffd5b8201601f8101841361025d575f5ffd5b80516001600160401b038111156102765761027661019a565b8060051b610286602082016101d6565b918252602081840181019290810190878411156102a1575f5ffd5b6020850192505b8383101561039b5782516001600160401b038111156102c5575f5ffd5b85016040818a03601f190112156102da575f5ffd5b6102e26101ae565b60208201516001600160a01b03811681146102fb575f5ffd5b815260408201516001600160401b03811115610315575f5ffd5b60208184010192505089601f83011261032c575f5ffd5b81516001600160401b038111156103455761034561019a565b610358601f8201601f19166020016101d6565b8181528b602083860101111561036c575f5ffd5b61037d826020830160208701610206565b806020840152505080845250506020820191506020830192506102a8565b979650505050505050565b634e487b7160e01b5f52603260045260245ffd5b5f82516103cb818460208701610206565b9190910192915050565b5f602082016020835280845180835260408501915060408160051b8601019250602086015f5b8281101561045e57603f1987860301845281518051151586526020810151905060406020870152805180604088015261043b816060890160208501610206565b601f01601f191695909501606001945060209384019391909101906001016103fb565b5092969550505050505056fe";

const READ_TOGETHER_CALLS = [
  { type: "tuple[]", components: [{ name: "target", type: "address" }, { name: "callData", type: "bytes" }] },
] as const;
const READ_TOGETHER_RESULTS = [
  { type: "tuple[]", components: [{ name: "success", type: "bool" }, { name: "returnData", type: "bytes" }] },
] as const;

export interface ChainAccessOptions {
  /** Receipt polling interval in ms (default 100). */
  pollingIntervalMs?: number;
  /** Counts relayed transactions by contract, function and outcome. */
  metrics?: Pick<GatewayMetrics, "relays">;
}

/** How long the fees read from the node are used before they are read again (in the background). */
const FEES_REFRESH_MS = 30_000;

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

  // Each institution's signing account (transactions are signed here and sent raw).
  const wallets = new Map<Address, { account: Account }>();
  for (const institution of config.institutions) {
    const key = readSigningKey(institution.key);
    const account = typeof key === "string" ? privateKeyToAccount(key) : mnemonicToAccount(DEV_MNEMONIC, { addressIndex: key.devIndex });
    wallets.set(institution.address, { account });
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
    async readTogether(calls) {
      if (calls.length === 0) return [];
      // The answers come back as the reader's creation result, which EIP-170 caps at 24,576 bytes:
      // calls go in groups whose answers stay under READ_TOGETHER_ANSWER_BYTES; several groups are
      // all asked at one block number, read first (one state still).
      const groups = groupByAnswerSize(calls);
      const at: Hex | "latest" = groups.length === 1 ? "latest" : numberToHex(await publicClient.getBlockNumber({ cacheTime: 0 }));
      const results = (
        await Promise.all(
          groups.map(async (group) => {
            const encoded = group.map((call) => ({
              target: call.address,
              callData: encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args }),
            }));
            const data = concatHex([READ_TOGETHER_BYTECODE, encodeAbiParameters(READ_TOGETHER_CALLS, [encoded])]);
            const answer = (await publicClient.request({ method: "eth_call", params: [{ data }, at] })) as Hex;
            return decodeAbiParameters(READ_TOGETHER_RESULTS, answer)[0];
          }),
        )
      ).flat();
      if (results.length !== calls.length) throw new BaseError("readTogether: results mismatch");
      return results.map((r, i): ViewAnswer => {
        const { abi, address, functionName, args } = calls[i]!;
        try {
          if (!r.success) throw new RawContractError({ data: r.returnData });
          return { status: "success", result: decodeFunctionResult({ abi, functionName, args, data: r.returnData }) };
        } catch (error) {
          // As viem's readContract / multicall report a failed call.
          return { status: "failure", error: getContractError(error as BaseError, { abi, address, args, functionName }) };
        }
      });
    },
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

  // Fees: this consortium chain has no base fee (zero) and free gas; the fees are read from the node
  // once and kept, refreshed in the background at most every FEES_REFRESH_MS (a chain with a moving
  // base fee: maxFeePerGas is twice the base fee plus the tip, as viem's default).
  type Fees = { type: "eip1559"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: "legacy"; gasPrice: bigint };
  let fees: { at: number; value: Promise<Fees> } | undefined;
  const readFees = async (): Promise<Fees> => {
    const block = await publicClient.getBlock({ blockTag: "latest" });
    if (block.baseFeePerGas === null || block.baseFeePerGas === undefined) return { type: "legacy", gasPrice: await publicClient.getGasPrice() };
    const tip = await publicClient.request({ method: "eth_maxPriorityFeePerGas" }).then(BigInt, () => 0n);
    return { type: "eip1559", maxFeePerGas: block.baseFeePerGas * 2n + tip, maxPriorityFeePerGas: tip };
  };
  const currentFees = (): Promise<Fees> => {
    const now = Date.now();
    if (fees === undefined) {
      const value = readFees();
      fees = { at: now, value };
      value.catch(() => {
        if (fees?.value === value) fees = undefined;
      });
    } else if (now - fees.at > FEES_REFRESH_MS) {
      // Keep using the known fees while fresh ones are read.
      const previous = fees.value;
      fees = { at: now, value: previous };
      readFees().then(
        (value) => {
          if (fees?.value === previous) fees = { at: fees.at, value: Promise.resolve(value) };
        },
        () => undefined,
      );
    }
    return fees.value;
  };

  /**
   * Assigns the next nonce of the account, signs and dispatches `eth_sendRawTransaction`, inside the
   * account's queue; the queue is released as soon as the request is handed to the transport (the
   * node pools a transaction behind a nonce gap, so two sends overtaking each other on the wire are
   * harmless). Resolves with the hash and the node's answer (a development node with automine answers
   * only once the transaction is sealed; a production node at once).
   */
  const dispatch = (account: Account, preparing: Promise<{ to: Address; data: Hex; gas: bigint; fees: Fees }>): Promise<{ hash: Hash; nonce: number; answer: Promise<unknown> }> =>
    serialise(account.address, async () => {
      // Prepared (estimated) outside the queue and concurrently with the sends ahead; awaited here so
      // that an account's transactions take their nonces in the order of the calls.
      const prepared = await preparing;
      let nonce = nextNonce.get(account.address);
      if (nonce === undefined) {
        try {
          nonce = await publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
        } catch (error) {
          throw toPlatformError(error);
        }
      }
      const { fees: f, ...rest } = prepared;
      const request =
        f.type === "legacy"
          ? { ...rest, chainId, nonce, type: "legacy" as const, gasPrice: f.gasPrice }
          : { ...rest, chainId, nonce, type: "eip1559" as const, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
      if (!account.signTransaction) throw platformError("INTERNAL", { message: "The relaying account cannot sign transactions locally." });
      const raw = await account.signTransaction(request);
      nextNonce.set(account.address, nonce + 1);
      const answer = publicClient.request({ method: "eth_sendRawTransaction", params: [raw] });
      answer.catch(() => undefined);
      return { hash: keccak256(raw), nonce, answer };
    });

  /** Sends an empty transfer to the account itself with `nonce` (to close a gap in its nonces). */
  const fillNonce = async (account: Account, nonce: number, f: Fees): Promise<void> => {
    const base = { chainId, nonce, to: account.address, value: 0n, gas: 21_000n };
    const request =
      f.type === "legacy"
        ? { ...base, type: "legacy" as const, gasPrice: f.gasPrice }
        : { ...base, type: "eip1559" as const, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas };
    if (!account.signTransaction) return;
    await publicClient.request({ method: "eth_sendRawTransaction", params: [await account.signTransaction(request)] });
  };

  /** After a nonce conflict: the account's next nonce is the larger of the node's `pending` count and ours. */
  const resyncNonce = (account: Address): Promise<void> =>
    serialise(account, async () => {
      let counted: number;
      try {
        counted = await publicClient.getTransactionCount({ address: account, blockTag: "pending" });
      } catch (error) {
        throw toPlatformError(error);
      }
      nextNonce.set(account, Math.max(counted, nextNonce.get(account) ?? 0));
    });

  async function sendOnce(actor: Address, contract: ContractName, functionName: string, args: readonly unknown[]): Promise<SentTransaction> {
    const entry = wallets.get(getAddress(actor));
    if (!entry) access.accountOf(actor);
    const { account } = entry as { account: Account };
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

    // Outside the queue (concurrently with other sends): the estimate (a revert is decoded by the
    // simulation and refused before anything is sent) and the fees.
    const preparing = Promise.all([
      publicClient.estimateGas({ account, to, data }).catch(async (error: unknown) => {
        await simulate(); // throws the decoded revert
        throw toPlatformError(error);
      }),
      currentFees().catch((error: unknown) => {
        throw toPlatformError(error);
      }),
    ]).then(([gas, fees]) => ({ to, data, gas: (gas * 12n) / 10n, fees }));
    preparing.catch(() => undefined);

    let txHash: Hash;
    for (let attempt = 0; ; attempt++) {
      const sent = await dispatch(account, preparing);
      try {
        await sent.answer;
        txHash = sent.hash;
        break;
      } catch (error) {
        const text = error instanceof Error ? `${error.message} ${(error as { details?: string }).details ?? ""}` : String(error);
        if (attempt < 3 && NONCE_CONFLICT.test(text)) {
          await resyncNonce(account.address);
          continue;
        }
        // The node may not have taken our nonce. Sends of ours dispatched after this one would wait
        // behind the gap (and run whenever it closes, after their callers gave up): close it now
        // with an empty transfer to ourselves (refused harmlessly if the node did take the original).
        // The next send counts from the node's `pending` again.
        const handedOut = nextNonce.get(account.address);
        nextNonce.delete(account.address);
        if (handedOut !== undefined && handedOut > sent.nonce + 1) {
          const prepared = await preparing;
          await fillNonce(account, sent.nonce, prepared.fees).catch(() => undefined);
        }
        throw toPlatformError(error);
      }
    }

    let receipt;
    try {
      receipt = await publicClient.getTransactionReceipt({ hash: txHash }).catch(() => undefined);
      receipt ??= await publicClient.waitForTransactionReceipt({ hash: txHash, timeout: config.chain.receiptTimeoutMs, pollingInterval });
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


