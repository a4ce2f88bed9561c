// The synthetic district dataset: reproducible, identities valid, code systems consistent, day slices exact.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import {
  DISTRICT_REGION_CODE, LAB_TESTS, LAB_TEST_BY_KEY, type SyntheticOptionsInput, checkIdNumber, syntheticDistrict, syntheticRecords,
  syntheticRecordsOfDay,
} from "../src/index.ts";

const collect = (options: SyntheticOptionsInput) => [...syntheticRecords(options)];

const SMALL = { seed: 42, residents: 150 } as const;

describe("synthetic dataset: determinism", () => {
  it("gives byte-identical JSON for the same seed and options", () => {
    assert.equal(JSON.stringify(collect(SMALL)), JSON.stringify(collect(SMALL)));
  });

  it("gives a different dataset for a different seed", () => {
    const a = collect(SMALL);
    const b = collect({ ...SMALL, seed: 43 });
    assert.notEqual(JSON.stringify(a), JSON.stringify(b));
    assert.notDeepEqual(a.slice(0, 5).map((r) => r.payload), b.slice(0, 5).map((r) => r.payload));
  });

  it("generates each resident independently of how many follow", () => {
    const fewer = collect({ ...SMALL, residents: 40 });
    const more = collect({ ...SMALL, residents: 80 });
    assert.deepEqual(more.slice(0, fewer.length), fewer);
  });

  it("gives every transmission its own recordId", () => {
    const records = collect(SMALL);
    assert.equal(new Set(records.map((r) => r.recordId)).size, records.length);
  });
});

describe("synthetic dataset: residents", () => {
  it("registers residents with valid ID numbers consistent with their sex and birth date", () => {
    const patients = collect({ ...SMALL, dirt: { missingField: 0 } }).filter((r) => r.kind === "patient");
    assert.ok(patients.length > SMALL.residents);
    for (const { payload } of patients) {
      assert.ok(payload.idNumber !== null);
      assert.deepEqual(checkIdNumber(payload.idNumber), {
        valid: true, regionCode: DISTRICT_REGION_CODE, birthDate: payload.birthDate, sex: payload.sex,
      });
      assert.match(payload.name, /^[\u4e00-\u9fff]{2,4}$/);
      if (payload.phone !== null) assert.match(payload.phone, /^1(3\d|47|5[0-35-9]|66|7[35-8]|8\d|9[189])\d{8}$/);
      assert.match(payload.address ?? "", /^上海市浦东新区/);
    }
  });

  it("gives different people different ID numbers and one person the same number everywhere", () => {
    const patients = collect({ ...SMALL, dirt: { missingField: 0 } }).filter((r) => r.kind === "patient");
    const idOf = new Map<string, string>();
    const personOf = new Map<string, string>();
    for (const { payload, truth } of patients) {
      assert.equal(idOf.get(truth.personId) ?? payload.idNumber, payload.idNumber);
      assert.equal(personOf.get(payload.idNumber!) ?? truth.personId, truth.personId);
      idOf.set(truth.personId, payload.idNumber!);
      personOf.set(payload.idNumber!, truth.personId);
    }
  });
});

describe("synthetic dataset: district and code systems", () => {
  it("has 15 community health centres, 8 secondary and 2 tertiary hospitals", () => {
    const { institutions } = syntheticDistrict(SMALL);
    const count = (level: string) => institutions.filter((i) => i.level === level).length;
    assert.deepEqual([count("community"), count("secondary"), count("tertiary")], [15, 8, 2]);
    assert.equal(new Set(institutions.map((i) => i.code)).size, 25);
    for (const institution of institutions) assert.equal(institution.labDictionary.length, LAB_TESTS.length);
  });

  it("codes the same test differently at every institution, and some report it in another unit", () => {
    const { institutions } = syntheticDistrict(SMALL);
    for (const test of LAB_TESTS) {
      const lines = institutions.map((i) => i.labDictionary.find((line) => line.testKey === test.key)!);
      assert.equal(new Set(lines.map((line) => line.localCode)).size, institutions.length, test.key);
      if (test.units.length > 1) assert.ok(new Set(lines.map((line) => line.unit)).size > 1, test.key);
    }
  });

  it("carries a LOINC code and an allowed unit on every lab result, under the institution's local code", () => {
    const { institutions } = syntheticDistrict(SMALL);
    const dictionaries = new Map(institutions.map((i) => [i.code, i.labDictionary]));
    const results = collect({ ...SMALL, dirt: { missingField: 0 } }).filter((r) => r.kind === "lab-result");
    assert.ok(results.length > 1000);
    const glucoseUnits = new Set<string>();
    for (const { payload, truth, institutionCode } of results) {
      const test = LAB_TEST_BY_KEY.get(truth.testKey ?? "");
      assert.ok(test, `unknown test ${truth.testKey}`);
      const unit = test.units.find((u) => u.unit === payload.unit);
      assert.ok(unit, `${payload.unit} is not a unit of ${test.key}`);
      assert.equal(truth.loinc, unit.loinc);
      const line = dictionaries.get(institutionCode)!.find((l) => l.localCode === payload.localCode);
      assert.equal(line?.testKey, test.key);
      assert.ok(Number.isFinite(payload.value) && payload.value > 0);
      if (test.key === "GLU") glucoseUnits.add(payload.unit!);
    }
    assert.deepEqual([...glucoseUnits].sort(), ["mg/dL", "mmol/L"]);
  });

  it("shows the diabetics' HbA1c above the healthy range and the others' mostly inside it", () => {
    const records = collect(SMALL);
    const diabetics = new Set(records.filter((r) => r.kind === "diagnosis" && r.payload.icd10 === "E11.9").map((r) => r.truth.personId));
    const hba1c = records.flatMap((r) =>
      r.kind === "lab-result" && r.truth.testKey === "HBA1C" && r.payload.unit === "%" && r.status === "final" ? [r] : [],
    );
    const diabetic = hba1c.filter((r) => diabetics.has(r.truth.personId));
    const others = hba1c.filter((r) => !diabetics.has(r.truth.personId));
    const shareAbove6 = (list: typeof hba1c) => list.filter((r) => r.payload.value > 6.0).length / list.length;
    assert.ok(diabetic.length > 0);
    assert.ok(shareAbove6(diabetic) > 0.9);
    if (others.length > 0) assert.ok(shareAbove6(others) < 0.2);
  });
});

describe("synthetic dataset: day slices", () => {
  it("yields exactly the records changed on that day, China Standard Time", () => {
    const options = { seed: 9, residents: 300, from: "2024-03-01", days: 10 };
    const all = collect(options);
    const day = "2024-03-05";
    const slice = [...syntheticRecordsOfDay(options, day)];
    assert.ok(slice.length > 0);
    assert.deepEqual(slice, all.filter((r) => r.changedAt.slice(0, 10) === day));
    for (const record of slice) assert.match(record.changedAt, /^2024-03-05T\d{2}:\d{2}:00\+08:00$/);
  });

  it("refuses a malformed day and bad options with INVALID_INPUT naming each problem", () => {
    assert.throws(() => [...syntheticRecordsOfDay(SMALL, "2024-02-30")], (error) => isPlatformError(error, "INVALID_INPUT"));
    assert.throws(
      () => syntheticRecords({ residents: 0, days: 1.5, dirt: { duplicate: 2 } }).next(),
      (error) => {
        assert.ok(isPlatformError(error, "INVALID_INPUT"));
        const keys = (error.details.problems as { key: string }[]).map((p) => p.key).sort();
        assert.deepEqual(keys, ["days", "dirt.duplicate", "residents"]);
        return true;
      },
    );
  });
});
