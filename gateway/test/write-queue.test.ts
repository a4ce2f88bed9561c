// Group commit (src/write-queue.ts): units enqueued together share one transaction and resolve only
// after it committed; a unit that fails fails alone (the others commit in their own transactions)
// and leaves nothing. On a fake transactional store, so the test shows exactly what committed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GatewayDb, GatewayTx } from "../src/db.ts";
import { createWriteQueue, recordingTx, type Insert } from "../src/write-queue.ts";

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

describe("write queue: rows to insert (enqueueInserts)", () => {
  /** A store recording each createMany (table, rows) and other writes; a unit's rows apply only on commit. */
  function fakeTables(failOn?: (row: Record<string, unknown>) => boolean) {
    const committed: { model: string; data: unknown }[] = [];
    const calls: string[] = [];
    let transactions = 0;
    const db = {
      async $transaction<T>(fn: (tx: unknown) => Promise<T>): Promise<T> {
        transactions++;
        const pending: { model: string; data: unknown }[] = [];
        const table = (model: string) => ({
          async createMany({ data }: { data: Record<string, unknown>[] }) {
            calls.push(`${model}.createMany(${data.length})`);
            if (failOn && data.some(failOn)) throw new Error("unique violation");
            for (const d of data) pending.push({ model, data: d });
          },
        });
        const tx = { accessLogLine: table("accessLogLine"), notification: table("notification"), auditLog: table("auditLog"), write: (v: string) => void pending.push({ model: "write", data: v }) };
        const result = await fn(tx);
        committed.push(...pending);
        return result;
      },
    };
    return { db: db as unknown as GatewayDb, committed, calls, transactions: () => transactions };
  }
  const rowsOf = (i: number): Insert[] => [
    { model: "accessLogLine", data: { id: `line-${i}` } as never },
    { model: "notification", data: { resident: `r${i}`, kind: "grant-used", payloadJson: "{}" } },
    { model: "auditLog", data: { subject: `s${i}` } as never },
  ];

  test("the rows of the units of a flush go in one createMany per table, in the units' order, then each unit's `then`", async () => {
    const { db, committed, calls, transactions } = fakeTables();
    const queue = createWriteQueue(db);
    await Promise.all(Array.from({ length: 5 }, (_, i) => queue.enqueueInserts(rowsOf(i), i === 3 ? async (tx) => write(tx, "then-3") : undefined)));
    assert.equal(transactions(), 1);
    assert.deepEqual(calls, ["accessLogLine.createMany(5)", "notification.createMany(5)", "auditLog.createMany(5)"]);
    assert.deepEqual(
      committed.filter((c) => c.model === "notification").map((c) => (c.data as { resident: string }).resident),
      ["r0", "r1", "r2", "r3", "r4"],
    );
    assert.deepEqual(committed.at(-1), { model: "write", data: "then-3" });
  });

  test("a unit whose rows fail fails alone; function units keep their place", async () => {
    const { db, committed } = fakeTables((row) => row.id === "line-1");
    const queue = createWriteQueue(db);
    const outcomes = await Promise.allSettled([
      queue.enqueueInserts(rowsOf(0)),
      queue.enqueueInserts(rowsOf(1)),
      queue.enqueue(async (tx) => write(tx, "fn")),
      queue.enqueueInserts(rowsOf(2)),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    assert.deepEqual(
      committed.filter((c) => c.model === "accessLogLine").map((c) => (c.data as { id: string }).id),
      ["line-0", "line-2"],
    );
    assert.ok(committed.some((c) => c.model === "write" && c.data === "fn"));
  });

  test("recordingTx records create() on the insert tables and refuses anything else", async () => {
    const rows: Insert[] = [];
    const tx = recordingTx(rows);
    const created = await tx.notification.create({ data: { resident: "0xabc", kind: "other", payloadJson: "{}" } });
    assert.equal(created.resident, "0xabc");
    assert.deepEqual(rows, [{ model: "notification", data: { resident: "0xabc", kind: "other", payloadJson: "{}" } }]);
    assert.throws(() => tx.session, /only create\(\)/);
    assert.throws(() => (tx.auditLog as unknown as { findMany(): unknown }).findMany(), TypeError);
  });
});
