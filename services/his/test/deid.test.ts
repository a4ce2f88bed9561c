// De-identification (数据加密脱敏): every action on realistic values, per-person date shifting,
// hashing and SM4 encryption with secrets from a provider, policy validation, defaults, nulls.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { createKeyRing, hmacSm3Hex, isPlatformError } from "@health-chain/sdk";
import {
  type DeidPolicy, type DeidRecordInput, type DeidRule, EXAMPLE_DEID_POLICIES, coarsenDeidPolicy, coarsenDeidRule, compileDeidPolicy,
  createDeidSecrets, deidQuasiIdentifiers, deidSecretsFromEnv, exampleDeidPolicy, maskText, openDeidValue, personDateShift,
  truncateAddress, validateDeidPolicy,
} from "../src/deid/index.ts";
import { checkIdNumber, makeIdNumber, syntheticRecords } from "../src/index.ts";

const SECRET_A = randomBytes(32);
const SECRET_B = randomBytes(32);
const KEY_2025 = randomBytes(32);
const secrets = createDeidSecrets({
  secrets: { link: SECRET_A, other: SECRET_B, shift: SECRET_A },
  keys: [{ keyId: "share-2025", key: KEY_2025 }],
});

const REFERENCE = "2025-01-01";

const policyOf = (rules: Record<string, Record<string, DeidRule>>, extra: Partial<DeidPolicy> = {}): DeidPolicy => ({
  name: "test-policy",
  description: { zh: "测试策略", en: "Test policy" },
  rules,
  ...extra,
});

/** Applies one rule to one patient member and returns the output value and what was applied. */
function applyOne(member: string, value: unknown, rule: DeidRule, extra: Partial<DeidPolicy> = {}, record: Partial<DeidRecordInput> = {}) {
  const transform = compileDeidPolicy(policyOf({ patient: { [member]: rule } }, extra), { secrets, referenceDate: REFERENCE });
  const result = transform({ model: "patient", content: { [member]: value }, personId: "person-1", ...record });
  const output = typeof rule === "object" && "as" in rule && rule.as !== undefined ? rule.as : member;
  return { value: result.record.content?.[output], applied: result.applied.filter((a) => a.member.startsWith("patient.")), record: result.record };
}

function expectInvalid(policy: unknown, rule: string): void {
  assert.throws(() => validateDeidPolicy(policy), (error: unknown) => {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    const problems = error.details.problems as { rule: string }[];
    assert.ok(problems.some((p) => p.rule === rule), `expected a problem at ${rule}, got ${problems.map((p) => p.rule).join(", ")}`);
    assert.match(error.message, new RegExp(`rule ${problems[0]!.rule.replace(/[.*]/g, "\\$&")}`));
    assert.ok(error.messageZh.includes(problems[0]!.rule), error.messageZh);
    return true;
  });
}

describe("deid: mask", () => {
  it("masks Chinese names, mobile numbers and GB 11643 ID numbers keeping the configured ends", () => {
    const id = makeIdNumber("310115", "1990-01-01", "male", 123);
    assert.equal(checkIdNumber(id).valid, true);
    assert.equal(applyOne("name", "张三丰", { action: "mask", keepFirst: 1 }).value, "张**");
    assert.equal(applyOne("name", "欧阳娜娜", { action: "mask", keepFirst: 2, char: "某" }).value, "欧阳某某");
    assert.equal(applyOne("phone", "13812345678", { action: "mask", keepFirst: 3, keepLast: 4 }).value, "138****5678");
    assert.equal(applyOne("idNumber", id, { action: "mask", keepFirst: 6, keepLast: 4 }).value, `310115********${id.slice(14)}`);
  });

  it("masks a value entirely when the kept ends would cover it, and counts characters, not UTF-16 units", () => {
    assert.equal(maskText("1234", 3, 4, "*"), "****");
    assert.equal(maskText("张", 1, 0, "*"), "*");
    // 𠀋 (U+2000B) is one character in two UTF-16 units.
    assert.equal(maskText("𠀋三丰", 1, 0, "*"), "𠀋**");
    assert.equal(maskText("张三𠀋", 0, 1, "×"), "××𠀋");
  });
});

