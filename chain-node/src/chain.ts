// The node: genesis, the pool, proof-of-authority sealing, execution, durable commit, and the
// reads the JSON-RPC methods need. One validator seals every block (instant finality); the
// consortium with BFT consensus builds on this class.
import { createBlock, createBlockHeader, type Block } from "@ethereumjs/block";
import type { Common } from "@ethereumjs/common";
import { createTxFromRLP, type TypedTransaction } from "@ethereumjs/tx";
import { Address, Account } from "@ethereumjs/util";
import { createVM, runTx, type VM } from "@ethereumjs/vm";
import type { Logger } from "pino";
import { installJumpAnalysisCache } from "./jump-analysis.ts";
import { ChainDb, type StoredBlock, type StoredLog, type StoredReceipt, type StoredTx } from "./db.ts";
import {
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLES_HASH,
  ZERO_ADDRESS,
  ZERO_HASH,
  decodeHeader,
  encodeHeader,
  encodeReceipt,
  fromHex,
  keccak256,
  orderedTrieRoot,
  toHex,
  type Header,
  type LogEntry,
} from "./codec.ts";
import { createChainCommon, publicKeyOf, recoverSigner, signDigest } from "./common.ts";
import type { Genesis } from "./config.ts";
import { DbStateView, FlatStateManager, HeadStateCache, type StateChanges, type StateReader } from "./state.ts";
import { TxPool, type PooledTx } from "./pool.ts";
import { RpcCode, RpcError } from "./rpc/errors.ts";
import { decodeTxFields } from "./rpc/format.ts";

export interface ChainOptions {
  dbPath: string;
  genesis: Genesis;
  validatorKey: Uint8Array;
  logger: Logger;
  /** ms between blocks; 0 = as soon as there is work. */
  blockTime: number;
  emptyBlocks: boolean;
  maxBlockTransactions: number;
  pool: { maxTransactions: number; maxPerSender: number; maxNonceGap: number };
  gasCap: number;
  dev: boolean;
  /** Called after each committed block (metrics). */
  onCommitted?: (info: { number: number; txCount: number; buildSeconds: number; timestampMs: number }) => void;
}

export interface Head {
  number: number;
  hash: Uint8Array;
  header: Header;
}

/** A block as committed, handed to listeners. */
export interface BlockEvent {
  block: StoredBlock;
  header: Header;
  txs: StoredTx[];
  logs: StoredLog[];
}

export interface CallRequest {
  from?: Uint8Array;
  to?: Uint8Array;
  data: Uint8Array;
  value: bigint;
  gas?: bigint;
}

export interface CallResult {
  ok: boolean;
  returnValue: Uint8Array;
  gasUsed: bigint;
  /** "revert" or the EVM's error name when not ok. */
  error?: string;
}

const VANITY_BYTES = 32;
const SEAL_BYTES = 65;
/** Hand the event loop back to the RPC server at least this often while building a block. */
const YIELD_EVERY_MS = 8;

class Mutex {
  #last: Promise<void> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#last.then(task);
    this.#last = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** A StateReader whose target is switched per call (the call VM is reused). */
class SwitchableReader implements StateReader {
  target: StateReader;
  constructor(target: StateReader) {
    this.target = target;
  }
  account(address: Uint8Array, key: string) {
    return this.target.account(address, key);
  }
  storage(address: Uint8Array, slot: Uint8Array, key: string, epoch: number) {
    return this.target.storage(address, slot, key, epoch);
  }
  code(hash: Uint8Array) {
    return this.target.code(hash);
  }
}

function vanityBytes(text: string): Uint8Array {
  const out = new Uint8Array(VANITY_BYTES);
  out.set(new TextEncoder().encode(text).subarray(0, VANITY_BYTES));
  return out;
}

const addressOfPublicKey = (publicKey: Uint8Array): Uint8Array => keccak256(publicKey).subarray(12);

/** The signer of a sealed header: the validator whose key signed it. */
export function sealerOf(header: Header): Uint8Array {
  const extra = header.extraData;
  if (extra.length < VANITY_BYTES + SEAL_BYTES) throw new Error("header has no seal");
  const unsealed = { ...header, extraData: extra.subarray(0, extra.length - SEAL_BYTES) };
  return addressOfPublicKey(recoverSigner(keccak256(encodeHeader(unsealed)), extra.subarray(extra.length - SEAL_BYTES)));
}

const SUPPORTED_TX_TYPES: ReadonlySet<number> = new Set([0, 1, 2]);

/** The chain id a raw transaction was signed for (typed: its first field; legacy: from EIP-155's v). */
function chainIdOf(raw: Uint8Array): bigint | undefined {
  try {
    return decodeTxFields(raw).chainId;
  } catch {
    // Malformed: createTxFromRLP says what is wrong.
    return undefined;
  }
}

const ISALLOWED_SELECTOR = keccak256(new TextEncoder().encode("isAllowedAccount(address)")).subarray(0, 4);

export class Chain {
  readonly options: ChainOptions;
  readonly db: ChainDb;
  readonly common: Common;
  readonly chainId: bigint;
  readonly validator: Uint8Array;
  readonly pool: TxPool;
  readonly log: Logger;
  #head!: Head;
  #headCache!: HeadStateCache;
  #buildState!: FlatStateManager;
  #buildVm!: VM;
  #callReader!: SwitchableReader;
  #callState!: FlatStateManager;
  #callVm!: VM;
  readonly #callMutex = new Mutex();
  readonly #writeMutex = new Mutex();
  readonly #blockListeners = new Set<(event: BlockEvent) => void>();
  readonly #pendingListeners = new Set<(hash: string) => void>();
  readonly #operators: Set<string>;
  readonly #registry: Uint8Array | undefined;
  readonly #registryKey: string | undefined;
  #allowCache = new Map<string, boolean>();
  #sealTimer: NodeJS.Timeout | undefined;
  #sealScheduled = false;
  #stopped = false;
  #restoring: Promise<void> | undefined;
  #callBlock: { number: bigint; timestamp: bigint; block: Block } | undefined;
  // Development controls (dev mode only).
  #timeOffset = 0n;
  #nextTimestamp: bigint | undefined;
  #snapshots: Array<{ id: number; number: number; timeOffset: bigint }> = [];
  #snapshotSeq = 0;

