import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compileDeidPolicy, createDeidSecrets, exampleDeidPolicy, validateDeidPolicy, type DeidPolicy, type DeidPolicyVersion,
} from "@health-chain/his";
import { fingerprint, isPlatformError, sm3Hex } from "@health-chain/sdk";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import {
  buildExport, packagesAffectedByRevocation, type BuildExportOptions, type ConsentCheckAnswer, type ConsentCheckItem, type ConsentPort,
  type ExportResult, type ExportSourceRecord,
} from "../src/exports/index.ts";
import { mulberry32, type Rng } from "../src/synthetic/random.ts";
import { assertInvalidInput } from "./helpers.ts";

// ---------------------------------------------------------------- fixture: standard records

const REFERENCE = "2025-01-01";
const AT = new Date("2025-03-01T02:00:00Z");
const PROJECT = { id: keccak256(stringToHex("health-chain:project:DM-2025-017")), title: "2型糖尿病血糖控制队列研究" };
const SECRETS = createDeidSecrets({ secrets: { "research-link": "11".repeat(32), "research-date-shift": "22".repeat(32) } });
const ZERO: Hex = `0x${"0".repeat(64)}`;

const id = (text: string): Hex => keccak256(stringToHex(text));
const fieldId = (name: string): Hex => id(`field:${name}`);

/** The consent field of each member, as services/his maps the standard models (fieldsJson). */
const FIELD_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  patient: {
    institutionCode: "record.source", patientId: "record.source", name: "identity.name", sex: "demographics", birthDate: "demographics",
    idNumber: "identity.id-number", phone: "contact.phone", address: "home-address",
  },
  encounter: { institutionCode: "record.source", patientId: "record.source", encounterKey: "record.source", type: "encounter", department: "encounter", start: "encounter", end: "encounter" },
  diagnosis: {
    institutionCode: "record.source", patientId: "record.source", encounterKey: "record.source", diagnosisCode: "diagnosis", diagnosisName: "diagnosis",
    diagnosisType: "diagnosis", diagnosedAt: "diagnosis",
  },
  "lab-result": {
    institutionCode: "record.source", patientId: "record.source", encounterKey: "record.source", testCode: "lab.result.test", localCode: "lab.result.test",
    testName: "lab.result.test", value: "lab.result.value", unit: "lab.result.unit", referenceRange: "lab.result.reference-range",
    abnormalFlag: "lab.result.value", collectedAt: "lab.result.test", reportedAt: "lab.result.test",
  },
};
const ALL_FIELDS = [...new Set(Object.values(FIELD_NAMES).flatMap((members) => Object.values(members)))];

interface PersonSpec {
  readonly sex: "1" | "2";
  /** Age in years on the reference date. */
  readonly age: number;
  readonly district: string;
  readonly institutions: readonly string[];
}

interface Person extends PersonSpec {
  readonly index: number;
  readonly residentRef: Hex;
  readonly wallet: Address;
  readonly name: string;
  readonly birthDate: string;
  readonly idNumber: string;
  readonly phone: string;
  readonly address: string;
}

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"];
const GIVEN = ["秀英", "建国", "桂兰", "志强", "海燕", "伟", "敏", "静", "磊", "丽娟"];
const STREETS: Readonly<Record<string, readonly string[]>> = {
  浦东新区: ["洋泾街道巨野路", "花木街道锦绣路", "陆家嘴街道东昌路"],
  黄浦区: ["外滩街道福州路", "南京东路街道浙江中路"],
  徐汇区: ["天平路街道衡山路", "湖南路街道武康路"],
};
const pad = (n: number, width: number) => String(n).padStart(width, "0");
const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)]!;

function person(rng: Rng, index: number, spec: PersonSpec): Person {
  // Born in 2024 − age, after 1 January: exactly `age` years old on 2025-01-01.
  const birthDate = `${2024 - spec.age}-${pad(2 + rng.int(11), 2)}-${pad(1 + rng.int(28), 2)}`;
  const lane = `${100 + rng.int(1900)}弄${1 + rng.int(80)}号${1 + rng.int(25)}0${1 + rng.int(4)}室`;
  return {
    ...spec,
    index,
    residentRef: id(`resident:${index}`),
    wallet: `0x${id(`wallet:${index}`).slice(26)}` as Address,
    name: pick(rng, SURNAMES) + pick(rng, GIVEN),
    birthDate,
    idNumber: `310115${birthDate.replaceAll("-", "")}${pad(rng.int(1000), 3)}${rng.int(10)}`,
    phone: `13${pad(rng.int(1e9), 9)}`,
    address: `上海市${spec.district}${pick(rng, STREETS[spec.district]!)}${lane}`,
  };
}

