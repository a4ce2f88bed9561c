// The kill test: the node as a child process (the real CLI), a stream of pre-signed transactions from several
// senders, every receipt it hands out recorded as it appears, and a kill -9 at a random (seeded) moment. After
// a restart on the same data directory: every recorded receipt is still answered identically, the blocks link
// from genesis to head, and what the node accepted is not lost. Then a graceful SIGTERM restart, timed.
//
// What the node guarantees (src/db.ts, src/chain.ts):
// - A block is written in one SQLite transaction (WAL, synchronous=FULL) before the head moves, so a receipt
//   is only ever served for a committed block: each one a client saw survives kill -9 (and power loss).
// - eth_sendRawTransaction answers with the hash only after the transaction is committed to the pool journal
//   (a second connection, synchronous=NORMAL: in the OS once written, which survives the process being
//   killed, not a power loss). A restart puts every journaled, not yet mined transaction back in the pool.
//   So every transaction whose hash was returned is mined after a kill -9 and restart, without being sent
//   again, as long as the sender's earlier nonces are known to the node too. A transaction whose request was
//   in flight at the kill may or may not have been taken; sending it again answers its hash or
//   "already known", never anything else.
//
// CRASH_SEED=<n> repeats a run's kill moments.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, test, type TestContext } from "node:test";
import { getCreateAddress, keccak256, type BaseWallet, type HDNodeWallet } from "ethers";
import {
  CHAIN_ID,
  NodeProcess,
  STORE_BYTECODE,
  cleanup,
  devWallets,
  initDevDir,
  post,
  prng,
  rpc,
  rpcBatch,
  rpcError,
  sendAndWait,
  storeCall,
  tempDir,
  waitFor,
  waitForReceipt,
  type RpcResponse,
} from "./helpers.ts";

const SEED = process.env.CRASH_SEED === undefined ? randomInt(2 ** 31 - 1) : Number(process.env.CRASH_SEED);
const SENDERS = 6;
const TXS_PER_ROUND = 3_000;
/** Requests in flight per sender. */
const LANES_PER_SENDER = 4;

type Kind = "set" | "transfer" | "fail";

interface Planned {
  raw: string;
  hash: string;
  sender: number;
  nonce: number;
  kind: Kind;
  /** The value stored (set) or sent (transfer). */
  value: bigint;
  to: string;
  outcome: "unsent" | "accepted" | "uncertain" | "refused";
  error?: string;
}

interface Seen {
  blockNumber: string;
  blockHash: string;
  transactionIndex: string;
  status: string;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const seen = (receipt: Seen): Seen => ({ blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, transactionIndex: receipt.transactionIndex, status: receipt.status });

/** Receipts by hash, in batches; null for the ones the node does not know. */
async function receiptsOf(url: string, hashes: string[]): Promise<Map<string, Seen | null>> {
  const out = new Map<string, Seen | null>();
  for (const batch of chunks(hashes, 500)) {
    const responses = await rpcBatch(
      url,
      batch.map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })),
    );
    responses.forEach((response, i) => {
      if (response.error !== undefined) throw new Error(`eth_getTransactionReceipt: ${response.error.message}`);
      out.set(batch[i]!, response.result === null ? null : seen(response.result as Seen));
    });
  }
  return out;
}

class Workload {
  readonly senders: BaseWallet[];
  readonly store: string;
  readonly planned: Planned[] = [];
  readonly receipts = new Map<string, Seen>();
  readonly #nonces: number[];
  #recipients = 0;

  constructor(senders: BaseWallet[], store: string) {
    this.senders = senders;
    this.store = store;
    this.#nonces = senders.map(() => 0);
  }

