// Intake against a real (throwaway SQLite) database: draft saves all or nothing, submission with
// completeness and dependency checks, the lock, unlock requests and late corrections, resets kept
// in the audit trail, non-participation and the report download it gates. Every refusal is shown
// to change nothing.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import {
  auditTrail,
  decideUnlock,
  intakeCounts,
  labStatus,
  registerNonParticipation,
  requestUnlock,
  resetResults,
  resultsOfRound,
  saveResults,
  submitResults,
  type FieldError,
} from "../src/intake/index.ts";
import { setRoundStatus } from "../src/model/index.ts";
import { AFTER, DEADLINE, DURING, fullSet, openRound, openTestDb, snapshot, type TestDb } from "./intake-fixture.ts";

let t: TestDb;
beforeEach(async () => {
  t = await openTestDb();
});
afterEach(async () => {
  await t.close();
});

/** Runs `run`, expects the typed refusal, and that the database is exactly as before. */
async function refusedUnchanged(run: () => Promise<unknown>, code: "CONFLICT" | "INVALID_INPUT" | "NOT_FOUND", reason?: string) {
  const before = await snapshot(t.db);
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  assert.ok(isPlatformError(caught, code), `expected ${code}, got ${String(caught)}`);
  assert.ok(caught.message.length > 0);
  assert.match(caught.messageZh, /[\u4e00-\u9fff]/);
  if (reason !== undefined) assert.equal(caught.details.reason, reason);
  assert.deepEqual(await snapshot(t.db), before);
  return caught;
}
const fieldErrors = (e: { details: Readonly<Record<string, unknown>> }) => (e.details.fieldErrors as FieldError[]).map((f) => `${f.analyte}/${f.sample}/${f.field}:${f.code}`);

const save = (entries: unknown[], now = DURING, labCode = "L1") => saveResults(t.db, { roundCode: "R1", labCode, entries: entries as never, actor: "lab-user", now });
const submit = (now = DURING, labCode = "L1", entries?: unknown[]) =>
  submitResults(t.db, { roundCode: "R1", labCode, actor: "lab-user", now, ...(entries ? { entries: entries as never } : {}) });

describe("draft saves", () => {
  it("store the accepted values, replace an earlier entry of the same analyte × sample, and audit both", async () => {
    await openRound(t.db);
    assert.deepEqual(await save([{ analyte: "GLU", sample: "S1", value: "5.625" }]), { saved: 1 });
    await save([{ analyte: "GLU", sample: "S1", value: "5.7" }, { analyte: "HBSAG", sample: "S1", choice: "NEG" }]);
    const rows = await t.db.result.findMany({ orderBy: { analyteCode: "asc" } });
    assert.deepEqual(rows.map((r) => [r.analyteCode, JSON.parse(r.valueJson)]), [
      ["GLU", { type: "quantitative", value: 5.7, text: "5.7" }],
      ["HBSAG", { type: "qualitative", choice: "NEG" }],
    ]);
    assert.equal((await labStatus(t.db, "R1", "L1")).status, "draft");
    const [latest] = await auditTrail(t.db, { roundCode: "R1", labCode: "L1" });
    assert.equal(latest?.action, "results.save");
    assert.deepEqual(latest?.details.replaced, [{ sample: "S1", analyte: "GLU", value: { type: "quantitative", value: 5.62, text: "5.625" } }]);
  });

  it("refuse the whole batch when one entry is wrong, naming every field, unknown codes included", async () => {
    await openRound(t.db);
    const error = await refusedUnchanged(
      () =>
        save([
          { analyte: "GLU", sample: "S1", value: "5.6" },
          { analyte: "GLU", sample: "S2", value: "<0.5" },
          { analyte: "XXX", sample: "S1", value: "1" },
          { analyte: "GLU", sample: "S9", value: "1" },
          { analyte: "GLU", sample: "S1", value: "5.6" },
        ]),
      "INVALID_INPUT",
    );
    assert.deepEqual(fieldErrors(error as never), ["GLU/S2/value:censored", "XXX/S1/analyte:unknownAnalyte", "GLU/S9/sample:unknownSample", "GLU/S1/analyte:duplicate"]);
  });

  it("are refused before the round opens, after the deadline (saying when), for unknown or unenrolled labs", async () => {
    await openRound(t.db, 2, "draft");
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }]), "CONFLICT", "notOpen");
    await setRoundStatus(t.db, "R1", "open", "centre");
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], new Date("2025-02-28T00:00:00Z")), "CONFLICT", "notOpen");
    const late = await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], AFTER), "CONFLICT", "deadlinePassed");
    assert.equal((late as { details: Record<string, unknown> }).details.deadline, DEADLINE.toISOString());
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], DURING, "NOPE"), "NOT_FOUND");
    await t.db.lab.create({ data: { code: "L9", name: "x", institution: "0x00", department: "d", level: "other", region: "r" } });
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], DURING, "L9"), "CONFLICT", "notEnrolled");
    // The deadline instant itself is still in time.
    assert.deepEqual(await save([{ analyte: "GLU", sample: "S1", value: "5" }], DEADLINE), { saved: 1 });
  });

  it("refuse analytes the lab is not allowed to test", async () => {
    await openRound(t.db);
    await t.db.lab.update({ where: { code: "L1" }, data: { allowedToTestJson: JSON.stringify({ HBSAG: false }) } });
    const e = await refusedUnchanged(() => save([{ analyte: "HBSAG", sample: "S1", choice: "POS" }]), "INVALID_INPUT");
    assert.deepEqual(fieldErrors(e as never), ["HBSAG/S1/analyte:notAllowedToTest"]);
  });
});