function record(p: Person, institution: string, model: string, sourceKey: string, content: Record<string, unknown>): ExportSourceRecord {
  const fields = Object.fromEntries(Object.keys(content).map((member) => [member, fieldId(FIELD_NAMES[model]![member]!)]));
  return { institution, recordId: id(`record:${institution}:${model}:${sourceKey}`), residentRef: p.residentRef, resident: p.wallet, category: id(`category:${model}`), model, sourceKey, content, fields };
}

/** A resident's records at each institution: patient, an encounter, its diabetes diagnosis and an HbA1c. */
function recordsOf(rng: Rng, p: Person): ExportSourceRecord[] {
  return p.institutions.flatMap((institution, visit) => {
    const patientId = `${institution.slice(3, 5)}${pad(p.index, 6)}`;
    const encounterKey = `${patientId}-M00${visit + 1}`;
    const day = `2024-${pad(3 + rng.int(9), 2)}-${pad(1 + rng.int(28), 2)}`;
    const source = { institutionCode: institution, patientId };
    const hba1c = Math.round((5.5 + rng.next() * 4) * 10) / 10;
    return [
      record(p, institution, "patient", patientId, { ...source, name: p.name, sex: p.sex, birthDate: p.birthDate, idNumber: p.idNumber, phone: p.phone, address: p.address }),
      record(p, institution, "encounter", encounterKey, { ...source, encounterKey, type: "1", department: "内分泌科", start: `${day}T09:12:00+08:00` }),
      record(p, institution, "diagnosis", `${encounterKey}-D1`, {
        ...source, encounterKey, diagnosisCode: "E11.9", diagnosisName: "2型糖尿病", diagnosisType: "1", diagnosedAt: `${day}T09:40:00+08:00`,
      }),
      record(p, institution, "lab-result", `${encounterKey}-L1`, {
        ...source, encounterKey, testCode: "4548-4", localCode: "HBA1C", testName: "糖化血红蛋白", value: hba1c, unit: "%", referenceRange: "4.0-6.0",
        abnormalFlag: hba1c > 6 ? "H" : "N", collectedAt: `${day}T10:05:00+08:00`, reportedAt: `${day}T14:30:00+08:00`,
      }),
    ];
  });
}

function district(seed: number, specs: readonly PersonSpec[]): { people: Person[]; records: ExportSourceRecord[] } {
  const rng = mulberry32(seed);
  const people = specs.map((spec, index) => person(rng, index, spec));
  return { people, records: people.flatMap((p) => recordsOf(rng, p)) };
}

/** `size` residents alike in every quasi-identifier (ages within one 5-year band). */
function group(size: number, spec: Omit<PersonSpec, "age"> & { band: number }): PersonSpec[] {
  return Array.from({ length: size }, (_, i) => ({ sex: spec.sex, district: spec.district, institutions: spec.institutions, age: spec.band + (i % 5) }));
}

// ---------------------------------------------------------------- fakes: consent registry, policy publication

/** ConsentRegistry as the gateway's port sees it: grants per resident per field, revocable. */
class FakeConsentRegistry implements ConsentPort {
  readonly grants = new Map<string, Map<Hex, Hex>>();
  readonly revoked = new Set<Hex>();
  readonly calls: { projectId: Hex; items: readonly ConsentCheckItem[]; at: Date }[] = [];

  grant(p: Person, fields: readonly string[] = ALL_FIELDS, label = "all"): Hex {
    const grantId = id(`grant:${p.index}:${label}`);
    const held = this.grants.get(p.wallet.toLowerCase()) ?? new Map<Hex, Hex>();
    for (const field of fields) held.set(fieldId(field), grantId);
    this.grants.set(p.wallet.toLowerCase(), held);
    return grantId;
  }

  async check(projectId: Hex, items: readonly ConsentCheckItem[], at: Date): Promise<ConsentCheckAnswer[]> {
    this.calls.push({ projectId, items, at });
    return items.map((item) => {
      const held = this.grants.get(item.resident.toLowerCase());
      const grants = item.fields.map((field) => held?.get(field) ?? ZERO).map((grant) => (this.revoked.has(grant) ? ZERO : grant));
      return { allowed: grants.map((grant) => grant !== ZERO), grantIds: grants };
    });
  }
}