  /** Signs `count` transactions spread over the senders: stores (with a log), transfers to fresh accounts, reverts. */
  async sign(count: number): Promise<Planned[]> {
    const batch: Planned[] = [];
    for (let i = 0; i < count; i++) {
      const sender = i % this.senders.length;
      const nonce = this.#nonces[sender]!++;
      const kind: Kind = nonce % 10 === 7 ? "fail" : nonce % 3 === 0 ? "transfer" : "set";
      const value = BigInt(this.planned.length + batch.length + 1);
      const to = kind === "transfer" ? `0x${(0xc0ffee000000n + BigInt(++this.#recipients)).toString(16).padStart(40, "0")}` : this.store;
      const data = kind === "set" ? storeCall.set(value) : kind === "fail" ? storeCall.fail(value) : "0x";
      const raw = await this.senders[sender]!.signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce,
        to,
        value: kind === "transfer" ? value : 0n,
        data,
        gasLimit: kind === "transfer" ? 21_000n : 100_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
      });
      batch.push({ raw, hash: keccak256(raw), sender, nonce, kind, value, to, outcome: "unsent" });
    }
    this.planned.push(...batch);
    return batch;
  }

  nonceOf(sender: number): number {
    return this.#nonces[sender]!;
  }
}

interface StreamResult {
  killed: boolean;
  acceptedAtKill: number;
}

/**
 * Sends `batch` (per sender in nonce order, LANES_PER_SENDER requests in flight each, all senders at once)
 * while polling receipts of accepted transactions; after `killAt` acceptances, kill -9 the node (after a
 * further random delay of up to 10 ms).
 */
