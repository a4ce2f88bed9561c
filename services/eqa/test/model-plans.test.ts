// Plans, analyte definitions, rounds, labs and round status: what is accepted, and every
// inconsistency refused with its path, changing nothing.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { createPlan, createRound, enrolLabs, getRound, registerLab, setRoundStatus, validateAnalyteDefinitions, type InputIssue } from "../src/model/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";
import { ANALYTES, DEADLINE, GLU, HBA1C, HBSAG, INSTITUTION, MICRO, OPENS, openRound, openTestDb, type TestDb } from "./intake-fixture.ts";

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    assert.match(error.messageZh, /[\u4e00-\u9fff]/);
    return (error.details.issues as InputIssue[]).map((i) => i.path);
  }
  assert.fail("expected INVALID_INPUT");
}

describe("analyte definitions", () => {
  it("accept the fixture's six result types", () => {
    assert.equal(validateAnalyteDefinitions(ANALYTES).length, 6);
  });
  it("refuse shape errors: code, decimals beyond 0..6, unknown fields", () => {
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions([{ ...GLU, code: "a b", decimals: 7, extra: 1 }])), ["analytes[0].code", "analytes[0].decimals", "analytes[0]"]);
  });
  it("refuse inconsistent fields: range, choices, antibiotics, fitness and allowed-range parameters", () => {
    const bad: AnalyteDefinition[] = [
      { ...GLU, code: "A", min: 5, max: 5 },
      { ...HBSAG, code: "B", choices: undefined as never },
      { ...MICRO, code: "C", antibiotics: undefined as never },
      { ...GLU, code: "D", scheme: { ...GLU.scheme, sigmaValue: undefined as never } },
      { ...GLU, code: "E", scheme: { ...GLU.scheme, score: "allowedRange" } },
      { ...GLU, code: "F", scheme: { ...GLU.scheme, assignedValue: "peerConsensus" } },
      { ...GLU, code: "G", resultType: "trueness" },
    ];
    const json = JSON.parse(JSON.stringify(bad)) as unknown; // drops the undefined fields
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions(json)), [
      "analytes[0].min",
      "analytes[1].choices",
      "analytes[2].antibiotics",
      "analytes[3].scheme.sigmaValue",
      "analytes[4].scheme.allowed",
      "analytes[5].scheme.peerGroups",
      "analytes[6].trueness",
      "analytes[6].scheme.score", // a trueness analyte is judged by its allowed bias
    ]);
  });
  it("refuse dependencies outside the plan, on itself, and cycles", () => {
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions([{ ...GLU, requires: ["NOPE"] }])), ["analytes[0].requires"]);
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions([{ ...GLU, requires: ["GLU"] }])), ["analytes[0].requires", "analytes.GLU.requires"]);
    const cycle = [{ ...GLU, requires: ["HBA1C"] }, { ...HBA1C, requires: ["K"] }, { ...GLU, code: "K", requires: ["GLU"] }];
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions(cycle)), ["analytes.GLU.requires"]);
  });
});

