// The collection pipeline over a synthetic regional-platform database (SQL intermediate tables):
// every source item ends up exactly once as a record, a duplicate, a change or a quarantined item;
// a run that fails resumes where it stopped without duplicates; quarantined items are visible with
// their reason and taken in by a replay after the fix.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "libsql";
import type { PullAdapter } from "../src/adapters/types.ts";
import type { Anchorer } from "../src/anchoring/anchor.ts";
import { derivedDirectory } from "../src/collection/ids.ts";
import { decideCodeReview, queueCodeReview } from "../src/collection/code-reviews.ts";
import { runTask } from "../src/collection/runner.ts";
import { adapterOfTask, openHisService, type HisService } from "../src/service.ts";
import { writeIntermediateTables } from "../src/adapters/sql/index.ts";
import { syntheticRecords, type SyntheticRecord } from "../src/synthetic/index.ts";

const SALT = "collection-test resident salt";
const notAnchoring: Anchorer = {
  anchorRecords: () => Promise.reject(new Error("no anchoring in this test")),
  anchorRecord: () => Promise.reject(new Error("no anchoring in this test")),
  anchorChanges: () => Promise.reject(new Error("no anchoring in this test")),
  anchorChange: () => Promise.reject(new Error("no anchoring in this test")), anchoredState: () => Promise.reject(new Error("no anchoring in this test")),
};

const OPTIONS = { seed: 606, residents: 120, from: "2026-03-01", days: 30 } as const;

async function open(dir: string, name: string): Promise<HisService> {
  return openHisService({ databaseUrl: `file:${join(dir, `${name}.db`)}`, residentSalt: SALT, directory: derivedDirectory("collection-test wallet secret"), anchorer: notAnchoring });
}

/** Fails the n-th pull (1-based), as a source that goes away in the middle of a run. */
async function failingAt(opening: PullAdapter | Promise<PullAdapter>, n: number): Promise<PullAdapter> {
  const adapter = await opening;
  let pulls = 0;
  return {
    format: adapter.format,
    pull: (cursor, limit) => (++pulls === n ? Promise.reject(Object.assign(new Error("connection reset by the platform's database"), { code: "SOURCE_UNAVAILABLE" })) : adapter.pull(cursor, limit)),
    close: () => adapter.close(),
  };
}

/** The records, with person ids replaced by their order of first appearance (ids are random; who is linked with whom is not). */
async function recordsOf(service: HisService) {
  const rows = await service.db.prisma.collectedRecord.findMany({ orderBy: { recordId: "asc" }, select: { recordId: true, contentHash: true, version: true, personId: true } });
  const persons = new Map<string, number>();
  return rows.map((r) => {
    if (!persons.has(r.personId)) persons.set(r.personId, persons.size);
    return { ...r, personId: persons.get(r.personId) };
  });
}