  private constructor(options: ChainOptions) {
    this.options = options;
    this.log = options.logger;
    this.chainId = options.genesis.chainId;
    this.common = createChainCommon(this.chainId, options.genesis.hardfork);
    this.validator = addressOfPublicKey(publicKeyOf(options.validatorKey));
    this.db = new ChainDb(options.dbPath);
    this.pool = new TxPool(options.pool);
    this.#operators = new Set(options.genesis.operators.map((a) => a.toLowerCase()));
    this.#registry = options.genesis.permissioning ? fromHex(options.genesis.permissioning.registry) : undefined;
    this.#registryKey = this.#registry ? toHex(this.#registry) : undefined;
  }

  static async open(options: ChainOptions): Promise<Chain> {
    const chain = new Chain(options);
    try {
      await chain.#init();
    } catch (error) {
      chain.db.close();
      throw error;
    }
    return chain;
  }

  async #init(): Promise<void> {
    const { genesis } = this.options;
    if (!genesis.validators.some((v) => v.toLowerCase() === toHex(this.validator))) {
      throw new Error(`the validator key's address ${toHex(this.validator)} is not among the genesis validators`);
    }
    const expected = await this.#genesisBlock();
    const stored = this.db.blockByNumber(0);
    if (stored === undefined) {
      this.db.writeBlock({ block: expected.block, txs: [], receipts: [], logs: [], ...expected.changes.rows });
      this.db.setMeta("chain_id", this.chainId.toString());
      this.log.info({ hash: toHex(expected.block.hash), chainId: Number(this.chainId) }, "genesis written");
    } else if (toHex(stored.hash) !== toHex(expected.block.hash)) {
      throw new Error(`the data directory holds another chain (genesis ${toHex(stored.hash)}, the genesis file gives ${toHex(expected.block.hash)})`);
    } else {
      const storedChainId = this.db.getMeta("chain_id");
      if (storedChainId !== undefined && storedChainId !== this.chainId.toString()) {
        throw new Error(`the data directory holds chain id ${storedChainId}, the genesis file gives chain id ${this.chainId}`);
      }
    }
    this.#setHead(this.db.head()!);
    if (!(await installJumpAnalysisCache())) this.log.warn("this @ethereumjs/evm has no per-frame code analysis to cache: every call analyses its code again");
    this.#headCache = new HeadStateCache(this.db, this.#head.number);
    this.#buildState = new FlatStateManager(this.#headCache);
    const blockchain = this.#blockchainShim();
    this.#buildVm = await createVM({ common: this.common, stateManager: this.#buildState, blockchain: blockchain as never });
    this.#callReader = new SwitchableReader(this.#headCache);
    this.#callState = new FlatStateManager(this.#callReader);
    this.#callVm = await createVM({ common: this.common, stateManager: this.#callState, blockchain: blockchain as never });
    // The journaled pool is restored in the background (sender recovery is ~0.1 ms a transaction):
    // the node serves reads at once; submissions and sealing wait for the restore to finish.
    const journaled = this.db.journaledTxs();
    this.#restoring = this.#writeMutex.run(() => this.#restorePool(journaled)).finally(() => (this.#restoring = undefined));
    this.log.info({ head: this.#head.number, hash: toHex(this.#head.hash), journaled: journaled.length }, "chain opened");
    if (this.options.blockTime > 0) this.#sealTimer = setInterval(() => this.#scheduleSeal(this.options.emptyBlocks, true), this.options.blockTime);
    else this.#scheduleSeal(false);
  }

  /** BLOCKHASH needs the hashes of recent blocks. */
  #blockchainShim() {
    const db = this.db;
    return {
      getBlock: async (number: number | bigint) => {
        const block = db.blockByNumber(Number(number));
        if (block === undefined) throw new Error(`block ${number} not found`);
        return { hash: () => block.hash, header: { number: BigInt(block.number) } };
      },
      shallowCopy() {
        return this;
      },
    };
  }

