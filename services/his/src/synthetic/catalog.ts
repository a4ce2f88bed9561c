// The clinical code systems the generator draws from: a small curated set of ICD-10 diagnoses
// with their Chinese clinical names, LOINC-coded laboratory tests with every unit the district's
// laboratories report them in, and the drugs (ATC codes) prescribed for each diagnosis.

export interface Diagnosis {
  readonly icd10: string;
  readonly nameZh: string;
  readonly nameEn: string;
  /** The department that usually treats it. */
  readonly department: string;
}

export const DIAGNOSES = {
  I10: { icd10: "I10", nameZh: "原发性高血压", nameEn: "Essential (primary) hypertension", department: "心血管内科" },
  "E11.9": { icd10: "E11.9", nameZh: "2型糖尿病", nameEn: "Type 2 diabetes mellitus without complications", department: "内分泌科" },
  "E78.5": { icd10: "E78.5", nameZh: "高脂血症", nameEn: "Hyperlipidaemia, unspecified", department: "内分泌科" },
  "I25.1": { icd10: "I25.1", nameZh: "动脉粥样硬化性心脏病", nameEn: "Atherosclerotic heart disease", department: "心血管内科" },
  "I63.9": { icd10: "I63.9", nameZh: "脑梗死", nameEn: "Cerebral infarction, unspecified", department: "神经内科" },
  "J44.9": { icd10: "J44.9", nameZh: "慢性阻塞性肺疾病", nameEn: "Chronic obstructive pulmonary disease, unspecified", department: "呼吸内科" },
  "N18.9": { icd10: "N18.9", nameZh: "慢性肾脏病", nameEn: "Chronic kidney disease, unspecified", department: "肾脏内科" },
  "E79.0": { icd10: "E79.0", nameZh: "高尿酸血症", nameEn: "Hyperuricaemia without signs of inflammatory arthritis", department: "内分泌科" },
  "E03.9": { icd10: "E03.9", nameZh: "甲状腺功能减退症", nameEn: "Hypothyroidism, unspecified", department: "内分泌科" },
  "D64.9": { icd10: "D64.9", nameZh: "贫血", nameEn: "Anaemia, unspecified", department: "血液内科" },
  "K76.0": { icd10: "K76.0", nameZh: "脂肪肝", nameEn: "Fatty (change of) liver, not elsewhere classified", department: "消化内科" },
  "J06.9": { icd10: "J06.9", nameZh: "急性上呼吸道感染", nameEn: "Acute upper respiratory infection, unspecified", department: "呼吸内科" },
  "J18.9": { icd10: "J18.9", nameZh: "肺炎", nameEn: "Pneumonia, unspecified", department: "呼吸内科" },
  "K29.7": { icd10: "K29.7", nameZh: "胃炎", nameEn: "Gastritis, unspecified", department: "消化内科" },
  "M10.9": { icd10: "M10.9", nameZh: "痛风", nameEn: "Gout, unspecified", department: "风湿免疫科" },
  "Z00.0": { icd10: "Z00.0", nameZh: "一般医学检查", nameEn: "General medical examination", department: "体检中心" },
} as const satisfies Record<string, Diagnosis>;

export type DiagnosisCode = keyof typeof DIAGNOSES;

/** One unit a test is reported in, with its LOINC code (LOINC separates mass from substance concentration). */
export interface LabUnit {
  readonly unit: string;
  readonly loinc: string;
  readonly decimals: number;
  /** The value in this unit of a value in the test's canonical (first) unit. */
  readonly fromCanonical: (value: number) => number;
}

export interface LabTest {
  readonly key: string;
  readonly nameZh: string;
  readonly nameEn: string;
  /** What laboratories call it in their own dictionaries: mnemonics and Chinese names. */
  readonly mnemonics: readonly string[];
  readonly localNames: readonly string[];
  /** The canonical unit first. */
  readonly units: readonly LabUnit[];
  /** The reference interval in the canonical unit. */
  readonly normal: readonly [number, number];
}

const same = (value: number) => value;
const times = (factor: number) => (value: number) => value * factor;

