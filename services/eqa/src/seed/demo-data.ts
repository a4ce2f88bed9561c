// The demonstration data of `eqa seed` (and `npm start`), as plain values: the laboratories of the
// development institutions (gateway/config/dev.json), the two demo plans of plans.ts, their rounds'
// samples and every lab's results drawn from a seeded generator. Nothing here touches a database.
//
// Results scatter as in a routine EQA survey: each lab has its own systematic bias per analyte and a
// random error per sample, each with a standard deviation of 0.15 × the allowed total error (so a
// lab's total error is about TEa / 4.7 and an honest lab passes); one lab (FAILING_LAB) reads
// potassium 15 % high, well outside TEa = 6 % (WS/T 403-2012), and fails it on every sample.
import type { LabInput } from "../model/labs.ts";
import type { PlanInput } from "../model/plans.ts";
import type { RoundInput } from "../model/rounds.ts";
import type { ResultEntry } from "../intake/types.ts";
import type { AnalyteDefinition, ExpectedValue } from "../types.ts";
import { clinicalChemistryAnalytes, specialSchemesAnalytes } from "./plans.ts";
import { mulberry32, normalFrom, seedOf } from "./prng.ts";

/** The development consortium's institutions (gateway/config/dev.json). */
export const DEV_INSTITUTIONS = {
  commission: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  hospital: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  centre: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  platform: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
} as const;

/** The hospital's laboratory department that the dev staff "hospital-lab" acts for. */
export const ENTRY_LAB = "L01";
/** The lab whose potassium is biased: it fails K in round 1 of the chemistry plan. */
export const FAILING_LAB = { lab: "L06", analyte: "K", factor: 1.15 } as const;
/** The lab that registers non-participation in round 1 of the chemistry plan. */
export const NON_PARTICIPATING_LAB = { lab: "L08", reason: "生化分析仪故障维修中 Chemistry analyser under repair" } as const;

const { commission, hospital, centre, platform } = DEV_INSTITUTIONS;

export const DEMO_LABS: readonly LabInput[] = [
  { code: "L01", name: "区人民医院检验科", institution: hospital, department: "检验科", level: "secondary", region: "东城" },
  { code: "L02", name: "区人民医院东院区检验科", institution: hospital, department: "检验科", level: "secondary", region: "东城" },
  { code: "L03", name: "区中心医院检验科", institution: commission, department: "检验科", level: "tertiary", region: "南城" },
  // A hospital without a transfusion service: not allowed to type blood groups (strict scheme).
  { code: "L04", name: "区中医医院检验科", institution: commission, department: "检验科", level: "secondary", region: "西城", allowedToTest: { ABO: false } },
  { code: "L05", name: "区妇幼保健院检验科", institution: commission, department: "检验科", level: "secondary", region: "北城" },
  { code: "L06", name: "东城社区卫生服务中心检验室", institution: commission, department: "检验室", level: "primary", region: "东城" },
  { code: "L07", name: "西城社区卫生服务中心检验室", institution: commission, department: "检验室", level: "primary", region: "西城" },
  { code: "L08", name: "南城社区卫生服务中心检验室", institution: commission, department: "检验室", level: "primary", region: "南城" },
  { code: "L09", name: "北城社区卫生服务中心检验室", institution: commission, department: "检验室", level: "primary", region: "北城" },
  { code: "L10", name: "区域医学检验中心", institution: platform, department: "临床检验部", level: "other", region: "南城" },
  { code: "L11", name: "区域医学检验中心急诊实验室", institution: platform, department: "急诊检验室", level: "other", region: "北城" },
  { code: "L12", name: "区临床检验中心参考实验室", institution: centre, department: "参考实验室", level: "other", region: "西城" },
];