  async #genesisBlock(): Promise<{ block: StoredBlock; changes: StateChanges }> {
    const { genesis } = this.options;
    const empty = new ChainDb(":memory:");
    const state = new FlatStateManager(new DbStateView(empty, 0));
    for (const [addressHex, entry] of Object.entries(genesis.alloc)) {
      const address = new Address(fromHex(addressHex));
      await state.putAccount(address, new Account(entry.nonce, entry.balance));
      if (entry.code !== undefined) await state.putCode(address, fromHex(entry.code));
      for (const [slot, value] of Object.entries(entry.storage ?? {})) {
        const key = new Uint8Array(32);
        const slotBytes = fromHex(slot);
        key.set(slotBytes, 32 - slotBytes.length);
        await state.putStorage(address, key, fromHex(value));
      }
    }
    const changes = state.takeChanges(0);
    const extraData = new Uint8Array(VANITY_BYTES + 20 * genesis.validators.length + SEAL_BYTES);
    extraData.set(vanityBytes(genesis.vanity));
    genesis.validators.forEach((v, i) => extraData.set(fromHex(v), VANITY_BYTES + 20 * i));
    const header: Header = {
      parentHash: ZERO_HASH,
      uncleHash: EMPTY_UNCLES_HASH,
      coinbase: ZERO_ADDRESS,
      stateRoot: keccak256(concat(ZERO_HASH, changes.digest)),
      transactionsRoot: EMPTY_TRIE_ROOT,
      receiptsRoot: EMPTY_TRIE_ROOT,
      logsBloom: new Uint8Array(256),
      difficulty: 0n,
      number: 0n,
      gasLimit: genesis.gasLimit,
      gasUsed: 0n,
      timestamp: genesis.timestamp,
      extraData,
      mixHash: ZERO_HASH,
      nonce: new Uint8Array(8),
      baseFeePerGas: 0n,
      withdrawalsRoot: EMPTY_TRIE_ROOT,
    };
    const encoded = encodeHeader(header);
    empty.close();
    return { block: { number: 0, hash: keccak256(encoded), header: encoded, txCount: 0, size: encoded.length }, changes };
  }

