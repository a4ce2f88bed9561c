// The intake's plain-SQL paths (enrolment check, result insert, audit insert, resultsOfRound) on
// PostgreSQL: the same statements must work on both providers.
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { startPostgres } from "../../../test/helpers/postgres.ts";
import { migrateEqaDatabase, openEqaDatabase } from "../src/db.ts";
import { auditTrail, intakeCounts, labStatus, requestUnlock, decideUnlock, resetResults, resultsOfRound, saveResults, submitResults } from "../src/intake/index.ts";
import { AFTER, DURING, fullSet, openRound } from "./intake-fixture.ts";

const postgres = startPostgres();
after(async () => {
  await (await postgres).stop();
});

it("saves, submits, unlocks late, resets and reads a round on PostgreSQL", async () => {
  const url = await (await postgres).createDatabase("eqa_intake_flow");
  await migrateEqaDatabase(url);
  const database = openEqaDatabase(url);
  const db = database.prisma;
  try {
    await openRound(db, 2);
    await saveResults(db, { roundCode: "R1", labCode: "L1", entries: fullSet("S1"), actor: "u", now: DURING });
    await saveResults(db, { roundCode: "R1", labCode: "L1", entries: [{ analyte: "GLU", sample: "S1", value: "5.635" }], actor: "u", now: DURING });
    assert.deepEqual(await submitResults(db, { roundCode: "R1", labCode: "L1", entries: fullSet("S2"), actor: "u", now: DURING }), { submittedAt: DURING, count: 12 });
    const results = await resultsOfRound(db, "R1");
    assert.equal(results.length, 12);
    assert.deepEqual(results.find((r) => r.analyteCode === "GLU" && r.sampleCode === "S1")?.value, { type: "quantitative", value: 5.64, text: "5.635" });
    assert.deepEqual((await labStatus(db, "R1", "L1")).lockedAt, DURING);
    const { requestId } = await requestUnlock(db, { roundCode: "R1", labCode: "L1", reason: "typo", actor: "u", now: AFTER });
    const { correctionUntil } = await decideUnlock(db, { requestId, approve: true, actor: "centre", now: AFTER });
    assert.ok(correctionUntil !== null && correctionUntil > AFTER);
    await submitResults(db, { roundCode: "R1", labCode: "L1", actor: "u", now: AFTER });
    await saveResults(db, { roundCode: "R1", labCode: "L2", entries: fullSet("S1"), actor: "u", now: DURING });
    assert.deepEqual(await resetResults(db, { roundCode: "R1", labCode: "L2", reason: "mix-up", actor: "centre", now: AFTER }), { deleted: 6 });
    assert.deepEqual(await intakeCounts(db, "R1"), { enrolled: 2, invited: 1, draft: 0, submitted: 1, nonParticipating: 0, results: 12, submittedResults: 12 });
    const [reset] = await auditTrail(db, { labCode: "L2", limit: 1 });
    assert.equal((reset?.details.deleted as unknown[]).length, 6);
  } finally {
    await database.close();
  }
});
