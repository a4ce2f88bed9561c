// HPV genotyping end to end: entries validated by the intake and expected calls validated at round
// creation are exactly what the evaluation judges per sample.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound, type RoundExpectedValue, type RoundResult } from "../src/evaluation/index.ts";
import { validateEntry } from "../src/intake/index.ts";
import { expectedValueIssues, validateAnalyteDefinitions } from "../src/model/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";
import { round } from "./evaluation-fixtures.ts";

const HPV: AnalyteDefinition = {
  code: "HPV",
  name: "HPV 分型",
  nameEn: "HPV genotyping",
  unit: "",
  decimals: 0,
  resultType: "qualitative",
  special: "hpv",
  choices: ["HPV16", "HPV18", "HPV52"].map((code) => ({ code, label: code, labelEn: code })),
  // A categorical scheme's numeric parameters are not used; "z" because the evaluation refuses
  // "allowedRange" without allowed limits even for categorical analytes.
  scheme: { assignedValue: "median", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "z" },
};

function entered(lab: string, sample: string, calls: Record<string, string>): RoundResult {
  const r = validateEntry(HPV, { analyte: "HPV", sample, calls: Object.entries(calls).map(([genotype, call]) => ({ genotype, call })) });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return { labCode: lab, analyteCode: "HPV", sampleCode: sample, value: r.value, method: r.method };
}

function expected(calls: Record<string, string>): RoundExpectedValue {
  const r = expectedValueIssues(HPV, { type: "genotyping", calls }, "expected.HPV");
  assert.deepEqual(r.issues, []);
  return r.value as RoundExpectedValue;
}

describe("HPV genotyping from intake to evaluation", () => {
  it("passes a sample only when every entered call matches the expected calls", () => {
    assert.equal(validateAnalyteDefinitions([HPV]).length, 1); // a definition the plan accepts
    const evaluation = evaluateRound(
      round({
        round: { code: "HPV-1", passThreshold: 0.8 },
        analytes: [HPV],
        samples: [
          { code: "S1", expected: { HPV: expected({ HPV16: "positive", HPV18: "negative", HPV52: "negative" }) } },
          { code: "S2", expected: { HPV: expected({ HPV16: "negative", HPV18: "negative", HPV52: "positive" }) } },
        ],
        results: [
          entered("L1", "S1", { HPV52: "negative", HPV18: "negative", HPV16: "positive" }),
          entered("L1", "S2", { HPV16: "negative", HPV18: "negative", HPV52: "positive" }),
          entered("L2", "S1", { HPV16: "positive", HPV18: "negative", HPV52: "negative" }),
          entered("L2", "S2", { HPV16: "negative", HPV18: "negative", HPV52: "negative" }),
        ],
      }),
    );
    const score = (lab: string, sample: string) => evaluation.scores.find((s) => s.labCode === lab && s.sampleCode === sample);
    assert.deepEqual(
      [score("L1", "S1"), score("L1", "S2"), score("L2", "S1"), score("L2", "S2")].map((s) => [s?.kind, s?.judgement]),
      [
        ["genotyping", "pass"],
        ["genotyping", "pass"],
        ["genotyping", "pass"],
        ["genotyping", "fail"],
      ],
    );
    // L2 missed HPV52 in S2: 2 of 3 calls right, judged per genotype in the items.
    assert.equal(score("L2", "S2")?.score, 2 / 3);
    assert.deepEqual(score("L2", "S2")?.items?.filter((i) => !i.correct), [{ key: "HPV52", expected: "positive", reported: "negative", correct: false }]);
    // Per-sample counting against the 0.8 threshold: L1 2/2 passes, L2 1/2 fails.
    const standing = (lab: string) => evaluation.labAnalytes.find((a) => a.labCode === lab);
    assert.deepEqual([standing("L1")?.acceptable, standing("L1")?.evaluated, standing("L1")?.passed], [2, 2, true]);
    assert.deepEqual([standing("L2")?.acceptable, standing("L2")?.evaluated, standing("L2")?.passed], [1, 2, false]);
  });
});