describe("deid: replace", () => {
  it("replaces by a constant", () => {
    assert.equal(applyOne("name", "李四", { action: "replace", value: "患者" }).value, "患者");
  });

  it("derives the same pseudonym for the same value and different ones for different values", () => {
    const rule: DeidRule = { action: "replace", pseudonym: { secretId: "link", prefix: "P-", length: 12 } };
    const a = applyOne("name", "王五", rule).value as string;
    assert.match(a, /^P-[0-9a-f]{12}$/);
    assert.equal(applyOne("name", "王五", rule).value, a);
    assert.notEqual(applyOne("name", "王六", rule).value, a);
  });
});

describe("deid: generalise age-band", () => {
  const band = (birthDate: unknown, rule: Partial<{ width: number; top: number; referenceDate: string }> = {}) =>
    applyOne("birthDate", birthDate, { action: "generalise", method: "age-band", as: "ageBand", ...rule });

  it("gives 5-year bands at the reference date, the birthday counting only once reached", () => {
    assert.equal(band("1980-01-01").value, "45-49"); // 45 on 2025-01-01
    assert.equal(band("1980-01-02").value, "40-44"); // still 44
    assert.equal(band("2024-06-30").value, "0-4");
    assert.equal(band("1967-10-24T00:00:00+08:00").value, "55-59");
  });

  it("top-codes old ages and honours the width and a rule's own reference date", () => {
    assert.equal(band("1930-05-05").value, "90+");
    assert.equal(band("1935-01-01").value, "90+");
    assert.equal(band("1935-01-02").value, "85-89");
    assert.equal(band("1975-03-01", { width: 10, top: 80 }).value, "40-49");
    assert.equal(band("1940-03-01", { width: 10, top: 80 }).value, "80+");
    assert.equal(band("1982-03-01", { width: 10, top: 45 }).value, "40-44");
    assert.equal(band("2000-06-01", { referenceDate: "2010-06-01" }).value, "10-14");
  });

  it("turns a birth date after the reference date or a non-date into null, reported as unusable", () => {
    const future = band("2030-01-01");
    assert.equal(future.value, null);
    assert.deepEqual(future.applied.map((a) => [a.outcome, a.reason]), [["unusable", "birth-after-reference"]]);
    const bad = band("1990-02-30");
    assert.equal(bad.value, null);
    assert.equal(bad.applied[0]?.reason, "not-a-date");
  });
});

