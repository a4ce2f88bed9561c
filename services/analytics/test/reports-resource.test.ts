// The data-resource report over a small services/his database built in a temp directory.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { consentFieldsOf, migrateHisDatabase, openHisDatabase, type HisDatabase } from "@health-chain/his";
import { mulberry32 } from "../src/synthetic/index.ts";
import { dataResourceReport, FIELD_GROUP_GRADES, reportToCsv, reportsToXlsx, type ReportTable } from "../src/reports/index.ts";

const MODELS = {
  patient: { category: "PATIENT_PROFILE", fields: { institutionCode: "record.source", patientId: "record.source", name: "identity.name", sex: "demographics", birthDate: "demographics", idNumber: "identity.id-number", phone: "contact.phone" } },
  diagnosis: { category: "DIAGNOSIS", fields: { institutionCode: "record.source", patientId: "record.source", diagnosisCode: "diagnosis", diagnosisDate: "diagnosis" } },
  "lab-result": { category: "LAB_REPORT", fields: { institutionCode: "record.source", testCode: "lab.result.test", value: "lab.result.value", unit: "lab.result.unit", note: "mystery.group" } },
} as const;
type ModelName = keyof typeof MODELS;

interface Rec { recordId: string; institution: string; model: ModelName; residentRef: string; anchorState: string; sourceTime: Date; members: string[] }

