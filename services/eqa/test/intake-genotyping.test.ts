// validateEntry for HPV genotyping (an analyte with special "hpv"): one positive/negative call per
// genotype of the analyte, stored sorted by genotype; every deviation refused per genotype.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateEntry, type ResultEntry } from "../src/intake/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";
import { QUALITATIVE_SCHEME } from "./intake-fixture.ts";

const HPV: AnalyteDefinition = {
  code: "HPV",
  name: "HPV 分型",
  nameEn: "HPV genotyping",
  unit: "",
  decimals: 0,
  resultType: "qualitative",
  special: "hpv",
  choices: [
    { code: "HPV16", label: "HPV16", labelEn: "HPV16" },
    { code: "HPV18", label: "HPV18", labelEn: "HPV18" },
    { code: "HPV52", label: "HPV52", labelEn: "HPV52" },
  ],
  scheme: QUALITATIVE_SCHEME,
};

function run(entry: Partial<ResultEntry>) {
  return validateEntry(HPV, { analyte: "HPV", sample: "S1", ...entry });
}
function refused(entry: Partial<ResultEntry>): string[] {
  const r = run(entry);
  if (r.ok) assert.fail("expected a refusal");
  for (const e of r.errors) {
    assert.deepEqual([e.analyte, e.sample], ["HPV", "S1"]);
    assert.ok(e.message.length > 0);
    assert.match(e.messageZh, /[\u4e00-\u9fff]/);
  }
  return r.errors.map((e) => `${e.field}:${e.code}`);
}

describe("HPV genotyping entries", () => {
  it("store every genotype's call sorted by genotype, whatever the typed order", () => {
    const r = run({
      calls: [
        { genotype: "HPV52", call: "negative" },
        { genotype: " HPV16 ", call: " positive " },
        { genotype: "HPV18", call: "negative" },
      ],
      instrument: "Cobas 4800",
    });
    if (!r.ok) assert.fail(JSON.stringify(r.errors));
    assert.deepEqual(r.value, {
      type: "genotyping",
      calls: [
        { genotype: "HPV16", call: "positive" },
        { genotype: "HPV18", call: "negative" },
        { genotype: "HPV52", call: "negative" },
      ],
    });
    assert.deepEqual(r.method, { instrument: "Cobas 4800" });
  });

  it("refuse a missing genotype, a genotype twice, an unknown genotype and a call other than positive/negative, each by field", () => {
    assert.deepEqual(
      refused({
        calls: [
          { genotype: "HPV16", call: "positive" },
          { genotype: "HPV16", call: "negative" },
          { genotype: "HPV99", call: "negative" },
          { genotype: "HPV18", call: "pos" },
        ],
      }),
      ["calls[1].genotype:duplicate", "calls[2].genotype:unknownChoice", "calls[3].call:unknownChoice", "calls.HPV52:required"],
    );
    assert.deepEqual(
      refused({
        calls: [
          { genotype: "HPV16", call: "" },
          { genotype: "", call: "positive" },
          { genotype: "HPV18", call: "negative" },
          { genotype: "HPV52", call: "negative" },
        ],
      }),
      ["calls[0].call:required", "calls[1].genotype:required"],
    );
  });

  it("refuse no calls at all, calls that are not a list, and a single choice sent instead", () => {
    assert.deepEqual(refused({}), ["calls:required"]);
    assert.deepEqual(refused({ calls: "HPV16+" as never }), ["calls:wrongShape"]);
    assert.deepEqual(refused({ choice: "HPV16" }), ["choice:unexpectedField", "calls:required"]);
  });

  it("an empty list is refused genotype by genotype", () => {
    assert.deepEqual(refused({ calls: [] }), ["calls.HPV16:required", "calls.HPV18:required", "calls.HPV52:required"]);
  });
});