describe("deid: generalise date-shift", () => {
  const policy = policyOf(
    {
      patient: { birthDate: { action: "generalise", method: "date-shift" } },
      encounter: { start: { action: "generalise", method: "date-shift" }, end: { action: "generalise", method: "date-shift" } },
      "lab-result": { collectedAt: { action: "generalise", method: "date-shift" }, reportedAt: { action: "generalise", method: "date-shift" } },
    },
    { dateShift: { secretId: "shift", maxDays: 30 } },
  );
  const day = (text: string) => Date.parse(`${text.slice(0, 10)}T00:00:00Z`) / 86_400_000;
  const records = (personId: string): DeidRecordInput[] => [
    { model: "patient", personId, content: { birthDate: "1967-10-24" } },
    { model: "encounter", personId, content: { start: "2024-02-24T15:53:00+08:00", end: "2024-03-02T10:00:00+08:00" } },
    { model: "lab-result", personId, content: { collectedAt: "2024-02-25T08:10:00+08:00", reportedAt: "2024-02-27T16:45:30+08:00" } },
  ];
  const dates = (transform: ReturnType<typeof compileDeidPolicy>, personId: string) =>
    records(personId).flatMap((r) => Object.values(transform(r).record.content ?? {}) as string[]);
  const original = records("x").flatMap((r) => Object.values(r.content ?? {}) as string[]);

  it("shifts every date of one person by the same number of days, keeping time of day, offset and intervals", () => {
    const shifted = dates(compileDeidPolicy(policy, { secrets }), "person-1");
    const offsets = shifted.map((s, i) => day(s) - day(original[i]!));
    assert.equal(new Set(offsets).size, 1, `one offset for all dates: ${offsets.join(", ")}`);
    assert.ok(offsets[0] !== 0 && Math.abs(offsets[0]!) <= 30);
    for (const [i, s] of shifted.entries()) assert.equal(s.slice(10), original[i]!.slice(10));
    assert.equal(offsets[0], personDateShift(SECRET_A, "person-1", 30));
  });

  it("differs across persons, stays within ±maxDays and is never 0", () => {
    const shifts = Array.from({ length: 400 }, (_, i) => personDateShift(SECRET_A, `person-${i}`, 30));
    assert.ok(shifts.every((s) => s !== 0 && Math.abs(s) <= 30 && Number.isInteger(s)));
    assert.ok(new Set(shifts).size > 40, `${new Set(shifts).size} distinct offsets among 400 persons`);
    assert.ok(shifts.some((s) => s < 0) && shifts.some((s) => s > 0));
    const transform = compileDeidPolicy(policy, { secrets });
    const a = dates(transform, "person-1");
    const differing = ["person-2", "person-3", "person-4", "person-5"].filter((p) => dates(transform, p)[0] !== a[0]);
    assert.ok(differing.length >= 3);
  });

  it("is reproducible with the secret and changes with another secret", () => {
    const first = dates(compileDeidPolicy(policy, { secrets }), "person-9");
    assert.deepEqual(dates(compileDeidPolicy(policy, { secrets }), "person-9"), first);
    const otherSecrets = createDeidSecrets({ secrets: { shift: SECRET_B } });
    const persons = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const changed = persons.filter((p) => personDateShift(SECRET_A, p, 30) !== personDateShift(SECRET_B, p, 30));
    assert.ok(changed.length >= 15);
    const withB = compileDeidPolicy(policy, { secrets: otherSecrets });
    assert.equal(day(dates(withB, "person-9")[0]!) - day(original[0]!), personDateShift(SECRET_B, "person-9", 30));
  });

  it("crosses month, leap-day and year boundaries on the calendar", () => {
    const personKey = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => personDateShift(SECRET_A, k, 30) === 2)!;
    const transform = compileDeidPolicy(policy, { secrets });
    const out = transform({ model: "lab-result", content: { collectedAt: "2024-02-28T23:10:00+08:00", reportedAt: "2024-12-30" } }, { personKey });
    assert.deepEqual(out.record.content, { collectedAt: "2024-03-01T23:10:00+08:00", reportedAt: "2025-01-01" });
  });

  it("never passes a date through unshifted: no person key or a bad date gives null, reported", () => {
    const transform = compileDeidPolicy(policy, { secrets });
    const noKey = transform({ model: "encounter", content: { start: "2024-02-24T15:53:00+08:00", end: "2024-13-01" } });
    assert.deepEqual(noKey.record.content, { start: null, end: null });
    assert.deepEqual(noKey.applied.map((a) => a.reason), ["no-person-key", "not-a-date"]);
  });
});

