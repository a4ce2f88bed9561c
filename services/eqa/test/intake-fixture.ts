// A throwaway SQLite database per test with a small plan: two samples, a required quantitative
// analyte with a range, a quantitative analyte that requires it, a qualitative, a microbiology, a
// trueness and a morphology analyte. Used by the model-* and intake-* tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateEqaDatabase, openEqaDatabase, type EqaDatabase, type EqaDb } from "../src/db.ts";
import { createPlan, createRound, enrolLabs, registerLab, setRoundStatus } from "../src/model/index.ts";
import type { AnalyteDefinition, EvaluationScheme } from "../src/types.ts";

export const SCHEME: EvaluationScheme = {
  assignedValue: "algorithmA",
  sigma: "fitnessPercent",
  sigmaValue: 5,
  outliers: { test: "none", alpha: 0.05 },
  score: "z",
};

/** Answers judged against the consensus answer. */
export const QUALITATIVE_SCHEME: EvaluationScheme = { assignedValue: "median", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange" };

export const GLU: AnalyteDefinition = {
  code: "GLU",
  name: "葡萄糖",
  nameEn: "Glucose",
  unit: "mmol/L",
  decimals: 2,
  resultType: "quantitative",
  min: 0,
  max: 50,
  required: true,
  scheme: SCHEME,
};
export const HBA1C: AnalyteDefinition = { ...GLU, code: "HBA1C", name: "糖化血红蛋白", nameEn: "HbA1c", unit: "%", decimals: 1, min: 2, max: 20, required: false, requires: ["GLU"] };
export const HBSAG: AnalyteDefinition = {
  code: "HBSAG",
  name: "乙肝表面抗原",
  nameEn: "HBsAg",
  unit: "",
  decimals: 0,
  resultType: "qualitative",
  choices: [
    { code: "NEG", label: "阴性", labelEn: "negative" },
    { code: "POS", label: "阳性", labelEn: "positive" },
  ],
  scheme: QUALITATIVE_SCHEME,
};
export const MICRO: AnalyteDefinition = {
  code: "ID",
  name: "细菌鉴定与药敏",
  nameEn: "Identification and susceptibility",
  unit: "",
  decimals: 0,
  resultType: "microbiology",
  choices: [
    { code: "ECO", label: "大肠埃希菌", labelEn: "Escherichia coli" },
    { code: "SAU", label: "金黄色葡萄球菌", labelEn: "Staphylococcus aureus" },
  ],
  susceptibilityRequired: true,
  antibiotics: [
    { code: "AMP", label: "氨苄西林", labelEn: "ampicillin" },
    { code: "CIP", label: "环丙沙星", labelEn: "ciprofloxacin" },
  ],
  scheme: QUALITATIVE_SCHEME,
};
export const TRUE: AnalyteDefinition = {
  ...GLU,
  code: "CHOL",
  name: "总胆固醇",
  nameEn: "Cholesterol",
  resultType: "trueness",
  required: false,
  trueness: { days: 2, replicates: 3 },
  scheme: { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange", allowed: { percent: 3 } },
};
export const MORPH: AnalyteDefinition = {
  code: "CELL",
  name: "细胞形态",
  nameEn: "Cell morphology",
  unit: "",
  decimals: 0,
  resultType: "morphology",
  choices: [
    { code: "NEU", label: "中性粒细胞", labelEn: "neutrophil" },
    { code: "LYM", label: "淋巴细胞", labelEn: "lymphocyte" },
  ],
  images: ["IMG1", "IMG2"],
  scheme: QUALITATIVE_SCHEME,
};
export const ANALYTES = [GLU, HBA1C, HBSAG, MICRO, TRUE, MORPH];

export const OPENS = new Date("2025-03-01T00:00:00Z");
export const DEADLINE = new Date("2025-03-15T16:00:00Z");
export const DURING = new Date("2025-03-10T08:00:00Z");
export const AFTER = new Date("2025-03-16T08:00:00Z");
export const INSTITUTION = "0x00000000000000000000000000000000000000a1";

export interface TestDb {
  database: EqaDatabase;
  db: EqaDb;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), "eqa-intake-"));
  const url = `file:${join(dir, "eqa.db")}`;
  await migrateEqaDatabase(url);
  const database = openEqaDatabase(url);
  return {
    database,
    db: database.prisma,
    async close() {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Plan P1 with ANALYTES, round R1 (open, samples S1 and S2), labs L1..Ln enrolled. */
export async function openRound(db: EqaDb, labs = 2, status: "draft" | "open" = "open"): Promise<void> {
  await createPlan(db, { code: "P1", name: "常规化学", nameEn: "Routine chemistry", year: 2025, analytes: ANALYTES }, "centre");
  await createRound(db, { planCode: "P1", code: "R1", name: "2025 第一次", opensAt: OPENS, deadline: DEADLINE, samples: [{ code: "S1" }, { code: "S2" }] }, "centre");
  const codes: string[] = [];
  for (let i = 1; i <= labs; i++) {
    await registerLab(db, { code: `L${i}`, name: `Lab ${i}`, institution: INSTITUTION, department: "检验科", level: "tertiary", region: "浦东" }, "centre");
    codes.push(`L${i}`);
  }
  await enrolLabs(db, "R1", codes, "centre");
  if (status === "open") await setRoundStatus(db, "R1", "open", "centre");
}

/** A complete valid set for one sample: every analyte of ANALYTES. */
export function fullSet(sample: string) {
  return [
    { analyte: "GLU", sample, value: "5.62", instrument: "Cobas c702", reagent: "Roche", method: "hexokinase" },
    { analyte: "HBA1C", sample, value: "6.1" },
    { analyte: "HBSAG", sample, choice: "POS" },
    { analyte: "ID", sample, organisms: [{ code: "ECO", susceptibility: [{ antibiotic: "AMP", interpretation: "R", mic: "32" }] }] },
    { analyte: "CHOL", sample, replicates: [["5.01", "5.03", "4.99"], ["5.00", "5.02", "5.04"]] },
    { analyte: "CELL", sample, answers: [{ image: "IMG1", answer: "NEU" }, { image: "IMG2", answer: "LYM" }] },
  ];
}

/** Everything stored for a round, to prove that a refusal changed nothing. */
export async function snapshot(db: EqaDb) {
  const [results, enrolments, audit, unlocks] = await Promise.all([
    db.result.findMany({ orderBy: { id: "asc" } }),
    db.enrolment.findMany({ orderBy: { id: "asc" } }),
    db.auditEvent.count(),
    db.unlockRequest.findMany({ orderBy: { id: "asc" } }),
  ]);
  return { results, enrolments, audit, unlocks };
}
