// eth_subscribe / eth_unsubscribe (WebSocket push) and the polling filters (eth_newFilter and friends),
// in front of the method backend: SubscriptionManager handles those methods from the ChainFeed and passes
// every other call to the inner backend. Wording and formats follow geth (rpc/subscription.go,
// eth/filters/api.go) so that ethers, viem and web3 clients work unchanged.

import { randomBytes } from "node:crypto";
import { RpcCode, RpcError, invalidParams, serverError } from "./errors.ts";
import { matchLog, parseLogFilter, parseSubscriptionLogFilter, type LogCriteria } from "./filters.ts";
import type { ChainFeed, CommittedBlock, LogFilter, RpcBackend, RpcContext, RpcLog } from "./types.ts";

export interface SubscriptionOptions {
  /** A polling filter not polled (eth_getFilterChanges) for this long is removed; geth's 5 minutes. */
  filterTimeoutMs?: number;
  /** Milliseconds now, for filter expiry (tests pass their own clock). Default Date.now. */
  clock?: () => number;
  /** Installed polling filters at most, over all clients (-32005 "too many filters" beyond). */
  maxFilters?: number;
  /**
   * Changes buffered per polling filter between two polls. geth buffers without bound; here the oldest
   * changes are dropped beyond this, so that an abandoned pending-transaction filter at 2,000 tx/s cannot
   * hold 600,000 hashes for its 5 minutes. A client polling at any sane interval never hits it.
   */
  maxFilterChanges?: number;
  /** Subscriptions per WebSocket connection at most (-32005 "too many subscriptions" beyond). */
  maxSubscriptionsPerConnection?: number;
}

interface SubscriptionBase {
  id: string;
  notify: (message: unknown) => void;
  /** The ids of the subscriptions of the connection that made this one. */
  owner: Set<string>;
}
type Subscription = SubscriptionBase & ({ kind: "newHeads" | "newPendingTransactions" } | { kind: "logs"; criteria: LogCriteria });
type LogSubscription = Extract<Subscription, { kind: "logs" }>;

interface FilterBase {
  changes: BoundedQueue<unknown>;
  /** Milliseconds since the epoch after which the filter is gone unless polled. */
  deadline: number;
}
type PollingFilter = FilterBase & ({ kind: "blocks" | "pending" } | { kind: "logs"; criteria: LogFilter });

/** A FIFO that keeps the newest `capacity` items, as a ring once full. */
class BoundedQueue<T> {
  #items: T[] = [];
  #start = 0;
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(item: T): void {
    if (this.#items.length < this.#capacity) {
      this.#items.push(item);
    } else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.#capacity;
    }
  }

  /** Returns the items, oldest first, and empties the queue. */
  drain(): T[] {
    const items = this.#start === 0 ? this.#items : [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
    this.#items = [];
    this.#start = 0;
    return items;
  }
}

/** geth's rpc.NewID: 16 random bytes as a hex quantity (leading zeros trimmed). */
function newId(): string {
  const hex = randomBytes(16).toString("hex").replace(/^0+/, "");
  return `0x${hex === "" ? "0" : hex}`;
}

/** geth's positional-argument checks and wording. */
function positional(params: unknown, min: number, max: number): unknown[] {
  if (params === undefined || params === null) params = [];
  if (!Array.isArray(params)) throw invalidParams("non-array args");
  if (params.length > max) throw invalidParams(`too many arguments, want at most ${max}`);
  if (params.length < min) throw invalidParams(`missing value for required argument ${params.length}`);
  return params;
}

function idArgument(params: unknown): string {
  const [id] = positional(params, 1, 1);
  if (typeof id !== "string") throw invalidParams("invalid argument 0: expected an id string");
  return id;
}

/** eth_newPendingTransactionFilter and the newPendingTransactions subscription take an optional fullTx flag. */
function checkFullTx(value: unknown, argument: number): void {
  if (value === undefined || value === null || value === false) return;
  if (value === true) throw invalidParams(`invalid argument ${argument}: full pending transactions are not supported, only hashes`);
  throw invalidParams(`invalid argument ${argument}: expected a boolean`);
}