describe("deid: generalise date-truncate, address-truncate, numbers", () => {
  it("truncates dates to the month or the year", () => {
    assert.equal(applyOne("d", "2024-06-10T13:40:00+08:00", { action: "generalise", method: "date-truncate", to: "month" }).value, "2024-06");
    assert.equal(applyOne("d", "2024-06-10", { action: "generalise", method: "date-truncate", to: "year" }).value, "2024");
    assert.equal(applyOne("d", "June 2024", { action: "generalise", method: "date-truncate", to: "year" }).value, null);
  });

  it("keeps the province, city or district of Chinese addresses", () => {
    const zj = "上海市浦东新区张江镇祖冲之路887弄12号301室";
    assert.equal(truncateAddress(zj, "district"), "上海市浦东新区");
    assert.equal(truncateAddress(zj, "city"), "上海市");
    assert.equal(truncateAddress(zj, "province"), "上海市");
    assert.equal(truncateAddress("上海浦东新区陆家嘴街道浦东南路100号", "district"), "上海浦东新区");
    const sz = "广东省深圳市南山区粤海街道科技园路1号";
    assert.equal(truncateAddress(sz, "district"), "广东省深圳市南山区");
    assert.equal(truncateAddress(sz, "city"), "广东省深圳市");
    assert.equal(truncateAddress(sz, "province"), "广东省");
    assert.equal(truncateAddress("新疆维吾尔自治区乌鲁木齐市天山区解放南路5号", "district"), "新疆维吾尔自治区乌鲁木齐市天山区");
    assert.equal(truncateAddress("江苏省苏州市昆山市玉山镇前进路8号", "district"), "江苏省苏州市昆山市");
    assert.equal(truncateAddress("内蒙古自治区锡林郭勒盟锡林浩特市额尔敦路", "city"), "内蒙古自治区锡林郭勒盟");
    // 东莞 has no districts: the street is not taken for one, the city is the finest level.
    assert.equal(truncateAddress("广东省东莞市东城街道东纵路208号", "district"), "广东省东莞市");
    assert.equal(truncateAddress("浙江省台州市路桥区路北街道", "district"), "浙江省台州市路桥区");
  });

  it("turns an address without a recognisable province into null, reported", () => {
    const out = applyOne("address", "浦东新区张江镇88号", { action: "generalise", method: "address-truncate", level: "district" });
    assert.equal(out.value, null);
    assert.equal(out.applied[0]?.reason, "address-unrecognised");
  });

  it("truncates every synthetic resident's address to 上海市浦东新区", () => {
    const addresses = [...syntheticRecords({ seed: 5, residents: 60 })].flatMap((r) => (r.kind === "patient" && r.payload.address !== null ? [r.payload.address] : []));
    assert.ok(addresses.length > 50);
    for (const a of addresses) assert.equal(truncateAddress(a, "district"), "上海市浦东新区", a);
  });

  it("rounds numbers to a step and puts them in bands", () => {
    assert.equal(applyOne("w", 73.4, { action: "generalise", method: "number-round", step: 5 }).value, 75);
    assert.equal(applyOne("w", 0.74, { action: "generalise", method: "number-round", step: 0.1 }).value, 0.7);
    assert.equal(applyOne("w", "7.29", { action: "generalise", method: "number-round", step: 1 }).value, 7);
    assert.equal(applyOne("v", 137, { action: "generalise", method: "number-range", width: 20 }).value, "[120,140)");
    const bmi: DeidRule = { action: "generalise", method: "number-range", bounds: [18.5, 24, 28] };
    assert.deepEqual([17, 18.5, 26.6, 31].map((v) => applyOne("bmi", v, bmi).value), ["<18.5", "[18.5,24)", "[24,28)", ">=28"]);
    const labelled: DeidRule = { ...bmi, labels: ["偏瘦", "正常", "超重", "肥胖"] } as DeidRule;
    assert.equal(applyOne("bmi", 26.6, labelled).value, "超重");
    const notNumber = applyOne("w", "七十", { action: "generalise", method: "number-round", step: 5 });
    assert.deepEqual([notNumber.value, notNumber.applied[0]?.reason], [null, "not-a-number"]);
  });
});

describe("deid: hash", () => {
  const id = makeIdNumber("310115", "1975-03-09", "female", 77);

  it("is HMAC-SM3 of the value under the secret: stable, reproducible by a partner, different under another secret", () => {
    const a = applyOne("idNumber", id, { action: "hash", secretId: "link" }).value;
    assert.equal(a, hmacSm3Hex(SECRET_A, new TextEncoder().encode(id)).slice(2));
    assert.equal(applyOne("idNumber", id, { action: "hash", secretId: "link" }).value, a);
    const b = applyOne("idNumber", id, { action: "hash", secretId: "other" }).value;
    assert.match(b as string, /^[0-9a-f]{64}$/);
    assert.notEqual(b, a);
    assert.notEqual(applyOne("idNumber", makeIdNumber("310115", "1975-03-09", "female", 79), { action: "hash", secretId: "link" }).value, a);
  });

  it("links ID numbers written with a lower-case x or spaces when normalised, and truncates on request", () => {
    const withX = "11010519491231002X";
    assert.equal(checkIdNumber(withX).valid, true);
    const rule: DeidRule = { action: "hash", secretId: "link", normalise: "trim-upper", length: 32 };
    const upper = applyOne("idNumber", withX, rule).value;
    assert.equal((upper as string).length, 32);
    assert.equal(applyOne("idNumber", ` ${withX.toLowerCase()} `, rule).value, upper);
    assert.notEqual(applyOne("idNumber", withX.toLowerCase(), { action: "hash", secretId: "link", normalise: "none" }).value, applyOne("idNumber", withX, { action: "hash", secretId: "link", normalise: "none" }).value);
  });
});