describe("plans, rounds and labs in the database", () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await openTestDb();
  });
  afterEach(async () => {
    await t.close();
  });

  it("create a round with its samples and enrolled labs, read back by getRound", async () => {
    await openRound(t.db, 2, "draft");
    const view = await getRound(t.db, "R1");
    assert.equal(view.plan.passThreshold, 0.8);
    assert.deepEqual(view.analytes.map((a) => a.code), ["GLU", "HBA1C", "HBSAG", "ID", "CHOL", "CELL"]);
    assert.deepEqual(view.samples.map((s) => s.code), ["S1", "S2"]);
    assert.deepEqual(view.labs.map((l) => [l.code, l.status]), [["L1", "invited"], ["L2", "invited"]]);
    assert.deepEqual(await enrolLabs(t.db, "R1", ["L1", "L2"], "centre"), { enrolled: 0, alreadyEnrolled: 2 });
  });

  it("refuse a duplicate plan or round code, an unknown plan, a deadline before the opening, unknown labs", async () => {
    await openRound(t.db, 1, "draft");
    const conflict = async (run: () => Promise<unknown>, code: string) => {
      const audit = await t.db.auditEvent.count();
      await assert.rejects(run, (e: unknown) => isPlatformError(e) && e.code === code);
      assert.equal(await t.db.auditEvent.count(), audit);
    };
    await conflict(() => createPlan(t.db, { code: "P1", name: "x", nameEn: "x", year: 2025, analytes: [GLU] }, "c"), "CONFLICT");
    const round = { planCode: "P1", code: "R1", name: "x", opensAt: OPENS, deadline: DEADLINE, samples: [{ code: "S1" }] };
    await conflict(() => createRound(t.db, round, "c"), "CONFLICT");
    await conflict(() => createRound(t.db, { ...round, code: "R2", planCode: "P9" }, "c"), "NOT_FOUND");
    await conflict(() => createRound(t.db, { ...round, code: "R2", deadline: OPENS }, "c"), "INVALID_INPUT");
    await conflict(() => createRound(t.db, { ...round, code: "R2", samples: [{ code: "S1" }, { code: "S1" }] }, "c"), "INVALID_INPUT");
    await conflict(() => enrolLabs(t.db, "R1", ["L1", "L404"], "c"), "NOT_FOUND");
    assert.equal(await t.db.round.count(), 1);
  });

  it("require expected values of the right type for reference-valued analytes", async () => {
    const ref: AnalyteDefinition = { ...GLU, scheme: { ...GLU.scheme, assignedValue: "reference" } };
    await createPlan(t.db, { code: "P2", name: "参考", nameEn: "Reference", year: 2025, analytes: [ref, HBSAG] }, "c");
    const base = { planCode: "P2", code: "R2", name: "x", opensAt: OPENS, deadline: DEADLINE };
    await assert.rejects(
      () => createRound(t.db, { ...base, samples: [{ code: "S1", expected: { GLU: { type: "quantitative", value: 5.5 } } }, { code: "S2" }] }, "c"),
      (e: unknown) => isPlatformError(e, "INVALID_INPUT") && (e.details.issues as InputIssue[])[0]?.path === "samples[1].expected.GLU",
    );
    await assert.rejects(
      () => createRound(t.db, { ...base, samples: [{ code: "S1", expected: { GLU: { type: "quantitative", value: 5.5 }, HBSAG: { type: "qualitative", choice: "MAYBE" } } }] }, "c"),
      (e: unknown) => isPlatformError(e, "INVALID_INPUT") && (e.details.issues as InputIssue[])[0]?.path === "samples[0].expected.HBSAG.choice",
    );
    await createRound(t.db, { ...base, samples: [{ code: "S1", expected: { GLU: { type: "quantitative", value: 5.5, uncertainty: 0.05 } } }] }, "c");
    assert.deepEqual((await getRound(t.db, "R2")).samples[0]?.expected, { GLU: { type: "quantitative", value: 5.5, uncertainty: 0.05 } });
  });

  it("registerLab creates then updates, keeping the previous values in the audit trail; bad addresses refused", async () => {
    const lab = { code: "L1", name: "Lab", institution: INSTITUTION, department: "检验科", level: "tertiary" as const, region: "浦东" };
    assert.equal((await registerLab(t.db, lab, "c")).created, true);
    assert.equal((await registerLab(t.db, { ...lab, level: "secondary", allowedToTest: { GLU: false } }, "c")).created, false);
    const row = await t.db.lab.findUniqueOrThrow({ where: { code: "L1" } });
    assert.equal(row.level, "secondary");
    assert.deepEqual(JSON.parse(row.allowedToTestJson ?? "null"), { GLU: false });
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: "lab.register" }, orderBy: { id: "desc" } });
    assert.equal((JSON.parse(audit.detailsJson) as { previous: { level: string } }).previous.level, "tertiary");
    await assert.rejects(() => registerLab(t.db, { ...lab, institution: "0x12" }, "c"), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
  });

  it("round status moves forward only, and from evaluated back to closed", async () => {
    await openRound(t.db, 1, "draft");
    const refused = (to: Parameters<typeof setRoundStatus>[2]) => assert.rejects(() => setRoundStatus(t.db, "R1", to, "c"), (e: unknown) => isPlatformError(e, "CONFLICT") && e.details.reason === "transition");
    await refused("closed");
    await setRoundStatus(t.db, "R1", "open", "c");
    await refused("draft");
    await setRoundStatus(t.db, "R1", "closed", "c");
    await setRoundStatus(t.db, "R1", "evaluated", "c");
    await setRoundStatus(t.db, "R1", "closed", "c");
    await setRoundStatus(t.db, "R1", "evaluated", "c");
    // Published only from an evaluation that nothing overtook: there must be one, no request still
    // waiting, and no scheme override made after it.
    await refused("published");
    const round = await t.db.round.findUniqueOrThrow({ where: { code: "R1" } });
    const computedAt = new Date("2027-01-01T00:00:00Z");
    await t.db.evaluation.create({ data: { roundId: round.id, version: 1, schemeJson: "{}", resultJson: "{}", computedAt, computedBy: "w" } });
    const request = await t.db.evaluationRequest.create({ data: { roundId: round.id, requestedBy: "c", requestedAt: computedAt } });
    await refused("published");
    await t.db.evaluationRequest.update({ where: { id: request.id }, data: { finishedAt: computedAt } });
    const override = await t.db.schemeOverride.create({ data: { roundId: round.id, analyteCode: "GLU", schemeJson: "{}", reason: "r", actor: "c", at: new Date("2027-01-02T00:00:00Z") } });
    await refused("published");
    await t.db.schemeOverride.delete({ where: { id: override.id } });
    await setRoundStatus(t.db, "R1", "published", "c");
    assert.ok((await t.db.round.findUniqueOrThrow({ where: { code: "R1" } })).publishedAt instanceof Date, "the publication time is kept");
    await refused("closed");
    assert.equal(await t.db.auditEvent.count({ where: { action: "round.status" } }), 6);
  });
});
