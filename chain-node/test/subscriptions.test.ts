import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RpcCode, RpcError } from "../src/rpc/errors.ts";
import { startRpcServer, type RpcServer } from "../src/rpc/server.ts";
import { SubscriptionManager, type SubscriptionOptions } from "../src/rpc/subscriptions.ts";
import type { ChainFeed, CommittedBlock, LogFilter, RpcBackend, RpcContext, RpcLog } from "../src/rpc/types.ts";

// Fakes ------------------------------------------------------------------------------------------

const ADDRESS_A = `0x${"aa".repeat(20)}`;
const ADDRESS_B = `0x${"bb".repeat(20)}`;
const TRANSFER = `0x${"dd".repeat(32)}`;
const APPROVAL = `0x${"ee".repeat(32)}`;
const HTTP: RpcContext = { transport: "http" };

const hex = (n: bigint | number): string => `0x${n.toString(16)}`;
const blockHash = (n: bigint): string => `0x${n.toString(16).padStart(64, "0")}`;

function makeLog(number: bigint, index: number, address: string, topics: string[]): RpcLog {
  return {
    address,
    topics,
    data: "0x",
    blockNumber: hex(number),
    blockHash: blockHash(number),
    blockTimestamp: hex(1_700_000_000n + number),
    transactionHash: `0x${"ab".repeat(31)}${index.toString(16).padStart(2, "0")}`,
    transactionIndex: hex(index),
    logIndex: hex(index),
    removed: false,
  };
}

function makeBlock(number: bigint, logs: { address: string; topics: string[] }[] = []): CommittedBlock {
  return {
    number,
    hash: blockHash(number),
    header: { number: hex(number), hash: blockHash(number), parentHash: blockHash(number - 1n), timestamp: hex(1_700_000_000n + number) },
    transactionHashes: [],
    logs: logs.map((log, index) => makeLog(number, index, log.address, log.topics)),
  };
}

/** A ChainFeed driven by the test. */
class FakeFeed implements ChainFeed {
  readonly events = new EventEmitter();
  head = 0n;
  storedLogs: RpcLog[] = [];
  readonly getLogsCalls: LogFilter[] = [];

  onBlock(listener: (block: CommittedBlock) => void): () => void {
    this.events.on("block", listener);
    return () => this.events.off("block", listener);
  }

  onPendingTransaction(listener: (hash: string) => void): () => void {
    this.events.on("pending", listener);
    return () => this.events.off("pending", listener);
  }

  headNumber(): bigint {
    return this.head;
  }

  getLogs(filter: LogFilter): Promise<RpcLog[]> {
    this.getLogsCalls.push(filter);
    return Promise.resolve(this.storedLogs);
  }

  commit(logs: { address: string; topics: string[] }[] = []): CommittedBlock {
    const block = makeBlock(++this.head, logs);
    this.events.emit("block", block);
    return block;
  }

  pending(hash: string): void {
    this.events.emit("pending", hash);
  }
}

/** The method backend behind the manager; some methods drive the feed from inside a call. */
class InnerBackend implements RpcBackend {
  readonly calls: { method: string; params: unknown; context: RpcContext }[] = [];
  readonly feed: FakeFeed;

  constructor(feed: FakeFeed) {
    this.feed = feed;
  }