describe("collection from the regional platform's intermediate tables", () => {
  let dir: string;
  let sourceUrl: string;
  let records: SyntheticRecord[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "his-collection-"));
    sourceUrl = `file:${join(dir, "platform.db")}`;
    records = [...syntheticRecords(OPTIONS)];
    await writeIntermediateTables(sourceUrl, records);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const task = (id: string, pageSize = 97) => ({ id, name: "区域平台 T+1 中间库", source: { format: "sql" as const, url: sourceUrl }, pageSize });

  test("every item is accounted for exactly once: records, duplicates, changes, quarantine", async () => {
    const service = await open(dir, "once");
    try {
      await service.saveTask(task("t1"), "test");
      const run = await service.runTask("t1");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.equal(run.read, records.length);
      assert.equal(run.accepted + run.duplicates + run.changes + run.quarantined, records.length);
      assert.equal(await service.db.prisma.receivedItem.count(), records.length);
      assert.equal(await service.db.prisma.collectedRecord.count(), run.accepted);
      assert.equal(await service.db.prisma.quarantineItem.count({ where: { status: "open" } }), run.quarantined);
      // Item keys are <table>#<sequence>, sequences in the order the records were written: the
      // outcome of each synthetic record. A second transmission is a duplicate of its first, or
      // quarantined with it (same content, same problems); a late correction is a change.
      const received = await service.db.prisma.receivedItem.findMany({ select: { itemKey: true, outcome: true } });
      const bySequence = received.map((r) => ({ seq: Number(r.itemKey.split("#")[1]), outcome: r.outcome })).sort((a, b) => a.seq - b.seq);
      const outcomeOf = new Map(records.map((r, i) => [r.recordId, bySequence[i]!.outcome]));
      let duplicates = 0;
      for (const r of records) {
        if (r.truth.duplicateOf === null) continue;
        const first = outcomeOf.get(r.truth.duplicateOf)!;
        assert.equal(outcomeOf.get(r.recordId), first === "quarantined" ? "quarantined" : "duplicate", `${r.kind} ${r.recordId}, a resend of one that was ${first}`);
        if (first !== "quarantined") duplicates++;
      }
      assert.ok(duplicates > 0);
      for (const r of records.filter((x) => x.status === "corrected")) assert.ok(["change", "quarantined"].includes(outcomeOf.get(r.recordId)!), `correction ${r.recordId}`);
      // Lab codes the mapper cannot place go to the quarantine with their reason, queued once per local code.
      const codeHeld = await service.db.prisma.quarantineItem.count({ where: { reason: "code-under-review" } });
      assert.ok(codeHeld > 0);
      assert.ok((await service.db.prisma.codeMappingReview.count({ where: { status: "open" } })) > 0);
      // A second run finds nothing new: the cursor is at the end.
      const again = await service.runTask("t1");
      assert.equal(again.read, 0);
      assert.equal(await service.db.prisma.receivedItem.count(), records.length);
      const report = await service.db.prisma.qualityReport.findUnique({ where: { runId: run.runId } });
      assert.ok(report, "the run's quality report is stored");
      const quality = JSON.parse(report.reportJson) as { totals?: { seen?: number } };
      assert.ok(quality.totals, "the report has totals");
    } finally {
      await service.close();
    }
  });

  test("a run that fails resumes where it stopped and gives the same records as an uninterrupted run, none twice", async () => {
    const clean = await open(dir, "clean");
    const resumed = await open(dir, "resumed");
    try {
      await clean.saveTask(task("t1"), "test");
      await resumed.saveTask(task("t1"), "test");
      assert.equal((await clean.runTask("t1")).status, "succeeded");

      const failed = await runTask({ ...resumed.context, adapterOf: (t) => failingAt(adapterOfTask(t), 4) }, "t1", "schedule");
      assert.equal(failed.status, "failed");
      assert.equal(failed.error?.code, "SOURCE_UNAVAILABLE");
      assert.equal(failed.pages, 3);
      const failedRow = await resumed.db.prisma.collectionRun.findUniqueOrThrow({ where: { id: failed.runId } });
      assert.equal(failedRow.status, "failed");
      assert.match(failedRow.errorJson ?? "", /connection reset/);

      // The page in flight when the database failed mid-transaction is rolled back as a whole.
      const linker = resumed.context.linker;
      let calls = 0;
      const brokenLinker = {
        linkMany: linker.linkMany.bind(linker),
        personsOf: (tx: Parameters<typeof linker.personsOf>[0], keys: Parameters<typeof linker.personsOf>[1]) => (++calls === 2 ? Promise.reject(new Error("disk I/O error")) : linker.personsOf(tx, keys)),
      };
      const before = await resumed.db.prisma.receivedItem.count();
      const second = await runTask({ ...resumed.context, linker: brokenLinker }, "t1", "schedule");
      assert.equal(second.status, "failed");
      assert.equal(await resumed.db.prisma.receivedItem.count(), before + second.read, "only the committed page's items are received");

      const finished = await resumed.runTask("t1", "resume");
      assert.equal(finished.status, "succeeded");
      assert.equal(await resumed.db.prisma.receivedItem.count(), records.length);
      assert.deepEqual(await recordsOf(resumed), await recordsOf(clean));
      const runs = await resumed.db.prisma.collectionRun.findMany({ where: { taskId: "t1" }, orderBy: { id: "asc" } });
      assert.deepEqual(runs.map((r) => r.status), ["failed", "failed", "succeeded"]);
      assert.equal(runs.reduce((sum, r) => sum + r.read, 0), records.length);
    } finally {
      await clean.close();
      await resumed.close();
    }
  });

  test("an older transmission arriving after a newer one is recorded as stale and changes nothing", async () => {
    const service = await open(dir, "stale");
    const staleDir = await mkdtemp(join(tmpdir(), "his-stale-"));
    try {
      const url = `file:${join(staleDir, "stale.db")}`;
      const lab = records.find((r) => r.kind === "lab-result" && r.status === "final" && r.truth.duplicateOf === null)!;
      const patient = records.find((r) => r.kind === "patient" && r.patientId === lab.patientId && r.institutionCode === lab.institutionCode)!;
      const newer = { ...lab, recordId: `${lab.recordId}-newer`, status: "corrected" as const, corrects: lab.recordId, changedAt: "2026-06-01T09:00:00+08:00", payload: { ...lab.payload, value: 7.77 } } as SyntheticRecord;
      await writeIntermediateTables(url, [patient, newer, lab]);
      await service.saveTask({ id: "stale", name: "out of order", source: { format: "sql", url } }, "test");
      // The lab's code may wait for review: decide it so that both transmissions map.
      await service.runTask("stale");
      for (const review of await service.db.prisma.codeMappingReview.findMany({ where: { status: "open", institution: lab.institutionCode } })) {
        await decideCodeReview(service.db.prisma, review.id, { code: lab.truth.loinc, reviewer: "检验科 王老师" }, (code) => service.codeMapper.entry(code) !== undefined);
      }
      await service.replay("stale", { actor: "operator" });
      const outcomes = (await service.db.prisma.receivedItem.findMany({ orderBy: { itemKey: "asc" } })).map((r) => r.outcome).sort();
      assert.deepEqual(outcomes, ["new", "new", "stale"]);
      const row = await service.db.prisma.collectedRecord.findFirstOrThrow({ where: { sourceKey: lab.sourceKey } });
      assert.equal((JSON.parse(row.contentJson) as { value: number }).value, 7.77, "the newer content stays");
      assert.equal(await service.db.prisma.recordChange.count(), 0);
    } finally {
      await service.close();
      await rm(staleDir, { recursive: true, force: true });
    }
  });

  test("a local code a reviewer rejected is not asked again by later items; one that was mapped and comes back is", async () => {
    const service = await open(dir, "reviews");
    try {
      const details = { status: "review", localCode: "GLU-X", localName: "血糖(快速)", localUnit: "mmol/L", dictionaryVersion: service.codeMapper.dictionary.version, candidates: [{ code: "14771-0", score: 0.8 }] };
      await service.db.prisma.$transaction((tx) => queueCodeReview(tx, "PD-CHC-01", details));
      await service.db.prisma.$transaction((tx) => queueCodeReview(tx, "PD-CHC-01", details));
      const [review] = await service.db.prisma.codeMappingReview.findMany();
      assert.ok(review);
      await decideCodeReview(service.db.prisma, review.id, { code: null, reviewer: "检验科 王老师", note: "不是标准检验项目" }, () => true);
      await service.db.prisma.$transaction((tx) => queueCodeReview(tx, "PD-CHC-01", details));
      assert.deepEqual((await service.db.prisma.codeMappingReview.findMany()).map((r) => r.status), ["decided"]);
      // Mapped by a later decision, then coming back as a problem (the proposal changed): asked again.
      await service.db.prisma.codeMappingReview.update({ where: { id: review.id }, data: { status: "open" } });
      await decideCodeReview(service.db.prisma, review.id, { code: "14771-0", reviewer: "检验科 王老师" }, () => true);
      await service.db.prisma.$transaction((tx) => queueCodeReview(tx, "PD-CHC-01", details));
      assert.deepEqual((await service.db.prisma.codeMappingReview.findMany()).map((r) => r.status), ["open"]);
    } finally {
      await service.close();
    }
  });

  test("two runs of one task never overlap", async () => {
    const service = await open(dir, "overlap");
    try {
      await service.saveTask(task("t1", 50), "test");
      const results = await Promise.allSettled([service.runTask("t1"), service.runTask("t1")]);
      const refused = results.filter((r) => r.status === "rejected");
      assert.equal(refused.length, 1);
      assert.equal((refused[0] as PromiseRejectedResult).reason.code, "CONFLICT");
    } finally {
      await service.close();
    }
  });

  test("quarantined items are replayed after the fix: a code decision, a late registration; a malformed row stays with its reason", async () => {
    const service = await open(dir, "replay");
    const lateDir = await mkdtemp(join(tmpdir(), "his-late-"));
    try {
      const late = `file:${join(lateDir, "late.db")}`;
      // A lab result whose patient registration comes in a later increment, and a malformed row.
      const lab = records.find((r) => r.kind === "lab-result" && r.status === "final")!;
      const patient = records.find((r) => r.kind === "patient" && r.patientId === lab.patientId && r.institutionCode === lab.institutionCode)!;
      await writeIntermediateTables(late, [lab]);
      // A row the platform's ETL wrote with a collection time that is no time at all.
      const sqlite = new Database(join(lateDir, "late.db"));
      sqlite.exec(`CREATE TEMP TABLE bad AS SELECT * FROM zjk_jyjg LIMIT 1;
        UPDATE bad SET tbxh = (SELECT MAX(dqz) FROM zjk_tbxl) + 1, jymxh = 'BAD-0001', cjsj = '2026-13-45 99:99';
        INSERT INTO zjk_jyjg SELECT * FROM bad;
        UPDATE zjk_tbxl SET dqz = dqz + 1;`);
      sqlite.close();
      await service.saveTask({ id: "late", name: "late registration", source: { format: "sql", url: late } }, "test");
      const first = await service.runTask("late");
      assert.equal(first.read, 2);
      assert.equal(first.quarantined, 2, "the lab result without its patient, and the malformed row");
      const malformed = await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "late", stage: "parse" } });
      assert.match(malformed.raw, /BAD-0001/);
      assert.ok(malformed.reason.length > 0 && malformed.messageZh.length > 0);
      const held = await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "late", stage: { not: "parse" } } });
      assert.ok(["link", "code"].includes(held.stage));
      assert.ok(held.message.length > 0 && held.messageZh.length > 0);
      assert.ok(held.raw.length > 0, "what was received is kept verbatim");

      // The registration arrives; any code review of the lab's local code is decided.
      await writeIntermediateTables(late, [patient]);
      assert.equal((await service.runTask("late")).accepted, 1);
      for (const review of await service.db.prisma.codeMappingReview.findMany({ where: { status: "open", institution: lab.institutionCode } })) {
        await decideCodeReview(service.db.prisma, review.id, { code: lab.truth.loinc, reviewer: "检验科 王老师" }, (code) => service.codeMapper.entry(code) !== undefined);
      }
      const replay = await service.replay("late", { actor: "operator" });
      assert.equal(replay.released, 1, "the held lab result is taken in");
      assert.equal(replay.stillQuarantined, 1, "the malformed row stays until the source sends it again or an operator discards it");
      await service.discard(malformed.id, "operator", "平台已重新上传更正后的记录 / the platform re-sent the corrected row");
      assert.equal((await service.db.prisma.quarantineItem.findUniqueOrThrow({ where: { id: malformed.id } })).status, "discarded");
      const row = await service.db.prisma.quarantineItem.findUniqueOrThrow({ where: { id: held.id } });
      assert.equal(row.status, "replayed");
      assert.equal(await service.db.prisma.collectedRecord.count(), 2);
      // Replaying again finds nothing open and takes nothing twice.
      const again = await service.replay("late", { actor: "operator" });
      assert.equal(again.attempted, 0, "nothing open is left");
      assert.equal(await service.db.prisma.collectedRecord.count(), 2);
    } finally {
      await service.close();
      await rm(lateDir, { recursive: true, force: true });
    }
  });
});
