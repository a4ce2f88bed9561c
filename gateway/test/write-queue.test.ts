// Group commit (src/write-queue.ts): units enqueued together share one transaction and resolve only
// after it committed; a unit that fails fails alone (the others commit in their own transactions)
// and leaves nothing. On a fake transactional store, so the test shows exactly what committed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GatewayDb, GatewayTx } from "../src/db.ts";
import { createWriteQueue } from "../src/write-queue.ts";

/** A store whose `$transaction` applies a unit's writes only if the whole callback succeeds. */
function fakeDb() {
  const committed: string[] = [];
  let transactions = 0;
  const db = {
    async $transaction<T>(fn: (tx: { write(v: string): void }) => Promise<T>): Promise<T> {
      transactions++;
      const pending: string[] = [];
      const result = await fn({ write: (v) => void pending.push(v) });
      await new Promise((r) => setTimeout(r, 2)); // the commit takes a moment
      committed.push(...pending);
      return result;
    },
  };
  return { db: db as unknown as GatewayDb, committed, transactions: () => transactions };
}
const write = (tx: GatewayTx, v: string) => (tx as unknown as { write(v: string): void }).write(v);

describe("write queue (group commit)", () => {
  test("units enqueued together share one transaction and resolve after it committed", async () => {
    const { db, committed, transactions } = fakeDb();
    const queue = createWriteQueue(db);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        queue.enqueue(async (tx) => {
          write(tx, `row-${i}`);
          return i;
        }).then((r) => {
          assert.ok(committed.includes(`row-${i}`), "resolved before its row committed");
          return r;
        }),
      ),
    );
    assert.deepEqual(results, [...Array(10).keys()]);
    assert.equal(transactions(), 1);
    assert.equal(committed.length, 10);
  });

  test("a failing unit fails alone with its own error; the others commit", async () => {
    const { db, committed } = fakeDb();
    const queue = createWriteQueue(db);
    const boom = new Error("unique violation");
    const outcomes = await Promise.allSettled(
      ["a", "b", "c"].map((v) =>
        queue.enqueue(async (tx) => {
          write(tx, v);
          if (v === "b") throw boom;
          return v;
        }),
      ),
    );
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled"]);
    assert.equal((outcomes[1] as PromiseRejectedResult).reason, boom);
    assert.deepEqual([...committed].sort(), ["a", "c"]);
    await queue.drain();
  });

  test("units arriving during a flush go in the next one", async () => {
    const { db, committed, transactions } = fakeDb();
    const queue = createWriteQueue(db, { maxBatch: 4 });
    const all = Array.from({ length: 9 }, (_, i) => queue.enqueue(async (tx) => write(tx, `r${i}`)));
    await Promise.all(all);
    assert.equal(committed.length, 9);
    assert.equal(transactions(), 3); // 4 + 4 + 1
  });
});