describe("submission and the lock", () => {
  it("requires every required analyte for every sample and the analytes a reported one depends on", async () => {
    await openRound(t.db);
    await save([{ analyte: "HBA1C", sample: "S1", value: "6.1" }, { analyte: "GLU", sample: "S2", value: "5.1" }]);
    const e = await refusedUnchanged(() => submit(), "INVALID_INPUT");
    assert.deepEqual(fieldErrors(e as never), ["GLU/S1/result:missingResult", "HBA1C/S1/requires:dependencyMissing"]);
  });

  it("refuses an empty set", async () => {
    await openRound(t.db);
    const e = await refusedUnchanged(() => submit(), "INVALID_INPUT");
    assert.deepEqual(fieldErrors(e as never), ["//results:missingResult"]);
  });

  it("saves the entries sent with it, locks, and refuses any further change naming the lock", async () => {
    await openRound(t.db);
    const done = await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    assert.deepEqual(done, { submittedAt: DURING, count: 12 });
    const status = await labStatus(t.db, "R1", "L1");
    assert.equal(status.status, "submitted");
    assert.deepEqual(status.lockedAt, DURING);
    const e = await refusedUnchanged(() => submit(), "CONFLICT", "locked");
    assert.equal((e as { details: Record<string, unknown> }).details.lockedAt, DURING.toISOString());
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }]), "CONFLICT", "locked");
    const [audit] = await auditTrail(t.db, { labCode: "L1", limit: 1 });
    assert.equal(audit?.action, "results.submit");
    assert.match(String(audit?.details.fingerprint), /^0x[0-9a-f]{64}$/);
  });

  it("refused with entries changes nothing, not even the entries", async () => {
    await openRound(t.db);
    await refusedUnchanged(() => submit(DURING, "L1", fullSet("S1")), "INVALID_INPUT"); // S2 missing GLU
  });
});