describe("deid: SM4 encrypt", () => {
  const id = makeIdNumber("310115", "1988-08-08", "male", 501);

  it("round-trips with the key ring, in every encoding, bound to the member it was written to", () => {
    const ring = createKeyRing([{ keyId: "share-2025", key: KEY_2025 }], "share-2025");
    for (const encoding of ["base64url", "base64", "hex"] as const) {
      const out = applyOne("idNumber", id, { action: "encrypt", keyId: "share-2025", encoding });
      assert.notEqual(out.value, id);
      assert.equal(openDeidValue(ring, out.value as string, "patient.idNumber", encoding), id);
      assert.equal(out.applied[0]?.member, "patient.idNumber");
    }
    const number = applyOne("weightKg", 77.7, { action: "encrypt", keyId: "share-2025" }).value as string;
    assert.equal(openDeidValue(ring, number, "patient.weightKg"), 77.7);
    // A fresh IV each time: equal values do not give equal ciphertexts.
    assert.notEqual(applyOne("idNumber", id, { action: "encrypt", keyId: "share-2025" }).value, applyOne("idNumber", id, { action: "encrypt", keyId: "share-2025" }).value);
  });

  it("fails clearly with a wrong key, a ring without the key id, another member or altered text", () => {
    const text = applyOne("idNumber", id, { action: "encrypt", keyId: "share-2025" }).value as string;
    const wrongKey = createKeyRing([{ keyId: "share-2025", key: randomBytes(32) }], "share-2025");
    assert.throws(() => openDeidValue(wrongKey, text, "patient.idNumber"), (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED"));
    const otherRing = createKeyRing([{ keyId: "share-2024", key: KEY_2025 }], "share-2024");
    assert.throws(() => openDeidValue(otherRing, text, "patient.idNumber"), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID"));
    const ring = createKeyRing([{ keyId: "share-2025", key: KEY_2025 }], "share-2025");
    assert.throws(() => openDeidValue(ring, text, "patient.phone"), (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED"));
    const altered = text.slice(0, -2) + (text.endsWith("AA") ? "BA" : "AA");
    assert.throws(() => openDeidValue(ring, altered, "patient.idNumber"), (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED") || isPlatformError(e, "INVALID_CIPHERTEXT"));
    assert.throws(() => openDeidValue(ring, "not hex", "patient.idNumber", "hex"), (e: unknown) => isPlatformError(e, "INVALID_CIPHERTEXT"));
  });
});

describe("deid: secrets and keys", () => {
  it("refuses to compile when a named secret or key is missing, or a secret is too short, before any record", () => {
    const needsSecret = policyOf({ patient: { idNumber: { action: "hash", secretId: "absent" } } });
    assert.throws(() => compileDeidPolicy(needsSecret), (e: unknown) => isPlatformError(e, "INVALID_INPUT") && /secrets/.test((e as Error).message));
    assert.throws(() => compileDeidPolicy(needsSecret, { secrets }), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID") && e.details.id === "absent");
    const needsKey = policyOf({ patient: { idNumber: { action: "encrypt", keyId: "share-2099" } } });
    assert.throws(() => compileDeidPolicy(needsKey, { secrets }), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID"));
    const needsShift = policyOf({ patient: { birthDate: { action: "generalise", method: "date-shift" } } }, { dateShift: { secretId: "nope", maxDays: 10 } });
    assert.throws(() => compileDeidPolicy(needsShift, { secrets }), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID"));
    assert.throws(() => createDeidSecrets({ secrets: { short: "00112233" } }), (e: unknown) => isPlatformError(e, "INVALID_KEY") && !JSON.stringify((e as { details: unknown }).details).includes("00112233"));
  });

  it("reads secrets and keys from environment variables named after their ids", () => {
    const env = { HIS_DEID_SECRET_RESEARCH_LINK: SECRET_A.toString("hex"), HIS_DEID_KEY_SHARE_2025: KEY_2025.toString("hex") };
    const fromEnv = deidSecretsFromEnv(env);
    assert.deepEqual(Buffer.from(fromEnv.secret("research-link")), SECRET_A);
    assert.equal(fromEnv.keyRing("share-2025").currentKeyId, "share-2025");
    assert.throws(() => fromEnv.secret("research-date-shift"), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID") && /HIS_DEID_SECRET_RESEARCH_DATE_SHIFT/.test((e as Error).message));
  });
});

describe("deid: policy validation", () => {
  const valid = policyOf({ patient: { name: "drop" } });

  it("accepts the shipped example policies", () => {
    for (const name of EXAMPLE_DEID_POLICIES) assert.equal(validateDeidPolicy(exampleDeidPolicy(name)).name, name);
  });

  it("refuses bad rules with INVALID_INPUT naming the rule in English and Chinese", () => {
    expectInvalid(policyOf({ patient: { name: { action: "scramble" } as never } }), "patient.name");
    expectInvalid(policyOf({ patient: { phone: { action: "mask", keepFirst: -1 } } }), "patient.phone");
    expectInvalid(policyOf({ patient: { phone: { action: "mask", keepfirst: 3 } as never } }), "patient.phone");
    expectInvalid(policyOf({ patient: { name: { action: "mask", char: "**" } } }), "patient.name");
    expectInvalid(policyOf({ "lab-result": { collectedAt: { action: "generalise", method: "date-shift" } } }), "lab-result.collectedAt");
    expectInvalid(policyOf({ patient: { birthDate: { action: "generalise", method: "age-band", referenceDate: "2025-02-30" } } }), "patient.birthDate");
    expectInvalid(policyOf({ patient: { idNumber: { action: "hash", secretId: "a secret with spaces" } } }), "patient.idNumber");
    expectInvalid(policyOf({ patient: { idNumber: { action: "encrypt", keyId: "" } } }), "patient.idNumber");
    expectInvalid(policyOf({ patient: { name: { action: "replace", value: "x", pseudonym: { secretId: "link" } } as never } }), "patient.name");
    expectInvalid(policyOf({ patient: { "*": { action: "mask" } } }), "patient.*");
    expectInvalid(policyOf({ vitals: { bmi: { action: "generalise", method: "number-range", width: 5, bounds: [1] } as never } }), "vitals.bmi");
    expectInvalid(policyOf({ vitals: { bmi: { action: "generalise", method: "number-range", bounds: [24, 18.5] } } }), "vitals.bmi");
    expectInvalid(policyOf({ vitals: { bmi: { action: "generalise", method: "number-range", bounds: [18.5, 24], labels: ["a", "b"] } } }), "vitals.bmi");
    expectInvalid(policyOf({ patient: { birthDate: { action: "generalise", method: "age-band", as: "age" }, age: "keep" } }), "patient.age");
    expectInvalid(policyOf({ patient: { name: "drop" } }, { recordFields: { content: "keep" } }), "recordFields.content");
    expectInvalid(policyOf({ patient: { name: "drop" } }, { recordFields: { "*": "keep" } }), "recordFields.*");
    expectInvalid({ ...valid, dateShift: { secretId: "shift", maxDays: 0 } }, "dateShift");
    expectInvalid({ ...valid, personRef: { secretId: "link", length: 4 } }, "personRef");
    expectInvalid({ ...valid, description: { zh: "", en: "x" } }, "description");
    expectInvalid({ ...valid, name: "Research Export" }, "name");
    expectInvalid({ ...valid, defaultAction: "mask" }, "defaultAction");
    expectInvalid({ ...valid, extra: true }, "policy");
  });

  it("reports every problem at once, the first in the message", () => {
    try {
      validateDeidPolicy(policyOf({ patient: { phone: { action: "mask", keepFirst: 99 }, name: { action: "hash" } as never } }));
      assert.fail("expected INVALID_INPUT");
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_INPUT"));
      assert.deepEqual((error.details.problems as { rule: string }[]).map((p) => p.rule), ["patient.phone", "patient.name"]);
      assert.equal(error.details.rule, "patient.phone");
      assert.match(error.message, /keepFirst must be an integer from 0 to 64 \(and 1 more problem\)/);
      assert.match(error.messageZh, /规则 patient\.phone：keepFirst 应为 0 至 64 的整数（另有 1 个问题）/);
    }
  });
});

describe("deid: defaults, record fields, missing members and nulls", () => {
  it("drops members no rule names by default, keeps them when told, and per model with \"*\"", () => {
    const content = { name: "赵六", sex: "female", phone: "13900001111" };
    const drop = compileDeidPolicy(policyOf({ patient: { sex: "keep" } }))({ model: "patient", content });
    assert.deepEqual(drop.record.content, { sex: "female" });
    assert.deepEqual(drop.applied.map((a) => [a.member, a.action, a.by]), [["patient.name", "drop", "default"], ["patient.sex", "keep", "rule"], ["patient.phone", "drop", "default"]]);
    const keep = compileDeidPolicy(policyOf({ patient: { name: "drop" } }, { defaultAction: "keep" }))({ model: "patient", content });
    assert.deepEqual(keep.record.content, { sex: "female", phone: "13900001111" });
    const wildcard = compileDeidPolicy(policyOf({ patient: { "*": "drop", sex: "keep" }, encounter: { department: "drop" } }, { defaultAction: "keep" }));
    assert.deepEqual(wildcard({ model: "patient", content }).record.content, { sex: "female" });
    assert.deepEqual(wildcard({ model: "encounter", content: { type: "outpatient", department: "全科" } }).record.content, { type: "outpatient" });
    // A model the policy does not name falls under the default: nothing of it passes by default.
    assert.deepEqual(compileDeidPolicy(policyOf({ patient: { sex: "keep" } }))({ model: "imaging", content: { modality: "CT" } }).record.content, {});
  });

  it("never keeps a \"__proto__\" member, which would set the output's prototype", () => {
    const transform = compileDeidPolicy(policyOf({ patient: { name: "drop" } }, { defaultAction: "keep" }));
    const record = JSON.parse('{"model":"patient","content":{"__proto__":{"polluted":true},"sex":"male"}}') as DeidRecordInput;
    const out = transform(record).record.content!;
    assert.deepEqual(out, { sex: "male" });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  it("never lets a member kept by default overwrite a rule's output", () => {
    const transform = compileDeidPolicy(
      policyOf({ patient: { birthDate: { action: "generalise", method: "age-band", as: "ageBand" } } }, { defaultAction: "keep" }),
      { referenceDate: REFERENCE },
    );
    const out = transform({ model: "patient", content: { ageBand: "0-4", birthDate: "1980-06-01" } });
    assert.deepEqual(out.record.content, { ageBand: "40-44" });
  });

  it("drops record fields unless named, and adds the person's reference", () => {
    const transform = compileDeidPolicy(policyOf({ patient: { sex: "keep" } }, { recordFields: { institution: "keep" }, personRef: { secretId: "link" } }), { secrets });
    const out = transform({ model: "patient", content: { sex: "male" }, institution: "PD-SH-01", sourceKey: "102094580", recordId: "0xabc", personId: "P1" });
    assert.deepEqual(Object.keys(out.record).sort(), ["content", "institution", "model", "personRef"]);
    assert.match(out.record.personRef as string, /^[0-9a-f]{16}$/);
    assert.equal(transform({ model: "encounter", content: {}, personId: "P1" }).record.personRef, out.record.personRef);
    assert.notEqual(transform({ model: "patient", content: {}, personId: "P2" }).record.personRef, out.record.personRef);
    const noPerson = transform({ model: "patient", content: {} });
    assert.equal(noPerson.record.personRef, null);
    assert.equal(noPerson.applied.at(-1)?.reason, "no-person-key");
  });

  it("keeps null as null and leaves missing members missing, for every action", () => {
    const policy = exampleDeidPolicy("research-export");
    const transform = compileDeidPolicy(policy, { secrets: createDeidSecrets({ secrets: { "research-link": SECRET_A, "research-date-shift": SECRET_B } }), referenceDate: REFERENCE });
    const out = transform({ model: "patient", personId: "P1", content: { name: null, sex: "male", birthDate: null, idNumber: null, address: null } });
    assert.deepEqual(out.record.content, { sex: "male", ageBand: null, idNumber: null, address: null });
    assert.ok(out.applied.filter((a) => a.by === "rule" && a.action !== "drop" && a.member !== "patient.sex").every((a) => a.outcome === "null" || a.member === "personRef"));
    const lab = transform({ model: "lab-result", personId: "P1", content: { value: 5.1, unit: null } });
    assert.deepEqual(lab.record.content, { value: 5.1, unit: null });
    assert.equal(transform({ model: "patient", personId: "P1", content: null }).record.content, null);
    const masks = compileDeidPolicy(exampleDeidPolicy("share-with-doctor"));
    assert.deepEqual(masks({ model: "patient", content: { name: "钱七", phone: null } }).record.content, { name: "钱*", phone: null });
  });

  it("refuses a record that is not { model, content }", () => {
    const transform = compileDeidPolicy(policyOf({ patient: { name: "drop" } }));
    for (const bad of [null, { content: {} }, { model: "patient", content: [] }, { model: "", content: {} }]) {
      assert.throws(() => transform(bad as never), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
    }
  });
});

describe("deid: example policies on the synthetic district", () => {
  const records = [...syntheticRecords({ seed: 11, residents: 40 })];
  const inputs: DeidRecordInput[] = records.map((r) => ({
    model: r.kind, content: r.payload as never, personId: r.truth.personId, institution: r.institutionCode, sourceKey: r.sourceKey,
  }));
  const researchSecrets = createDeidSecrets({ secrets: { "research-link": SECRET_A, "research-date-shift": SECRET_B } });

  it("research-export leaves no name, phone, ID number, street address or source key in the output", () => {
    const transform = compileDeidPolicy(exampleDeidPolicy("research-export"), { secrets: researchSecrets, referenceDate: REFERENCE });
    const strings = new Set<string>();
    JSON.stringify(inputs.map((r) => transform(r).record), (_key, value: unknown) => {
      if (typeof value === "string") strings.add(value);
      return value;
    });
    for (const r of records) {
      if (r.kind === "patient") {
        for (const value of [r.payload.name, r.payload.phone, r.payload.idNumber, r.payload.birthDate, r.payload.address]) {
          if (value !== null) assert.ok(!strings.has(value), `leaked ${value}`);
        }
      }
      assert.ok(!strings.has(r.sourceKey), `leaked source key ${r.sourceKey}`);
      assert.ok(!strings.has(r.truth.personId));
    }
    // Nothing finer than the district of an address survives (弄, 号, 室 are lane, number, flat).
    assert.ok(![...strings].some((s) => /[弄号室]/.test(s)));
  });

  it("research-export links a person's records and an encounter's records through pseudonyms", () => {
    const transform = compileDeidPolicy(exampleDeidPolicy("research-export"), { secrets: researchSecrets, referenceDate: REFERENCE });
    const out = inputs.map((r) => transform(r).record);
    const refsOf = new Map<string, Set<unknown>>();
    for (const [i, r] of records.entries()) {
      const set = refsOf.get(r.truth.personId) ?? new Set();
      set.add(out[i]!.personRef);
      refsOf.set(r.truth.personId, set);
    }
    assert.ok([...refsOf.values()].every((s) => s.size === 1));
    assert.equal(new Set([...refsOf.values()].map((s) => [...s][0])).size, refsOf.size);
    const encounterIndex = records.findIndex((r) => r.kind === "diagnosis");
    const diagnosis = records[encounterIndex]!;
    const encounter = records.findIndex((r) => r.kind === "encounter" && r.sourceKey === (diagnosis.payload as { encounterKey: string }).encounterKey);
    assert.ok(encounter >= 0);
    assert.equal(out[encounter]!.recordKey, out[encounterIndex]!.content?.encounterKey);
  });

  it("lists the quasi-identifiers for the k-anonymity check and coarsens them one step at a time", () => {
    const policy = exampleDeidPolicy("research-export");
    assert.deepEqual(deidQuasiIdentifiers(policy).map((q) => `${q.in}:${q.model ?? "*"}.${q.output}`), [
      "content:patient.sex", "content:patient.ageBand", "content:patient.address", "record:*.institution",
    ]);
    let rule: DeidRule | null = policy.rules.patient!.birthDate!;
    const widths: number[] = [];
    while ((rule = coarsenDeidRule(rule)) !== null) widths.push((rule as { width: number }).width);
    assert.deepEqual(widths, [10, 20, 40]);
    const city = coarsenDeidPolicy(policy, "patient.address")!;
    assert.deepEqual(city.rules.patient!.address, { action: "generalise", method: "address-truncate", level: "city", quasiIdentifier: true });
    assert.equal(coarsenDeidPolicy(coarsenDeidPolicy(city, "patient.address")!, "patient.address"), null);
    assert.deepEqual(coarsenDeidRule({ action: "generalise", method: "date-truncate", to: "month" }), { action: "generalise", method: "date-truncate", to: "year" });
    assert.equal(coarsenDeidRule({ action: "generalise", method: "date-truncate", to: "year" }), null);
    assert.deepEqual(
      coarsenDeidRule({ action: "generalise", method: "number-range", bounds: [18.5, 24, 28], labels: ["偏瘦", "正常", "超重", "肥胖"] }),
      { action: "generalise", method: "number-range", bounds: [18.5, 28], labels: ["偏瘦", "正常/超重", "肥胖"] },
    );
    assert.throws(() => coarsenDeidPolicy(policy, "patient.shoeSize"), (e: unknown) => isPlatformError(e, "NOT_FOUND"));
  });
});