function versionOf(policy: DeidPolicy, version: number): DeidPolicyVersion {
  const value = validateDeidPolicy(policy);
  return { kind: "deid-policy", name: value.name, version, hash: fingerprint(value as never), active: true, createdBy: "admin.wang", note: null, createdAt: AT, value };
}

/** Publishes each coarser policy as the next version, as the gateway does through services/his. */
function fakePublisher(start: number) {
  const published: DeidPolicyVersion[] = [];
  return {
    published,
    coarsen: async (policy: DeidPolicy) => {
      const version = versionOf(policy, start + published.length + 1);
      published.push(version);
      return version;
    },
  };
}

const POLICY = versionOf(exampleDeidPolicy("research-export"), 1);

function options(records: readonly ExportSourceRecord[], people: readonly Person[], consent: ConsentPort, extra: Partial<BuildExportOptions> = {}): BuildExportOptions {
  return {
    exportId: "EXP-2025-017-01", project: PROJECT, cohort: people.map((p) => p.residentRef), records, consent, policy: POLICY, secrets: SECRETS,
    referenceDate: REFERENCE, at: AT, ...extra,
  };
}

function built(result: ExportResult): Extract<ExportResult, { status: "built" }> {
  assert.equal(result.status, "built", result.status === "refused" ? result.message.en : "");
  return result as Extract<ExportResult, { status: "built" }>;
}

interface PackageRecord {
  model: string;
  content: Record<string, unknown> | null;
  personRef: string;
  institution: string;
  recordKey: string;
}
const packageOf = (result: { bytes: Uint8Array }) => JSON.parse(new TextDecoder().decode(result.bytes)) as { records: PackageRecord[]; [key: string]: unknown };

/** The personRef the policy gives a resident (his's transform, independent of the export code). */
function personRefOf(p: Person): string {
  const transform = compileDeidPolicy(POLICY.value, { secrets: SECRETS, referenceDate: REFERENCE });
  return transform({ model: "patient", content: {} }, { personKey: p.residentRef.toLowerCase() }).record.personRef as string;
}

// Three groups of 6 residents alike in sex, age band, district and institution: k = 5 holds with one to spare.
const GROUPS: PersonSpec[] = [
  ...group(6, { sex: "2", band: 40, district: "浦东新区", institutions: ["PD-SH-05"] }),
  ...group(6, { sex: "1", band: 55, district: "黄浦区", institutions: ["PD-TH-01"] }),
  ...group(6, { sex: "2", band: 65, district: "徐汇区", institutions: ["PD-CHC-04"] }),
];

// ---------------------------------------------------------------- tests

