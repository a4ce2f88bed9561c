// Topics built from a his database of generated standard records: the built files hold exactly the
// residents and rows computed here, independently, from the inserted records; versions are created
// only for changed content, kept to the newest N, and a failed build leaves them as they were; the
// scheduler's croner jobs fire, never overlap a topic's build, and stop.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "@health-chain/his";
import { isPlatformError } from "@health-chain/sdk";
import { parseCriteria } from "../src/criteria/index.ts";
import { countResidents } from "../src/engine/index.ts";
import { mulberry32, type Rng } from "../src/synthetic/index.ts";
import {
  buildTopic,
  listTopicVersions,
  openTopicVersion,
  parseTopicDefinition,
  startTopicScheduler,
  topicCohort,
  type HisRecordSource,
  type InstitutionManifest,
  type TopicDefinition,
} from "../src/topics/index.ts";

const INSTITUTIONS = ["PD-CHC-01", "PD-CHC-02", "PD-SH-01"];
const STREETS = ["洋泾街道", "花木街道", "惠南镇"];
const DIABETES_AND_HBA1C = {
  type: "and",
  children: [
    { type: "diagnosis", codes: ["E11"] },
    { type: "lab", loinc: "4548-4", comparator: ">", value: 7, unit: "%" },
  ],
};

interface Inserted {
  readonly institution: string;
  readonly model: string;
  readonly residentRef: string;
  readonly content: Record<string, unknown>;
  readonly anchorState?: string;
}

/** What the test expects of one resident at one institution, computed from the records it inserts. */
interface Expected {
  readonly rows: { diagnoses: string[]; labs: string[]; medications: string[]; encounters: string[] };
  diabetes: boolean;
  hba1cOver7: boolean;
}

/** A local (Shanghai) date-time and the timestamp text his would carry for it: +08:00, or the same instant in UTC. */
function stamp(rng: Rng): { date: string; text: string } {
  const day = new Date(Date.UTC(2026, 0, 1) + rng.int(300) * 86_400_000).toISOString().slice(0, 10);
  const hour = rng.int(24);
  const local = `${day}T${String(hour).padStart(2, "0")}:${String(rng.int(60)).padStart(2, "0")}:00`;
  if (rng.chance(0.6)) return { date: day, text: `${local}+08:00` };
  const utc = new Date(Date.parse(`${local}Z`) - 8 * 3_600_000).toISOString().replace(".000Z", "Z");
  return { date: day, text: utc };
}

const refOf = (i: number) => `0x${(i + 1).toString(16).padStart(64, "0")}`;

class Fixture {
  readonly records: Inserted[] = [];
  readonly expected = new Map<string, Map<string, Expected>>(); // institution → resident → expected
  readonly patients = new Map<string, Map<string, { sex: string; birthDate: string; region: string }>>(); // resident → institution → demographics
  readonly skipped = new Map<string, Record<string, number>>();

  readonly rng: Rng;
  constructor(rng: Rng) {
    this.rng = rng;
  }

  at(institution: string, ref: string): Expected {
    const byRef = this.expected.get(institution) ?? new Map<string, Expected>();
    this.expected.set(institution, byRef);
    const found = byRef.get(ref) ?? { rows: { diagnoses: [], labs: [], medications: [], encounters: [] }, diabetes: false, hba1cOver7: false };
    byRef.set(ref, found);
    return found;
  }

  skip(institution: string, reason: string, record: Inserted): void {
    const counts = this.skipped.get(institution) ?? {};
    counts[reason] = (counts[reason] ?? 0) + 1;
    this.skipped.set(institution, counts);
    this.records.push(record);
  }

  patient(institution: string, ref: string): void {
    const demographics = { sex: this.rng.chance(0.5) ? "1" : "2", birthDate: `19${50 + this.rng.int(50)}-0${1 + this.rng.int(9)}-1${this.rng.int(10)}`, region: STREETS[this.rng.int(3)]! };
    const byInstitution = this.patients.get(ref) ?? new Map();
    byInstitution.set(institution, demographics);
    this.patients.set(ref, byInstitution);
    this.at(institution, ref);
    const content = { patientId: ref.slice(-6), sex: demographics.sex, birthDate: demographics.birthDate, address: `上海市浦东新区${demographics.region}巨野路${1 + this.rng.int(900)}弄3号` };
    this.records.push({ institution, model: "patient", residentRef: ref, content });
  }