describe("data-resource report", () => {
  let dir: string;
  let db: HisDatabase;
  const records: Rec[] = [];
  const runs: { taskId: string; status: string; read: number; accepted: number; duplicates: number; changes: number; quarantined: number; startedAt: Date; finishedAt: Date | null }[] = [];
  const quality = [
    { seen: 10, accepted: 8, quarantined: 2, duplicates: 1, present: { name: 10, phone: 4 }, checked: 20, valid: 18, codes: null },
    { seen: 30, accepted: 30, quarantined: 0, duplicates: 0, present: { name: 30, phone: 6 }, checked: 50, valid: 50, codes: { auto: 5, confirmed: 2, review: 2, unknown: 1 } },
  ];
  let tables: ReportTable[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "analytics-reports-"));
    const url = `file:${join(dir, "his.db")}`;
    await migrateHisDatabase(url);
    db = openHisDatabase(url);
    const rng = mulberry32(99);
    const p = db.prisma;
    for (const id of ["task-a", "task-b", "task-c"]) await p.collectionTask.create({ data: { id, name: `Task ${id}`, format: id === "task-b" ? "fhir-r4" : "sql", sourceJson: "{}", createdBy: "t" } });
    const statuses = ["succeeded", "failed", "succeeded", "interrupted", "succeeded"];
    for (let i = 0; i < 12; i++) {
      const taskId = ["task-a", "task-b"][i % 2]!;
      const status = statuses[rng.int(statuses.length)]!;
      const startedAt = new Date(Date.UTC(2025, 0, 1 + i));
      const run = { taskId, status, read: rng.int(100), accepted: rng.int(50), duplicates: rng.int(5), changes: rng.int(5), quarantined: rng.int(5), startedAt, finishedAt: status === "succeeded" ? new Date(startedAt.getTime() + 60_000) : null };
      runs.push(run);
      const created = await p.collectionRun.create({ data: { ...run, trigger: "schedule" } });
      const q = quality[i];
      if (q) {
        const report = {
          models: { patient: { model: "patient", modelVersions: [1], seen: q.seen, accepted: q.accepted, quarantined: q.quarantined, duplicates: q.duplicates,
            completeness: { name: { required: true, present: q.present.name, share: null }, phone: { required: false, present: q.present.phone, share: null } },
            validity: { checked: q.checked, valid: q.valid, share: null, byReason: {} }, ...(q.codes ? { codeMapping: { ...q.codes, coverage: null } } : {}) } },
          unmappedKinds: {}, duplicatesByKind: {}, totals: {},
        };
        await p.qualityReport.create({ data: { runId: created.id, reportJson: JSON.stringify(report) } });
      }
    }
    for (const [i, [stage, reason, status]] of [["map", "missing-required", "open"], ["map", "missing-required", "open"], ["parse", "bad-json", "open"], ["link", "ambiguous", "replayed"]].entries()) {
      await p.quarantineItem.create({ data: { taskId: "task-a", runId: 1, itemKey: `k${i}`, format: "sql", stage: stage!, reason: reason!, message: "m", messageZh: "m", raw: "{}", status: status! } });
    }
    const names = Object.keys(MODELS) as ModelName[];
    for (let i = 0; i < 60; i++) {
      const model = names[rng.int(names.length)]!;
      const all = Object.keys(MODELS[model].fields);
      const members = all.filter(() => rng.chance(0.7));
      const rec: Rec = { recordId: `0x${String(i + 1).padStart(64, "0")}`, institution: ["H01", "C02"][rng.int(2)]!, model, residentRef: `r${rng.int(15)}`, anchorState: ["pending", "anchored", "anchored", "off-chain"][rng.int(4)]!, sourceTime: new Date(Date.UTC(2024, rng.int(12), 1 + rng.int(28))), members };
      records.push(rec);
      const fields = Object.fromEntries(members.map((m) => [m, (MODELS[model].fields as Record<string, string>)[m]!]));
      await p.collectedRecord.create({ data: {
        recordId: rec.recordId, institution: rec.institution, model, modelVersion: 1, sourceKey: `s${i}`, personId: rec.residentRef, residentRef: rec.residentRef,
        category: MODELS[model].category, contentHash: "0x", contentJson: "{}", fieldsJson: JSON.stringify(consentFieldsOf(fields)), sourceTime: rec.sourceTime, anchorState: rec.anchorState,
      } });
    }
    tables = await dataResourceReport(p, { now: new Date("2026-01-01T00:00:00Z"), pageSize: 7 });
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const byId = (id: string) => tables.find((t) => t.id === id)!;

  it("reports collection runs per task", () => {
    const t = byId("data-resource-collection");
    assert.deepEqual(t.rows.map((r) => r["task"]), ["task-a", "task-b", "task-c"]);
    for (const row of t.rows) {
      const mine = runs.filter((r) => r.taskId === row["task"]);
      assert.equal(row["runs"], mine.length);
      for (const s of ["succeeded", "failed", "interrupted"]) assert.equal(row[s], mine.filter((r) => r.status === s).length, s);
      for (const k of ["read", "accepted", "duplicates", "changes", "quarantined"] as const) assert.equal(row[k], mine.reduce((n, r) => n + r[k], 0), k);
      const last = mine.at(-1);
      assert.equal(row["last_status"], last?.status ?? null);
      const success = mine.filter((r) => r.status === "succeeded").at(-1);
      assert.equal(row["last_success_at"], success?.finishedAt?.toISOString() ?? null);
    }
  });

  it("classifies records by category/model and grades every field group", () => {
    const byModel = byId("data-resource-classification");
    for (const name of Object.keys(MODELS) as ModelName[]) {
      assert.equal(byModel.rows.find((r) => r["model"] === name)?.["records"], records.filter((r) => r.model === name).length, name);
    }
    const grading = byId("data-resource-grading");
    let checked = 0;
    for (const name of Object.keys(MODELS) as ModelName[]) {
      const groups = new Set(Object.values(MODELS[name].fields));
      for (const group of groups) {
        const having = records.filter((r) => r.model === name && r.members.some((m) => (MODELS[name].fields as Record<string, string>)[m] === group));
        const row = grading.rows.find((r) => r["model"] === name && r["field_group"] === group);
        if (having.length === 0) { assert.equal(row, undefined); continue; }
        checked++;
        assert.equal(row?.["records"], having.length, `${name} ${group}`);
        assert.equal(row?.["members"], having.reduce((n, r) => n + r.members.filter((m) => (MODELS[name].fields as Record<string, string>)[m] === group).length, 0));
      }
    }
    assert.ok(checked >= 8);
    const grade = (group: string) => grading.rows.find((r) => r["field_group"] === group)?.["grade"];
    assert.equal(grade("identity.name"), 4);
    assert.equal(grade("contact.phone"), 4);
    assert.equal(grade("diagnosis"), 3);
    assert.equal(grade("lab.result.unit"), 2);
    assert.equal(grade("mystery.group"), null);
    assert.ok(grading.notes.some((n) => n.en.includes("mystery.group") && n.zh.includes("未分级")));
    assert.ok(grading.notes.some((n) => n.zh.includes("GB/T 39725-2020")));
    assert.equal(byId("data-grading-table").rows.length, FIELD_GROUP_GRADES.length);
  });

  it("sums the runs' quality reports and lists the open quarantine by reason", () => {
    const completeness = byId("data-quality-completeness");
    const name = completeness.rows.find((r) => r["model"] === "patient" && r["member"] === "name")!;
    assert.deepEqual([name["present"], name["seen"], name["completeness"], name["required"]], [40, 40, 1, "yes"]);
    const phone = completeness.rows.find((r) => r["member"] === "phone")!;
    assert.deepEqual([phone["present"], phone["completeness"]], [10, 10 / 40]);
    const validity = byId("data-quality-validity").rows[0]!;
    assert.deepEqual([validity["checked"], validity["valid"], validity["validity"], validity["quarantined"]], [70, 68, 68 / 70, 2]);
    assert.deepEqual([validity["codes_auto"], validity["codes_unknown"], validity["mapping_coverage"]], [5, 1, 7 / 10]);
    assert.deepEqual(byId("data-quality-quarantine").rows.map((r) => [r["stage"], r["reason"], r["items"]]), [["map", "missing-required", 2], ["parse", "bad-json", 1]]);
  });

  it("inventories records per institution × model", () => {
    const t = byId("data-resource-inventory");
    const groups = new Set(records.map((r) => `${r.institution}|${r.model}`));
    assert.equal(t.rows.length, groups.size);
    for (const row of t.rows) {
      const mine = records.filter((r) => r.institution === row["institution"] && r.model === row["model"]);
      assert.equal(row["records"], mine.length);
      assert.equal(row["anchored"], mine.filter((r) => r.anchorState === "anchored").length);
      assert.equal(row["pending"], mine.filter((r) => r.anchorState === "pending").length);
      assert.equal(row["residents"], new Set(mine.map((r) => r.residentRef)).size);
      const times = mine.map((r) => r.sourceTime.getTime());
      assert.equal(row["earliest"], new Date(Math.min(...times)).toISOString());
      assert.equal(row["latest"], new Date(Math.max(...times)).toISOString());
    }
  });

  it("exports every table as CSV and as one workbook", async () => {
    for (const t of tables) assert.ok(reportToCsv(t, "zh").startsWith("\uFEFF"));
    const buffer = await reportsToXlsx(tables, "zh");
    assert.ok(buffer.length > 1000);
  });
});
