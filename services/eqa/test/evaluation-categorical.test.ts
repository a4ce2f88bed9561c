// Qualitative, HPV genotyping, microbiology, morphology and trueness evaluation, and the lab-analyte
// pass rules (threshold, own missing results, strict schemes, allowed-to-test), on hand-built rounds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound } from "../src/evaluation/index.ts";
import type { RoundEvaluation, RoundResult, Score } from "../src/evaluation/index.ts";
import type { AnalyteDefinition, EvaluationScheme } from "../src/types.ts";
import { assertClose } from "./helpers.ts";
import { labsOf, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

const SCHEME: EvaluationScheme = { assignedValue: "reference", sigma: "fitnessAbsolute", sigmaValue: 1, outliers: { test: "none", alpha: 0.05 }, score: "z" };

function analyte(code: string, resultType: AnalyteDefinition["resultType"], extra: Partial<AnalyteDefinition> = {}): AnalyteDefinition {
  return { code, name: code, nameEn: code, unit: "", decimals: 0, resultType, scheme: SCHEME, ...extra };
}

function qualitative(lab: string, analyteCode: string, sample: string, choice: string): RoundResult {
  return { labCode: lab, analyteCode, sampleCode: sample, value: { type: "qualitative", choice }, method: {} };
}

function scoreOf(evaluation: RoundEvaluation, lab: string, analyteCode: string, sample = "S1"): Score {
  const score = evaluation.scores.find((s) => s.labCode === lab && s.sampleCode === sample && s.analyteCode === analyteCode);
  assert.ok(score);
  return score;
}

describe("qualitative items", () => {
  it("judges against the expected choice and its acceptable alternatives", () => {
    const evaluation = evaluateRound(
      round({
        analytes: [analyte("HBsAg", "qualitative")],
        samples: [{ code: "S1", expected: { HBsAg: { type: "qualitative", choice: "pos", acceptable: ["weak"] } } }],
        results: [qualitative("L1", "HBsAg", "S1", "pos"), qualitative("L2", "HBsAg", "S1", "weak"), qualitative("L3", "HBsAg", "S1", "neg")],
      }),
    );
    assert.deepEqual(["L1", "L2", "L3"].map((lab) => scoreOf(evaluation, lab, "HBsAg").judgement), ["pass", "pass", "fail"]);
  });

  it("without an expected answer uses the consensus when ≥ 80 % agree, else not evaluated", () => {
    const answers = (choices: string[]) =>
      evaluateRound(round({ analytes: [analyte("HBsAg", "qualitative")], results: choices.map((c, i) => qualitative(`L${i}`, "HBsAg", "S1", c)) }));
    // 4 of 5 = 80 % say pos → consensus pos
    const agreed = answers(["pos", "pos", "pos", "pos", "neg"]);
    assert.equal(scoreOf(agreed, "L4", "HBsAg").judgement, "fail");
    assert.deepEqual(scoreOf(agreed, "L0", "HBsAg").target, { source: "consensus", answers: ["pos"], agreement: 0.8 });
    // 3 of 5 = 60 %: no consensus
    const split = answers(["pos", "pos", "pos", "neg", "neg"]);
    assert.equal(scoreOf(split, "L0", "HBsAg").notEvaluated?.code, "noConsensus");
  });
});

describe("HPV genotyping per sample", () => {
  it("a sample is acceptable only when every genotype call is right", () => {
    const hpv = analyte("HPV", "qualitative", { special: "hpv", choices: [] });
    const calls = (lab: string, sample: string, c: Record<string, string>): RoundResult => ({
      labCode: lab,
      analyteCode: "HPV",
      sampleCode: sample,
      value: { type: "genotyping", calls: Object.entries(c).map(([genotype, call]) => ({ genotype, call })) },
      method: {},
    });
    const evaluation = evaluateRound(
      round({
        round: { code: "T", passThreshold: 0.5 },
        analytes: [hpv],
        samples: [
          { code: "S1", expected: { HPV: { type: "genotyping", calls: { HPV16: "pos", HPV18: "neg" } } } },
          { code: "S2", expected: { HPV: { type: "genotyping", calls: { HPV16: "neg", HPV18: "neg" } } } },
        ],
        results: [
          calls("L1", "S1", { HPV16: "pos", HPV18: "neg" }),
          calls("L1", "S2", { HPV16: "neg", HPV18: "neg" }),
          calls("L2", "S1", { HPV16: "pos", HPV18: "pos" }),
          calls("L2", "S2", { HPV16: "neg", HPV18: "neg" }),
          calls("L3", "S1", { HPV16: "pos" }),
          calls("L3", "S2", { HPV16: "pos", HPV18: "pos" }),
        ],
      }),
    );
    assert.equal(scoreOf(evaluation, "L1", "HPV", "S1").judgement, "pass");
    // one wrong genotype fails the whole sample; 1 of 2 calls right
    assert.equal(scoreOf(evaluation, "L2", "HPV", "S1").judgement, "fail");
    assert.equal(scoreOf(evaluation, "L2", "HPV", "S1").score, 0.5);
    // a missing call counts as wrong
    assert.equal(scoreOf(evaluation, "L3", "HPV", "S1").judgement, "fail");
    // per-sample counting: L2 has 1 of 2 samples acceptable (≥ 0.5 passes), L3 0 of 2
    const standing = (lab: string) => evaluation.labAnalytes.find((s) => s.labCode === lab);
    assert.deepEqual([standing("L2")?.acceptable, standing("L2")?.evaluated, standing("L2")?.passed], [1, 2, true]);
    assert.equal(standing("L3")?.passed, false);
    const single = evaluation.summaries.singleSample.find((r) => r.sampleCode === "S1");
    assert.deepEqual([single?.evaluated, single?.acceptable], [3, 1]);
  });
});

describe("microbiology, morphology and trueness", () => {
  it("microbiology needs the exact organism set and every expected interpretation", () => {
    const micro = analyte("BAC", "microbiology");
    const result = (lab: string, organisms: { code: string; susceptibility?: { antibiotic: string; interpretation: "S" | "R" }[] }[]): RoundResult => ({
      labCode: lab,
      analyteCode: "BAC",
      sampleCode: "S1",
      value: { type: "microbiology", organisms },
      method: {},
    });
    const evaluation = evaluateRound(
      round({
        analytes: [micro],
        samples: [{ code: "S1", expected: { BAC: { type: "microbiology", organisms: ["ECO"], susceptibility: { ECO: { AMP: "R" } } } } }],
        results: [
          result("L1", [{ code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "R" }] }]),
          result("L2", [{ code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "R" }] }, { code: "KPN" }]),
          result("L3", [{ code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "S" }] }]),
        ],
      }),
    );
    assert.equal(scoreOf(evaluation, "L1", "BAC").judgement, "pass");
    assert.equal(scoreOf(evaluation, "L2", "BAC").judgement, "fail"); // extra organism: no partial credit
    const l3 = scoreOf(evaluation, "L3", "BAC");
    assert.equal(l3.judgement, "fail");
    assert.deepEqual(l3.items?.find((i) => i.key === "ECO/AMP"), { key: "ECO/AMP", expected: "R", reported: "S", correct: false });
  });

  it("morphology judges each image; trueness compares the replicate mean with bias %", () => {
    const evaluation = evaluateRound(
      round({
        analytes: [
          analyte("MOR", "morphology", { images: ["i1", "i2"] }),
          analyte("TRU", "trueness", { scheme: { ...SCHEME, allowed: { percent: 3 } }, trueness: { days: 2, replicates: 2 } }),
        ],
        samples: [{ code: "S1", expected: { MOR: { type: "morphology", answers: { i1: "blast", i2: "lymph" } }, TRU: { type: "trueness", value: 5.0 } } }],
        results: [
          { labCode: "L1", analyteCode: "MOR", sampleCode: "S1", value: { type: "morphology", answers: [{ image: "i1", answer: "blast" }, { image: "i2", answer: "lymph" }] }, method: {} },
          { labCode: "L2", analyteCode: "MOR", sampleCode: "S1", value: { type: "morphology", answers: [{ image: "i1", answer: "blast" }, { image: "i2", answer: "mono" }] }, method: {} },
          { labCode: "L1", analyteCode: "TRU", sampleCode: "S1", value: { type: "trueness", replicates: [[5.1, 5.2], [5.0, 5.1]], mean: 5.1 }, method: {} },
          { labCode: "L2", analyteCode: "TRU", sampleCode: "S1", value: { type: "trueness", replicates: [[5.2, 5.2], [5.2, 5.2]], mean: 5.2 }, method: {} },
        ],
      }),
    );
    assert.equal(scoreOf(evaluation, "L1", "MOR").judgement, "pass");
    assert.equal(scoreOf(evaluation, "L2", "MOR").judgement, "fail");
    assert.equal(scoreOf(evaluation, "L2", "MOR").score, 0.5);
    // mean 20.4 / 4 = 5.1; allowed 3 % × 5.0 = 0.15; bias (5.1 − 5.0)/5.0 = 2 %
    const l1 = scoreOf(evaluation, "L1", "TRU");
    assertClose(l1.value ?? NaN, 5.1, 1e-12);
    assertClose(l1.biasPercent ?? NaN, 2, 1e-9);
    assert.equal(l1.judgement, "pass");
    assert.equal(scoreOf(evaluation, "L2", "TRU").judgement, "fail"); // 0.2 > 0.15
  });
});