export const LAB_TESTS: readonly LabTest[] = [
  {
    key: "GLU", nameZh: "空腹血糖", nameEn: "Fasting glucose", mnemonics: ["GLU", "FBG", "GLU-F", "FPG"],
    localNames: ["空腹血糖", "空腹葡萄糖", "葡萄糖(空腹)", "血糖"],
    units: [
      { unit: "mmol/L", loinc: "14771-0", decimals: 2, fromCanonical: same },
      { unit: "mg/dL", loinc: "1558-6", decimals: 0, fromCanonical: times(18.016) },
    ],
    normal: [3.9, 6.1],
  },
  {
    key: "HBA1C", nameZh: "糖化血红蛋白", nameEn: "Haemoglobin A1c", mnemonics: ["HbA1c", "GHB", "A1C"],
    localNames: ["糖化血红蛋白", "糖化血红蛋白A1c", "HbA1c测定"],
    units: [
      { unit: "%", loinc: "4548-4", decimals: 1, fromCanonical: same },
      // IFCC units from NGSP percent (the master equation).
      { unit: "mmol/mol", loinc: "59261-8", decimals: 0, fromCanonical: (value) => (value - 2.15) * 10.929 },
    ],
    normal: [4.0, 6.0],
  },
  {
    key: "TC", nameZh: "总胆固醇", nameEn: "Total cholesterol", mnemonics: ["TC", "CHOL", "T-CHO"],
    localNames: ["总胆固醇", "胆固醇", "血清总胆固醇"],
    units: [
      { unit: "mmol/L", loinc: "14647-2", decimals: 2, fromCanonical: same },
      { unit: "mg/dL", loinc: "2093-3", decimals: 0, fromCanonical: times(38.67) },
    ],
    normal: [3.1, 5.2],
  },
  {
    key: "TG", nameZh: "甘油三酯", nameEn: "Triglycerides", mnemonics: ["TG", "TRIG"],
    localNames: ["甘油三酯", "三酰甘油", "血清甘油三酯"],
    units: [
      { unit: "mmol/L", loinc: "14927-8", decimals: 2, fromCanonical: same },
      { unit: "mg/dL", loinc: "2571-8", decimals: 0, fromCanonical: times(88.57) },
    ],
    normal: [0.5, 1.7],
  },
  {
    key: "LDL", nameZh: "低密度脂蛋白胆固醇", nameEn: "LDL cholesterol", mnemonics: ["LDL-C", "LDL", "LDLC"],
    localNames: ["低密度脂蛋白胆固醇", "低密度脂蛋白", "LDL-胆固醇"],
    units: [
      { unit: "mmol/L", loinc: "22748-8", decimals: 2, fromCanonical: same },
      { unit: "mg/dL", loinc: "2089-1", decimals: 0, fromCanonical: times(38.67) },
    ],
    normal: [1.5, 3.4],
  },
  {
    key: "HDL", nameZh: "高密度脂蛋白胆固醇", nameEn: "HDL cholesterol", mnemonics: ["HDL-C", "HDL", "HDLC"],
    localNames: ["高密度脂蛋白胆固醇", "高密度脂蛋白", "HDL-胆固醇"],
    units: [
      { unit: "mmol/L", loinc: "14646-4", decimals: 2, fromCanonical: same },
      { unit: "mg/dL", loinc: "2085-9", decimals: 0, fromCanonical: times(38.67) },
    ],
    normal: [1.0, 1.9],
  },
  {
    key: "CREA", nameZh: "肌酐", nameEn: "Creatinine", mnemonics: ["CREA", "Cr", "CRE"],
    localNames: ["肌酐", "血肌酐", "血清肌酐"],
    units: [
      { unit: "µmol/L", loinc: "14682-9", decimals: 0, fromCanonical: same },
      { unit: "mg/dL", loinc: "2160-0", decimals: 2, fromCanonical: times(1 / 88.4) },
    ],
    normal: [45, 100],
  },
  {
    key: "UA", nameZh: "尿酸", nameEn: "Urate", mnemonics: ["UA", "URIC"],
    localNames: ["尿酸", "血尿酸", "血清尿酸"],
    units: [
      { unit: "µmol/L", loinc: "14933-6", decimals: 0, fromCanonical: same },
      { unit: "mg/dL", loinc: "3084-1", decimals: 1, fromCanonical: times(1 / 59.48) },
    ],
    normal: [150, 420],
  },
  {
    key: "ALT", nameZh: "丙氨酸氨基转移酶", nameEn: "Alanine aminotransferase", mnemonics: ["ALT", "GPT"],
    localNames: ["丙氨酸氨基转移酶", "谷丙转氨酶", "ALT(谷丙)"],
    units: [{ unit: "U/L", loinc: "1742-6", decimals: 0, fromCanonical: same }],
    normal: [7, 40],
  },
  {
    key: "AST", nameZh: "天门冬氨酸氨基转移酶", nameEn: "Aspartate aminotransferase", mnemonics: ["AST", "GOT"],
    localNames: ["天门冬氨酸氨基转移酶", "谷草转氨酶", "AST(谷草)"],
    units: [{ unit: "U/L", loinc: "1920-8", decimals: 0, fromCanonical: same }],
    normal: [13, 35],
  },
  {
    key: "K", nameZh: "钾", nameEn: "Potassium", mnemonics: ["K", "K+"],
    localNames: ["钾", "血钾", "钾离子"],
    units: [{ unit: "mmol/L", loinc: "2823-3", decimals: 2, fromCanonical: same }],
    normal: [3.5, 5.3],
  },
  {
    key: "TSH", nameZh: "促甲状腺激素", nameEn: "Thyrotropin", mnemonics: ["TSH", "sTSH"],
    localNames: ["促甲状腺激素", "促甲状腺素", "超敏促甲状腺激素"],
    units: [{ unit: "mIU/L", loinc: "3016-3", decimals: 2, fromCanonical: same }],
    normal: [0.27, 4.2],
  },
  {
    // One LOINC code for both units: g/L and g/dL are both mass concentrations.
    key: "HB", nameZh: "血红蛋白", nameEn: "Haemoglobin", mnemonics: ["HGB", "Hb"],
    localNames: ["血红蛋白", "血红蛋白浓度", "血色素"],
    units: [
      { unit: "g/L", loinc: "718-7", decimals: 0, fromCanonical: same },
      { unit: "g/dL", loinc: "718-7", decimals: 1, fromCanonical: times(0.1) },
    ],
    normal: [115, 160],
  },
  {
    key: "WBC", nameZh: "白细胞计数", nameEn: "Leukocytes", mnemonics: ["WBC", "LEU"],
    localNames: ["白细胞计数", "白细胞", "白细胞数"],
    units: [
      { unit: "10*9/L", loinc: "6690-2", decimals: 2, fromCanonical: same },
      { unit: "10*3/uL", loinc: "6690-2", decimals: 2, fromCanonical: same },
    ],
    normal: [3.5, 9.5],
  },
  {
    key: "PLT", nameZh: "血小板计数", nameEn: "Platelets", mnemonics: ["PLT"],
    localNames: ["血小板计数", "血小板", "血小板数"],
    units: [{ unit: "10*9/L", loinc: "777-3", decimals: 0, fromCanonical: same }],
    normal: [125, 350],
  },
];

