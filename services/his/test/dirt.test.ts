// Dirt at the configured rates: duplicates, registration variants, missing fields, late corrections.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_DIRT_RATES, type DirtRates, OPTIONAL_FIELDS, type SyntheticRecord, syntheticRecords } from "../src/index.ts";

interface Observed {
  readonly rates: DirtRates;
  readonly trials: DirtRates;
}

/** The observed share of each kind of dirt, over the records each rate is defined on. */
function observe(records: readonly SyntheticRecord[]): Observed {
  const firsts = records.filter((r) => r.truth.duplicateOf === null && r.corrects === null);
  const clinical = firsts.filter((r) => r.kind !== "patient");
  const patients = firsts.filter((r) => r.kind === "patient");
  const laterRegistrations = patients.length - new Set(patients.map((r) => r.truth.personId)).size;
  const labResults = firsts.filter((r) => r.kind === "lab-result");
  const trials = { duplicate: clinical.length, registrationVariant: laterRegistrations, missingField: firsts.length, lateCorrection: labResults.length };
  const hits = {
    duplicate: records.filter((r) => r.truth.duplicateOf !== null).length,
    registrationVariant: patients.filter((r) => r.truth.registrationVariant !== null).length,
    missingField: firsts.filter((r) => r.truth.missingField !== null).length,
    lateCorrection: records.filter((r) => r.corrects !== null).length,
  };
  const rates = Object.fromEntries(Object.entries(hits).map(([k, n]) => [k, n / trials[k as keyof DirtRates]])) as unknown as DirtRates;
  return { rates, trials };
}

/** Within four standard errors of the binomial proportion. */
function assertNear(observed: Observed, configured: DirtRates): void {
  for (const key of Object.keys(configured) as (keyof DirtRates)[]) {
    const p = configured[key];
    const n = observed.trials[key];
    assert.ok(n >= 1000, `${key}: only ${n} records to measure on`);
    const tolerance = 4 * Math.sqrt((p * (1 - p)) / n) + 0.002;
    assert.ok(Math.abs(observed.rates[key] - p) <= tolerance, `${key}: observed ${observed.rates[key].toFixed(4)}, configured ${p} ± ${tolerance.toFixed(4)}`);
  }
}

const collect = (dirt: Partial<DirtRates>) => [...syntheticRecords({ seed: 5, residents: 1500, eventsPerResident: 3, dirt })];

describe("synthetic dataset: dirt", () => {
  it("puts in each kind of dirt at the configured rates", () => {
    const configured: DirtRates = { duplicate: 0.06, registrationVariant: 0.3, missingField: 0.08, lateCorrection: 0.05 };
    assertNear(observe(collect(configured)), configured);
  });

  it("puts in each kind of dirt at the default rates when none are configured", () => {
    assertNear(observe(collect({})), DEFAULT_DIRT_RATES);
  });

  it("puts in no dirt at rate zero", () => {
    const observed = observe(collect({ duplicate: 0, registrationVariant: 0, missingField: 0, lateCorrection: 0 }));
    assert.deepEqual(observed.rates, { duplicate: 0, registrationVariant: 0, missingField: 0, lateCorrection: 0 });
  });

  it("shapes each kind of dirt as a source would send it", () => {
    const records = collect({ duplicate: 0.1, registrationVariant: 0.5, missingField: 0.1, lateCorrection: 0.1 });
    const byId = new Map(records.map((r) => [r.recordId, r]));
    const truePerson = new Map(records.filter((r) => r.kind === "patient" && r.truth.registrationVariant === null).map((r) => [r.truth.personId, r]));
    for (const record of records) {
      if (record.truth.duplicateOf !== null) {
        const original = byId.get(record.truth.duplicateOf)!;
        assert.equal(record.sourceKey, original.sourceKey);
        assert.deepEqual(record.payload, original.payload);
        assert.ok(record.changedAt > original.changedAt);
      }
      if (record.corrects !== null) {
        const original = byId.get(record.corrects)!;
        assert.equal(record.status, "corrected");
        assert.equal(record.kind, "lab-result");
        assert.equal(record.sourceKey, original.sourceKey);
        assert.ok(record.kind === "lab-result" && original.kind === "lab-result" && record.payload.value !== original.payload.value);
        assert.ok(record.changedAt.slice(0, 10) > original.changedAt.slice(0, 10));
      }
      if (record.truth.missingField !== null) {
        assert.ok((OPTIONAL_FIELDS[record.kind] as readonly string[]).includes(record.truth.missingField));
        assert.equal((record.payload as unknown as Record<string, unknown>)[record.truth.missingField], null);
      }
      if (record.kind === "patient" && record.truth.registrationVariant !== null) {
        const truth = truePerson.get(record.truth.personId);
        if (!truth || truth.kind !== "patient" || truth.truth.missingField !== null || record.truth.missingField !== null) continue;
        if (record.truth.registrationVariant === "name-typo") {
          assert.notEqual(record.payload.name, truth.payload.name);
          assert.equal([...record.payload.name].length, [...truth.payload.name].length);
        } else if (record.truth.registrationVariant === "phone-missing") {
          assert.equal(record.payload.phone, null);
        } else {
          assert.notEqual(record.payload.phone, truth.payload.phone);
        }
      }
    }
  });
});
