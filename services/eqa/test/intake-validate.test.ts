// validateEntry: each result type accepted in its stored shape, and each refusal named by field
// and code with English and Chinese messages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateEntry, type ResultEntry } from "../src/intake/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";
import { GLU, HBSAG, MICRO, MORPH, TRUE } from "./intake-fixture.ts";

function refused(analyte: AnalyteDefinition, entry: Partial<ResultEntry>) {
  const r = validateEntry(analyte, { analyte: analyte.code, sample: "S1", ...entry });
  assert.equal(r.ok, false, "expected a refusal");
  if (r.ok) throw new Error("unreachable");
  for (const e of r.errors) {
    assert.equal(e.analyte, analyte.code);
    assert.equal(e.sample, "S1");
    assert.ok(e.message.length > 0);
    assert.match(e.messageZh, /[\u4e00-\u9fff]/);
  }
  return r.errors.map((e) => `${e.field}:${e.code}`);
}
function accepted(analyte: AnalyteDefinition, entry: Partial<ResultEntry>) {
  const r = validateEntry(analyte, { analyte: analyte.code, sample: "S1", ...entry });
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r;
}

describe("quantitative entries", () => {
  it("are rounded to the analyte's decimals by GB/T 8170, keeping the text as typed and the method", () => {
    const r = accepted(GLU, { value: " 5.625 ", uncertainty: "0.05", instrument: " Cobas ", reagent: "" });
    assert.deepEqual(r.value, { type: "quantitative", value: 5.62, text: "5.625", uncertainty: 0.05 });
    assert.deepEqual(r.method, { instrument: "Cobas" });
    assert.deepEqual(accepted(GLU, { value: "1.2345E1" }).value, { type: "quantitative", value: 12.34, text: "1.2345E1" }); // 12.345: 4 even → 12.34
  });
  it("are range-checked in the analyte's unit (inclusive), before rounding", () => {
    assert.deepEqual(refused(GLU, { value: "50.004" }), ["value:aboveMax"]); // rounds to 50.00 but was typed above max
    assert.deepEqual(refused(GLU, { value: "-0.1" }), ["value:belowMin"]);
    assert.equal(accepted(GLU, { value: "50" }).ok, true);
    assert.equal(accepted(GLU, { value: "0" }).ok, true);
  });
  it("refuse censored values, missing values, non-positive uncertainty and fields of other types", () => {
    assert.deepEqual(refused(GLU, { value: "<0.5" }), ["value:censored"]);
    assert.deepEqual(refused(GLU, {}), ["value:required"]);
    assert.deepEqual(refused(GLU, { value: "5", uncertainty: "0" }), ["uncertainty:notPositive"]);
    assert.deepEqual(refused(GLU, { value: "5", choice: "POS" }), ["choice:unexpectedField"]);
    assert.deepEqual(refused(GLU, { value: "5", method: "x".repeat(201) }), ["method:tooLong"]);
  });
  it("keep a log10 analyte's value in its unit and refuse values that have no logarithm", () => {
    const viral: AnalyteDefinition = { ...GLU, code: "HBV", unit: "IU/mL", decimals: 0, min: 1, max: 1e10, scheme: { ...GLU.scheme, log10: true } };
    assert.deepEqual(accepted(viral, { value: "1.2E5" }).value, { type: "quantitative", value: 120000, text: "1.2E5" });
    assert.deepEqual(refused(viral, { value: "0" }), ["value:notPositive"]);
  });
});