async function stream(node: NodeProcess, work: Workload, batch: Planned[], killAt: number, random: () => number): Promise<StreamResult> {
  let accepted = 0;
  let killScheduled = false;
  // Set at the kill itself: requests keep streaming until then, so that some are in flight when it lands.
  let killed = false;
  const awaiting = new Set<string>();

  const kill = () => {
    if (killScheduled) return;
    killScheduled = true;
    setTimeout(() => {
      killed = true;
      node.child.kill("SIGKILL");
    }, Math.floor(random() * 10));
  };

  /** One request: a single call, or a JSON-RPC batch of consecutive nonces of one sender. */
  async function send(group: Planned[]): Promise<void> {
    const body = group.map((tx, i) => ({ jsonrpc: "2.0", id: i, method: "eth_sendRawTransaction", params: [tx.raw] }));
    let responses: RpcResponse[];
    try {
      const { json } = await post(node.url, group.length === 1 ? body[0] : body);
      if (json === undefined) throw new Error("no JSON in the answer");
      responses = Array.isArray(json) ? (json as RpcResponse[]).sort((x, y) => Number(x.id) - Number(y.id)) : [json as RpcResponse];
    } catch (error) {
      if (!killed) throw error;
      for (const tx of group) tx.outcome = "uncertain";
      return;
    }
    assert.equal(responses.length, group.length);
    group.forEach((tx, i) => {
      const response = responses[i]!;
      if (response.error !== undefined) {
        tx.outcome = "refused";
        tx.error = response.error.message;
        return;
      }
      assert.equal(response.result, tx.hash);
      tx.outcome = "accepted";
      awaiting.add(tx.hash);
      if (++accepted >= killAt) kill();
    });
  }

  // Each sender's transactions in nonce order, cut into requests of 1 to 40 (seeded): a batch is journaled
  // at once and takes a while to execute, so a kill right after its answer can find it not yet mined.
  const lanes = work.senders.flatMap((_, sender) => {
    const queue = batch.filter((tx) => tx.sender === sender);
    const groups: Planned[][] = [];
    for (let at = 0; at < queue.length; ) {
      const size = random() < 0.5 ? 1 : 1 + Math.floor(random() * 40);
      groups.push(queue.slice(at, at + size));
      at += size;
    }
    let next = 0;
    const lane = async () => {
      while (!killed && next < groups.length) await send(groups[next++]!);
    };
    return Array.from({ length: LANES_PER_SENDER }, lane);
  });

  const poller = (async () => {
    while (!killed) {
      const hashes = [...awaiting].slice(0, 1000);
      let found = 0;
      if (hashes.length > 0) {
        let receipts: Map<string, Seen | null>;
        try {
          receipts = await receiptsOf(node.url, hashes);
        } catch (error) {
          if (killed) return;
          throw error;
        }
        for (const [hash, receipt] of receipts) {
          if (receipt === null) continue;
          work.receipts.set(hash, receipt);
          awaiting.delete(hash);
          found++;
        }
      }
      if (found === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  await Promise.all(lanes);
  await poller;
  const exit = await node.exited;
  assert.equal(exit.signal, "SIGKILL", `the node was killed, not ended otherwise (exit code ${exit.code})`);
  return { killed, acceptedAtKill: accepted };
}

/** Everything the node must still say after a restart. */
async function verify(url: string, work: Workload): Promise<{ head: number; hashes: string[] }> {
  // Every receipt handed out before is answered identically.
  const recorded = [...work.receipts.keys()];
  const now = await receiptsOf(url, recorded);
  for (const hash of recorded) assert.deepEqual(now.get(hash), work.receipts.get(hash), `receipt of ${hash}`);
  const highest = Math.max(0, ...[...work.receipts.values()].map((r) => Number(r.blockNumber)));
  const head = Number(await rpc<string>(url, "eth_blockNumber"));
  assert.ok(head >= highest, `head ${head} >= highest recorded block ${highest}`);

  // The blocks link from genesis to head; each transaction is in one block only, where its receipt says.
  const hashes: string[] = [];
  const where = new Map<string, string>();
  let parent: string | undefined;
  for (const numbers of chunks(Array.from({ length: head + 1 }, (_, n) => n), 200)) {
    const blocks = await rpcBatch(
      url,
      numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [hex(n), false] })),
    );
    for (const [i, response] of blocks.entries()) {
      const block = response.result as { number: string; hash: string; parentHash: string; transactions: string[] };
      assert.equal(Number(block.number), numbers[i]);
      if (parent !== undefined) assert.equal(block.parentHash, parent, `block ${block.number} links to its parent`);
      parent = block.hash;
      hashes.push(block.hash);
      block.transactions.forEach((tx, index) => {
        assert.equal(where.get(tx), undefined, `${tx} is in one block only`);
        where.set(tx, `${block.hash}/${index}`);
      });
    }
  }
  for (const [hash, receipt] of work.receipts) {
    assert.equal(hashes[Number(receipt.blockNumber)], receipt.blockHash);
    assert.equal(where.get(hash), `${receipt.blockHash}/${Number(receipt.transactionIndex)}`);
  }
  return { head, hashes };
}

/** Polls until every hash has a receipt; records them. */
async function waitForAll(url: string, work: Workload, hashes: string[], what: string): Promise<void> {
  const missing = new Set(hashes.filter((hash) => !work.receipts.has(hash)));
  await waitFor(
    async () => {
      const receipts = await receiptsOf(url, [...missing]);
      for (const [hash, receipt] of receipts) {
        if (receipt === null) continue;
        work.receipts.set(hash, receipt);
        missing.delete(hash);
      }
      return missing.size === 0;
    },
    `${what}: ${missing.size} without a receipt`,
    30_000,
    20,
  );
}

/** Statuses as planned, nonces as sent, the stored value as the last successful set in chain order, each transfer's value arrived once. */
async function checkState(url: string, work: Workload): Promise<void> {
  const sent = work.planned.filter((tx) => work.receipts.has(tx.hash));
  assert.equal(sent.length, work.planned.length, "every transaction planned so far is mined");
  for (const tx of sent) assert.equal(work.receipts.get(tx.hash)!.status, tx.kind === "fail" ? "0x0" : "0x1", `${tx.kind} ${tx.hash}`);
  const nonces = await rpcBatch(
    url,
    work.senders.map((wallet) => ({ method: "eth_getTransactionCount", params: [wallet.address, "latest"] })),
  );
  nonces.forEach((response, sender) => assert.equal(Number(response.result), work.nonceOf(sender), `nonce of sender ${sender}`));
  const position = (tx: Planned) => {
    const r = work.receipts.get(tx.hash)!;
    return Number(r.blockNumber) * 1_000_000 + Number(r.transactionIndex);
  };
  const lastSet = sent.filter((tx) => tx.kind === "set").sort((a, b) => position(b) - position(a))[0]!;
  assert.equal(BigInt(await rpc<string>(url, "eth_call", [{ to: work.store, data: storeCall.get() }, "latest"])), lastSet.value);
  const transfers = sent.filter((tx) => tx.kind === "transfer");
  for (const batch of chunks(transfers, 500)) {
    const balances = await rpcBatch(
      url,
      batch.map((tx) => ({ method: "eth_getBalance", params: [tx.to, "latest"] })),
    );
    balances.forEach((response, i) => assert.equal(BigInt(response.result as string), batch[i]!.value, `balance of ${batch[i]!.to}`));
  }
}

describe("kill -9 while transactions stream in, then restart on the same data directory", () => {
  let configFile: string;
  let node: NodeProcess;
  let work: Workload;
  const random = prng(SEED);

  before(async () => {
    configFile = initDevDir(await tempDir("chain-node-crash-"));
    node = await NodeProcess.start(configFile);
    const [deployer, ...rest] = devWallets();
    const receipt = await sendAndWait(node.url, await deployer!.signTransaction({ type: 2, chainId: CHAIN_ID, nonce: 0, data: STORE_BYTECODE, gasLimit: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }));
    assert.equal(receipt.contractAddress, getCreateAddress({ from: deployer!.address, nonce: 0 }).toLowerCase());
    work = new Workload(rest.slice(0, SENDERS) as BaseWallet[], receipt.contractAddress!);
  });

  after(async () => {
    await node?.stop();
    await cleanup();
  });

  for (const round of [1, 2]) {
    test(`kill moment ${round}: receipts, block links and accepted transactions survive (seed ${SEED})`, async (t: TestContext) => {
      // A transaction behind a nonce gap: it can only be in the pool (and its journal) when the kill lands.
      const gapSender = devWallets()[10]!;
      const signGap = (nonce: number) => gapSender.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, to: gapSender.address, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
      const gapNonce = 2 * (round - 1);
      const waitingRaw = await signGap(gapNonce + 1);
      const waiting = await rpc<string>(node.url, "eth_sendRawTransaction", [waitingRaw]);

      const batch = await work.sign(TXS_PER_ROUND);
      const killAt = Math.floor(TXS_PER_ROUND * (0.15 + 0.7 * random()));
      const started = performance.now();
      const { acceptedAtKill } = await stream(node, work, batch, killAt, random);
      const counts = { accepted: 0, uncertain: 0, unsent: 0, refused: 0 };
      for (const tx of batch) counts[tx.outcome]++;
      t.diagnostic(`seed ${SEED}: killed after ${acceptedAtKill} acceptances (${Math.round(performance.now() - started)} ms); ${JSON.stringify(counts)}; ${batch.filter((tx) => work.receipts.has(tx.hash)).length} receipts seen`);
      assert.deepEqual(
        batch.filter((tx) => tx.outcome === "refused").map((tx) => tx.error),
        [],
        "nothing was refused before the kill",
      );

      node = await NodeProcess.start(configFile);
      t.diagnostic(`restarted after kill -9: serving in ${Math.round(node.startupMs)} ms`);
      const { head } = await verify(node.url, work);

      // The transaction behind the gap is back in the pool (the node restores its journal in the background
      // while it already serves reads), waiting; closing the gap mines both.
      const pooled = await waitFor(() => rpc<{ blockNumber: string | null } | null>(node.url, "eth_getTransactionByHash", [waiting]).then((tx) => tx ?? undefined), "the journaled transaction back in the pool");
      assert.equal(pooled.blockNumber, null);
      assert.deepEqual(await rpcError(node.url, "eth_sendRawTransaction", [waitingRaw]), { code: -32000, message: "already known" });
      assert.equal(Number(await rpc<string>(node.url, "eth_getTransactionCount", [gapSender.address, "pending"])), gapNonce);
      const closing = await sendAndWait(node.url, await signGap(gapNonce));
      const closed = await waitForReceipt(node.url, waiting);
      assert.ok(Number(closed.blockNumber) * 1e6 + Number(closed.transactionIndex) > Number(closing.blockNumber) * 1e6 + Number(closing.transactionIndex));

      // Accepted, no receipt seen, and every earlier nonce of the sender accepted too: mined without resending.
      const gapFree = batch.filter((tx) => {
        if (tx.outcome !== "accepted" || work.receipts.has(tx.hash)) return false;
        return batch.every((other) => other.sender !== tx.sender || other.nonce >= tx.nonce || other.outcome === "accepted");
      });
      await waitForAll(
        node.url,
        work,
        gapFree.map((tx) => tx.hash),
        "accepted transactions pending at the kill",
      );
      const headAtStart = Number(node.output.join("").match(/"head":(\d+)[^\n]*"msg":"chain opened"/)?.[1] ?? NaN);
      const fromJournal = gapFree.filter((tx) => Number(work.receipts.get(tx.hash)!.blockNumber) > headAtStart).length;
      t.diagnostic(
        `${gapFree.length} accepted transactions had no receipt seen at the kill: ${gapFree.length - fromJournal} had been mined before it, ${fromJournal} were mined after the restart from the journal (head at start ${headAtStart})`,
      );

      // In flight at the kill: the node has it or not; sending it again says which, and nothing else.
      for (const tx of batch.filter((tx) => tx.outcome === "uncertain")) {
        const response = (await post(node.url, { jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [tx.raw] })).json as RpcResponse;
        if (response.error !== undefined) assert.equal(response.error.message, "already known", `${tx.hash} in flight at the kill`);
        else assert.equal(response.result, tx.hash);
      }
      // Never sent: now they are, on top of the recovered chain.
      const unsent = batch.filter((tx) => tx.outcome === "unsent");
      for (const group of chunks(unsent, 200)) {
        const responses = await rpcBatch(
          node.url,
          group.map((tx) => ({ method: "eth_sendRawTransaction", params: [tx.raw] })),
        );
        responses.forEach((response, i) => assert.equal(response.result, group[i]!.hash, JSON.stringify(response.error)));
      }
      await waitForAll(
        node.url,
        work,
        batch.map((tx) => tx.hash),
        "the whole round",
      );
      const after = await verify(node.url, work);
      assert.ok(after.head > head || unsent.length === 0);
      await checkState(node.url, work);
    });
  }

  test("after the restarts, more transactions are mined on top of the recovered chain", async () => {
    const head = await rpc<{ number: string; hash: string }>(node.url, "eth_getBlockByNumber", ["latest", false]);
    const batch = await work.sign(SENDERS * 10);
    const hashes = [];
    for (const tx of batch) hashes.push(await rpc<string>(node.url, "eth_sendRawTransaction", [tx.raw]));
    assert.deepEqual(
      hashes,
      batch.map((tx) => tx.hash),
    );
    await waitForAll(node.url, work, hashes, "the last transactions");
    const numbers = batch.map((tx) => Number(work.receipts.get(tx.hash)!.blockNumber));
    assert.ok(Math.min(...numbers) > Number(head.number));
    const first = await rpc<{ parentHash: string }>(node.url, "eth_getBlockByNumber", [hex(Number(head.number) + 1), false]);
    assert.equal(first.parentHash, head.hash);
    await verify(node.url, work);
    await checkState(node.url, work);
  });
});

describe("graceful restart (SIGTERM)", () => {
  let configFile: string;
  let node: NodeProcess;

  before(async () => {
    configFile = initDevDir(await tempDir("chain-node-restart-"));
    node = await NodeProcess.start(configFile);
  });

  after(async () => {
    await node?.stop();
    await cleanup();
  });

  test("head, state and pool are preserved; restart-to-serving time is measured", async (t: TestContext) => {
    const wallets = devWallets().slice(0, 5);
    const [deployer, a, b, c, gapped] = wallets as [HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet];
    const sign = (wallet: BaseWallet, nonce: number, fields: Record<string, unknown>) =>
      wallet.signTransaction({ type: 2, chainId: CHAIN_ID, nonce, gasLimit: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...fields });
    const store = (await sendAndWait(node.url, await sign(deployer, 0, { data: STORE_BYTECODE }))).contractAddress!;
    const hashes: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const [j, wallet] of [a, b, c].entries()) {
        hashes.push(await rpc<string>(node.url, "eth_sendRawTransaction", [await sign(wallet, i, j === 2 ? { to: store, data: storeCall.set(100 + i) } : { to: `0x${"ab".repeat(19)}${j}${i}`, value: BigInt(i + 1) })]));
      }
    }
    for (const hash of hashes) assert.equal((await waitForReceipt(node.url, hash)).status, "0x1");
    // Nonce 1 without nonce 0: it waits in the pool, across the restart.
    const waitingRaw = await sign(gapped, 1, { to: store, data: storeCall.set(999) });
    const waiting = await rpc<string>(node.url, "eth_sendRawTransaction", [waitingRaw]);

    const addresses = [...wallets.map((w) => w.address), `0x${"ab".repeat(19)}00`, `0x${"ab".repeat(19)}19`];
    const snapshot = async (url: string) => ({
      head: await rpc(url, "eth_getBlockByNumber", ["latest", false]),
      accounts: await rpcBatch(
        url,
        addresses.flatMap((address) => [
          { method: "eth_getBalance", params: [address, "latest"] },
          { method: "eth_getTransactionCount", params: [address, "latest"] },
          { method: "eth_getTransactionCount", params: [address, "pending"] },
        ]),
      ).then((responses) => responses.map((r) => r.result)),
      slot: await rpc(url, "eth_getStorageAt", [store, "0x0", "latest"]),
      code: await rpc(url, "eth_getCode", [store, "latest"]),
      waiting: await rpc(url, "eth_getTransactionByHash", [waiting]),
      receipts: await receiptsOf(url, hashes),
    });
    const before = await snapshot(node.url);
    assert.equal((before.waiting as { blockNumber: unknown }).blockNumber, null);

    const stopping = performance.now();
    assert.deepEqual(await node.stop("SIGTERM"), { code: 0, signal: null }, "a graceful stop exits 0");
    const stopMs = performance.now() - stopping;
    node = await NodeProcess.start(configFile);
    const firstAnswer = performance.now();
    await rpc(node.url, "eth_blockNumber");
    const serving = Math.round(node.startupMs + (performance.now() - firstAnswer));
    t.diagnostic(`SIGTERM to exit: ${Math.round(stopMs)} ms; restart to serving (process start to first answer): ${serving} ms`);
    console.log(`graceful restart: stop ${Math.round(stopMs)} ms, restart-to-serving ${serving} ms`);

    // The journal is restored in the background: the waiting transaction shows once it is back.
    await waitFor(() => rpc(node.url, "eth_getTransactionByHash", [waiting]).then((tx) => tx !== null), "the journaled transaction back in the pool");
    assert.deepEqual(await snapshot(node.url), before);
    assert.deepEqual(await rpcError(node.url, "eth_sendRawTransaction", [waitingRaw]), { code: -32000, message: "already known" });

    // Closing the gap mines both, in nonce order.
    const first = await sendAndWait(node.url, await sign(gapped, 0, { to: store, data: storeCall.set(998) }));
    const second = await waitForReceipt(node.url, waiting);
    assert.ok(Number(second.blockNumber) * 1e6 + Number(second.transactionIndex) > Number(first.blockNumber) * 1e6 + Number(first.transactionIndex));
    assert.equal(await rpc(node.url, "eth_getStorageAt", [store, "0x0", "latest"]), `0x${(999).toString(16).padStart(64, "0")}`);
    assert.ok(Number(first.blockNumber) > Number((before.head as { number: string }).number), "mined on top of the restored head");
  });
});