describe("unlock", () => {
  it("approved before the deadline: back to draft, the normal deadline applies", async () => {
    await openRound(t.db);
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    await refusedUnchanged(() => requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: " ", actor: "lab-user", now: DURING }), "INVALID_INPUT");
    const { requestId } = await requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: "GLU S1 typed 56.2 for 5.62", actor: "lab-user", now: DURING });
    await refusedUnchanged(() => requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: "again", actor: "lab-user", now: DURING }), "CONFLICT", "pendingRequest");
    const decision = await decideUnlock(t.db, { requestId, approve: true, actor: "centre", now: DURING });
    assert.deepEqual(decision, { status: "approved", correctionUntil: null });
    assert.equal((await labStatus(t.db, "R1", "L1")).status, "draft");
    await save([{ analyte: "GLU", sample: "S1", value: "5.63" }]);
    await refusedUnchanged(() => decideUnlock(t.db, { requestId, approve: false, note: "x", actor: "centre", now: DURING }), "CONFLICT", "decided");
    await submit();
  });

  it("approved after the deadline: a correction window for that lab only", async () => {
    await openRound(t.db);
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    const { requestId } = await requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: "wrong unit", actor: "lab-user", now: AFTER });
    const { correctionUntil } = await decideUnlock(t.db, { requestId, approve: true, note: "ok", actor: "centre", now: AFTER, correctionHours: 24 });
    assert.deepEqual(correctionUntil, new Date(AFTER.getTime() + 24 * 3_600_000));
    await save([{ analyte: "GLU", sample: "S1", value: "5.64" }], AFTER);
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], AFTER, "L2"), "CONFLICT", "deadlinePassed");
    await refusedUnchanged(() => submit(new Date(AFTER.getTime() + 25 * 3_600_000)), "CONFLICT", "deadlinePassed");
    await submit(AFTER);
    assert.equal((await labStatus(t.db, "R1", "L1")).correctionUntil, null);
  });

  it("rejection needs a note; unlocking needs a lock; an evaluated round is not unlocked", async () => {
    await openRound(t.db);
    await refusedUnchanged(() => requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: "r", actor: "lab", now: DURING }), "CONFLICT", "notLocked");
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    const { requestId } = await requestUnlock(t.db, { roundCode: "R1", labCode: "L1", reason: "r", actor: "lab", now: DURING });
    await refusedUnchanged(() => decideUnlock(t.db, { requestId, approve: false, actor: "centre", now: DURING }), "INVALID_INPUT");
    await setRoundStatus(t.db, "R1", "closed", "centre");
    await setRoundStatus(t.db, "R1", "evaluated", "centre");
    await refusedUnchanged(() => decideUnlock(t.db, { requestId, approve: true, actor: "centre", now: AFTER }), "CONFLICT", "evaluated");
    assert.equal((await decideUnlock(t.db, { requestId, approve: false, note: "evaluated already", actor: "centre", now: AFTER })).status, "rejected");
    assert.equal((await labStatus(t.db, "R1", "L1")).status, "submitted");
  });
});