  dispatch(method: string, params: unknown, context: RpcContext): Promise<unknown> {
    this.calls.push({ method, params, context });
    switch (method) {
      case "eth_chainId":
        return Promise.resolve("0x539");
      case "test_commit":
        return Promise.resolve(hex(this.feed.commit().number));
      case "test_pending":
        this.feed.pending(`0x${"99".repeat(32)}`);
        return Promise.resolve(true);
      default:
        return Promise.reject(new RpcError(RpcCode.METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms = 2_000, what = "operation"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Client {
  ws: WebSocket;
  closed: Promise<CloseEvent>;
  next(): Promise<unknown>;
  request(payload: unknown): Promise<unknown>;
  call(method: string, params?: unknown[]): Promise<unknown>;
}

let nextId = 1;

async function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const queue: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  ws.addEventListener("message", (event) => {
    const message: unknown = JSON.parse(String(event.data));
    const waiter = waiters.shift();
    if (waiter === undefined) queue.push(message);
    else waiter(message);
  });
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
  await withTimeout(new Promise((resolve) => ws.addEventListener("open", resolve)), 2_000, "WebSocket open");
  const next = (): Promise<unknown> =>
    withTimeout(queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise<unknown>((resolve) => waiters.push(resolve)), 2_000, "WebSocket message");
  const request = (payload: unknown): Promise<unknown> => {
    ws.send(JSON.stringify(payload));
    return next();
  };
  return {
    ws,
    closed,
    next,
    request,
    /** A call whose response must be the next message; returns its result or throws its error. */
    async call(method, params = []) {
      const id = nextId++;
      const response = (await request({ jsonrpc: "2.0", id, method, params })) as { id: number; result?: unknown; error?: { code: number; message: string } };
      assert.equal(response.id, id, `expected the response to ${method}, got ${JSON.stringify(response)}`);
      if (response.error !== undefined) throw new RpcError(response.error.code, response.error.message);
      return response.result;
    },
  };
}

function notification(subscription: unknown, result: unknown): unknown {
  return { jsonrpc: "2.0", method: "eth_subscription", params: { subscription, result } };
}

async function rejectsWith(promise: Promise<unknown>, code: number, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await sleep(10);
  assert.ok(condition(), what);
}

function setup(options: SubscriptionOptions = {}): { feed: FakeFeed; inner: InnerBackend; manager: SubscriptionManager } {
  const feed = new FakeFeed();
  const inner = new InnerBackend(feed);
  return { feed, inner, manager: new SubscriptionManager(feed, inner, options) };
}

// Subscriptions ----------------------------------------------------------------------------------

describe("eth_subscribe over WebSocket", () => {
  const { feed, inner, manager } = setup({ maxSubscriptionsPerConnection: 3 });
  let server: RpcServer;
  before(async () => {
    server = await startRpcServer({ port: 0, backend: manager, health: () => ({ ok: true }) });
  });
  after(async () => {
    await server.close();
    manager.close();
  });

  test("is refused over HTTP as geth does", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] },
        { jsonrpc: "2.0", id: 2, method: "eth_unsubscribe", params: ["0x1"] },
      ]),
    });
    assert.deepEqual(await response.json(), [
      { jsonrpc: "2.0", id: 1, error: { code: -32601, message: "notifications not supported" } },
      { jsonrpc: "2.0", id: 2, error: { code: -32601, message: "notifications not supported" } },
    ]);
  });

  test("newHeads: the header of each committed block, in order, in geth's notification format", async () => {
    const client = await connect(server.wsUrl);
    const id = await client.call("eth_subscribe", ["newHeads"]);
    assert.match(String(id), /^0x[1-9a-f][0-9a-f]{0,31}$/);
    const blocks = [feed.commit(), feed.commit(), feed.commit()];
    for (const block of blocks) assert.deepEqual(await client.next(), notification(id, block.header));
    client.ws.close();
    await client.closed;
  });

  test("logs: each matching log of each block as its own notification, in order", async () => {
    const client = await connect(server.wsUrl);
    const filtered = await client.call("eth_subscribe", ["logs", { address: ADDRESS_A.toUpperCase().replace("0X", "0x"), topics: [TRANSFER] }]);
    const first = feed.commit([
      { address: ADDRESS_A, topics: [TRANSFER, APPROVAL] },
      { address: ADDRESS_B, topics: [TRANSFER] },
      { address: ADDRESS_A, topics: [APPROVAL] },
      { address: ADDRESS_A, topics: [TRANSFER] },
    ]);
    feed.commit([{ address: ADDRESS_B, topics: [] }]);
    const third = feed.commit([{ address: ADDRESS_A, topics: [TRANSFER] }]);
    const expected = [first.logs[0], first.logs[3], third.logs[0]];
    for (const log of expected) {
      const message = (await client.next()) as { params: { result: RpcLog } };
      assert.deepEqual(message, notification(filtered, log));
      assert.equal(message.params.result.removed, false);
    }
    // Nothing else was sent: the next message is the answer to this call.
    assert.equal(await client.call("eth_chainId"), "0x539");
    client.ws.close();
    await client.closed;
  });

  test("logs without a filter get every log", async () => {
    const client = await connect(server.wsUrl);
    const id = await client.call("eth_subscribe", ["logs"]);
    const block = feed.commit([
      { address: ADDRESS_A, topics: [] },
      { address: ADDRESS_B, topics: [TRANSFER] },
    ]);
    assert.deepEqual(await client.next(), notification(id, block.logs[0]));
    assert.deepEqual(await client.next(), notification(id, block.logs[1]));
    client.ws.close();
    await client.closed;
  });

  test("newPendingTransactions: the hash of each transaction entering the pool", async () => {
    const client = await connect(server.wsUrl);
    const id = await client.call("eth_subscribe", ["newPendingTransactions"]);
    const hashes = [`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`];
    for (const hash of hashes) feed.pending(hash);
    for (const hash of hashes) assert.deepEqual(await client.next(), notification(id, hash));
    assert.equal(await client.call("eth_subscribe", ["newPendingTransactions", false]).then((value) => typeof value), "string");
    client.ws.close();
    await client.closed;
  });

  test("the response to eth_subscribe arrives before the subscription's first notification", async () => {
    const client = await connect(server.wsUrl);
    // The second call commits a block while the batch (and so the subscribe response) is still open.
    const response = (await client.request([
      { jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] },
      { jsonrpc: "2.0", id: 2, method: "test_commit" },
      { jsonrpc: "2.0", id: 3, method: "eth_subscribe", params: ["newPendingTransactions"] },
      { jsonrpc: "2.0", id: 4, method: "test_pending" },
    ])) as [{ result: string }, { result: string }, { result: string }, unknown];
    const [heads, committed, pending] = response;
    const header = (await client.next()) as { params: { subscription: string; result: { number: string } } };
    assert.equal(header.params.subscription, heads.result);
    assert.equal(header.params.result.number, committed.result);
    assert.deepEqual(await client.next(), notification(pending.result, `0x${"99".repeat(32)}`));
    client.ws.close();
    await client.closed;
  });

  test("rejects unknown kinds and bad parameters", async () => {
    const client = await connect(server.wsUrl);
    await rejectsWith(client.call("eth_subscribe", ["syncing"]), -32601, 'no "syncing" subscription in eth namespace');
    await rejectsWith(client.call("eth_subscribe", []), -32602, "missing value for required argument 0");
    await rejectsWith(client.call("eth_subscribe", [1]), -32602, "expected subscription name as first argument");
    await rejectsWith(client.call("eth_subscribe", ["newHeads", {}]), -32602, "too many arguments, want at most 1");
    await rejectsWith(client.call("eth_subscribe", ["logs", {}, 1]), -32602, "too many arguments, want at most 2");
    await rejectsWith(client.call("eth_subscribe", ["logs", { address: "0x12" }]), -32602, /^invalid argument 1: address: hex has invalid length 1/);
    await rejectsWith(client.call("eth_subscribe", ["newPendingTransactions", true]), -32602, "invalid argument 1: full pending transactions are not supported, only hashes");
    assert.equal(manager.counts().subscriptions, 0, "a refused subscription leaves nothing behind");
    client.ws.close();
    await client.closed;
  });

  test("eth_unsubscribe ends a subscription of the same connection only", async () => {
    const client = await connect(server.wsUrl);
    const other = await connect(server.wsUrl);
    const id = await client.call("eth_subscribe", ["newHeads"]);
    await rejectsWith(other.call("eth_unsubscribe", [id]), -32000, "subscription not found");
    assert.equal(await client.call("eth_unsubscribe", [id]), true);
    feed.commit();
    // No notification came: the next message is the answer to this call.
    assert.equal(await client.call("eth_chainId"), "0x539");
    await rejectsWith(client.call("eth_unsubscribe", [id]), -32000, "subscription not found");
    await rejectsWith(client.call("eth_unsubscribe", [7]), -32602, "invalid argument 0: expected an id string");
    for (const ws of [client, other]) {
      ws.ws.close();
      await ws.closed;
    }
  });

  test("subscriptions end when their connection closes; others go on", async () => {
    await eventually(() => manager.counts().subscriptions === 0, "earlier connections cleaned up");
    const leaving = await connect(server.wsUrl);
    const staying = await connect(server.wsUrl);
    await leaving.call("eth_subscribe", ["newHeads"]);
    await leaving.call("eth_subscribe", ["logs"]);
    await leaving.call("eth_subscribe", ["newPendingTransactions"]);
    const id = await staying.call("eth_subscribe", ["newHeads"]);
    assert.equal(manager.counts().subscriptions, 4);
    leaving.ws.close();
    await leaving.closed;
    await eventually(() => manager.counts().subscriptions === 1, "the closed connection's subscriptions are gone");
    const block = feed.commit();
    assert.deepEqual(await staying.next(), notification(id, block.header));
    staying.ws.close();
    await staying.closed;
    await eventually(() => manager.counts().subscriptions === 0, "all subscriptions are gone");
  });

  test("limits subscriptions per connection", async () => {
    const client = await connect(server.wsUrl);
    for (let i = 0; i < 3; i++) await client.call("eth_subscribe", ["newHeads"]);
    await rejectsWith(client.call("eth_subscribe", ["newHeads"]), -32005, "too many subscriptions");
    client.ws.close();
    await client.closed;
  });

  test("passes every other method to the inner backend with the caller's context", async () => {
    const client = await connect(server.wsUrl);
    inner.calls.length = 0;
    assert.equal(await client.call("eth_chainId"), "0x539");
    await rejectsWith(client.call("eth_foo"), -32601, "the method eth_foo does not exist/is not available");
    assert.deepEqual(
      inner.calls.map((call) => [call.method, call.context.transport]),
      [
        ["eth_chainId", "ws"],
        ["eth_foo", "ws"],
      ],
    );
    client.ws.close();
    await client.closed;
  });
});

