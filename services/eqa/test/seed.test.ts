// `eqa seed`'s data part (src/seed), against a temporary SQLite database and without a gateway:
// the demo plans validate, round 1 of each plan is evaluated and published with the standings the
// demo is built to show, round 2 is open for the hospital's entry, and a second run changes nothing.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { migrateEqaDatabase, openEqaDatabase, type EqaDatabase } from "../src/db.ts";
import { validateAnalyteDefinitions } from "../src/model/index.ts";
import { latestEvaluation } from "../src/publication/evaluate.ts";
import { DEMO_LABS, demoEntries, demoPlans, ENTRY_LAB, FAILING_LAB, NON_PARTICIPATING_LAB, seedDemo, type SeedDemoSummary } from "../src/seed/index.ts";

const NOW = new Date("2026-05-20T08:00:00Z");
const DAY_MS = 86_400_000;

describe("the EQA demonstration seed", () => {
  let dir: string;
  let database: EqaDatabase;
  let first: SeedDemoSummary;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqa-seed-"));
    const url = `file:${join(dir, "eqa.db")}`;
    await migrateEqaDatabase(url);
    database = openEqaDatabase(url);
    first = await seedDemo(database.prisma, { now: NOW });
  });

  after(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the demo plans validate: 10 chemistry analytes, and HBsAg, HBV DNA, reticulocytes and ABO", () => {
    const [chemistry, special] = demoPlans(2026);
    assert.equal(validateAnalyteDefinitions(chemistry!.input.analytes).length, 10);
    assert.deepEqual(validateAnalyteDefinitions(special!.input.analytes).map((a) => a.code), ["HBSAG", "HBV-DNA", "RET", "ABO"]);
  });

  test("the results are drawn from a seeded generator: the same every run, another stream per round", () => {
    const [chemistry] = demoPlans(2026);
    assert.deepEqual(demoEntries(chemistry!, 1), demoEntries(chemistry!, 1));
    const value = (round: number) => demoEntries(chemistry!, round).get("L01")!.find((e) => e.analyte === "GLU")!.value;
    assert.notEqual(value(1), value(2));
  });

  test("registers 12 labs, the hospital's two among them with L01 its 检验科", async () => {
    assert.equal(first.labs.created.length, 12);
    const hospital = await database.prisma.lab.findMany({ where: { institution: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" }, orderBy: { code: "asc" } });
    assert.deepEqual(hospital.map((l) => l.code), [ENTRY_LAB, "L02"]);
    assert.equal(hospital[0]!.department, "检验科");
    assert.equal(new Set(DEMO_LABS.map((l) => l.institution)).size, 4, "labs at every dev institution");
  });

  test("chemistry round 1 is published: the biased lab fails potassium only, every other submitted lab passes everything", async () => {
    const round = first.rounds.find((r) => r.code === "CHEM-2026-1")!;
    assert.deepEqual({ status: round.status, enrolled: round.enrolled, submitted: round.submitted, nonParticipating: round.nonParticipating }, { status: "published", enrolled: 12, submitted: 11, nonParticipating: 1 });
    const stored = (await latestEvaluation(database.prisma, "CHEM-2026-1"))!;
    assert.equal(stored.evaluation.consistency.status, "green");
    const failed = stored.evaluation.labAnalytes.filter((a) => a.status !== "passed").map((a) => `${a.labCode}:${a.analyteCode}:${a.status}`);
    // The biased lab reads K 15 % high (TEa 6 %): every one of its five samples out of range.
    assert.deepEqual(failed, [`${FAILING_LAB.lab}:${FAILING_LAB.analyte}:failed`]);
    const failing = stored.evaluation.labAnalytes.find((a) => a.labCode === FAILING_LAB.lab && a.analyteCode === "K")!;
    assert.deepEqual([failing.acceptable, failing.evaluated], [0, 5]);
    for (const lab of stored.evaluation.labs.filter((l) => l.submitted)) {
      assert.deepEqual([lab.analytesPassed, lab.analytesTotal], [lab.labCode === FAILING_LAB.lab ? 9 : 10, 10], lab.labCode);
    }
    const absent = stored.evaluation.labs.find((l) => l.labCode === NON_PARTICIPATING_LAB.lab)!;
    assert.deepEqual([absent.submitted, absent.nonParticipating], [false, true]);
    const enrolment = await database.prisma.enrolment.findFirst({ where: { round: { code: "CHEM-2026-1" }, lab: { code: NON_PARTICIPATING_LAB.lab } } });
    assert.equal(enrolment?.nonParticipationReason, NON_PARTICIPATING_LAB.reason);
  });

  test("special-schemes round 1 is published: every lab passes, the lab not allowed to type blood groups is not judged on ABO", async () => {
    const stored = (await latestEvaluation(database.prisma, "SPEC-2026-1"))!;
    assert.equal(first.rounds.find((r) => r.code === "SPEC-2026-1")?.status, "published");
    const notPassed = stored.evaluation.labAnalytes.filter((a) => a.status !== "passed").map((a) => `${a.labCode}:${a.analyteCode}:${a.status}`);
    assert.deepEqual(notPassed, ["L04:ABO:notAllowed"]);
  });

  test("chemistry round 2 is open for 14 more days, with the hospital's lab still to enter its results", async () => {
    const round = await database.prisma.round.findUnique({ where: { code: "CHEM-2026-2" }, select: { status: true, deadline: true } });
    assert.equal(round?.status, "open");
    assert.equal(round!.deadline.getTime(), NOW.getTime() + 14 * DAY_MS);
    const states = await database.prisma.enrolment.findMany({ where: { round: { code: "CHEM-2026-2" } }, select: { status: true, lab: { select: { code: true } } } });
    const of = (code: string) => states.find((s) => s.lab.code === code)?.status;
    assert.equal(of(ENTRY_LAB), "invited");
    assert.ok(states.filter((s) => s.status === "submitted").length >= 5, "enough labs submitted for a consensus once it closes");
  });

  test("a second run keeps everything as it is and says what it skipped", async () => {
    const count = async () => [await database.prisma.result.count(), await database.prisma.auditEvent.count(), await database.prisma.evaluation.count()];
    const before = await count();
    const again = await seedDemo(database.prisma, { now: new Date(NOW.getTime() + DAY_MS) });
    assert.deepEqual(await count(), before);
    assert.deepEqual(again.labs.created, []);
    assert.ok(again.plans.every((p) => !p.created));
    assert.ok(again.rounds.every((r) => r.steps.length === 0));
    assert.equal(again.skipped.length, 6, again.skipped.join("\n"));
  });
});
