// The evidence batcher: pending access-log lines are anchored in AuditTrail under one root, each line
// keeps a proof that AuditTrail.verifyAccessLine accepts; a failed run leaves the lines pending for
// the next one; two processes on one database never batch a line twice; a run that recorded its root
// but could not store the result is completed by the next run without recording the root again.
// On the gateway database on SQLite and on PostgreSQL (whose row locks decide concurrent claims).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { getAddress, type Hex } from "viem";
import { createEvidenceBatcher, type EvidenceRecorder } from "../src/evidence/batcher.ts";
import { accessLine, accessLogRow } from "../src/evidence/line.ts";
import { chainEvidenceRecorder } from "../src/evidence/recorder.ts";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const hex32 = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

for (const backend of ["sqlite", "postgresql"] as const) describe(`evidence batcher (${backend})`, () => {
  let gw: TestGateway;
  let pg: TestPostgres | undefined;
  before(async () => {
    if (backend === "postgresql") pg = await startPostgres();
    gw = await startTestGateway(pg ? { databaseUrl: await pg.createDatabase("batcher_gateway") } : {});
  });
  after(async () => {
    await gw.close();
    await pg?.stop();
  });
  beforeEach(async () => {
    await gw.deps.db.accessLogLine.deleteMany({ where: { batchId: null } });
  });

  async function addLines(count: number, start = Date.now() - 60_000): Promise<string[]> {
    const rows = Array.from({ length: count }, (_, i) =>
      accessLogRow(
        accessLine({
          id: randomUUID(),
          requestId: `req-${i}`,
          reader: "hospital-doctor",
          accessor: hex32(0xd0c),
          institution: INSTITUTIONS.hospital,
          recordId: hex32(1000 + i),
          residentRef: hex32(77),
          fields: [hex32(5)],
          purpose: 0,
          grantIds: i % 2 === 0 ? [hex32(9)] : [],
          outcome: i % 2 === 0 ? "granted" : "refused",
          reason: i % 2 === 0 ? null : "no-grant",
          accessedAt: new Date(start + i * 10),
        }),
      ),
    );
    await gw.deps.db.accessLogLine.createMany({ data: rows });
    return rows.map((r) => r.id);
  }

  const LEASE_MS = 60_000;
  const batcher = (chain: EvidenceRecorder, db = gw.deps.db, clock = gw.deps.clock) =>
    createEvidenceBatcher({ db, chain, clock, log: gw.deps.log, intervalMs: 1000, leaseMs: LEASE_MS });
  /** The clock of another gateway process, read once the lease of every earlier claim has ended. */
  const afterLease = { now: () => new Date(gw.deps.clock.now().getTime() + 2 * LEASE_MS) };
  const batchCount = () => gw.deps.chain.contracts.auditTrail.read.accessBatchCount();

  /** Every access batch recorded since `from` (a batch count) is backed by exactly the lines that
   * name it: as many as its lineCount, leaf indexes 0…n-1, each proof verifying on chain. No batch
   * on chain without its lines (an orphan root), no line under a batch that does not hold it. */
  async function assertEveryBatchBacked(from: bigint): Promise<void> {
    const to = await batchCount();
    for (let id = from + 1n; id <= to; id++) {
      const batch = await gw.deps.chain.contracts.auditTrail.read.getAccessBatch([id]);
      const rows = await gw.deps.db.accessLogLine.findMany({ where: { batchId: id.toString() }, orderBy: { leafIndex: "asc" } });
      assert.equal(rows.length, batch.lineCount, `batch ${id} on chain holds ${batch.lineCount} lines; ${rows.length} rows name it`);
      assert.deepEqual(rows.map((r) => r.leafIndex), Array.from({ length: rows.length }, (_, i) => i));
      for (const row of rows) {
        const ok = await gw.deps.chain.contracts.auditTrail.read.verifyAccessLine([
          id,
          getAddress(row.recorder!),
          row.lineHash as Hex,
          BigInt(row.leafIndex!),
          JSON.parse(row.proofJson!) as Hex[],
        ]);
        assert.equal(ok, true, `line ${row.id} verifies under batch ${id}`);
      }
    }
  }

  test("pending lines are anchored under one root and every proof verifies on chain", async () => {
    const ids = await addLines(7);
    const before = await batchCount();
    const run = await batcher(chainEvidenceRecorder(gw.deps.chain)).runOnce();
    assert.equal(run.lines, 7);
    assert.equal(await batchCount(), before + 1n);
    const rows = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: ids } }, orderBy: { leafIndex: "asc" } });
    assert.deepEqual(rows.map((r) => r.leafIndex), [0, 1, 2, 3, 4, 5, 6]);
    for (const row of rows) {
      assert.equal(row.batchId, run.batchId);
      assert.equal(row.recorder, INSTITUTIONS.platform);
      assert.equal(row.claimedBy !== null, true);
      const ok = await gw.deps.chain.contracts.auditTrail.read.verifyAccessLine([
        BigInt(row.batchId!),
        getAddress(row.recorder!),
        row.lineHash as Hex,
        BigInt(row.leafIndex!),
        JSON.parse(row.proofJson!) as Hex[],
      ]);
      assert.equal(ok, true);
    }
    assert.equal((await batcher(chainEvidenceRecorder(gw.deps.chain)).runOnce()).lines, 0, "nothing is batched twice");
  });

  test("a failed run leaves the lines pending; the next run anchors them", async () => {
    const ids = await addLines(3);
    const real = chainEvidenceRecorder(gw.deps.chain);
    let down = true;
    const flaky: EvidenceRecorder = { ...real, recordBatch: (...args) => (down ? Promise.reject(new Error("chain down")) : real.recordBatch(...args)) };
    const own = batcher(flaky);
    const from = await batchCount();
    await assert.rejects(own.runOnce(), /chain down/);
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: ids }, batchId: null } }), 3, "still pending");
    down = false;
    const run = await own.runOnce();
    assert.equal(run.lines, 3);
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: ids }, batchId: null } }), 0);
    assert.equal(await batchCount(), from + 1n);
    await assertEveryBatchBacked(from);
  });

  test("a root recorded by a run that died before storing it is completed, not recorded again", async () => {
    const ids = await addLines(4);
    const real = chainEvidenceRecorder(gw.deps.chain);
    const dying: EvidenceRecorder = {
      ...real,
      async recordBatch(...args) {
        await real.recordBatch(...args);
        throw new Error("process died after sending");
      },
    };
    const from = await batchCount();
    await assert.rejects(batcher(dying).runOnce(), /died/);
    const recorded = await batchCount();
    // Another process, once the dead run's lease has ended.
    const run = await batcher(real, gw.deps.db, afterLease).runOnce();
    assert.equal(run.lines, 4);
    assert.equal(await batchCount(), recorded, "the root was found on chain, not recorded twice");
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: ids }, batchId: run.batchId! } }), 4);
    await assertEveryBatchBacked(from);
  });

  // Reviewer's scenario: recordBatch fails after its transaction was mined (receipt timeout, RPC
  // error), a line arrives before the next run. The next run must complete the recorded set, not
  // record a second root over old + new lines (which left the first root on chain with no rows).
  test("a run that failed after its root was mined is completed by the next run even when new lines arrived", async () => {
    const old = await addLines(2);
    const real = chainEvidenceRecorder(gw.deps.chain);
    let fail = true;
    const recorder: EvidenceRecorder = {
      ...real,
      async recordBatch(...args) {
        const recorded = await real.recordBatch(...args);
        if (fail) throw new Error("receipt timeout");
        return recorded;
      },
    };
    const own = batcher(recorder);
    const from = await batchCount();
    await assert.rejects(own.runOnce(), /receipt timeout/);
    assert.equal(await batchCount(), from + 1n, "the root was mined");
    fail = false;
    const fresh = await addLines(1, Date.now() - 30_000);
    let run = await own.runOnce();
    while (run.lines > 0) run = await own.runOnce();
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: [...old, ...fresh] }, batchId: null } }), 0, "every line anchored");
    const oldRows = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: old } } });
    assert.ok(oldRows.every((r) => r.batchId === (from + 1n).toString()), "the old lines are stored under the root that was mined");
    assert.equal(await batchCount(), from + 2n, "the mined root is not followed by one over old + new lines");
    await assertEveryBatchBacked(from);
  });

  // A process dies right after sending (its run never stores anything, nothing is released); new
  // lines arrive; once the lease has ended another process batches. It must complete the sent set
  // (found on chain) and batch the new lines separately.
  test("a process that died after sending: after its lease the sent set is completed and new lines batched apart", async () => {
    const old = await addLines(3);
    const real = chainEvidenceRecorder(gw.deps.chain);
    let resume!: () => void;
    const frozen = new Promise<void>((resolve) => (resume = resolve));
    const dying: EvidenceRecorder = {
      ...real,
      async recordBatch(...args) {
        await real.recordBatch(...args);
        await frozen; // the process is gone: nothing after the send runs (until the test ends)
        throw new Error("process died after sending");
      },
    };
    const from = await batchCount();
    const dead = batcher(dying).runOnce();
    while ((await batchCount()) === from) await new Promise((r) => setTimeout(r, 20));
    const fresh = await addLines(2, Date.now() - 30_000);
    const other = batcher(real, gw.deps.db, afterLease);
    let run = await other.runOnce();
    while (run.lines > 0) run = await other.runOnce();
    resume();
    await assert.rejects(dead, /died/);
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: [...old, ...fresh] }, batchId: null } }), 0, "every line anchored");
    const oldRows = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: old } } });
    assert.ok(oldRows.every((r) => r.batchId === (from + 1n).toString()), "the old lines are stored under the root that was sent");
    assert.equal(await batchCount(), from + 2n);
    await assertEveryBatchBacked(from);
  });

  test("two processes completing the same expired set at once record and store it once", async () => {
    const old = await addLines(5);
    const real = chainEvidenceRecorder(gw.deps.chain);
    const dying: EvidenceRecorder = {
      ...real,
      async recordBatch(...args) {
        await real.recordBatch(...args);
        throw new Error("receipt timeout");
      },
    };
    const from = await batchCount();
    await assert.rejects(batcher(dying).runOnce(), /timeout/);
    const fresh = await addLines(4, Date.now() - 30_000);
    const second = await gw.secondInstance();
    const a = batcher(real, gw.deps.db, afterLease);
    const b = batcher(chainEvidenceRecorder(second.deps.chain), second.deps.db, afterLease);
    await Promise.all([a.runOnce(), b.runOnce()]);
    let more = await a.runOnce();
    while (more.lines > 0) more = await a.runOnce();
    const rows = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: [...old, ...fresh] } } });
    assert.ok(rows.every((r) => r.batchId !== null), "every line anchored");
    assert.ok(rows.filter((r) => old.includes(r.id)).every((r) => r.batchId === (from + 1n).toString()));
    await assertEveryBatchBacked(from);
  });

  test("two gateway processes batching at once never put a line in two batches", async () => {
    const ids = await addLines(40);
    const second = await gw.secondInstance();
    const a = batcher(chainEvidenceRecorder(gw.deps.chain));
    const b = batcher(chainEvidenceRecorder(second.deps.chain), second.deps.db);
    const runs = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    let more = await a.runOnce();
    while (more.lines > 0) more = await a.runOnce();
    const rows = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: ids } } });
    assert.ok(rows.every((r) => r.batchId !== null), "every line anchored");
    // (Within one process a second runOnce joins the run in progress: count batches, not calls.)
    const perBatch = new Map(runs.filter((r) => r.batchId !== undefined).map((r) => [r.batchId, r.lines]));
    assert.ok([...perBatch.values()].reduce((n, l) => n + l, 0) <= 40);
    // Each batch holds exactly the lines that name it, with distinct leaf indexes.
    const byBatch = new Map<string, number[]>();
    for (const r of rows) byBatch.set(r.batchId!, [...(byBatch.get(r.batchId!) ?? []), r.leafIndex!]);
    for (const [batchId, leaves] of byBatch) {
      const batch = await gw.deps.chain.contracts.auditTrail.read.getAccessBatch([BigInt(batchId)]);
      assert.equal(batch.lineCount, leaves.length);
      assert.deepEqual([...leaves].sort((x, y) => x - y), Array.from({ length: leaves.length }, (_, i) => i));
    }
  });
});