describe("qualitative, microbiology, trueness and morphology entries", () => {
  it("qualitative: the choice must be one of the analyte's", () => {
    assert.deepEqual(accepted(HBSAG, { choice: "POS" }).value, { type: "qualitative", choice: "POS" });
    assert.deepEqual(refused(HBSAG, { choice: "WEAK" }), ["choice:unknownChoice"]);
    assert.deepEqual(refused(HBSAG, {}), ["choice:required"]);
  });
  it("microbiology: organisms and susceptibility accepted with MIC and zone as numbers", () => {
    const r = accepted(MICRO, {
      organisms: [
        { code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "r", mic: "32" }, { antibiotic: "CIP", interpretation: "S", zone: "25" }], phenotypes: [{ test: "ESBL", result: "阳性" }] },
        { code: "SAU", susceptibility: [{ antibiotic: "CIP", interpretation: "SDD", mic: "1E-1", zone: "6" }] },
      ],
    });
    assert.deepEqual(r.value, {
      type: "microbiology",
      organisms: [
        { code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "R", mic: 32 }, { antibiotic: "CIP", interpretation: "S", zone: 25 }], phenotypes: [{ test: "ESBL", result: "positive" }] },
        { code: "SAU", susceptibility: [{ antibiotic: "CIP", interpretation: "SDD", mic: 0.1, zone: 6 }] },
      ],
    });
  });
  it("microbiology: every rule refused by field", () => {
    assert.deepEqual(refused(MICRO, { organisms: [] }), ["organisms:required"]);
    assert.deepEqual(refused(MICRO, { organisms: [{ code: "XXX", susceptibility: [{ antibiotic: "AMP", interpretation: "S", mic: "1" }] }] }), ["organisms[0].code:unknownChoice"]);
    const s = [{ antibiotic: "AMP", interpretation: "S", mic: "1" }];
    assert.deepEqual(refused(MICRO, { organisms: [{ code: "ECO", susceptibility: s }, { code: "ECO", susceptibility: s }] }), ["organisms[1].code:duplicate"]);
    assert.deepEqual(refused(MICRO, { organisms: [{ code: "ECO" }] }), ["organisms[0].susceptibility:required"]);
    assert.deepEqual(
      refused(MICRO, {
        organisms: [
          {
            code: "ECO",
            susceptibility: [
              { antibiotic: "VAN", interpretation: "S", mic: "1" },
              { antibiotic: "AMP", interpretation: "X", mic: "0" },
              { antibiotic: "CIP", interpretation: "R", zone: "5" },
              { antibiotic: "CIP", interpretation: "R" },
            ],
          },
        ],
      }),
      [
        "organisms[0].susceptibility[0].antibiotic:unknownChoice",
        "organisms[0].susceptibility[1].interpretation:unknownChoice",
        "organisms[0].susceptibility[1].mic:notPositive",
        "organisms[0].susceptibility[2].zone:belowMin",
        "organisms[0].susceptibility[3].antibiotic:duplicate",
        "organisms[0].susceptibility[3].mic:required",
      ],
    );
    assert.deepEqual(refused(MICRO, { organisms: [{ code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "S", zone: "51" }] }] }), ["organisms[0].susceptibility[0].zone:aboveMax"]);
  });
  it("trueness: exactly days × replicates numbers, mean kept with the raw values", () => {
    const r = accepted(TRUE, { replicates: [["5.01", "5.03", "4.99"], ["5.00", "5.02", "5.04"]] });
    assert.equal(r.value.type, "trueness");
    if (r.value.type !== "trueness") return;
    assert.deepEqual(r.value.replicates, [[5.01, 5.03, 4.99], [5.0, 5.02, 5.04]]);
    // (5.01 + 5.03 + 4.99 + 5.00 + 5.02 + 5.04) / 6 = 30.09 / 6 = 5.015
    assert.ok(Math.abs(r.value.mean - 5.015) < 1e-12);
    assert.deepEqual(refused(TRUE, { replicates: [["5", "5", "5"]] }), ["replicates:wrongShape"]);
    assert.deepEqual(refused(TRUE, { replicates: [["5", "5", "5"], ["5", "abc", "60"]] }), ["replicates[1][1]:notANumber", "replicates[1][2]:aboveMax"]);
  });
  it("morphology: an answer from the choices for every image, none twice, none unknown", () => {
    assert.deepEqual(accepted(MORPH, { answers: [{ image: "IMG2", answer: "LYM" }, { image: "IMG1", answer: "NEU" }] }).value, {
      type: "morphology",
      answers: [{ image: "IMG1", answer: "NEU" }, { image: "IMG2", answer: "LYM" }],
    });
    assert.deepEqual(refused(MORPH, { answers: [{ image: "IMG1", answer: "NEU" }] }), ["answers.IMG2:required"]);
    assert.deepEqual(refused(MORPH, { answers: [{ image: "IMG1", answer: "XXX" }, { image: "IMG2", answer: "LYM" }, { image: "IMG9", answer: "LYM" }] }), [
      "answers[0].answer:unknownChoice",
      "answers[2].image:unknownChoice",
    ]);
  });
});