// Polling filters --------------------------------------------------------------------------------

describe("polling filters", () => {
  test("block filter: the hashes of blocks committed since the last poll", async () => {
    const { feed, manager } = setup();
    const id = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    assert.match(String(id), /^0x[0-9a-f]+$/);
    const first = feed.commit();
    const second = feed.commit();
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), [first.hash, second.hash]);
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), []);
    const third = feed.commit();
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), [third.hash]);
    manager.close();
  });

  test("pending transaction filter: the hashes of transactions entering the pool", async () => {
    const { feed, manager } = setup();
    const id = await manager.dispatch("eth_newPendingTransactionFilter", undefined, HTTP);
    feed.pending("0x01");
    feed.pending("0x02");
    feed.commit();
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), ["0x01", "0x02"]);
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), []);
    await rejectsWith(manager.dispatch("eth_newPendingTransactionFilter", [true], HTTP), -32602, "invalid argument 0: full pending transactions are not supported, only hashes");
    manager.close();
  });

  test("log filter: matching logs of blocks in its range, since the last poll", async () => {
    const { feed, manager } = setup();
    const id = await manager.dispatch("eth_newFilter", [{ fromBlock: "0x2", toBlock: "0x3", address: ADDRESS_A, topics: [[TRANSFER, APPROVAL]] }], HTTP);
    const wanted = [
      { address: ADDRESS_A, topics: [TRANSFER] },
      { address: ADDRESS_B, topics: [TRANSFER] },
      { address: ADDRESS_A, topics: [APPROVAL, TRANSFER] },
      { address: ADDRESS_A, topics: [] },
    ];
    feed.commit(wanted); // 1: before the range
    const second = feed.commit(wanted);
    const third = feed.commit(wanted);
    feed.commit(wanted); // 4: after the range
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), [second.logs[0], second.logs[2], third.logs[0], third.logs[2]]);
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), []);

    const open = await manager.dispatch("eth_newFilter", [{}], HTTP);
    const fifth = feed.commit([{ address: ADDRESS_B, topics: [] }]);
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [open], HTTP), fifth.logs);
    manager.close();
  });

  test("eth_getFilterLogs: all logs of a log filter, through the feed", async () => {
    const { feed, manager } = setup();
    feed.storedLogs = [makeLog(1n, 0, ADDRESS_A, [TRANSFER])];
    const id = await manager.dispatch("eth_newFilter", [{ fromBlock: "earliest", address: [ADDRESS_A], topics: [null, TRANSFER] }], HTTP);
    assert.deepEqual(await manager.dispatch("eth_getFilterLogs", [id], HTTP), feed.storedLogs);
    assert.deepEqual(feed.getLogsCalls, [{ fromBlock: "earliest", toBlock: "latest", addresses: [ADDRESS_A], topics: [null, [TRANSFER]] }]);
    const blocks = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    await rejectsWith(manager.dispatch("eth_getFilterLogs", [blocks], HTTP), -32000, "filter not found");
    manager.close();
  });

  test("eth_uninstallFilter: true once, then false; the filter is gone", async () => {
    const { manager } = setup();
    const id = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    assert.equal(await manager.dispatch("eth_uninstallFilter", [id], HTTP), true);
    assert.equal(await manager.dispatch("eth_uninstallFilter", [id], HTTP), false);
    await rejectsWith(manager.dispatch("eth_getFilterChanges", [id], HTTP), -32000, "filter not found");
    await rejectsWith(manager.dispatch("eth_getFilterChanges", ["0xdeadbeef"], HTTP), -32000, "filter not found");
    await rejectsWith(manager.dispatch("eth_getFilterLogs", ["0xdeadbeef"], HTTP), -32000, "filter not found");
    assert.equal(manager.counts().filters, 0);
    manager.close();
  });

  test("filters not polled within filterTimeoutMs expire; polling keeps them alive", async () => {
    // A clock the test moves, so that a busy machine cannot make the polled filter late.
    let now = 0;
    const { feed, manager } = setup({ filterTimeoutMs: 80, clock: () => now });
    const abandoned = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    const polled = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    const logs = await manager.dispatch("eth_newFilter", [{}], HTTP);
    for (let i = 0; i < 5; i++) {
      now += 30;
      await manager.dispatch("eth_getFilterChanges", [polled], HTTP);
    }
    await rejectsWith(manager.dispatch("eth_getFilterChanges", [abandoned], HTTP), -32000, "filter not found");
    await rejectsWith(manager.dispatch("eth_getFilterLogs", [logs], HTTP), -32000, "filter not found");
    const block = feed.commit();
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [polled], HTTP), [block.hash]);
    // The sweep reclaims abandoned filters even if nobody asks for them again.
    await manager.dispatch("eth_newPendingTransactionFilter", [], HTTP);
    assert.equal(manager.counts().filters, 2);
    now += 1_000;
    await eventually(() => manager.counts().filters === 0, "abandoned filters are swept");
    manager.close();
  });

  test("caps the number of filters and the changes buffered per filter (newest kept)", async () => {
    const { feed, manager } = setup({ maxFilters: 2, maxFilterChanges: 3 });
    const id = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    await manager.dispatch("eth_newPendingTransactionFilter", [], HTTP);
    await rejectsWith(manager.dispatch("eth_newFilter", [{}], HTTP), -32005, "too many filters");
    const blocks = [1, 2, 3, 4, 5].map(() => feed.commit());
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), blocks.slice(2).map((block) => block.hash));
    const more = [1, 2].map(() => feed.commit());
    assert.deepEqual(await manager.dispatch("eth_getFilterChanges", [id], HTTP), more.map((block) => block.hash));
    manager.close();
  });

  test("validates arguments with geth's wording", async () => {
    const { manager } = setup();
    await rejectsWith(manager.dispatch("eth_newFilter", [], HTTP), -32602, "missing value for required argument 0");
    await rejectsWith(manager.dispatch("eth_newFilter", [{}, {}], HTTP), -32602, "too many arguments, want at most 1");
    await rejectsWith(manager.dispatch("eth_newFilter", [{ fromBlock: "0x01" }], HTTP), -32602, "invalid argument 0: fromBlock: hex number with leading zero digits");
    await rejectsWith(manager.dispatch("eth_newFilter", [{ fromBlock: "0x5", toBlock: "0x4" }], HTTP), -32000, "invalid from and to block combination");
    await rejectsWith(manager.dispatch("eth_newFilter", { fromBlock: "0x1" }, HTTP), -32602, "non-array args");
    await rejectsWith(manager.dispatch("eth_newBlockFilter", [1], HTTP), -32602, "too many arguments, want at most 0");
    await rejectsWith(manager.dispatch("eth_getFilterChanges", "0x1", HTTP), -32602, "non-array args");
    await rejectsWith(manager.dispatch("eth_getFilterChanges", [1], HTTP), -32602, "invalid argument 0: expected an id string");
    await rejectsWith(manager.dispatch("eth_uninstallFilter", [], HTTP), -32602, "missing value for required argument 0");
    assert.equal(manager.counts().filters, 0);
    manager.close();
  });

  test("work over WebSocket too", async () => {
    const { feed, manager } = setup();
    const server = await startRpcServer({ port: 0, backend: manager, health: () => ({ ok: true }) });
    try {
      const client = await connect(server.wsUrl);
      const id = await client.call("eth_newBlockFilter");
      const block = feed.commit();
      assert.deepEqual(await client.call("eth_getFilterChanges", [id]), [block.hash]);
      assert.equal(await client.call("eth_uninstallFilter", [id]), true);
      client.ws.close();
      await client.closed;
    } finally {
      await server.close();
      manager.close();
    }
  });

  test("listens to the feed only while a subscription or filter needs it", async () => {
    const { feed, manager } = setup();
    const listeners = () => [feed.events.listenerCount("block"), feed.events.listenerCount("pending")];
    assert.deepEqual(listeners(), [0, 0]);
    const blocks = await manager.dispatch("eth_newBlockFilter", [], HTTP);
    assert.deepEqual(listeners(), [1, 0]);
    const logs = await manager.dispatch("eth_newFilter", [{}], HTTP);
    const pending = await manager.dispatch("eth_newPendingTransactionFilter", [], HTTP);
    assert.deepEqual(listeners(), [1, 1]);
    await manager.dispatch("eth_uninstallFilter", [pending], HTTP);
    assert.deepEqual(listeners(), [1, 0]);
    await manager.dispatch("eth_uninstallFilter", [blocks], HTTP);
    assert.deepEqual(listeners(), [1, 0]);
    await manager.dispatch("eth_uninstallFilter", [logs], HTTP);
    assert.deepEqual(listeners(), [0, 0]);

    let closeConnection = (): void => {};
    const ws: RpcContext = { transport: "ws", notify: () => {}, onClose: (callback) => (closeConnection = callback) };
    const heads = await manager.dispatch("eth_subscribe", ["newHeads"], ws);
    await manager.dispatch("eth_subscribe", ["newPendingTransactions"], ws);
    assert.deepEqual(listeners(), [1, 1]);
    await manager.dispatch("eth_unsubscribe", [heads], ws);
    assert.deepEqual(listeners(), [0, 1]);
    closeConnection();
    assert.deepEqual(listeners(), [0, 0]);
    manager.close();
  });

  test("close() detaches from the feed and drops everything", async () => {
    const { feed, manager } = setup();
    await manager.dispatch("eth_newBlockFilter", [], HTTP);
    await manager.dispatch("eth_newPendingTransactionFilter", [], HTTP);
    assert.equal(feed.events.listenerCount("block"), 1);
    assert.equal(feed.events.listenerCount("pending"), 1);
    manager.close();
    assert.equal(feed.events.listenerCount("block"), 0);
    assert.equal(feed.events.listenerCount("pending"), 0);
    assert.deepEqual(manager.counts(), { subscriptions: 0, filters: 0 });
  });
});