function logFilterArgument(params: unknown): LogFilter {
  const filter = parseLogFilter(positional(params, 1, 1)[0], 0);
  // geth refuses a range that can never admit a block.
  if (typeof filter.fromBlock === "bigint" && typeof filter.toBlock === "bigint" && filter.fromBlock > filter.toBlock) {
    throw serverError("invalid from and to block combination");
  }
  return filter;
}

/** Runs a synchronous handler as the promise RpcBackend promises: its throw becomes a rejection. */
function settle(handler: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(handler());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** geth's notification message. */
function notification(subscription: string, result: unknown): unknown {
  return { jsonrpc: "2.0", method: "eth_subscription", params: { subscription, result } };
}

const notificationsUnsupported = (): RpcError => new RpcError(RpcCode.METHOD_NOT_FOUND, "notifications not supported");
const filterNotFound = (): RpcError => serverError("filter not found");

/** Whether a log filter admits a newly committed block: only numeric bounds (and blockHash) restrict new blocks. */
function admitsBlock(filter: LogFilter, block: CommittedBlock): boolean {
  if (filter.blockHash !== undefined) return filter.blockHash === block.hash;
  if (typeof filter.fromBlock === "bigint" && block.number < filter.fromBlock) return false;
  if (typeof filter.toBlock === "bigint" && block.number > filter.toBlock) return false;
  return true;
}

/**
 * Handles eth_subscribe, eth_unsubscribe, eth_newFilter, eth_newBlockFilter,
 * eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs and eth_uninstallFilter;
 * passes everything else to `inner`.
 *
 * A WebSocket connection is identified by its context's `onClose` function, which the RPC server
 * creates once per connection; its subscriptions end when it closes.
 */
export class SubscriptionManager implements RpcBackend {
  readonly #feed: ChainFeed;
  readonly #inner: RpcBackend;
  readonly #filterTimeoutMs: number;
  readonly #clock: () => number;
  readonly #maxFilters: number;
  readonly #maxFilterChanges: number;
  readonly #maxSubscriptionsPerConnection: number;

  // By kind, so that a block or a pending transaction (2,000 a second) only visits what it feeds.
  readonly #heads = new Map<string, Subscription>();
  readonly #logs = new Map<string, LogSubscription>();
  readonly #pending = new Map<string, Subscription>();
  readonly #connections = new WeakMap<NonNullable<RpcContext["onClose"]>, Set<string>>();
  readonly #chainFilters = new Map<string, PollingFilter>();
  readonly #pendingFilters = new Map<string, PollingFilter>();
  // Feed listeners, attached only while something needs them: turning a block into a CommittedBlock
  // (headers, logs) costs the node time on every block, so it should not happen for nobody.
  #detachBlocks: (() => void) | undefined;
  #detachPending: (() => void) | undefined;
  readonly #sweeper: NodeJS.Timeout;

  constructor(feed: ChainFeed, inner: RpcBackend, options: SubscriptionOptions = {}) {
    this.#feed = feed;
    this.#inner = inner;
    this.#filterTimeoutMs = options.filterTimeoutMs ?? 5 * 60_000;
    this.#clock = options.clock ?? Date.now;
    this.#maxFilters = options.maxFilters ?? 10_000;
    this.#maxFilterChanges = options.maxFilterChanges ?? 10_000;
    this.#maxSubscriptionsPerConnection = options.maxSubscriptionsPerConnection ?? 1_000;
    // Expired filters are also refused when polled; the sweep reclaims the memory of abandoned ones.
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(this.#filterTimeoutMs / 2, 10));
    this.#sweeper.unref();
  }

  dispatch(method: string, params: unknown, context: RpcContext): Promise<unknown> {
    switch (method) {
      case "eth_subscribe":
        return settle(() => this.#subscribe(params, context));
      case "eth_unsubscribe":
        return settle(() => this.#unsubscribe(params, context));
      case "eth_newFilter":
        return settle(() => this.#install({ kind: "logs", criteria: logFilterArgument(params) }));
      case "eth_newBlockFilter":
        return settle(() => {
          positional(params, 0, 0);
          return this.#install({ kind: "blocks" });
        });
      case "eth_newPendingTransactionFilter":
        return settle(() => {
          checkFullTx(positional(params, 0, 1)[0], 0);
          return this.#install({ kind: "pending" });
        });
      case "eth_getFilterChanges":
        return settle(() => this.#changes(idArgument(params)));
      case "eth_getFilterLogs":
        return settle(() => this.#filterLogs(idArgument(params)));
      case "eth_uninstallFilter":
        return settle(() => this.#uninstall(idArgument(params)));
      default:
        return this.#inner.dispatch(method, params, context);
    }
  }

  /** Live subscriptions and installed filters (for health reports and tests). */
  counts(): { subscriptions: number; filters: number } {
    return {
      subscriptions: this.#heads.size + this.#logs.size + this.#pending.size,
      filters: this.#chainFilters.size + this.#pendingFilters.size,
    };
  }

  /** Detaches from the feed and drops every subscription and filter. */
  close(): void {
    clearInterval(this.#sweeper);
    for (const map of [this.#heads, this.#logs, this.#pending, this.#chainFilters, this.#pendingFilters]) map.clear();
    this.#attach();
  }

  /** Attaches to or detaches from the feed's two streams as subscriptions and filters come and go. */
  #attach(): void {
    const wantBlocks = this.#heads.size + this.#logs.size + this.#chainFilters.size > 0;
    if (wantBlocks && this.#detachBlocks === undefined) {
      this.#detachBlocks = this.#feed.onBlock((block) => this.#onBlock(block));
    } else if (!wantBlocks && this.#detachBlocks !== undefined) {
      this.#detachBlocks();
      this.#detachBlocks = undefined;
    }
    const wantPending = this.#pending.size + this.#pendingFilters.size > 0;
    if (wantPending && this.#detachPending === undefined) {
      this.#detachPending = this.#feed.onPendingTransaction((hash) => this.#onPendingTransaction(hash));
    } else if (!wantPending && this.#detachPending !== undefined) {
      this.#detachPending();
      this.#detachPending = undefined;
    }
  }

  #subscribe(params: unknown, context: RpcContext): string {
    const { notify, onClose } = context;
    if (notify === undefined || onClose === undefined) throw notificationsUnsupported();
    const args = positional(params, 1, 2);
    const kind = args[0];
    if (typeof kind !== "string") throw invalidParams("expected subscription name as first argument");
    let owner = this.#connections.get(onClose);
    const newConnection = owner === undefined;
    owner ??= new Set();
    const base = { id: newId(), notify, owner };

    switch (kind) {
      case "newHeads":
        positional(args, 1, 1);
        this.#limit(owner);
        this.#heads.set(base.id, { ...base, kind });
        break;
      case "logs": {
        const criteria = parseSubscriptionLogFilter(args[1], 1);
        this.#limit(owner);
        this.#logs.set(base.id, { ...base, kind, criteria });
        break;
      }
      case "newPendingTransactions":
        checkFullTx(args[1], 1);
        this.#limit(owner);
        this.#pending.set(base.id, { ...base, kind });
        break;
      default:
        throw new RpcError(RpcCode.METHOD_NOT_FOUND, `no ${JSON.stringify(kind)} subscription in eth namespace`);
    }
    owner.add(base.id);
    this.#attach();
    // Registered after the subscription is recorded, so that a connection that closed meanwhile (the
    // server then runs the callback at once) takes it along.
    if (newConnection) {
      this.#connections.set(onClose, owner);
      onClose(() => {
        this.#connections.delete(onClose);
        for (const id of owner) this.#remove(id);
      });
    }
    return base.id;
  }

  #limit(owner: Set<string>): void {
    if (owner.size >= this.#maxSubscriptionsPerConnection) throw new RpcError(RpcCode.LIMIT_EXCEEDED, "too many subscriptions");
  }

  #unsubscribe(params: unknown, context: RpcContext): boolean {
    if (context.notify === undefined || context.onClose === undefined) throw notificationsUnsupported();
    const id = idArgument(params);
    // As geth: only the connection that made a subscription can end it.
    if (this.#connections.get(context.onClose)?.has(id) !== true) throw serverError("subscription not found");
    this.#remove(id);
    return true;
  }

  #remove(id: string): void {
    const subscription = this.#heads.get(id) ?? this.#logs.get(id) ?? this.#pending.get(id);
    if (subscription === undefined) return;
    this.#heads.delete(id);
    this.#logs.delete(id);
    this.#pending.delete(id);
    subscription.owner.delete(id);
    this.#attach();
  }

  #install(spec: { kind: "blocks" | "pending" } | { kind: "logs"; criteria: LogFilter }): string {
    if (this.#chainFilters.size + this.#pendingFilters.size >= this.#maxFilters) throw new RpcError(RpcCode.LIMIT_EXCEEDED, "too many filters");
    const id = newId();
    const filter: PollingFilter = { ...spec, changes: new BoundedQueue(this.#maxFilterChanges), deadline: this.#clock() + this.#filterTimeoutMs };
    (filter.kind === "pending" ? this.#pendingFilters : this.#chainFilters).set(id, filter);
    this.#attach();
    return id;
  }

  /** The live filter with this id, or undefined; an expired one is removed on the way. */
  #lookup(id: string): PollingFilter | undefined {
    const filter = this.#chainFilters.get(id) ?? this.#pendingFilters.get(id);
    if (filter !== undefined && this.#clock() >= filter.deadline) {
      this.#drop(id);
      return undefined;
    }
    return filter;
  }

  #drop(id: string): void {
    this.#chainFilters.delete(id);
    this.#pendingFilters.delete(id);
    this.#attach();
  }

  #changes(id: string): unknown[] {
    const filter = this.#lookup(id);
    if (filter === undefined) throw filterNotFound();
    filter.deadline = this.#clock() + this.#filterTimeoutMs;
    return filter.changes.drain();
  }

  #filterLogs(id: string): Promise<RpcLog[]> {
    const filter = this.#lookup(id);
    // As geth: only log filters have logs, any other id is "not found".
    if (filter?.kind !== "logs") throw filterNotFound();
    return this.#feed.getLogs(filter.criteria);
  }

  /** As geth: true if the filter existed, false otherwise (not an error). */
  #uninstall(id: string): boolean {
    const found = this.#lookup(id) !== undefined;
    this.#drop(id);
    return found;
  }

  #sweep(): void {
    const now = this.#clock();
    for (const filters of [this.#chainFilters, this.#pendingFilters]) {
      for (const [id, filter] of filters) if (now >= filter.deadline) filters.delete(id);
    }
    this.#attach();
  }

  #onBlock(block: CommittedBlock): void {
    for (const subscription of this.#heads.values()) {
      subscription.notify(notification(subscription.id, block.header));
    }
    if (block.logs.length > 0) {
      for (const subscription of this.#logs.values()) {
        for (const log of block.logs) if (matchLog(subscription.criteria, log)) subscription.notify(notification(subscription.id, log));
      }
    }
    for (const filter of this.#chainFilters.values()) {
      if (filter.kind === "blocks") {
        filter.changes.push(block.hash);
      } else if (filter.kind === "logs" && admitsBlock(filter.criteria, block)) {
        for (const log of block.logs) if (matchLog(filter.criteria, log)) filter.changes.push(log);
      }
    }
  }

  #onPendingTransaction(hash: string): void {
    for (const subscription of this.#pending.values()) subscription.notify(notification(subscription.id, hash));
    for (const filter of this.#pendingFilters.values()) filter.changes.push(hash);
  }
}
