// Laboratory analytes a criterion may threshold, with every unit the district reports them in and the
// conversion between those units. A lab criterion names one LOINC code (which picks the analyte) and a
// unit; it is evaluated against the results of every LOINC code of that analyte, each in its own unit,
// by converting the threshold — never the stored value — so both evaluators compare the same doubles.
// An analyte or unit not in this table is refused: a threshold whose unit cannot be converted would
// silently miss the results reported in the other unit.
import { platformError } from "@health-chain/sdk";

/** A unit of an analyte: canonical value = value × scale + offset. */
export interface AnalyteUnit {
  readonly unit: string;
  readonly scale: number;
  readonly offset: number;
}

/** A laboratory analyte: its LOINC codes (LOINC separates mass from substance concentration) and its units. */
export interface LabAnalyte {
  readonly analyte: string;
  readonly nameEn: string;
  readonly nameZh: string;
  readonly loinc: readonly string[];
  /** The first unit is canonical (scale 1, offset 0). */
  readonly units: readonly AnalyteUnit[];
  readonly reference: string;
}

const canonical = (unit: string): AnalyteUnit => ({ unit, scale: 1, offset: 0 });
const per = (unit: string, scale: number, offset = 0): AnalyteUnit => ({ unit, scale, offset });

// Molar masses behind the factors: glucose 180.16 g/mol (1 mmol/L = 18.016 mg/dL), creatinine
// 113.12 g/mol (1 mg/dL = 88.4 µmol/L), cholesterol 386.65 g/mol (1 mmol/L = 38.67 mg/dL).
const GLUCOSE_MG_PER_DL = 1 / 18.016;
const CHOLESTEROL_MG_PER_DL = 1 / 38.67;
const CHOLESTEROL_REFERENCE = "1 mmol/L = 38.67 mg/dL (cholesterol, M = 386.65 g/mol); NCEP ATP III conversion factor";

/** The analytes criteria may threshold, with their references. */
export const LAB_ANALYTES: readonly LabAnalyte[] = [
  {
    analyte: "hba1c",
    nameEn: "Haemoglobin A1c",
    nameZh: "糖化血红蛋白",
    loinc: ["4548-4", "17856-6", "59261-8"],
    // IFCC (mmol/mol) = (NGSP % − 2.15) × 10.929, the IFCC–NGSP master equation (Hoelzel et al.,
    // Clin Chem 2004;50:166–174), hence NGSP % = IFCC / 10.929 + 2.15.
    units: [canonical("%"), per("mmol/mol", 1 / 10.929, 2.15)],
    reference: "IFCC = (NGSP − 2.15) × 10.929 (Hoelzel et al., Clin Chem 2004;50:166–174)",
  },
  {
    analyte: "glucose-fasting",
    nameEn: "Fasting glucose, serum or plasma",
    nameZh: "空腹血糖（血清/血浆）",
    loinc: ["14771-0", "1558-6"],
    units: [canonical("mmol/L"), per("mg/dL", GLUCOSE_MG_PER_DL)],
    reference: "1 mmol/L = 18.016 mg/dL (glucose, M = 180.16 g/mol)",
  },
  {
    analyte: "glucose",
    nameEn: "Glucose, serum or plasma",
    nameZh: "血糖（血清/血浆）",
    loinc: ["14749-6", "2345-7"],
    units: [canonical("mmol/L"), per("mg/dL", GLUCOSE_MG_PER_DL)],
    reference: "1 mmol/L = 18.016 mg/dL (glucose, M = 180.16 g/mol)",
  },
  {
    analyte: "creatinine",
    nameEn: "Creatinine, serum or plasma",
    nameZh: "肌酐（血清/血浆）",
    loinc: ["14682-9", "2160-0"],
    // "umol/L" is the UCUM spelling of µmol/L.
    units: [canonical("µmol/L"), per("umol/L", 1), per("mg/dL", 88.4)],
    reference: "1 mg/dL = 88.4 µmol/L (creatinine, M = 113.12 g/mol)",
  },
  {
    analyte: "cholesterol",
    nameEn: "Cholesterol, total",
    nameZh: "总胆固醇",
    loinc: ["14647-2", "2093-3"],
    units: [canonical("mmol/L"), per("mg/dL", CHOLESTEROL_MG_PER_DL)],
    reference: CHOLESTEROL_REFERENCE,
  },
  {
    analyte: "ldl-cholesterol",
    nameEn: "LDL cholesterol",
    nameZh: "低密度脂蛋白胆固醇",
    loinc: ["22748-8", "2089-1"],
    units: [canonical("mmol/L"), per("mg/dL", CHOLESTEROL_MG_PER_DL)],
    reference: CHOLESTEROL_REFERENCE,
  },
  {
    analyte: "hdl-cholesterol",
    nameEn: "HDL cholesterol",
    nameZh: "高密度脂蛋白胆固醇",
    loinc: ["14646-4", "2085-9"],
    units: [canonical("mmol/L"), per("mg/dL", CHOLESTEROL_MG_PER_DL)],
    reference: CHOLESTEROL_REFERENCE,
  },
];

/** The analyte a LOINC code belongs to, or undefined when the code has no conversion table here. */
export function analyteOfLoinc(loinc: string): LabAnalyte | undefined {
  return LAB_ANALYTES.find((analyte) => analyte.loinc.includes(loinc));
}

/** The unit of an analyte, or undefined when the analyte is not reported in it. */
export function unitOfAnalyte(analyte: LabAnalyte, unit: string): AnalyteUnit | undefined {
  return analyte.units.find((candidate) => candidate.unit === unit);
}

/**
 * Converts a value of the analyte of `loinc` from one unit to another (through the canonical unit).
 * E.g. HbA1c 7 % → (7 − 2.15) × 10.929 = 53.00565 mmol/mol. Throws INVALID_INPUT for an unknown
 * analyte or unit, or a value that is not finite.
 */
export function convertLabValue(loinc: string, value: number, fromUnit: string, toUnit: string): number {
  const analyte = analyteOfLoinc(loinc);
  const from = analyte && unitOfAnalyte(analyte, fromUnit);
  const to = analyte && unitOfAnalyte(analyte, toUnit);
  if (!analyte || !from || !to || !Number.isFinite(value)) {
    throw platformError("INVALID_INPUT", {
      details: { loinc, fromUnit, toUnit, value, knownUnits: analyte?.units.map((u) => u.unit) ?? [] },
      message: analyte
        ? `Cannot convert ${String(value)} ${fromUnit} to ${toUnit} for LOINC ${loinc}: the units known for ${analyte.nameEn} are ${analyte.units.map((u) => u.unit).join(", ")}.`
        : `LOINC ${loinc} has no unit conversion table; the convertible analytes are ${LAB_ANALYTES.map((a) => a.analyte).join(", ")}.`,
      messageZh: analyte
        ? `无法将 LOINC ${loinc} 的 ${String(value)} ${fromUnit} 换算为 ${toUnit}：${analyte.nameZh}的已知单位为 ${analyte.units.map((u) => u.unit).join("、")}。`
        : `LOINC ${loinc} 没有单位换算表；可换算的检验项目为 ${LAB_ANALYTES.map((a) => a.analyte).join("、")}。`,
    });
  }
  return (value * from.scale + from.offset - to.offset) / to.scale;
}