describe("lab × analyte standing", () => {
  const expected = { GLU: { type: "quantitative" as const, value: 10 } };
  const samples = ["S1", "S2", "S3", "S4", "S5"].map((code) => ({ code, expected }));
  const glu = quantitativeAnalyte("GLU", SCHEME); // σpt = 1/3: |x − 10| ≤ 0.667 satisfactory

  it("passes at acceptable / evaluated ≥ passThreshold, fails on the lab's own missing sample", () => {
    const results = [
      ...["S1", "S2", "S3", "S4"].map((s) => quantitative("L1", "GLU", s, 10)),
      quantitative("L1", "GLU", "S5", 12), // z = 6: unsatisfactory → 4/5 = 0.8 acceptable
      ...["S1", "S2", "S3", "S4"].map((s) => quantitative("L2", "GLU", s, 10)), // S5 missing
    ];
    const evaluation = evaluateRound(round({ analytes: [glu], samples, results }));
    const [l1, l2] = evaluation.labAnalytes;
    assert.deepEqual([l1?.acceptable, l1?.evaluated, l1?.passed], [4, 5, true]);
    assert.deepEqual([l2?.acceptable, l2?.evaluated, l2?.missing, l2?.status], [4, 4, 1, "failed"]);
    assert.deepEqual(evaluation.summaries.missingItems, [{ labCode: "L2", analyteCode: "GLU", sampleCode: "S5" }]);
    const lab1 = evaluation.labs.find((l) => l.labCode === "L1");
    assertClose(lab1?.scorePercent ?? NaN, 80, 1e-9);
  });

  it("strict schemes fail on any error; not-allowed sites are neither evaluated nor failed", () => {
    const abo = analyte("ABO", "qualitative", { special: "strict" });
    const sampleList = ["S1", "S2", "S3"].map((code) => ({ code, expected: { ABO: { type: "qualitative" as const, choice: "A" } } }));
    const results = [
      ...["S1", "S2", "S3"].map((s) => qualitative("L1", "ABO", s, "A")),
      ...["S1", "S2"].map((s) => qualitative("L2", "ABO", s, "A")),
      qualitative("L2", "ABO", "S3", "B"),
      ...["S1", "S2", "S3"].map((s) => qualitative("L3", "ABO", s, "A")),
    ];
    const labs = labsOf(["L1", "L2", "L3"]).map((lab) => (lab.code === "L3" ? { ...lab, allowedToTest: { ABO: false } } : lab));
    const evaluation = evaluateRound(round({ round: { code: "T", passThreshold: 0.6 }, analytes: [abo], samples: sampleList, labs, results }));
    const status = evaluation.labAnalytes.map((s) => [s.labCode, s.status]);
    // L2: 2/3 = 0.67 ≥ 0.6 would pass a normal scheme; strict fails it
    assert.deepEqual(status, [["L1", "passed"], ["L2", "failed"], ["L3", "notAllowed"]]);
    assert.ok(evaluation.scores.filter((s) => s.labCode === "L3").every((s) => s.notEvaluated?.code === "notAllowedToTest"));
    assert.deepEqual(evaluation.summaries.passRateByAnalyte, [{ key: "ABO", analyteCode: "ABO", evaluated: 2, passed: 1, percent: 50 }]);
    const l3 = evaluation.labs.find((l) => l.labCode === "L3");
    assert.deepEqual([l3?.analytesTotal, l3?.analytesPassed, l3?.scorePercent], [0, 0, null]);
  });
});
