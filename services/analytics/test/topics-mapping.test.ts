// The mapping of services/his standard records to the engine's rows: Shanghai calendar dates from
// timestamps with any offset, units and codes kept as given, the sub-district as region, and every
// record that cannot become a row named with its reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localDate, mapStandardRecord, shanghaiDate, subDistrictOf, type MappedRecord } from "../src/topics/index.ts";

const REF = `0x${"ab".repeat(32)}`;
const map = (model: string, content: unknown, extra: { anchorState?: string; residentRef?: string } = {}): MappedRecord =>
  mapStandardRecord({ model, residentRef: extra.residentRef ?? REF, contentJson: typeof content === "string" ? content : JSON.stringify(content), anchorState: extra.anchorState ?? "anchored" });

describe("dates of standard records", () => {
  it("takes the date as written for +08:00 and converts other offsets across midnight", () => {
    const cases: [string, string | null][] = [
      ["2026-10-19T23:59:59+08:00", "2026-10-19"],
      ["2026-10-19T00:00:00+08:00", "2026-10-19"],
      ["2026-10-19T15:59:59Z", "2026-10-19"], // 23:59:59 in Shanghai
      ["2026-10-19T16:00:00Z", "2026-10-20"], // 00:00 the next day
      ["2026-10-19T16:00:00.250+00:00", "2026-10-20"],
      ["2026-10-19T11:30:00-05:00", "2026-10-20"], // 16:30Z → 00:30 in Shanghai
      ["2026-10-20T01:00:00+09:00", "2026-10-20"], // 00:00 in Shanghai
      ["2026-10-20T00:59:00+09:00", "2026-10-19"],
      ["2026-12-31T20:00:00+0000", "2027-01-01"],
      ["2024-02-28T18:00:00Z", "2024-02-29"],
      ["2026-10-19T08:00:00", "2026-10-19"], // no offset: local time
      ["2026-10-19", "2026-10-19"],
      ["2026-02-29T10:00:00+08:00", null],
      ["2026-10-19T24:10:00+08:00", null],
      ["19/10/2026", null],
      ["", null],
    ];
    for (const [text, date] of cases) assert.equal(localDate(text), date, text);
    assert.equal(localDate(20261019), null);
    assert.equal(shanghaiDate(new Date("2026-10-19T16:00:00Z")), "2026-10-20");
  });
});

describe("regions", () => {
  it("is the sub-district, town or township of the address, or null", () => {
    assert.equal(subDistrictOf("上海市浦东新区洋泾街道巨野路982弄33号2304室"), "洋泾街道");
    assert.equal(subDistrictOf("上海市浦东新区东明路街道东明路1882弄49号"), "东明路街道");
    assert.equal(subDistrictOf("上海市浦东新区惠南镇城南路1694弄76号"), "惠南镇");
    assert.equal(subDistrictOf("广西壮族自治区南宁市青秀区新竹街道民族大道1号"), "新竹街道");
    assert.equal(subDistrictOf("上海市长宁区镇宁路405弄"), null);
    assert.equal(subDistrictOf("上海市浦东新区巨野路982弄"), null);
    assert.equal(subDistrictOf(undefined), null);
  });
});

describe("mapping standard records to rows", () => {
  it("maps a patient to a resident: GB/T 2261.1 sex as given, birth date, sub-district", () => {
    assert.deepEqual(map("patient", { sex: "2", birthDate: "1989-12-20", address: "上海市浦东新区洋泾街道巨野路982弄" }), {
      table: "residents",
      row: { resident_ref: REF, sex: "2", birth_date: "1989-12-20", region: "洋泾街道" },
    });
    assert.deepEqual(map("patient", { name: "x" }), { table: "residents", row: { resident_ref: REF, sex: null, birth_date: null, region: null } });
  });

  it("maps events with their local dates, units as given and non-numeric values as null", () => {
    assert.deepEqual(map("diagnosis", { diagnosisCode: "E11.900", diagnosedAt: "2026-10-19T16:30:00Z" }), {
      table: "diagnoses",
      row: { resident_ref: REF, code: "E11.900", at: "2026-10-20" },
    });
    for (const unit of ["10*9/L", "mg/dL", "µmol/L", "umol/L", "mmol/mol"]) {
      const mapped = map("lab-result", { testCode: "2160-0", value: 88, unit, collectedAt: "2026-10-19T12:01:00+08:00" });
      assert.deepEqual(mapped, { table: "labs", row: { resident_ref: REF, loinc: "2160-0", value: 88, unit, at: "2026-10-19" } });
    }
    const value = (v: unknown) => (map("lab-result", { testCode: "6690-2", value: v, unit: "10*9/L", collectedAt: "2026-10-19" }) as { row: { value: unknown } }).row.value;
    assert.equal(value("5.6"), 5.6);
    assert.equal(value("阴性"), null);
    assert.equal(value("<0.5"), null);
    assert.equal(value(undefined), null);
    assert.equal((map("lab-result", { testCode: "6690-2", value: 1, collectedAt: "2026-10-19" }) as { row: { unit: unknown } }).row.unit, null);
    assert.deepEqual(map("prescription", { atc: "A10BA02", prescribedAt: "2026-10-25T09:46:00+08:00" }), {
      table: "medications",
      row: { resident_ref: REF, atc: "A10BA02", at: "2026-10-25" },
    });
    assert.deepEqual(map("encounter", { type: "1", department: "呼吸内科", start: "2026-10-18T23:02:00-01:00" }), {
      table: "encounters",
      row: { resident_ref: REF, type: "1", department: "呼吸内科", at: "2026-10-19" },
    });
  });

  it("names the reason of every record it cannot map", () => {
    const reasons: [MappedRecord, string][] = [
      [map("diagnosis", { diagnosedAt: "2026-10-19" }), "missing-code"],
      [map("diagnosis", { diagnosisCode: "E11.9" }), "missing-date"],
      [map("diagnosis", { diagnosisCode: "E11.9", diagnosedAt: "2026-13-01T08:00:00+08:00" }), "missing-date"],
      [map("lab-result", { testCode: "LEU-20", value: 3, collectedAt: "2026-10-19" }), "not-loinc"],
      [map("lab-result", { testCode: "4548-5", value: 3, collectedAt: "2026-10-19" }), "not-loinc"], // wrong check digit
      [map("lab-result", { localCode: "LEU-20", value: 3, collectedAt: "2026-10-19" }), "missing-code"],
      [map("lab-result", { testCode: "6690-2", value: 3, reportedAt: "2026-10-19" }), "missing-date"],
      [map("prescription", { atc: "metformin", prescribedAt: "2026-10-19" }), "not-atc"],
      [map("prescription", { drugName: "x", prescribedAt: "2026-10-19" }), "missing-code"],
      [map("encounter", { type: "1" }), "missing-date"],
      [map("discharge-summary", { outcome: "1" }), "model-not-in-topics"],
      [map("physical-exam", {}), "model-not-in-topics"],
      [map("diagnosis", { diagnosisCode: "E11.9", diagnosedAt: "2026-10-19" }, { anchorState: "rejected" }), "anchor-rejected"],
      [map("diagnosis", { diagnosisCode: "E11.9", diagnosedAt: "2026-10-19" }, { residentRef: " " }), "missing-resident"],
      [map("diagnosis", "{not json"), "unreadable-content"],
      [map("diagnosis", "[1,2]"), "unreadable-content"],
    ];
    for (const [mapped, reason] of reasons) assert.deepEqual(mapped, { table: null, skipped: reason });
  });
});