  events(institution: string, ref: string): void {
    const rng = this.rng;
    const mine = this.at(institution, ref);
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const code = rng.chance(0.5) ? "E11.9" : rng.chance(0.5) ? "I10" : "J06.9";
      const t = stamp(rng);
      mine.rows.diagnoses.push(`${code}|${t.date}`);
      mine.diabetes ||= code.startsWith("E11");
      this.records.push({ institution, model: "diagnosis", residentRef: ref, content: { diagnosisCode: code, diagnosedAt: t.text } });
    }
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const t = stamp(rng);
      // NGSP % around the threshold, or IFCC mmol/mol far from it (70 ≈ 8.6 %, 40 ≈ 5.8 %).
      const [loinc, value, unit] = rng.chance(0.7) ? ["4548-4", Math.round((5 + rng.next() * 5) * 10) / 10, "%"] : ["59261-8", rng.chance(0.5) ? 70 : 40, "mmol/mol"];
      mine.rows.labs.push(`${loinc}|${value}|${unit}|${t.date}`);
      mine.hba1cOver7 ||= unit === "%" ? value > 7 : value === 70;
      this.records.push({ institution, model: "lab-result", residentRef: ref, content: { testCode: loinc, localCode: "HBA1C", value, unit, collectedAt: t.text } });
    }
    if (rng.chance(0.4)) {
      const t = stamp(rng);
      mine.rows.medications.push(`A10BA02|${t.date}`);
      this.records.push({ institution, model: "prescription", residentRef: ref, content: { drugName: "二甲双胍片", atc: "A10BA02", prescribedAt: t.text } });
    }
    const t = stamp(rng);
    mine.rows.encounters.push(`1|内分泌科|${t.date}`);
    this.records.push({ institution, model: "encounter", residentRef: ref, content: { type: "1", department: "内分泌科", start: t.text } });
    this.unmappable(institution, ref);
  }

  unmappable(institution: string, ref: string): void {
    const rng = this.rng;
    if (rng.chance(0.2)) this.skip(institution, "not-loinc", { institution, model: "lab-result", residentRef: ref, content: { testCode: "HBA1C-L", value: 6, unit: "%", collectedAt: "2026-03-01T08:00:00+08:00" } });
    if (rng.chance(0.2)) this.skip(institution, "missing-date", { institution, model: "diagnosis", residentRef: ref, content: { diagnosisCode: "E11.9" } });
    if (rng.chance(0.2)) this.skip(institution, "missing-code", { institution, model: "prescription", residentRef: ref, content: { drugName: "x", prescribedAt: "2026-03-01T08:00:00+08:00" } });
    if (rng.chance(0.2)) this.skip(institution, "model-not-in-topics", { institution, model: "discharge-summary", residentRef: ref, content: { outcome: "1" } });
    if (rng.chance(0.1)) this.skip(institution, "anchor-rejected", { institution, model: "diagnosis", residentRef: ref, content: { diagnosisCode: "E11.9", diagnosedAt: "2026-03-01T08:00:00+08:00" }, anchorState: "rejected" });
  }
}

function generate(seed: number, residents: number): Fixture {
  const fixture = new Fixture(mulberry32(seed));
  for (let i = 0; i < residents; i++) {
    const ref = refOf(i);
    for (const institution of INSTITUTIONS) {
      if (fixture.rng.chance(0.35)) fixture.patient(institution, ref);
      if (fixture.rng.chance(0.5)) fixture.events(institution, ref);
    }
  }
  return fixture;
}

let sequence = 0;
async function insert(his: HisDatabase, records: readonly Inserted[]): Promise<void> {
  await his.prisma.collectedRecord.createMany({
    data: records.map((r) => {
      sequence++;
      return {
        recordId: `0x${sequence.toString(16).padStart(64, "0")}`,
        institution: r.institution,
        model: r.model,
        modelVersion: 1,
        sourceKey: `K${String(sequence).padStart(8, "0")}`,
        personId: `person-${r.residentRef.slice(-4)}`,
        residentRef: r.residentRef,
        category: "TEST",
        contentHash: `0x${sequence.toString(16).padStart(64, "c")}`,
        contentJson: JSON.stringify({ institutionCode: r.institution, ...r.content }),
        fieldsJson: "{}",
        sourceTime: new Date("2026-11-01T08:00:00+08:00"),
        anchorState: r.anchorState ?? "anchored",
      };
    }),
  });
}

