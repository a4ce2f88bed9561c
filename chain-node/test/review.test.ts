// Regressions for defects an independent review found: interval sealing, a dropped transaction's
// successors, trailing wildcard topics, and the bounds on eth_feeHistory and log filters.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseUnits } from "ethers";
import { CHAIN_ID, STORE_RUNTIME, STORED_TOPIC, devWallets, removeTempDirs, rpc, rpcError, sendAndWait, startInProcess, storeCall, waitFor, waitForReceipt } from "./helpers.ts";

after(removeTempDirs);

const wallet = devWallets()[0]!;
const tx = (fields: { nonce: number; to?: string; data?: string; value?: bigint }) =>
  wallet.signTransaction({ type: 2, chainId: CHAIN_ID, gasLimit: 100_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0, to: fields.to ?? wallet.address, ...fields });

test("with blockTime > 0 the node seals pending transactions on its own, one block per interval", async () => {
  const node = await startInProcess({ dev: false, config: { blockTime: 200 } });
  try {
    const hash = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 0 })]);
    const receipt = await waitForReceipt(node.url, hash, 10_000);
    assert.equal(receipt.status, "0x1");
    // No empty blocks by default: the head stays where the transaction was sealed.
    const head = Number(await rpc<string>(node.url, "eth_blockNumber"));
    await new Promise((wait) => setTimeout(wait, 600));
    assert.equal(Number(await rpc<string>(node.url, "eth_blockNumber")), head);
  } finally {
    await node.close();
  }
});

test("with blockTime > 0 and emptyBlocks the node seals empty blocks at the interval", async () => {
  const node = await startInProcess({ dev: false, config: { blockTime: 100, emptyBlocks: true } });
  try {
    await waitFor(async () => Number(await rpc<string>(node.url, "eth_blockNumber")) >= 3, "three empty blocks", 10_000);
  } finally {
    await node.close();
  }
});

test("a transaction that fails at sealing leaves its sender's later transactions pooled behind the gap", async () => {
  const node = await startInProcess({ config: { blockTime: 3_600_000 } });
  try {
    const balance = BigInt(await rpc<string>(node.url, "eth_getBalance", [wallet.address, "latest"]));
    const most = (balance * 6n) / 10n;
    const first = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 0, to: devWallets()[1]!.address, value: most })]);
    // Affordable when accepted, unaffordable once the first has run: dropped at sealing.
    const second = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 1, to: devWallets()[1]!.address, value: most })]);
    const third = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 2, value: parseUnits("1", "wei") })]);
    await rpc(node.url, "evm_mine");
    assert.equal((await waitForReceipt(node.url, first)).status, "0x1");
    assert.equal(await rpc(node.url, "eth_getTransactionByHash", [second]), null);
    const waiting = await rpc<{ blockNumber: string | null } | null>(node.url, "eth_getTransactionByHash", [third]);
    assert.ok(waiting !== null, "the later transaction was dropped with the failed one");
    assert.equal(waiting.blockNumber, null);
    assert.equal(await rpc(node.url, "eth_getTransactionCount", [wallet.address, "pending"]), "0x1");
    // Closing the gap mines it.
    const refill = await tx({ nonce: 1 });
    await rpc(node.url, "eth_sendRawTransaction", [refill]);
    await rpc(node.url, "evm_mine");
    assert.equal((await waitForReceipt(node.url, third)).status, "0x1");
  } finally {
    await node.close();
  }
});

test("eth_getLogs, eth_getFilterLogs and eth_getFilterChanges agree that a trailing wildcard position needs a topic there", async () => {
  const node = await startInProcess();
  try {
    const target = `0x${"cd".repeat(20)}`;
    await rpc(node.url, "hardhat_setCode", [target, STORE_RUNTIME]);
    const wide = { address: target, topics: [STORED_TOPIC, null, null] };
    const fits = { address: target, topics: [STORED_TOPIC, null] };
    const wideId = await rpc<string>(node.url, "eth_newFilter", [wide]);
    const fitsId = await rpc<string>(node.url, "eth_newFilter", [fits]);
    const nonce = Number(await rpc<string>(node.url, "eth_getTransactionCount", [wallet.address, "pending"]));
    await sendAndWait(node.url, await tx({ nonce, to: target, data: storeCall.set(7) }));
    for (const [filter, id, expected] of [[wide, wideId, 0], [fits, fitsId, 1]] as const) {
      assert.equal((await rpc<unknown[]>(node.url, "eth_getLogs", [{ ...filter, fromBlock: "0x0" }])).length, expected);
      assert.equal((await rpc<unknown[]>(node.url, "eth_getFilterLogs", [id])).length, expected);
      assert.equal((await rpc<unknown[]>(node.url, "eth_getFilterChanges", [id])).length, expected);
    }
  } finally {
    await node.close();
  }
});