/** Per analyte: the method every lab declares, and the five samples' true values (round 1). */
const CHEMISTRY: Record<string, { method: string; targets: number[] }> = {
  GLU: { method: "己糖激酶法", targets: [5.1, 7.9, 11.6, 3.8, 15.3] },
  K: { method: "离子选择电极法", targets: [3.6, 4.4, 5.6, 2.9, 6.4] },
  NA: { method: "离子选择电极法", targets: [138.0, 132.5, 145.0, 126.0, 151.5] },
  CL: { method: "离子选择电极法", targets: [101.0, 95.0, 108.0, 88.0, 114.0] },
  CA: { method: "偶氮胂 III 法", targets: [2.25, 1.95, 2.6, 1.7, 2.95] },
  UREA: { method: "脲酶-谷氨酸脱氢酶法", targets: [5.0, 8.6, 15.2, 3.2, 24.5] },
  CREA: { method: "肌氨酸氧化酶法", targets: [72, 135, 310, 55, 560] },
  ALT: { method: "IFCC 推荐法（无 P5P）", targets: [25, 48, 96, 15, 180] },
  TC: { method: "胆固醇氧化酶法", targets: [4.6, 5.9, 3.4, 7.2, 6.5] },
  TG: { method: "GPO-PAP 法", targets: [1.2, 2.3, 0.7, 3.8, 1.7] },
};

/** The special-schemes plan's five samples. Sample 3 is an occult HBV infection (HBsAg negative,
 * HBV DNA detectable): a classic challenge of serology schemes. */
const SPECIAL = {
  HBSAG: ["POS", "POS", "NEG", "POS", "POS"],
  /** log10 IU/mL. */
  HBV_DNA: [3.2, 5.6, 2.4, 4.1, 6.8],
  /** %. */
  RET: [1.2, 2.6, 0.8, 4.8, 1.9],
  ABO: ["A", "O", "B", "AB", "O"],
} as const;

const INSTRUMENTS = ["cobas c 702", "AU5800", "BS-2000M", "Atellica CH 930"];

/** Labs enrolled per plan. */
export const CHEMISTRY_LABS: readonly string[] = DEMO_LABS.map((l) => l.code);
export const SPECIAL_LABS: readonly string[] = ["L01", "L02", "L03", "L04", "L05", "L10", "L12"];

/** Round 2 of the chemistry plan, open for entry: who has submitted and who holds a draft. */
export const ROUND2_SUBMITTED: readonly string[] = ["L02", "L03", "L04", "L05", "L09", "L10", "L12"];
export const ROUND2_DRAFT: readonly string[] = ["L06"];

export interface DemoPlan {
  key: "CHEM" | "SPEC";
  input: PlanInput;
  labs: readonly string[];
}

export function demoPlans(year: number): DemoPlan[] {
  return [
    {
      key: "CHEM",
      input: { code: `CHEM-${year}`, name: `常规化学室间质评 ${year}`, nameEn: `Routine clinical chemistry EQA ${year}`, year, analytes: clinicalChemistryAnalytes() },
      labs: CHEMISTRY_LABS,
    },
    {
      key: "SPEC",
      input: { code: `SPEC-${year}`, name: `专项室间质评 ${year}（乙肝标志物、网织红细胞、ABO 血型）`, nameEn: `Special schemes EQA ${year} (HBV markers, reticulocytes, ABO)`, year, analytes: specialSchemesAnalytes() },
      labs: SPECIAL_LABS,
    },
  ];
}

/** The samples of round `n` (1 or 2) of a plan: codes yyyy + n + i as on Chinese EQA panels. */
export function demoSamples(plan: DemoPlan, n: number): RoundInput["samples"] {
  return [1, 2, 3, 4, 5].map((i) => {
    const code = `${plan.input.year}${n}${i}`;
    if (plan.key === "CHEM") return { code };
    const expected: Record<string, ExpectedValue> = {
      HBSAG: { type: "qualitative", choice: SPECIAL.HBSAG[i - 1]! },
      ABO: { type: "qualitative", choice: SPECIAL.ABO[i - 1]! },
    };
    return { code, expected };
  });
}

