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
import { accessLine } from "../src/evidence/line.ts";
import { chainEvidenceRecorder } from "../src/evidence/recorder.ts";
import { accessLogRow } from "../src/routes/access.ts";
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

  const batcher = (chain: EvidenceRecorder, db = gw.deps.db) => createEvidenceBatcher({ db, chain, clock: gw.deps.clock, log: gw.deps.log, intervalMs: 1000 });
  const batchCount = () => gw.deps.chain.contracts.auditTrail.read.accessBatchCount();

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
    const failing: EvidenceRecorder = { ...real, recordBatch: () => Promise.reject(new Error("chain down")) };
    await assert.rejects(batcher(failing).runOnce(), /chain down/);
    const pending = await gw.deps.db.accessLogLine.findMany({ where: { id: { in: ids } } });
    assert.ok(pending.every((r) => r.batchId === null && r.claimedBy === null && r.claimedUntil === null));
    const run = await batcher(real).runOnce();
    assert.equal(run.lines, 3);
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: ids }, batchId: null } }), 0);
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
    await assert.rejects(batcher(dying).runOnce(), /died/);
    const recorded = await batchCount();
    const run = await batcher(real).runOnce();
    assert.equal(run.lines, 4);
    assert.equal(await batchCount(), recorded, "the root was found on chain, not recorded twice");
    assert.equal(await gw.deps.db.accessLogLine.count({ where: { id: { in: ids }, batchId: run.batchId! } }), 4);
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