const definition = (name: string, criteria: unknown, extra: object = {}): TopicDefinition =>
  parseTopicDefinition({ name, title: { zh: "测试专题", en: "Test topic" }, criteria, schedule: "0 2 * * *", indexDate: "2026-12-31", ...extra });

async function rows(connection: import("@duckdb/node-api").DuckDBConnection, sql: string): Promise<string[]> {
  return (await connection.runAndReadAll(sql)).getRowsJson().map((row) => row.map((v) => (v === null ? "" : String(v))).join("|")).sort();
}

describe("topics built from the his database", () => {
  let dir: string;
  let his: HisDatabase;
  let fixture: Fixture;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "analytics-topics-"));
    const url = `file:${join(dir, "his.db")}`;
    await migrateHisDatabase(url);
    his = openHisDatabase(url);
    fixture = generate(20261123, 60);
    await insert(his, fixture.records);
  });
  after(async () => {
    await his.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("holds, per institution, exactly the residents meeting the criteria there and all their rows", async () => {
    const topics = join(dir, "cohort");
    // A page size smaller than an institution's records makes the keyset paging matter.
    const result = await buildTopic({ directory: topics, his: his.prisma, definition: definition("t2dm-hba1c", DIABETES_AND_HBA1C), pageSize: 7 });
    assert.equal(result.status, "created");
    assert.equal(result.manifest.source.records, fixture.records.length);
    const opened = await openTopicVersion(topics, "t2dm-hba1c");
    try {
      for (const institution of INSTITUTIONS) {
        const cohort = [...fixture.expected.get(institution)!].filter(([, e]) => e.diabetes && e.hba1cOver7);
        const part: InstitutionManifest = result.manifest.institutions[institution]!;
        assert.ok(cohort.length > 0 && cohort.length < fixture.expected.get(institution)!.size, "the fixture's cohort is a proper subset");
        assert.equal(part.residents, cohort.length);
        for (const table of ["diagnoses", "labs", "medications", "encounters"] as const) {
          assert.equal(part.rows[table], cohort.reduce((sum, [, e]) => sum + e.rows[table].length, 0), `${institution} ${table}`);
        }
        assert.deepEqual(part.skipped, fixture.skipped.get(institution) ?? {});
        const connection = opened.connections.get(institution)!;
        assert.equal(await countResidents(connection, DIABETES_AND_HBA1C, { indexDate: "2026-12-31" }), cohort.length);
        assert.deepEqual(await topicCohort(connection, parseCriteria(DIABETES_AND_HBA1C), "2026-12-31"), cohort.map(([ref]) => ref).sort());
      }
    } finally {
      opened.close();
    }
  });

  it("the whole-population topic maps every record: dates in Shanghai time, units as given, demographics by EMPI link", async () => {
    const topics = join(dir, "all");
    const result = await buildTopic({ directory: topics, his: his.prisma, definition: definition("all", null) });
    const opened = await openTopicVersion(topics, "all", result.manifest.version);
    try {
      for (const institution of INSTITUTIONS) {
        const expected = fixture.expected.get(institution)!;
        const connection = opened.connections.get(institution)!;
        const expectResidents = [...expected.keys()].map((ref) => {
          const byInstitution = fixture.patients.get(ref);
          // Their record here, else one of their records elsewhere (which one is the preference test's).
          return { ref, own: byInstitution?.get(institution), others: byInstitution ? [...byInstitution.values()] : [] };
        });
        const got = new Map((await connection.runAndReadAll(`SELECT resident_ref, sex, CAST(birth_date AS VARCHAR), region FROM residents`)).getRowsJson().map((r) => [String(r[0]), r.slice(1)]));
        assert.equal(got.size, expectResidents.length);
        for (const { ref, own, others } of expectResidents) {
          const row = got.get(ref)!;
          if (own) assert.deepEqual(row, [own.sex, own.birthDate, own.region]);
          else if (others.length === 0) assert.deepEqual(row, [null, null, null]);
          else assert.ok(others.some((d) => d.sex === row[0] && d.birthDate === row[1] && d.region === row[2]), `${ref} takes demographics from another institution`);
        }
        const flat = (table: keyof Expected["rows"]) => [...expected].flatMap(([ref, e]) => e.rows[table].map((row) => `${ref}|${row}`)).sort();
        assert.deepEqual(await rows(connection, `SELECT resident_ref, code, "at" FROM diagnoses`), flat("diagnoses"));
        assert.deepEqual(await rows(connection, `SELECT resident_ref, loinc, value, unit, "at" FROM labs`), flat("labs"));
        assert.deepEqual(await rows(connection, `SELECT resident_ref, atc, "at" FROM medications`), flat("medications"));
        assert.deepEqual(await rows(connection, `SELECT resident_ref, type, department, "at" FROM encounters`), flat("encounters"));
      }
    } finally {
      opened.close();
    }
  });

  it("prefers the institution's own patient record over the resident's records elsewhere", async () => {
    const ref = refOf(9999);
    await insert(his, [
      { institution: "PD-CHC-01", model: "patient", residentRef: ref, content: { sex: "1", birthDate: "1970-01-01", address: "上海市浦东新区花木街道锦绣路1号" } },
      { institution: "PD-CHC-02", model: "patient", residentRef: ref, content: { sex: "2", birthDate: "1971-02-02", address: "上海市浦东新区巨野路1号" } },
      { institution: "PD-CHC-02", model: "diagnosis", residentRef: ref, content: { diagnosisCode: "I10", diagnosedAt: "2026-05-01T00:30:00+08:00" } },
      { institution: "PD-SH-01", model: "diagnosis", residentRef: ref, content: { diagnosisCode: "I10", diagnosedAt: "2026-05-01T00:30:00+08:00" } },
    ]);
    const topics = join(dir, "preference");
    const result = await buildTopic({ directory: topics, his: his.prisma, definition: definition("all", null) });
    const opened = await openTopicVersion(topics, "all", result.manifest.version);
    try {
      const demographics = async (institution: string) =>
        (await opened.connections.get(institution)!.runAndReadAll(`SELECT sex, CAST(birth_date AS VARCHAR), region FROM residents WHERE resident_ref = $1`, [ref])).getRowsJson();
      assert.deepEqual(await demographics("PD-CHC-01"), [["1", "1970-01-01", "花木街道"]]);
      // No sub-district in the address: region null, the rest from the institution's own record.
      assert.deepEqual(await demographics("PD-CHC-02"), [["2", "1971-02-02", null]]);
      const elsewhere = await demographics("PD-SH-01");
      assert.equal(elsewhere.length, 1);
      assert.ok(["1", "2"].includes(String(elsewhere[0]![0])));
    } finally {
      opened.close();
      await his.prisma.collectedRecord.deleteMany({ where: { residentRef: ref } });
    }
  });

  it("versions: an unchanged rebuild creates nothing; a new record makes a new version with a new hash; only the newest N are kept", async () => {
    const topics = join(dir, "versions");
    const topic = definition("versioned", DIABETES_AND_HBA1C);
    const first = await buildTopic({ directory: topics, his: his.prisma, definition: topic, keep: 2 });
    assert.equal(first.status, "created");
    const again = await buildTopic({ directory: topics, his: his.prisma, definition: topic, keep: 2 });
    assert.equal(again.status, "unchanged");
    assert.equal(again.manifest.version, first.manifest.version);
    assert.deepEqual((await listTopicVersions(topics, "versioned")).map((m) => m.version), [1]);

    // A new resident meeting the criteria at PD-CHC-02 only.
    const ref = refOf(5000);
    await insert(his, [
      { institution: "PD-CHC-02", model: "diagnosis", residentRef: ref, content: { diagnosisCode: "E11.9", diagnosedAt: "2026-06-01T10:00:00+08:00" } },
      { institution: "PD-CHC-02", model: "lab-result", residentRef: ref, content: { testCode: "4548-4", value: 9.1, unit: "%", collectedAt: "2026-06-01T10:30:00+08:00" } },
    ]);
    const second = await buildTopic({ directory: topics, his: his.prisma, definition: topic, keep: 2 });
    assert.equal(second.status, "created");
    assert.equal(second.manifest.version, 2);
    const before = first.manifest.institutions;
    const now = second.manifest.institutions;
    assert.notEqual(now["PD-CHC-02"]!.contentHash, before["PD-CHC-02"]!.contentHash);
    assert.equal(now["PD-CHC-02"]!.residents, before["PD-CHC-02"]!.residents + 1);
    assert.equal(now["PD-CHC-01"]!.contentHash, before["PD-CHC-01"]!.contentHash);
    assert.equal(second.manifest.source.records, first.manifest.source.records + 2);

    // A changed definition (its title) is a new version even on the same data.
    const third = await buildTopic({ directory: topics, his: his.prisma, definition: { ...topic, title: { zh: "新标题", en: "New title" } }, keep: 2 });
    assert.equal(third.status, "created");
    assert.deepEqual(third.status === "created" && third.removed, [1]);
    assert.deepEqual((await listTopicVersions(topics, "versioned")).map((m) => m.version), [2, 3]);
    assert.ok(!existsSync(join(topics, "versioned", "v1")));
    await assert.rejects(openTopicVersion(topics, "versioned", 1), (error: unknown) => isPlatformError(error, "NOT_FOUND"));
    await his.prisma.collectedRecord.deleteMany({ where: { residentRef: ref } });
  });

  it("a build failing mid-way leaves the previous version intact and no partial version", async () => {
    const topics = join(dir, "atomic");
    const topic = definition("atomic", null);
    const first = await buildTopic({ directory: topics, his: his.prisma, definition: topic });
    await insert(his, [{ institution: "PD-SH-01", model: "diagnosis", residentRef: refOf(7000), content: { diagnosisCode: "I10", diagnosedAt: "2026-07-01T10:00:00+08:00" } }]);
    let pages = 0;
    const failing: HisRecordSource = {
      collectedRecord: new Proxy(his.prisma.collectedRecord, {
        get(target, key, receiver) {
          if (key !== "findMany") return Reflect.get(target, key, receiver) as unknown;
          return (args: Parameters<typeof target.findMany>[0]) => {
            if (++pages === 6) return Promise.reject(new Error("connection to his lost"));
            return target.findMany(args);
          };
        },
      }),
    };
    await assert.rejects(buildTopic({ directory: topics, his: failing, definition: topic, pageSize: 5 }), /connection to his lost/);
    assert.ok(pages >= 6, "the failure happened after some pages were written");
    const versions = await listTopicVersions(topics, "atomic");
    assert.deepEqual(versions.map((m) => m.version), [first.manifest.version]);
    assert.deepEqual(readdirSync(join(topics, "atomic")), ["v1"]);
    const opened = await openTopicVersion(topics, "atomic");
    try {
      const count = (await opened.connections.get("PD-SH-01")!.runAndReadAll("SELECT count(*) FROM residents")).getRowsJson()[0]![0];
      assert.equal(Number(count), first.manifest.institutions["PD-SH-01"]!.residents);
    } finally {
      opened.close();
    }
    // The next build, with his reachable, includes the new record.
    const next = await buildTopic({ directory: topics, his: his.prisma, definition: topic });
    assert.equal(next.status, "created");
    assert.equal(next.manifest.institutions["PD-SH-01"]!.rows.diagnoses, first.manifest.institutions["PD-SH-01"]!.rows.diagnoses + 1);
    await his.prisma.collectedRecord.deleteMany({ where: { residentRef: refOf(7000) } });
  });

  it("the scheduler's croner job builds the topic, a refresh during a build is skipped, and stop() stops the jobs", async () => {
    const topics = join(dir, "scheduled");
    const logs: { message: string; details: object }[] = [];
    const log = (details: object, message: string) => logs.push({ details, message });
    const scheduler = startTopicScheduler({
      directory: topics,
      his: his.prisma,
      definitions: [
        { name: "every-second", title: { zh: "每秒", en: "Every second" }, criteria: null, schedule: "* * * * * *" },
        { name: "nightly", title: { zh: "每晚", en: "Nightly" }, criteria: DIABETES_AND_HBA1C, schedule: "0 2 * * *" },
      ],
      logger: { info: log, warn: log, error: log },
    });
    try {
      const deadline = Date.now() + 5000;
      while ((await listTopicVersions(topics, "every-second")).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await listTopicVersions(topics, "every-second")).length, 1, "the per-second job built the topic");
      assert.deepEqual(await listTopicVersions(topics, "nightly"), []);
      const running = scheduler.refreshTopicNow("nightly");
      const overlapping = await scheduler.refreshTopicNow("nightly");
      assert.deepEqual(overlapping, { status: "skipped", reason: "build-running" });
      assert.equal((await running).status, "created");
      assert.ok(logs.some((l) => l.message.includes("skipped")));
      await assert.rejects(scheduler.refreshTopicNow("unknown"), (error: unknown) => isPlatformError(error, "NOT_FOUND"));
    } finally {
      await scheduler.stop();
    }
    const finished = logs.filter((l) => l.message === "topic build finished" && (l.details as { topic?: string }).topic === "every-second").length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(logs.filter((l) => l.message === "topic build finished" && (l.details as { topic?: string }).topic === "every-second").length, finished, "no build after stop()");
    assert.equal(scheduler.nextRun("every-second"), null);
  });
});