/** The larger of the percentage and the absolute allowed total error at `target`. */
function allowedAt(analyte: AnalyteDefinition, target: number): number {
  const allowed = analyte.scheme.allowed ?? {};
  return Math.max(((allowed.percent ?? 0) / 100) * Math.abs(target), allowed.absolute ?? 0);
}

/** Reticulocytes: allowed = √(t × (100 − t) / 1000) (see src/types.ts, SpecialScheme). */
const reticulocyteAllowed = (t: number) => Math.sqrt((t * (100 - t)) / 1000);

/** Relative spread of a lab's bias and of its random error, in units of the allowed error. */
const SPREAD = 0.15;
/**
 * HBV DNA is scored by z with σpt = sigmaValue / 3 ("fitnessAbsolute": sigmaValue is the allowed
 * error, ±0.5 log10 IU/mL), acceptable while |z| ≤ 2: its allowed error is 2σpt.
 */
function zAllowed(analyte: AnalyteDefinition): number {
  return (2 * (analyte.scheme.sigmaValue ?? 0)) / 3;
}

/**
 * Every lab's entries for round `n` of a plan, drawn from a generator seeded by the plan's key and
 * the round number (not the year: the demo shows the same standings every year).
 */
export function demoEntries(plan: DemoPlan, n: number): Map<string, ResultEntry[]> {
  const normal = normalFrom(mulberry32(seedOf(`${plan.key}-${n}`)));
  const samples = demoSamples(plan, n).map((s) => s.code);
  // Round 2 uses other concentrations: the same materials in another order, 3 % higher.
  const index = (i: number) => (n === 1 ? i : (i + 2) % samples.length);
  const scale = n === 1 ? 1 : 1.03;
  const byLab = new Map<string, ResultEntry[]>();
  for (const [labIndex, labCode] of plan.labs.entries()) {
    const lab = DEMO_LABS.find((l) => l.code === labCode)!;
    const instrument = INSTRUMENTS[labIndex % INSTRUMENTS.length]!;
    const entries: ResultEntry[] = [];
    for (const analyte of plan.input.analytes) {
      const bias = normal() * SPREAD;
      samples.forEach((sample, i) => {
        const noise = normal() * SPREAD;
        const at = { analyte: analyte.code, sample, instrument };
        if (plan.key === "CHEM") {
          const target = CHEMISTRY[analyte.code]!.targets[index(i)]! * scale;
          let value = target + (bias + noise) * allowedAt(analyte, target);
          if (n === 1 && labCode === FAILING_LAB.lab && analyte.code === FAILING_LAB.analyte) value = target * FAILING_LAB.factor + noise * allowedAt(analyte, target);
          entries.push({ ...at, value: value.toFixed(analyte.decimals), method: CHEMISTRY[analyte.code]!.method });
          return;
        }
        switch (analyte.code) {
          case "HBSAG":
            entries.push({ ...at, choice: SPECIAL.HBSAG[i]!, method: "化学发光微粒子免疫分析法" });
            return;
          case "HBV-DNA": {
            const log = SPECIAL.HBV_DNA[i]! + (bias + noise) * zAllowed(analyte);
            entries.push({ ...at, value: Math.round(10 ** log).toString(), method: "实时荧光定量 PCR" });
            return;
          }
          case "RET": {
            const t = SPECIAL.RET[i]!;
            entries.push({ ...at, value: (t + (bias + noise) * reticulocyteAllowed(t)).toFixed(analyte.decimals), method: "流式细胞术（荧光染色）" });
            return;
          }
          case "ABO":
            if (lab.allowedToTest?.ABO === false) return;
            entries.push({ ...at, choice: SPECIAL.ABO[i]!, method: "微柱凝胶法" });
            return;
        }
      });
    }
    byLab.set(labCode, entries);
  }
  return byLab;
}
