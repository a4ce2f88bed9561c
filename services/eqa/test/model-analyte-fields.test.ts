// Analyte definitions' LOINC code (shape and mod-10 check digit) and HPV genotyping constraints, and
// the expected values of HPV genotyping analytes at round creation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { isValidLoinc, loincCheckDigit } from "@health-chain/sdk";
import { expectedValueIssues, validateAnalyteDefinitions, type InputIssue } from "../src/model/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";
import { GLU, HBSAG, MICRO, QUALITATIVE_SCHEME } from "./intake-fixture.ts";

const HPV: AnalyteDefinition = {
  code: "HPV",
  name: "HPV 分型",
  nameEn: "HPV genotyping",
  unit: "",
  decimals: 0,
  resultType: "qualitative",
  special: "hpv",
  choices: ["HPV16", "HPV18", "HPV52"].map((code) => ({ code, label: code, labelEn: code })),
  scheme: QUALITATIVE_SCHEME,
};

function issuesOf(run: () => unknown): InputIssue[] {
  try {
    run();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    return error.details.issues as InputIssue[];
  }
  assert.fail("expected INVALID_INPUT");
}

describe("LOINC codes of analytes", () => {
  it("compute the check digit by the LOINC Users' Guide mod 10 algorithm", () => {
    // By hand, doubling every other digit from the right:
    // 2345: 5→10→1, 4, 3→6, 2 = 13 → 7;  718: 8→16→7, 1, 7→14→5 = 13 → 7;
    // 14771: 1→2, 7, 7→14→5, 4, 1→2 = 20 → 0;  2160: 0→0, 6, 1→2, 2 = 10 → 0.
    // (2345-7 glucose, 718-7 haemoglobin, 2160-0 creatinine are published LOINC codes.)
    assert.deepEqual(["2345", "718", "14771", "2160"].map(loincCheckDigit), [7, 7, 0, 0]);
    assert.equal(isValidLoinc("2345-7"), true);
    assert.equal(isValidLoinc("2345-6"), false);
    assert.equal(isValidLoinc("02345-7"), false); // LOINC numbers have no leading zero
    assert.equal(isValidLoinc("2345-"), false);
  });

  it("are accepted when valid and refused by path when the shape or the check digit is wrong", () => {
    assert.equal(validateAnalyteDefinitions([{ ...GLU, loinc: "2345-7" }])[0]?.loinc, "2345-7");
    const wrongDigit = issuesOf(() => validateAnalyteDefinitions([{ ...GLU, loinc: "2345-6" }]));
    assert.deepEqual(wrongDigit.map((i) => i.path), ["analytes[0].loinc"]);
    assert.match(wrongDigit[0]?.messageZh ?? "", /校验位/);
    for (const bad of ["2345", "LP2345-7", "2345-77", " 2345-7", 2345]) {
      assert.deepEqual(
        issuesOf(() => validateAnalyteDefinitions([{ ...GLU, loinc: bad }])).map((i) => i.path),
        ["analytes[0].loinc"],
        String(bad),
      );
    }
  });
});

describe("HPV genotyping analytes", () => {
  it("are qualitative analytes whose choices are the genotypes; another result type is refused", () => {
    assert.equal(validateAnalyteDefinitions([HPV]).length, 1);
    const micro: AnalyteDefinition = { ...MICRO, code: "HPVM", special: "hpv" };
    assert.deepEqual(issuesOf(() => validateAnalyteDefinitions([micro])).map((i) => i.path), ["analytes[0].special"]);
  });

  it("expect a positive/negative call for every genotype", () => {
    const calls = { HPV16: "positive", HPV18: "negative", HPV52: "negative" };
    const ok = expectedValueIssues(HPV, { type: "genotyping", calls }, "expected.HPV");
    assert.deepEqual(ok, { value: { type: "genotyping", calls }, issues: [] });
  });

  it("refuse a missing or unknown genotype, a call other than positive/negative, and a single qualitative answer", () => {
    const paths = (input: unknown) => expectedValueIssues(HPV, input, "e").issues.map((i) => i.path);
    assert.deepEqual(paths({ type: "genotyping", calls: { HPV16: "positive", HPV18: "negative", HPV99: "negative" } }), ["e.calls.HPV52", "e.calls.HPV99"]);
    assert.deepEqual(paths({ type: "genotyping", calls: { HPV16: "pos", HPV18: "negative", HPV52: "negative" } }), ["e.calls.HPV16"]);
    assert.deepEqual(paths({ type: "qualitative", choice: "HPV16" }), ["e.type"]);
    // and a genotyping answer for an analyte that is not HPV genotyping
    assert.deepEqual(expectedValueIssues(HBSAG, { type: "genotyping", calls: { POS: "positive" } }, "e").issues.map((i) => i.path), ["e.type"]);
  });
});

describe("log10 schemes", () => {
  // A log10 analyte (HBV DNA, IU/mL) is judged in log10 units; 10 % of log10(1000) = 3 is 0.3 log, but
  // 10 % of log10(1 000 000 copies) = 6 is 0.6 log for the same material: the percentage has no meaning.
  const HBV: AnalyteDefinition = {
    ...GLU,
    code: "HBV",
    unit: "IU/mL",
    min: 1,
    max: 1e9,
    scheme: { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "z" },
  };

  it("accept absolute limits in log10 units (allowed.absolute, fitnessAbsolute)", () => {
    const allowed = { ...HBV, scheme: { ...HBV.scheme, log10: true, score: "allowedRange" as const, allowed: { absolute: 0.5 } } };
    assert.equal(validateAnalyteDefinitions([allowed])[0]?.scheme.allowed?.absolute, 0.5);
    const fitness = { ...HBV, scheme: { ...HBV.scheme, log10: true, score: "z" as const, sigma: "fitnessAbsolute" as const, sigmaValue: 0.17 } };
    assert.equal(validateAnalyteDefinitions([fitness])[0]?.scheme.sigma, "fitnessAbsolute");
  });

  it("refuse allowed.percent and sigma fitnessPercent with a typed field error in English and Chinese", () => {
    const percent = { ...HBV, scheme: { ...HBV.scheme, log10: true, score: "allowedRange" as const, allowed: { percent: 10, absolute: 0.5 } } };
    const issues = issuesOf(() => validateAnalyteDefinitions([percent]));
    assert.deepEqual(issues.map((i) => i.path), ["analytes[0].scheme.allowed.percent"]);
    assert.match(issues[0]?.messageZh ?? "", /log10/);
    const fitness = { ...HBV, scheme: { ...HBV.scheme, log10: true, score: "z" as const, sigma: "fitnessPercent" as const, sigmaValue: 10 } };
    const sigmaIssues = issuesOf(() => validateAnalyteDefinitions([fitness]));
    assert.deepEqual(sigmaIssues.map((i) => i.path), ["analytes[0].scheme.sigma"]);
    assert.match(sigmaIssues[0]?.message ?? "", /fitnessAbsolute/);
    // Without log10 the same percentages are the ordinary TEa rules.
    assert.equal(validateAnalyteDefinitions([{ ...fitness, scheme: { ...fitness.scheme, log10: false } }]).length, 1);
  });
});