  #setHead(block: StoredBlock): void {
    this.#head = { number: block.number, hash: block.hash, header: decodeHeader(block.header) };
  }

  get head(): Head {
    return this.#head;
  }

  get headState(): StateReader {
    return this.#headCache;
  }

  /** State as of block `number` (the head's is cached). */
  stateAt(number: number): StateReader {
    return number === this.#head.number ? this.#headCache : new DbStateView(this.db, number);
  }

  onBlock(listener: (event: BlockEvent) => void): () => void {
    this.#blockListeners.add(listener);
    return () => this.#blockListeners.delete(listener);
  }

  /**
   * Resolves once the pooled transaction `hashHex` is settled: gone from the pool (sealed, or dropped
   * at execution) or parked behind a nonce gap — checked now and after every block — or after
   * `timeoutMs`. Development mode's automine answers a send only then, as Hardhat's node does, so
   * that a test's next read sees its write.
   */
  settled(hashHex: string, timeoutMs: number): Promise<void> {
    const waiting = (): boolean => {
      const entry = this.pool.get(hashHex);
      return entry !== undefined && entry.nonce < this.pool.pendingNonce(entry.senderHex, this.nonceAt(entry.sender));
    };
    if (!waiting()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        detach();
        resolve();
      };
      const detach = this.onBlock(() => {
        if (!waiting()) done();
      });
      const timer = setTimeout(done, timeoutMs);
    });
  }

  onPendingTransaction(listener: (hash: string) => void): () => void {
    this.#pendingListeners.add(listener);
    return () => this.#pendingListeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  nonceAt(address: Uint8Array, reader: StateReader = this.#headCache): bigint {
    const account = reader.account(address, toHex(address));
    return account === undefined || account.deleted ? 0n : account.nonce;
  }

  pendingNonce(address: Uint8Array): bigint {
    return this.pool.pendingNonce(toHex(address), this.nonceAt(address));
  }

  /** Whether `sender` may send transactions: a genesis operator or on the registry's allowlist. */
  async isPermitted(sender: Uint8Array): Promise<boolean> {
    const key = toHex(sender);
    if (this.#operators.has(key)) return true;
    if (this.#registry === undefined) return false;
    const cached = this.#allowCache.get(key);
    if (cached !== undefined) return cached;
    const data = new Uint8Array(36);
    data.set(ISALLOWED_SELECTOR);
    data.set(sender, 16);
    const result = await this.call({ to: this.#registry, data, value: 0n, gas: 1_000_000n }, this.#head.number);
    const allowed = result.ok && result.returnValue.length === 32 && result.returnValue[31] === 1;
    this.#allowCache.set(key, allowed);
    return allowed;
  }

  // -------------------------------------------------------------------------------------------
  // Transactions in

  #decode(raw: Uint8Array): TypedTransaction {
    // The type byte decides "not supported", not ethereumjs' message (its messages for supported types end
    // in "(tx type=2 ...)", and those for unsupported ones need not say "type").
    const type = raw.length === 0 ? -1 : raw[0]! >= 0xc0 ? 0 : raw[0]!;
    if (type >= 0 && type <= 0x7f && !SUPPORTED_TX_TYPES.has(type)) throw new RpcError(RpcCode.SERVER_ERROR, "transaction type not supported");
    const signedFor = chainIdOf(raw);
    if (signedFor !== undefined && signedFor !== this.chainId) {
      throw new RpcError(RpcCode.SERVER_ERROR, `invalid chain id for signer: have ${signedFor} want ${this.chainId}`);
    }
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common: this.common });
    } catch (error) {
      const message = (error as Error).message.split(" (")[0]!;
      if (/maxFeePerGas cannot be less than maxPriorityFeePerGas/.test(message)) throw new RpcError(RpcCode.SERVER_ERROR, "max priority fee per gas higher than max fee per gas");
      if (/^Invalid Signature/.test(message)) throw new RpcError(RpcCode.SERVER_ERROR, "invalid transaction v, r, s values");
      throw new RpcError(RpcCode.INVALID_PARAMS, `invalid transaction: ${message}`);
    }
    if (!tx.isSigned()) throw new RpcError(RpcCode.SERVER_ERROR, "invalid sender: transaction is not signed");
    return tx;
  }

  /**
   * Validates and pools a signed transaction; resolves to its hash. Errors carry geth's wording.
   * Nothing changes when it throws.
   */
  async submitRawTransaction(raw: Uint8Array): Promise<string> {
    if (this.#restoring !== undefined) await this.#restoring;
    if (this.#stopped) throw new RpcError(RpcCode.SERVER_ERROR, "node is shutting down");
    const tx = this.#decode(raw);
    const hash = tx.hash();
    const hashHex = toHex(hash);
    if (this.pool.has(hashHex) || this.db.txByHash(hash) !== undefined) throw new RpcError(RpcCode.SERVER_ERROR, "already known");
    if (tx.type === 0 && !tx.supports(155)) throw new RpcError(RpcCode.SERVER_ERROR, "only replay-protected (EIP-155) transactions allowed over RPC");
    let sender: Uint8Array;
    try {
      sender = tx.getSenderAddress().bytes;
    } catch {
      throw new RpcError(RpcCode.SERVER_ERROR, "invalid sender");
    }
    if ("chainId" in tx && (tx as { chainId: bigint }).chainId !== this.chainId) {
      throw new RpcError(RpcCode.SERVER_ERROR, `invalid chain id for signer: have ${(tx as { chainId: bigint }).chainId} want ${this.chainId}`);
    }
    const senderHex = toHex(sender);
    const stateNonce = this.nonceAt(sender);
    if (tx.nonce < stateNonce) throw new RpcError(RpcCode.SERVER_ERROR, `nonce too low: address ${senderHex}, tx: ${tx.nonce} state: ${stateNonce}`);
    // Gas is free, so a far-future nonce would cost its sender nothing to park in the pool for good.
    if (tx.nonce >= stateNonce + BigInt(this.pool.limits.maxNonceGap)) {
      throw new RpcError(RpcCode.SERVER_ERROR, `nonce too high: address ${senderHex}, tx: ${tx.nonce} state: ${stateNonce} (at most ${this.pool.limits.maxNonceGap} ahead)`);
    }
    if (tx.gasLimit > this.#head.header.gasLimit) throw new RpcError(RpcCode.SERVER_ERROR, "exceeds block gas limit");
    const intrinsic = tx.getIntrinsicGas();
    if (tx.gasLimit < intrinsic) throw new RpcError(RpcCode.SERVER_ERROR, `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${intrinsic}`);
    if ("maxPriorityFeePerGas" in tx && (tx as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas > (tx as { maxFeePerGas: bigint }).maxFeePerGas) {
      throw new RpcError(RpcCode.SERVER_ERROR, "max priority fee per gas higher than max fee per gas");
    }
    const balance = this.#headCache.account(sender, senderHex)?.balance ?? 0n;
    const cost = tx.getUpfrontCost();
    if (balance < cost) throw new RpcError(RpcCode.SERVER_ERROR, `insufficient funds for gas * price + value: address ${senderHex} have ${balance} want ${cost}`);
    if (!(await this.isPermitted(sender))) {
      throw new RpcError(RpcCode.TRANSACTION_REJECTED, `transaction rejected: sender ${senderHex} is not on the consortium allowlist (发送账户不在联盟许可名单中)`);
    }
    // Re-check what may have changed while the permission call ran.
    if (this.pool.has(hashHex)) throw new RpcError(RpcCode.SERVER_ERROR, "already known");
    const existing = this.pool.at(senderHex, tx.nonce);
    if (existing !== undefined) {
      // Same rule as geth: a replacement must raise both fee fields by at least 10 %.
      const fee = (t: TypedTransaction) => ("maxFeePerGas" in t ? (t as { maxFeePerGas: bigint }).maxFeePerGas : (t as { gasPrice: bigint }).gasPrice);
      const tip = (t: TypedTransaction) => ("maxPriorityFeePerGas" in t ? (t as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas : (t as { gasPrice: bigint }).gasPrice);
      const bumped = (next: bigint, old: bigint) => next * 100n >= old * 110n && next > old;
      if (!bumped(fee(tx), fee(existing.tx)) || !bumped(tip(tx), tip(existing.tx))) throw new RpcError(RpcCode.SERVER_ERROR, "replacement transaction underpriced");
    } else {
      if (this.pool.size >= this.pool.limits.maxTransactions) throw new RpcError(RpcCode.SERVER_ERROR, "txpool is full");
      if (this.pool.countOf(senderHex) >= this.pool.limits.maxPerSender) throw new RpcError(RpcCode.SERVER_ERROR, "account limit exceeded");
    }
    const entry: PooledTx = { tx, hash, hashHex, sender, senderHex, raw, nonce: tx.nonce, seq: this.pool.nextSeq() };
    const replaced = this.pool.add(entry);
    if (replaced !== undefined) this.db.forgetTx(replaced.hash);
    // Answer only once the journal holds it: an accepted transaction survives a restart.
    await this.db.journalTx(hash, raw, entry.seq);
    for (const listener of this.#pendingListeners) listener(hashHex);
    this.#scheduleSeal(false);
    return hashHex;
  }

  /** Settles once the journaled pool is back (pending only right after opening). */
  get restoring(): Promise<void> | undefined {
    return this.#restoring;
  }

  async #restorePool(journaled: Array<{ hash: Uint8Array; raw: Uint8Array }>): Promise<void> {
    let restored = 0;
    let lastYield = performance.now();
    for (const { hash, raw } of journaled) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      if (this.db.txByHash(hash) !== undefined) {
        this.db.forgetTx(hash);
        continue;
      }
      try {
        const tx = this.#decode(raw);
        const sender = tx.getSenderAddress().bytes;
        if (tx.nonce < this.nonceAt(sender)) throw new Error("nonce too low");
        this.pool.add({ tx, hash, hashHex: toHex(hash), sender, senderHex: toHex(sender), raw, nonce: tx.nonce, seq: this.pool.nextSeq() });
        restored++;
      } catch (error) {
        this.log.warn({ hash: toHex(hash), reason: (error as Error).message }, "journaled transaction dropped");
        this.db.forgetTx(hash);
      }
    }
    if (restored > 0) this.log.info({ restored }, "transaction pool restored from its journal");
  }

  // -------------------------------------------------------------------------------------------
  // Sealing

  /**
   * Seals soon: on demand (blockTime 0) whenever transactions arrive; in interval mode only on the
   * timer's tick (`tick`), then with whatever is pending, empty only if emptyBlocks.
   */
  #scheduleSeal(allowEmpty: boolean, tick = false): void {
    if (this.#sealScheduled || this.#stopped) return;
    if (this.options.blockTime > 0 && !tick) return;
    this.#sealScheduled = true;
    setImmediate(() => {
      this.#sealScheduled = false;
      void this.#writeMutex
        .run(async () => {
          while (!this.#stopped) {
            const sealed = await this.#produceBlock(allowEmpty);
            allowEmpty = false;
            // On-demand mode keeps sealing while transactions wait; interval mode seals one per tick.
            if (!sealed || this.options.blockTime > 0) break;
          }
        })
        .catch((error: unknown) => this.log.error({ err: error }, "block production failed"));
    });
  }

  /** The timestamp the next block will get if sealed now (without consuming a set one). */
  #peekNextTimestamp(): bigint {
    if (this.#nextTimestamp !== undefined) return this.#nextTimestamp;
    const now = BigInt(Math.floor(Date.now() / 1000)) + this.#timeOffset;
    const earliest = this.#head.header.timestamp + 1n;
    return now > earliest ? now : earliest;
  }

  #timestampForNextBlock(): bigint {
    if (this.#nextTimestamp !== undefined) {
      const next = this.#nextTimestamp;
      this.#nextTimestamp = undefined;
      this.#timeOffset = next - BigInt(Math.floor(Date.now() / 1000));
      return next;
    }
    // Strictly increasing, as Ethereum's header rule requires. Several blocks sealed within one
    // second run the chain's clock ahead of the wall clock by a second each; it falls back in step
    // as soon as the load eases (large blocks under load keep this to seconds).
    return this.#peekNextTimestamp();
  }

  #stateNonceOf = (_senderHex: string, sender: Uint8Array): bigint => this.nonceAt(sender);

  /** Seals one block from the pool. Returns false if there was nothing to seal. */
  async #produceBlock(allowEmpty: boolean): Promise<boolean> {
    const started = performance.now();
    const candidates = this.pool.executable(this.options.maxBlockTransactions, this.#stateNonceOf);
    if (candidates.length === 0 && !allowEmpty) return false;
    const parent = this.#head;
    const number = parent.number + 1;
    const timestamp = this.#timestampForNextBlock();
    const gasLimit = parent.header.gasLimit;
    const mixHash = keccak256(parent.hash);
    const template: Block = createBlock(
      { header: createBlockHeader({ number: BigInt(number), timestamp, gasLimit, baseFeePerGas: 0n, coinbase: new Address(this.validator), mixHash, difficulty: 0n }, { common: this.common, skipConsensusFormatValidation: true }) },
      { common: this.common, skipConsensusFormatValidation: true },
    );

    const included: PooledTx[] = [];
    const receipts: StoredReceipt[] = [];
    const logs: StoredLog[] = [];
    const receiptEncodings: Uint8Array[] = [];
    const bloom = new Uint8Array(256);
    let gasUsed = 0n;
    let lastYield = performance.now();
    const stalled = new Set<string>();
    for (const entry of candidates) {
      if (gasUsed + entry.tx.gasLimit > gasLimit) break;
      // A sender whose earlier transaction was dropped in this block has a nonce gap now: its later
      // transactions stay pooled and wait for it to close, as geth's queue does.
      if (stalled.has(entry.senderHex)) continue;
      // Permission is checked again at sealing: a member vote may have revoked the sender since
      // its transaction was pooled (a cached answer, unless the registry just changed).
      if (!(await this.isPermitted(entry.sender))) {
        this.log.warn({ hash: entry.hashHex, sender: entry.senderHex }, "transaction dropped: sender no longer on the allowlist");
        this.pool.remove(entry);
        this.db.forgetTx(entry.hash);
        stalled.add(entry.senderHex);
        continue;
      }
      let result;
      try {
        result = await runTx(this.#buildVm, { tx: entry.tx, block: template, blockGasUsed: gasUsed, skipHardForkValidation: true });
      } catch (error) {
        // Invalid against the state it meets (e.g. a replaced predecessor): dropped, never mined.
        this.log.warn({ hash: entry.hashHex, reason: (error as Error).message.split(" (")[0] }, "transaction dropped at execution");
        this.pool.remove(entry);
        this.db.forgetTx(entry.hash);
        stalled.add(entry.senderHex);
        continue;
      }
      const idx = included.length;
      included.push(entry);
      gasUsed += result.totalGasSpent;
      const entryLogs: LogEntry[] = (result.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }));
      const status = result.execResult.exceptionError === undefined ? 1 : 0;
      const receiptBloom = result.bloom.bitvector;
      for (let i = 0; i < 256; i++) bloom[i]! |= receiptBloom[i]!;
      receipts.push({
        block: number,
        idx,
        status,
        gasUsed: Number(result.totalGasSpent),
        cumulativeGas: Number(gasUsed),
        contract: result.createdAddress?.bytes ?? null,
        firstLog: logs.length,
        logCount: entryLogs.length,
      });
      for (const log of entryLogs) logs.push({ block: number, logIndex: logs.length, txIdx: idx, address: log.address, topics: log.topics, data: log.data });
      receiptEncodings.push(encodeReceipt({ type: entry.tx.type, status, cumulativeGasUsed: gasUsed, logsBloom: receiptBloom, logs: entryLogs }));
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    if (included.length === 0 && !allowEmpty) {
      this.#buildState.discard();
      return candidates.length > 0;
    }

    const changes = this.#buildState.takeChanges(number);
    const header: Header = {
      parentHash: parent.hash,
      uncleHash: EMPTY_UNCLES_HASH,
      coinbase: this.validator,
      stateRoot: keccak256(concat(parent.header.stateRoot, changes.digest)),
      transactionsRoot: orderedTrieRoot(included.map((entry) => entry.raw)),
      receiptsRoot: orderedTrieRoot(receiptEncodings),
      logsBloom: bloom,
      difficulty: 0n,
      number: BigInt(number),
      gasLimit,
      gasUsed,
      timestamp,
      extraData: vanityBytes(this.options.genesis.vanity),
      mixHash,
      nonce: new Uint8Array(8),
      baseFeePerGas: 0n,
      withdrawalsRoot: EMPTY_TRIE_ROOT,
    };
    const seal = signDigest(keccak256(encodeHeader(header)), this.options.validatorKey);
    header.extraData = concat(header.extraData, seal);
    const encoded = encodeHeader(header);
    const hash = keccak256(encoded);
    const txs: StoredTx[] = included.map((entry, idx) => ({ hash: entry.hash, block: number, idx, sender: entry.sender, raw: entry.raw }));
    const size = encoded.length + txs.reduce((sum, tx) => sum + tx.raw.length, 0);
    const block: StoredBlock = { number, hash, header: encoded, txCount: txs.length, size };
    this.db.writeBlock({ block, txs, receipts, logs, ...changes.rows });

    // Committed: move the head, then tell everyone.
    this.#headCache.apply(number, changes);
    this.#head = { number, hash, header };
    for (const entry of included) this.pool.remove(entry);
    // A replacement accepted while this block was being built (for a nonce the block then used)
    // is below its sender's nonce now: out of the pool and the journal.
    const senders = new Map(included.map((entry) => [entry.senderHex, entry.sender]));
    for (const [senderHex, sender] of senders) {
      for (const stale of this.pool.prune(senderHex, this.nonceAt(sender))) this.db.forgetTx(stale.hash);
    }
    if (this.#registryKey !== undefined && (changes.accounts.has(this.#registryKey) || [...changes.storageValues.keys()].some((key) => key.startsWith(this.#registryKey!)))) {
      this.#allowCache.clear();
    }
    this.options.onCommitted?.({ number, txCount: txs.length, buildSeconds: (performance.now() - started) / 1000, timestampMs: Date.now() });
    if (this.#blockListeners.size > 0) {
      const event: BlockEvent = { block, header, txs, logs };
      for (const listener of this.#blockListeners) {
        try {
          listener(event);
        } catch (error) {
          this.log.error({ err: error }, "block listener failed");
        }
      }
    }
    this.log.debug({ number, txs: txs.length, gasUsed: Number(gasUsed), ms: Math.round(performance.now() - started) }, "block sealed");
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  /**
   * Executes a message call without changing anything: against the state and header of block `at`,
   * or, for "pending", against the head's state in the context of the next block (its number and
   * timestamp), which is where a transaction sent now will run.
   */
  call(request: CallRequest, at: number | "pending"): Promise<CallResult> {
    return this.#callMutex.run(async () => {
      let context: { number: bigint; timestamp: bigint; gasLimit: bigint; coinbase: Uint8Array; mixHash: Uint8Array };
      if (at === "pending") {
        const head = this.#head;
        context = { number: BigInt(head.number + 1), timestamp: this.#peekNextTimestamp(), gasLimit: head.header.gasLimit, coinbase: this.validator, mixHash: keccak256(head.hash) };
        this.#callReader.target = this.#headCache;
      } else {
        const stored = this.db.blockByNumber(at);
        if (stored === undefined) throw new RpcError(RpcCode.RESOURCE_NOT_FOUND, `header for block ${at} not found`);
        const header = decodeHeader(stored.header);
        context = { number: BigInt(at), timestamp: header.timestamp, gasLimit: header.gasLimit, coinbase: header.coinbase, mixHash: header.mixHash };
        this.#callReader.target = this.stateAt(at);
      }
      this.#callState.discard();
      // Calls against one block share its execution context (most calls are at the head).
      const cached = this.#callBlock;
      const block =
        cached !== undefined && cached.number === context.number && cached.timestamp === context.timestamp
          ? cached.block
          : createBlock(
              {
                header: createBlockHeader(
                  { number: context.number, timestamp: context.timestamp, gasLimit: context.gasLimit, baseFeePerGas: 0n, coinbase: new Address(context.coinbase), mixHash: context.mixHash, difficulty: 0n },
                  { common: this.common, skipConsensusFormatValidation: true },
                ),
              },
              { common: this.common, skipConsensusFormatValidation: true },
            );
      this.#callBlock = { number: context.number, timestamp: context.timestamp, block };
      try {
        const caller = new Address(request.from ?? ZERO_ADDRESS);
        const result = await this.#callVm.evm.runCall({
          caller,
          origin: caller,
          to: request.to === undefined ? undefined : new Address(request.to),
          data: request.data,
          value: request.value,
          gasLimit: request.gas ?? BigInt(this.options.gasCap),
          gasPrice: 0n,
          block,
          skipBalance: true,
        });
        const error = result.execResult.exceptionError;
        return {
          ok: error === undefined,
          returnValue: result.execResult.returnValue,
          gasUsed: result.execResult.executionGasUsed,
          error: error === undefined ? undefined : String(error.error),
        };
      } finally {
        this.#callState.discard();
        this.#callVm.evm.journal.cleanup?.().catch?.(() => undefined);
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Development controls (refused unless options.dev)

  #requireDev(): void {
    if (!this.options.dev) throw new RpcError(RpcCode.METHOD_NOT_FOUND, "the method does not exist/is not available");
  }

  snapshot(): number {
    this.#requireDev();
    const id = ++this.#snapshotSeq;
    this.#snapshots.push({ id, number: this.#head.number, timeOffset: this.#timeOffset });
    return id;
  }

  async revertTo(id: number): Promise<boolean> {
    this.#requireDev();
    const index = this.#snapshots.findIndex((s) => s.id === id);
    if (index < 0) return false;
    const snapshot = this.#snapshots[index]!;
    this.#snapshots = this.#snapshots.slice(0, index);
    await this.#writeMutex.run(async () => {
      this.db.truncateAbove(snapshot.number);
      for (const entry of this.pool.all()) this.db.forgetTx(entry.hash);
      this.pool.clear();
      this.#setHead(this.db.head()!);
      this.#headCache.reset(this.#head.number);
      this.#buildState.discard();
      this.#allowCache.clear();
      this.#timeOffset = snapshot.timeOffset;
      this.#nextTimestamp = undefined;
    });
    return true;
  }

  increaseTime(seconds: bigint): bigint {
    this.#requireDev();
    this.#timeOffset += seconds;
    return this.#timeOffset;
  }

  setNextBlockTimestamp(timestamp: bigint): void {
    this.#requireDev();
    if (timestamp <= this.#head.header.timestamp) {
      throw new RpcError(RpcCode.INVALID_PARAMS, `Timestamp ${timestamp} is lower than or equal to previous block's timestamp ${this.#head.header.timestamp}`);
    }
    this.#nextTimestamp = timestamp;
  }

  /** Seals `count` blocks now (with pending transactions in the first), `interval` seconds apart. */
  async mine(count = 1, interval = 1n, timestamp?: bigint): Promise<void> {
    this.#requireDev();
    if (timestamp !== undefined) this.setNextBlockTimestamp(timestamp);
    await this.#writeMutex.run(async () => {
      for (let i = 0; i < count; i++) {
        if (i > 0) this.#nextTimestamp = this.#head.header.timestamp + interval;
        await this.#produceBlock(true);
      }
    });
  }

  /**
   * Development state edits (hardhat_setCode, hardhat_setBalance, ...): written as a new block with
   * no transactions, so that history stays consistent and the state commitment covers them.
   */
  async editState(edit: (state: FlatStateManager) => Promise<void>): Promise<void> {
    this.#requireDev();
    await this.#writeMutex.run(async () => {
      await edit(this.#buildState);
      await this.#produceBlock(true);
    });
  }

  // -------------------------------------------------------------------------------------------

  health(): { ok: boolean; head: number; headAgeSeconds: number; pool: number; chainId: number } {
    const headAgeSeconds = Math.max(0, Math.floor(Date.now() / 1000) - Number(this.#head.header.timestamp));
    return { ok: !this.#stopped, head: this.#head.number, headAgeSeconds, pool: this.pool.size, chainId: Number(this.chainId) };
  }

  poolCounts(): { pending: number; queued: number } {
    return this.pool.counts(this.#stateNonceOf);
  }

  /** Stops sealing, waits for the block being sealed, closes the database. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#sealTimer !== undefined) clearInterval(this.#sealTimer);
    await this.#writeMutex.run(async () => undefined);
    await this.#callMutex.run(async () => undefined);
    this.db.close();
    this.log.info("chain closed");
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