test("eth_feeHistory takes at most 100 ascending percentiles; log filters at most 1,000 addresses or topic alternatives", async () => {
  const node = await startInProcess();
  try {
    const ok = await rpc<{ reward: string[][] }>(node.url, "eth_feeHistory", ["0x1", "latest", [10, 50, 90]]);
    assert.deepEqual(ok.reward, [["0x0", "0x0", "0x0"]]);
    for (const percentiles of [[50, 10], Array.from({ length: 101 }, (_, i) => i / 2), [101]]) {
      assert.equal((await rpcError(node.url, "eth_feeHistory", ["0x400", "latest", percentiles])).code, -32602);
    }
    const addresses = Array.from({ length: 1001 }, (_, i) => `0x${i.toString(16).padStart(40, "0")}`);
    const tooMany = await rpcError(node.url, "eth_getLogs", [{ fromBlock: "0x0", address: addresses }]);
    assert.equal(tooMany.code, -32602);
    assert.match(tooMany.message, /exceed max addresses or topics per search position/);
    assert.equal((await rpcError(node.url, "eth_newFilter", [{ topics: [addresses.map((a) => `0x${a.slice(2).padStart(64, "0")}`)] }])).code, -32602);
    assert.deepEqual(await rpc(node.url, "eth_getLogs", [{ fromBlock: "0x0", address: addresses.slice(0, 1000) }]), []);
  } finally {
    await node.close();
  }
});

test("a transaction too far beyond its sender's nonce is refused: free gas must not let one key park far-future transactions", async () => {
  const node = await startInProcess({ config: { pool: { maxNonceGap: 8 } } });
  try {
    const error = await rpcError(node.url, "eth_sendRawTransaction", [await tx({ nonce: 8 })]);
    assert.equal(error.code, -32000);
    assert.match(error.message, /^nonce too high: address 0x[0-9a-f]{40}, tx: 8 state: 0 \(at most 8 ahead\)$/);
    // Within the bound it waits in the pool, as any future nonce does.
    const waiting = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 7 })]);
    assert.equal((await rpc<{ blockNumber: string | null }>(node.url, "eth_getTransactionByHash", [waiting])).blockNumber, null);
    assert.equal(await rpc(node.url, "eth_getTransactionCount", [wallet.address, "pending"]), "0x0");
  } finally {
    await node.close();
  }
});

test("a development node with automine answers a send once the transaction is in a block, as Hardhat's node does; a send behind a nonce gap is answered at once", async () => {
  const node = await startInProcess();
  try {
    assert.equal(await rpc<boolean>(node.url, "hardhat_getAutomine"), true);
    // Every answer comes back with its receipt already there: a test's next read sees its write.
    const raws = await Promise.all(Array.from({ length: 20 }, (_, nonce) => tx({ nonce })));
    const missing: string[] = [];
    await Promise.all(
      raws.map(async (raw) => {
        const hash = await rpc<string>(node.url, "eth_sendRawTransaction", [raw]);
        if (node.chain.db.txByHash(Buffer.from(hash.slice(2), "hex")) === undefined) missing.push(hash);
      }),
    );
    assert.deepEqual(missing, [], "sends answered before their transaction was sealed");
    // A transaction waiting behind a nonce gap cannot be sealed: its send must not hang.
    const started = Date.now();
    const parked = await rpc<string>(node.url, "eth_sendRawTransaction", [await tx({ nonce: 25 })]);
    assert.ok(Date.now() - started < 5_000, "the parked transaction's send waited");
    assert.equal(await rpc(node.url, "eth_getTransactionReceipt", [parked]), null);
  } finally {
    await node.close();
  }
});