export const LAB_TEST_BY_KEY: ReadonlyMap<string, LabTest> = new Map(LAB_TESTS.map((test) => [test.key, test]));

/** How a chronic condition shifts a test, in the test's canonical unit. */
export const ABNORMAL_RANGES: Readonly<Partial<Record<DiagnosisCode, Readonly<Record<string, readonly [number, number]>>>>> = {
  "E11.9": { GLU: [7.0, 13.5], HBA1C: [6.5, 10.5] },
  "E78.5": { TC: [5.5, 7.8], TG: [1.8, 4.5], LDL: [3.5, 5.2], HDL: [0.7, 1.05] },
  "N18.9": { CREA: [130, 320], K: [5.0, 6.0] },
  "E79.0": { UA: [430, 620] },
  "M10.9": { UA: [460, 650] },
  "E03.9": { TSH: [5.0, 18.0] },
  "D64.9": { HB: [78, 108] },
  "K76.0": { ALT: [45, 120], AST: [38, 80] },
  "J18.9": { WBC: [11, 18] },
};

/** The tests a visit for each diagnosis orders. */
export const TESTS_FOR_DIAGNOSIS: Readonly<Partial<Record<DiagnosisCode, readonly string[]>>> = {
  I10: ["K", "CREA"],
  "E11.9": ["GLU", "HBA1C"],
  "E78.5": ["TC", "TG", "LDL", "HDL"],
  "I25.1": ["TC", "LDL"],
  "N18.9": ["CREA", "K", "HB"],
  "E79.0": ["UA", "CREA"],
  "M10.9": ["UA", "CREA"],
  "E03.9": ["TSH"],
  "D64.9": ["HB"],
  "K76.0": ["ALT", "AST"],
  "J06.9": ["WBC", "HB", "PLT"],
  "J18.9": ["WBC", "HB", "PLT"],
};

/** The panel of an annual physical examination (体检) and the extra tests of an admission. */
export const EXAM_PANEL = ["GLU", "TC", "TG", "LDL", "HDL", "ALT", "CREA", "UA", "HB", "WBC"] as const;
export const ADMISSION_PANEL = [...EXAM_PANEL, "AST", "K", "PLT"] as const;

export interface Drug {
  readonly nameZh: string;
  readonly atc: string;
  readonly specification: string;
  readonly dose: string;
  readonly route: string;
  readonly frequency: string;
}

