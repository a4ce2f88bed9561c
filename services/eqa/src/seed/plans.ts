// The demonstration plans of the district's quality centre, as `npm start` and the end-to-end test
// create them: a routine clinical chemistry plan (quantitative, consensus by algorithm A, judged by
// the allowed total error of the Chinese national criteria, WS/T 403-2012 where it states one) and
// a plan with the other result types and special schemes (qualitative serology, microbiology with
// susceptibility, trueness verification, blood-cell morphology, reticulocytes, HPV genotyping,
// ABO/RhD typing scored strictly).
import type { AnalyteDefinition, EvaluationScheme } from "../types.ts";

const consensusAllowed = (percent: number, absolute?: number): EvaluationScheme => ({
  assignedValue: "algorithmA",
  sigma: "robustS",
  outliers: { test: "grubbsIterated", alpha: 0.05 },
  score: "allowedRange",
  allowed: absolute === undefined ? { percent } : { percent, absolute },
  peerGroups: { by: ["method"], minSize: 5 },
  minResults: 5,
});

const qualitative: EvaluationScheme = { assignedValue: "reference", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange" };

/** Routine chemistry: analyte code, LOINC, names, unit, decimals, allowed total error (% and absolute). */
const CHEMISTRY: [string, string, string, string, string, number, number, number | undefined, number, number][] = [
  ["GLU", "2345-7", "葡萄糖", "Glucose", "mmol/L", 2, 7, 0.3, 0.5, 50],
  ["K", "2823-3", "钾", "Potassium", "mmol/L", 2, 6, 0.2, 1, 15],
  ["NA", "2951-2", "钠", "Sodium", "mmol/L", 1, 4, undefined, 80, 200],
  ["CL", "2075-0", "氯", "Chloride", "mmol/L", 1, 4, undefined, 50, 150],
  ["CA", "17861-6", "钙", "Calcium", "mmol/L", 2, 5, undefined, 0.5, 5],
  ["UREA", "3091-6", "尿素", "Urea", "mmol/L", 2, 8, 0.5, 0.5, 60],
  ["CREA", "2160-0", "肌酐", "Creatinine", "μmol/L", 0, 12, 15, 10, 2000],
  ["ALT", "1742-6", "丙氨酸氨基转移酶", "Alanine aminotransferase", "U/L", 0, 16, 6, 1, 2000],
  ["TC", "2093-3", "总胆固醇", "Total cholesterol", "mmol/L", 2, 9, undefined, 0.5, 20],
  ["TG", "2571-8", "甘油三酯", "Triglycerides", "mmol/L", 2, 14, undefined, 0.1, 30],
];

export function clinicalChemistryAnalytes(): AnalyteDefinition[] {
  return CHEMISTRY.map(([code, loinc, name, nameEn, unit, decimals, percent, absolute, min, max]) => ({
    code,
    loinc,
    name,
    nameEn,
    unit,
    decimals,
    resultType: "quantitative",
    min,
    max,
    required: true,
    scheme: consensusAllowed(percent, absolute),
  }));
}

export function specialSchemesAnalytes(): AnalyteDefinition[] {
  return [
    {
      code: "HBSAG",
      loinc: "5196-1",
      name: "乙型肝炎表面抗原",
      nameEn: "Hepatitis B surface antigen",
      unit: "",
      decimals: 0,
      resultType: "qualitative",
      choices: [
        { code: "NEG", label: "阴性", labelEn: "Negative" },
        { code: "POS", label: "阳性", labelEn: "Positive" },
      ],
      required: true,
      scheme: qualitative,
    },
    {
      code: "HBV-DNA",
      loinc: "42595-9",
      name: "乙型肝炎病毒 DNA",
      nameEn: "HBV DNA",
      unit: "IU/mL",
      decimals: 0,
      resultType: "quantitative",
      min: 1,
      max: 1e10,
      requires: ["HBSAG"],
      scheme: { assignedValue: "median", sigma: "fitnessAbsolute", sigmaValue: 0.5, outliers: { test: "none", alpha: 0.05 }, score: "z", log10: true, minResults: 5 },
    },
    {
      code: "RET",
      loinc: "4679-7",
      name: "网织红细胞百分比",
      nameEn: "Reticulocytes",
      unit: "%",
      decimals: 1,
      resultType: "quantitative",
      min: 0,
      max: 30,
      special: "reticulocyte",
      scheme: { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "grubbs", alpha: 0.05 }, score: "allowedRange", minResults: 5 },
    },
    {
      code: "ABO",
      loinc: "883-9",
      name: "ABO 血型",
      nameEn: "ABO group",
      unit: "",
      decimals: 0,
      resultType: "qualitative",
      choices: ["A", "B", "O", "AB"].map((g) => ({ code: g, label: `${g} 型`, labelEn: `Group ${g}` })),
      special: "strict",
      scheme: qualitative,
    },
  ];
}