describe("buildExport: consent checked on chain at export time", () => {
  it("keeps only allowed fields, removes the others before de-identification, and counts them", async () => {
    const { people, records } = district(1, GROUPS);
    const registry = new FakeConsentRegistry();
    const withholding = new Set([0, 7]);
    for (const p of people) registry.grant(p, withholding.has(p.index) ? ALL_FIELDS.filter((f) => f !== "contact.phone" && f !== "identity.id-number") : ALL_FIELDS);
    const result = built(await buildExport(options(records, people, registry)));
    const patients = packageOf(result).records.filter((r) => r.model === "patient");
    const withheld = patients.filter((r) => [0, 7].some((i) => r.personRef === personRefOf(people[i]!)));
    assert.equal(withheld.length, 2);
    // A withheld member is absent, not null: it never reached the policy's hash.
    for (const r of withheld) assert.ok(!("idNumber" in r.content!));
    assert.equal(patients.filter((r) => "idNumber" in r.content!).length, people.length - 2);
    const consent = result.report.consent;
    assert.deepEqual(consent.fieldsWithheld, { "patient.phone": 2, "patient.idNumber": 2 });
    assert.deepEqual([consent.residentsIncluded, consent.residentsExcluded, consent.recordsLeftOut], [18, 0, 0]);
    assert.equal(result.report.deid?.summary["patient.idNumber"]?.done, people.length - 2);
    // The access evidence names exactly the fields read: the withheld ones are not among them.
    const source = records.find((r) => r.model === "patient" && r.residentRef === people[0]!.residentRef)!;
    const access = result.accessed.find((a) => a.recordId === source.recordId.toLowerCase())!;
    const expected = [...new Set(Object.keys(source.content).filter((m) => m !== "phone" && m !== "idNumber" && source.fields[m] !== undefined).map((m) => source.fields[m]!.toLowerCase()))].sort();
    assert.deepEqual(access.fields, expected);
    assert.ok(!access.fields.includes(source.fields.phone!.toLowerCase()));
    assert.equal(access.grantIds.length, 1);
    assert.equal(result.accessed.length, consent.recordsIncluded);
  });

  it("excludes a resident with no allowed record, counts them, and leaves out records with no allowed field", async () => {
    const { people, records } = district(2, GROUPS);
    const registry = new FakeConsentRegistry();
    // Resident 3 consented to nothing; resident 8 only to demographics and address (their encounter, diagnosis and lab have no allowed field).
    for (const p of people) if (p.index !== 3) registry.grant(p, p.index === 8 ? ["demographics", "home-address"] : ALL_FIELDS);
    const result = built(await buildExport(options(records, people, registry)));
    const consent = result.report.consent;
    assert.deepEqual(
      [consent.residentsInCohort, consent.residentsIncluded, consent.residentsExcluded, consent.residentsWithoutRecords],
      [18, 17, 1, 0],
    );
    assert.deepEqual([consent.recordsConsidered, consent.recordsLeftOut, consent.recordsIncluded], [72, 4 + 3, 72 - 7]);
    assert.ok(!result.members.some((m) => m.residentRef === people[3]!.residentRef));
    assert.ok(!result.accessed.some((a) => a.residentRef === people[3]!.residentRef.toLowerCase()), "no access is recorded for a resident who consented to nothing");
    assert.ok(!packageOf(result).records.some((r) => r.personRef === personRefOf(people[3]!)));
    const eight = packageOf(result).records.filter((r) => r.personRef === personRefOf(people[8]!));
    assert.deepEqual(eight.map((r) => [r.model, Object.keys(r.content!).sort()]), [["patient", ["address", "ageBand", "sex"]]]);
  });

  it("asks the port in batches of at most 200 records, for the project, at the export time", async () => {
    const specs = Array.from({ length: 120 }, (_, i) => ({ sex: "2" as const, age: 40 + (i % 5), district: "浦东新区", institutions: ["PD-SH-05"] }));
    const { people, records } = district(3, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const result = built(await buildExport(options(records, people, registry)));
    assert.deepEqual(registry.calls.map((call) => call.items.length), [200, 200, 80]);
    assert.ok(registry.calls.every((call) => call.projectId === PROJECT.id.toLowerCase() && call.at.getTime() === AT.getTime()));
    // The fields asked for a patient record: each distinct field once, in member order.
    const patient = registry.calls[0]!.items[0]!;
    assert.deepEqual(patient.fields, ["record.source", "identity.name", "demographics", "identity.id-number", "contact.phone", "home-address"].map(fieldId));
    assert.equal(result.report.consent.batches, 3);
  });

  it("after a revocation, a rebuild excludes the resident and the earlier package is marked", async () => {
    const { people, records } = district(4, GROUPS);
    const registry = new FakeConsentRegistry();
    const clinical = ALL_FIELDS.filter((f) => f !== "demographics" && f !== "home-address");
    const grants = people.map((p) => [registry.grant(p, clinical, "clinical"), registry.grant(p, ["demographics", "home-address"], "demo")]);
    const first = built(await buildExport(options(records, people, registry)));
    const member = first.members.find((m) => m.residentRef === people[5]!.residentRef)!;
    assert.deepEqual(member.grantIds, [...grants[5]!].map((g) => g.toLowerCase()).sort());

    for (const grant of grants[5]!) registry.revoked.add(grant);
    const second = built(await buildExport(options(records, people, registry, { exportId: "EXP-2025-017-02" })));
    assert.equal(second.report.consent.residentsExcluded, 1);
    assert.ok(!second.members.some((m) => m.residentRef === people[5]!.residentRef));
    assert.ok(!packageOf(second).records.some((r) => r.personRef === personRefOf(people[5]!)));
    assert.notEqual(second.packageHash, first.packageHash);

    const stored = [
      { id: "PKG-1", members: first.members },
      { id: "PKG-2", members: second.members },
    ];
    assert.deepEqual(packagesAffectedByRevocation(stored, [grants[5]![1]!]), [
      { packageId: "PKG-1", residents: [{ resident: people[5]!.wallet, grantIds: [grants[5]![1]!.toLowerCase()] }] },
    ]);
  });

  it("refuses an export with nobody left after consent", async () => {
    const { people, records } = district(5, GROUPS.slice(0, 6));
    const result = await buildExport(options(records, people, new FakeConsentRegistry()));
    assert.equal(result.status, "refused");
    assert.equal(result.status === "refused" && result.reason, "empty-after-consent");
    assert.deepEqual([result.report.consent.residentsExcluded, result.report.consent.recordsLeftOut, result.report.package], [6, 24, null]);
  });
});

describe("buildExport: k-anonymity over the policy's quasi-identifiers", () => {
  // Five alike (female, 40-44, 浦东新区, PD-SH-05) and one who differs only by district.
  const ODD_ONE_OUT: PersonSpec[] = [
    ...group(5, { sex: "2", band: 40, district: "浦东新区", institutions: ["PD-SH-05"] }),
    { sex: "2", age: 42, district: "黄浦区", institutions: ["PD-SH-05"] },
  ];

  it("refuses with the classes below k (values and sizes, no one's reference) and a suggested coarser policy", async () => {
    const { people, records } = district(6, ODD_ONE_OUT);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const publisher = fakePublisher(1);
    const result = await buildExport(options(records, people, registry, { coarsen: publisher.coarsen }));
    assert.equal(result.status, "refused");
    assert.equal(result.status === "refused" && result.reason, "k-anonymity");
    const k = result.report.kAnonymity!;
    assert.equal(k.k, 5);
    assert.deepEqual(k.final.classesBelowK, [
      { values: { "patient.sex": "2", "patient.ageBand": "40-44", "patient.address": "上海市黄浦区", "record.institution": "PD-SH-05" }, size: 1 },
    ]);
    assert.deepEqual([k.final.classCount, k.final.minClassSize, k.final.residents], [2, 1, 6]);
    assert.equal(k.suggestion?.coarsen, "patient.address");
    assert.equal((k.suggestion?.policy.rules.patient?.address as { level: string }).level, "city");
    assert.equal(publisher.published.length, 0, "refuse mode publishes nothing");
    const text = JSON.stringify(result.report);
    for (const p of people) {
      assert.ok(!text.toLowerCase().includes(p.residentRef.toLowerCase().slice(2)));
      assert.ok(!text.toLowerCase().includes(p.wallet.toLowerCase().slice(2)));
    }
  });

  it("counts a resident seen at two institutions with the set of institutions, and an unknown value as null", async () => {
    const specs: PersonSpec[] = [...group(5, { sex: "1", band: 60, district: "徐汇区", institutions: ["PD-SH-05"] })];
    specs[4] = { ...specs[4]!, institutions: ["PD-SH-05", "PD-TH-01"] };
    const { people, records } = district(7, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p, p.index === 0 ? ALL_FIELDS.filter((f) => f !== "home-address") : ALL_FIELDS);
    const result = await buildExport(options(records, people, registry, { k: 2 }));
    const check = result.report.kAnonymity!.final;
    assert.deepEqual(check.nullResidents, { "patient.sex": 0, "patient.ageBand": 0, "patient.address": 1, "record.institution": 0 });
    assert.deepEqual(
      check.classesBelowK.map((c) => [c.values["patient.address"], c.values["record.institution"], c.size]),
      [["上海市徐汇区", ["PD-SH-05", "PD-TH-01"], 1], [null, "PD-SH-05", 1]],
    );
  });

  it("generalises through new policy versions until k holds, dropping no one", async () => {
    // One district and institution; ages 41, 43, 46, 48, 52: 5-year bands give classes 2, 2, 1; 10-year 4, 1; 20-year 5.
    const specs = [41, 43, 46, 48, 52].map((age) => ({ sex: "2" as const, age, district: "浦东新区", institutions: ["PD-SH-05"] }));
    const { people, records } = district(8, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const publisher = fakePublisher(1);
    const result = built(await buildExport(options(records, people, registry, { onKFailure: "generalise", coarsen: publisher.coarsen })));
    const k = result.report.kAnonymity!;
    assert.deepEqual(k.steps.map((s) => [s.coarsened, s.distinctValuesBefore, s.check.satisfied]), [["patient.birthDate", 3, false], ["patient.birthDate", 2, true]]);
    assert.deepEqual(k.initial.classesBelowK.map((c) => c.size), [1, 2, 2]);
    assert.equal(publisher.published.length, 2);
    assert.deepEqual(result.policy, { name: "research-export", version: 3, hash: publisher.published[1]!.hash });
    assert.equal((publisher.published[1]!.value.rules.patient!.birthDate as { width: number }).width, 20);
    const bands = packageOf(result).records.filter((r) => r.model === "patient").map((r) => r.content!.ageBand);
    assert.deepEqual(bands, ["40-59", "40-59", "40-59", "40-59", "40-59"]);
    assert.equal(result.members.length, 5);
    assert.deepEqual(packageOf(result).policy, { name: "research-export", version: 3, hash: publisher.published[1]!.hash });
  });

  it("refuses without coarsening when no quasi-identifier it could coarsen splits a class, still with every resident", async () => {
    // Sex has no coarser step, and ages (one band), districts and institutions are already shared by
    // everyone: coarsening them could not help, so nothing is coarsened and the export is refused.
    const specs: PersonSpec[] = [
      ...group(5, { sex: "2", band: 40, district: "浦东新区", institutions: ["PD-SH-05"] }),
      { sex: "1", age: 41, district: "浦东新区", institutions: ["PD-SH-05"] },
    ];
    const { people, records } = district(9, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const publisher = fakePublisher(1);
    const result = await buildExport(options(records, people, registry, { onKFailure: "generalise", coarsen: publisher.coarsen, maxGeneralisationSteps: 4 }));
    assert.equal(result.status, "refused");
    const k = result.report.kAnonymity!;
    assert.equal(k.steps.length, 0);
    assert.equal(publisher.published.length, 0, "no policy version is published for a useless coarsening");
    assert.equal(k.suggestion, null);
    assert.equal(k.final.residents, 6);
    assert.deepEqual(k.final.classesBelowK.map((c) => [c.values["patient.sex"], c.size]), [["1", 1]]);
    assert.match(result.status === "refused" ? result.message.zh : "", /不会为达到 k 而删除任何居民/);
  });

  it("stops after the allowed steps and refuses when k needs more, naming the next step", async () => {
    // Four women aged 41, 47, 52 and 58: k = 4 needs 20-year bands (two steps from 5 years); one step is allowed.
    const specs = [41, 47, 52, 58].map((age) => ({ sex: "2" as const, age, district: "浦东新区", institutions: ["PD-SH-05"] }));
    const { people, records } = district(12, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const publisher = fakePublisher(1);
    const result = await buildExport(options(records, people, registry, { k: 4, onKFailure: "generalise", coarsen: publisher.coarsen, maxGeneralisationSteps: 1 }));
    assert.equal(result.status, "refused");
    const k = result.report.kAnonymity!;
    assert.deepEqual(k.steps.map((s) => s.coarsened), ["patient.birthDate"]);
    assert.equal(k.final.minClassSize, 2);
    assert.equal(k.suggestion?.coarsen, "patient.birthDate");
    assert.equal(k.final.residents, 4);
  });

  it("refuses a coarsen that publishes another policy than the one asked", async () => {
    const specs = [41, 46].map((age) => ({ sex: "2" as const, age, district: "浦东新区", institutions: ["PD-SH-05"] }));
    const { people, records } = district(10, specs);
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    const coarsen = async () => POLICY;
    await assert.rejects(buildExport(options(records, people, registry, { k: 2, onKFailure: "generalise", coarsen })), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
  });
});

describe("buildExport: the package", () => {
  const { people, records } = district(11, GROUPS);
  const registry = new FakeConsentRegistry();
  for (const p of people) registry.grant(p);

  it("has a deterministic hash of its exact bytes, whatever the input order, that changes with the content", async () => {
    const a = built(await buildExport(options(records, people, registry)));
    const b = built(await buildExport(options([...records].reverse(), [...people].reverse(), registry)));
    assert.equal(a.packageHash, sm3Hex(a.bytes));
    assert.deepEqual(b.bytes, a.bytes);
    assert.equal(b.packageHash, a.packageHash);
    const changed = records.map((r, i) => (i === 3 ? { ...r, content: { ...r.content, value: 12.5 } } : r));
    assert.equal(changed[3]!.model, "lab-result");
    const c = built(await buildExport(options(changed, people, registry)));
    assert.notEqual(c.packageHash, a.packageHash);
    const later = built(await buildExport(options(records, people, registry, { at: new Date(AT.getTime() + 1000) })));
    assert.notEqual(later.packageHash, a.packageHash);
  });

  it("carries the format, the policy version, the counts and the standard codes", async () => {
    const result = built(await buildExport(options(records, people, registry)));
    const pkg = packageOf(result);
    assert.equal(pkg.format, "health-chain-research-export/1");
    assert.deepEqual(pkg.policy, { name: POLICY.name, version: 1, hash: POLICY.hash });
    assert.deepEqual(pkg.counts, { residents: 18, records: 72, recordsByModel: { patient: 18, encounter: 18, diagnosis: 18, "lab-result": 18 } });
    assert.equal(pkg.createdAt, AT.toISOString());
    const lab = pkg.records.find((r) => r.model === "lab-result")!;
    assert.deepEqual(Object.keys(lab.content!).sort(), ["abnormalFlag", "collectedAt", "encounterKey", "localCode", "referenceRange", "reportedAt", "testCode", "testName", "unit", "value"]);
    const diagnosis = pkg.records.find((r) => r.model === "diagnosis")!;
    assert.deepEqual([diagnosis.content!.diagnosisCode, diagnosis.content!.diagnosisName], ["E11.9", "2型糖尿病"]);
    // The encounter and its diagnosis still link through the pseudonymised key.
    const encounter = pkg.records.find((r) => r.model === "encounter" && r.personRef === diagnosis.personRef)!;
    assert.equal(encounter.content!.encounterKey, diagnosis.content!.encounterKey);
    // Records come grouped by resident.
    const refs = pkg.records.map((r) => r.personRef);
    assert.deepEqual(refs, [...refs].sort());
  });

  it("holds nothing personal: no name, ID number, phone, street address, birth date, residentRef, wallet or source ids", async () => {
    const result = built(await buildExport(options(records, people, registry)));
    const text = new TextDecoder().decode(result.bytes);
    const lower = text.toLowerCase();
    for (const p of people) {
      for (const value of [p.name, p.idNumber, p.phone, p.address, p.birthDate]) assert.ok(!text.includes(value), `leaked ${value}`);
      assert.ok(!lower.includes(p.residentRef.slice(2).toLowerCase()), "leaked a residentRef");
      assert.ok(!lower.includes(p.wallet.slice(2).toLowerCase()), "leaked a wallet");
    }
    for (const r of records) {
      assert.ok(!lower.includes(r.recordId.slice(2).toLowerCase()), "leaked an on-chain record id");
      assert.ok(!text.includes(`"${r.sourceKey}"`), `leaked the source key ${r.sourceKey}`);
      assert.ok(!text.includes(`"${String(r.content.patientId)}"`), "leaked a patient id");
    }
    assert.ok(!/[弄号室]/.test(text), "nothing finer than the district of an address");
  });
});

describe("buildExport: bad input is refused with nothing asked", () => {
  const { people, records } = district(12, GROUPS.slice(0, 6));

  const refusedBeforeAsking = async (change: (o: BuildExportOptions) => BuildExportOptions) => {
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    await assert.rejects(buildExport(change(options(records, people, registry))), (e: unknown) => {
      assert.ok(isPlatformError(e, "INVALID_INPUT"), String(e));
      assert.match(e.messageZh, /[\u4e00-\u9fff]/);
      return true;
    });
    assert.equal(registry.calls.length, 0);
  };

  it("refuses wrong options", async () => {
    await refusedBeforeAsking((o) => ({ ...o, k: 1 }));
    await refusedBeforeAsking((o) => ({ ...o, k: 2.5 }));
    await refusedBeforeAsking((o) => ({ ...o, onKFailure: "trim" as never }));
    await refusedBeforeAsking((o) => ({ ...o, onKFailure: "generalise" }));
    await refusedBeforeAsking((o) => ({ ...o, maxGeneralisationSteps: -1 }));
    await refusedBeforeAsking((o) => ({ ...o, exportId: "" }));
    await refusedBeforeAsking((o) => ({ ...o, project: { id: "0x1234" as Hex, title: "x" } }));
    await refusedBeforeAsking((o) => ({ ...o, cohort: [people[0]!.residentRef, people[0]!.residentRef.toUpperCase().replace("0X", "0x") as Hex] }));
    await refusedBeforeAsking((o) => ({ ...o, referenceDate: "2025-02-30" }));
    await refusedBeforeAsking((o) => ({ ...o, at: new Date("not a date") }));
    await refusedBeforeAsking((o) => ({ ...o, records: 42 as never }));
    await refusedBeforeAsking((o) => ({ ...o, policy: { ...POLICY, kind: "mapping" } as never }));
  });

  it("refuses a record of someone outside the cohort, a duplicate, or a malformed record", async () => {
    await refusedBeforeAsking((o) => ({ ...o, cohort: o.cohort.slice(1) }));
    await refusedBeforeAsking((o) => ({ ...o, records: [records[0]!, records[0]!] }));
    await refusedBeforeAsking((o) => ({ ...o, records: [{ ...records[0]!, resident: "bob" as Address }] }));
    await refusedBeforeAsking((o) => ({ ...o, records: [{ ...records[0]!, fields: { name: "identity.name" as Hex } }] }));
    await refusedBeforeAsking((o) => ({ ...o, records: [records[0]!, { ...records[1]!, resident: people[1]!.wallet }] }));
    await refusedBeforeAsking((o) => ({ ...o, records: [null as never] }));
  });

  it("refuses a policy version whose content was changed after publication", async () => {
    const registry = new FakeConsentRegistry();
    const tampered = { ...POLICY, value: { ...POLICY.value, defaultAction: "keep" as const } };
    await assert.rejects(buildExport(options(records, people, registry, { policy: tampered })), (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED"));
    assert.equal(registry.calls.length, 0);
  });

  it("fails on a missing secret before the chain is asked anything", async () => {
    const registry = new FakeConsentRegistry();
    const secrets = createDeidSecrets({ secrets: { "research-link": "11".repeat(32) } });
    await assert.rejects(buildExport(options(records, people, registry, { secrets })), (e: unknown) => isPlatformError(e, "UNKNOWN_KEY_ID"));
    assert.equal(registry.calls.length, 0);
  });

  it("reports a malformed consent answer as an internal error, not as a refusal", async () => {
    const port: ConsentPort = { check: async (_project, items) => items.map(() => ({ allowed: [true], grantIds: [] })) };
    await assert.rejects(buildExport(options(records, people, port)), (e: unknown) => isPlatformError(e, "INTERNAL"));
  });

  it("reads records from an async stream", async () => {
    const registry = new FakeConsentRegistry();
    for (const p of people) registry.grant(p);
    async function* stream() {
      for (const r of records) yield r;
    }
    const fromStream = built(await buildExport(options(records, people, registry, { records: stream() })));
    const fromArray = built(await buildExport(options(records, people, registry)));
    assert.equal(fromStream.packageHash, fromArray.packageHash);
  });
});

describe("packagesAffectedByRevocation", () => {
  const wallet = (n: number) => `0x${id(`w${n}`).slice(26)}` as Address;
  const g = (n: number) => id(`g${n}`);
  const packages = [
    { id: "PKG-1", members: [{ resident: wallet(1), grantIds: [g(1), g(2)] }, { resident: wallet(2), grantIds: [g(3)] }] },
    { id: "PKG-2", members: [{ resident: wallet(2), grantIds: [g(3)] }] },
    { id: "PKG-3", members: [{ resident: wallet(3), grantIds: [g(4)] }] },
  ];

  it("lists each package holding a revoked grant with the residents concerned, whatever the hex case", () => {
    assert.deepEqual(packagesAffectedByRevocation(packages, [g(3).toUpperCase().replace("0X", "0x") as Hex, g(2)]), [
      { packageId: "PKG-1", residents: [{ resident: wallet(1), grantIds: [g(2)] }, { resident: wallet(2), grantIds: [g(3)] }] },
      { packageId: "PKG-2", residents: [{ resident: wallet(2), grantIds: [g(3)] }] },
    ]);
    assert.deepEqual(packagesAffectedByRevocation(packages, [g(9)]), []);
  });

  it("refuses malformed packages or grant ids", () => {
    assertInvalidInput(() => packagesAffectedByRevocation([{ id: "", members: [] }], [g(1)]));
    assertInvalidInput(() => packagesAffectedByRevocation([{ id: "P", members: [{ resident: "x" as Address, grantIds: [] }] }], [g(1)]));
    assertInvalidInput(() => packagesAffectedByRevocation(packages, ["0x12" as Hex]));
  });
});