export const DRUGS_FOR_DIAGNOSIS: Readonly<Partial<Record<DiagnosisCode, readonly Drug[]>>> = {
  I10: [
    { nameZh: "苯磺酸氨氯地平片", atc: "C08CA01", specification: "5mg×28片", dose: "5mg", route: "口服", frequency: "qd" },
    { nameZh: "缬沙坦胶囊", atc: "C09CA03", specification: "80mg×28粒", dose: "80mg", route: "口服", frequency: "qd" },
  ],
  "E11.9": [
    { nameZh: "盐酸二甲双胍片", atc: "A10BA02", specification: "0.5g×60片", dose: "0.5g", route: "口服", frequency: "tid" },
    { nameZh: "阿卡波糖片", atc: "A10BF01", specification: "50mg×30片", dose: "50mg", route: "口服", frequency: "tid" },
  ],
  "E78.5": [{ nameZh: "阿托伐他汀钙片", atc: "C10AA05", specification: "20mg×7片", dose: "20mg", route: "口服", frequency: "qn" }],
  "I25.1": [
    { nameZh: "阿司匹林肠溶片", atc: "B01AC06", specification: "100mg×30片", dose: "100mg", route: "口服", frequency: "qd" },
    { nameZh: "阿托伐他汀钙片", atc: "C10AA05", specification: "20mg×7片", dose: "20mg", route: "口服", frequency: "qn" },
  ],
  "I63.9": [{ nameZh: "硫酸氢氯吡格雷片", atc: "B01AC04", specification: "75mg×7片", dose: "75mg", route: "口服", frequency: "qd" }],
  "J44.9": [{ nameZh: "噻托溴铵吸入粉雾剂", atc: "R03BB04", specification: "18μg×10粒", dose: "18μg", route: "吸入", frequency: "qd" }],
  "E79.0": [{ nameZh: "非布司他片", atc: "M04AA03", specification: "40mg×16片", dose: "40mg", route: "口服", frequency: "qd" }],
  "M10.9": [{ nameZh: "非布司他片", atc: "M04AA03", specification: "40mg×16片", dose: "40mg", route: "口服", frequency: "qd" }],
  "E03.9": [{ nameZh: "左甲状腺素钠片", atc: "H03AA01", specification: "50μg×100片", dose: "50μg", route: "口服", frequency: "qd" }],
  "D64.9": [{ nameZh: "琥珀酸亚铁片", atc: "B03AA06", specification: "0.1g×24片", dose: "0.1g", route: "口服", frequency: "tid" }],
  "J06.9": [{ nameZh: "对乙酰氨基酚片", atc: "N02BE01", specification: "0.5g×12片", dose: "0.5g", route: "口服", frequency: "prn" }],
  "J18.9": [{ nameZh: "头孢呋辛酯片", atc: "J01DC02", specification: "0.25g×12片", dose: "0.25g", route: "口服", frequency: "bid" }],
  "K29.7": [{ nameZh: "奥美拉唑肠溶胶囊", atc: "A02BC01", specification: "20mg×14粒", dose: "20mg", route: "口服", frequency: "qd" }],
};

/** Chronic conditions with their prevalence by age band (<35, 35–49, 50–64, 65+), roughly as in Chinese surveys. */
export const CHRONIC_PREVALENCE: readonly (readonly [DiagnosisCode, readonly [number, number, number, number]])[] = [
  ["I10", [0.03, 0.15, 0.35, 0.55]],
  ["E11.9", [0.01, 0.06, 0.15, 0.22]],
  ["E78.5", [0.05, 0.15, 0.25, 0.3]],
  ["I25.1", [0, 0.01, 0.05, 0.12]],
  ["I63.9", [0, 0.005, 0.02, 0.06]],
  ["J44.9", [0, 0.01, 0.04, 0.1]],
  ["N18.9", [0.005, 0.01, 0.03, 0.08]],
  ["E79.0", [0.05, 0.1, 0.12, 0.12]],
  ["E03.9", [0.01, 0.02, 0.03, 0.04]],
  ["D64.9", [0.03, 0.03, 0.03, 0.04]],
  ["K76.0", [0.05, 0.15, 0.2, 0.15]],
];

/** What brings a resident to hospital for a stay, among the diagnoses the resident may have. */
export const ADMISSION_DIAGNOSES: readonly DiagnosisCode[] = ["I63.9", "I25.1", "J44.9", "N18.9"];
/** Acute complaints of an outpatient visit, with weights. */
export const ACUTE_DIAGNOSES: readonly (readonly [DiagnosisCode, number])[] = [["J06.9", 6], ["K29.7", 3], ["J18.9", 1]];