describe("reset and non-participation", () => {
  it("a reset deletes the lab's results and the audit record keeps them", async () => {
    await openRound(t.db);
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    await refusedUnchanged(() => resetResults(t.db, { roundCode: "R1", labCode: "L1", reason: "", actor: "centre", now: DURING }), "INVALID_INPUT");
    const stored = await t.db.result.findMany({ include: { sample: true }, orderBy: { id: "asc" } });
    assert.deepEqual(await resetResults(t.db, { roundCode: "R1", labCode: "L1", reason: "sample mix-up", actor: "centre", now: DURING }), { deleted: 12 });
    assert.equal(await t.db.result.count(), 0);
    assert.equal((await labStatus(t.db, "R1", "L1")).status, "invited");
    const [audit] = await auditTrail(t.db, { roundCode: "R1", labCode: "L1", limit: 1 });
    assert.equal(audit?.action, "results.reset");
    assert.equal(audit?.details.reason, "sample mix-up");
    assert.equal(audit?.details.previousStatus, "submitted");
    const deleted = audit?.details.deleted as { sample: string; analyte: string; value: unknown }[];
    assert.deepEqual(
      deleted.map((d) => [d.sample, d.analyte, d.value]),
      stored.map((r) => [r.sample.code, r.analyteCode, JSON.parse(r.valueJson)]),
    );
  });

  it("non-participation is refused after submission and gates the report download with submission", async () => {
    await openRound(t.db, 3);
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    await save([{ analyte: "GLU", sample: "S1", value: "5" }], DURING, "L3");
    await refusedUnchanged(() => registerNonParticipation(t.db, { roundCode: "R1", labCode: "L1", reason: "x", actor: "lab", now: DURING }), "CONFLICT", "locked");
    // After the deadline, L2 says why it did not take part; L3's draft is deleted into the audit record.
    await registerNonParticipation(t.db, { roundCode: "R1", labCode: "L2", reason: "analyser broken", actor: "lab", now: AFTER });
    await refusedUnchanged(() => registerNonParticipation(t.db, { roundCode: "R1", labCode: "L2", reason: "again", actor: "lab", now: AFTER }), "CONFLICT", "nonParticipating");
    await refusedUnchanged(() => save([{ analyte: "GLU", sample: "S1", value: "5" }], DURING, "L2"), "CONFLICT", "nonParticipating");
    assert.equal((await registerNonParticipation(t.db, { roundCode: "R1", labCode: "L3", reason: "no sample", actor: "lab", now: AFTER })).draftsDeleted, 1);

    const before = await labStatus(t.db, "R1", "L1");
    assert.equal(before.canDownloadReport, false);
    assert.equal(before.reason?.code, "notPublished");
    for (const s of ["closed", "evaluated"] as const) await setRoundStatus(t.db, "R1", s, "centre");
    // Published from an evaluation (its content does not matter to intake).
    const round = await t.db.round.findUniqueOrThrow({ where: { code: "R1" } });
    await t.db.evaluation.create({ data: { roundId: round.id, version: 1, schemeJson: "{}", resultJson: "{}", computedAt: new Date(), computedBy: "worker" } });
    await setRoundStatus(t.db, "R1", "published", "centre");
    assert.equal((await labStatus(t.db, "R1", "L1")).canDownloadReport, true);
    const l2 = await labStatus(t.db, "R1", "L2");
    assert.equal(l2.canDownloadReport, true);
    assert.equal(l2.nonParticipationReason, "analyser broken");
    // A reset undoes the non-participation: the lab is no longer accounted for.
    await t.db.round.update({ where: { code: "R1" }, data: { status: "closed" } });
    await resetResults(t.db, { roundCode: "R1", labCode: "L2", reason: "registered by mistake", actor: "centre", now: AFTER });
    await t.db.round.update({ where: { code: "R1" }, data: { status: "published" } });
    const l2after = await labStatus(t.db, "R1", "L2");
    assert.equal(l2after.canDownloadReport, false);
    assert.equal(l2after.reason?.code, "notSubmitted");
  });
});

describe("reading a round", () => {
  it("resultsOfRound gives the submitted labs' results by code with their method; intakeCounts agrees", async () => {
    await openRound(t.db, 3);
    await submit(DURING, "L1", [...fullSet("S1"), ...fullSet("S2")]);
    await save([{ analyte: "GLU", sample: "S1", value: "5" }], DURING, "L2");
    await registerNonParticipation(t.db, { roundCode: "R1", labCode: "L3", reason: "no sample", actor: "lab", now: DURING });
    const results = await resultsOfRound(t.db, "R1");
    assert.equal(results.length, 12);
    assert.ok(results.every((r) => r.labCode === "L1"));
    assert.deepEqual(results[0], {
      labCode: "L1",
      sampleCode: "S1",
      analyteCode: "CELL",
      value: { type: "morphology", answers: [{ image: "IMG1", answer: "NEU" }, { image: "IMG2", answer: "LYM" }] },
      method: {},
    });
    assert.deepEqual(results.find((r) => r.analyteCode === "GLU")?.method, { instrument: "Cobas c702", reagent: "Roche", method: "hexokinase" });
    assert.equal((await resultsOfRound(t.db, "R1", { includeDrafts: true })).length, 13);
    assert.deepEqual(await intakeCounts(t.db, "R1"), { enrolled: 3, invited: 0, draft: 1, submitted: 1, nonParticipating: 1, results: 13, submittedResults: 12 });
  });
});
