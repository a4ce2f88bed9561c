// Bilingual labels: every label prints in Chinese and English; the language option only decides
// which comes first.

export interface Label {
  readonly zh: string;
  readonly en: string;
}

export type Language = "zh" | "en";

/** "中文 English" (or "English 中文" when English leads). */
export function bi(label: Label, language: Language): string {
  return language === "zh" ? `${label.zh} ${label.en}` : `${label.en} ${label.zh}`;
}

/** Passed / failed / not evaluated, as printed for an analyte, a round or the whole report. */
export function verdictLabel(passed: boolean | null): Label {
  if (passed === null) return { zh: "未评价", en: "Not evaluated" };
  return passed ? { zh: "合格", en: "Passed" } : { zh: "不合格", en: "Failed" };
}

/** Score kinds whose values are read against |score| ≤ 2 / < 3 (ISO 13528 9.4–9.6): drawn on a z chart. */
export function isZLike(scoreKind: string | undefined): boolean {
  return scoreKind === "z" || scoreKind === "zPrime" || scoreKind === "zeta";
}

export const LABELS = {
  organiser: { zh: "组织单位", en: "Organiser" },
  plan: { zh: "质评计划", en: "Plan" },
  round: { zh: "轮次", en: "Round" },
  deadline: { zh: "回报截止", en: "Deadline" },
  published: { zh: "发布日期", en: "Published" },
  laboratory: { zh: "实验室", en: "Laboratory" },
  department: { zh: "科室", en: "Department" },
  institution: { zh: "机构", en: "Institution" },
  reportNumber: { zh: "报告编号", en: "Report No." },
  certificateNumber: { zh: "证书编号", en: "Certificate No." },
  issued: { zh: "签发日期", en: "Issued" },
  scanToVerify: { zh: "扫码核验", en: "Scan to verify" },
  summary: { zh: "结果总结", en: "Summary" },
  analytesPassed: { zh: "合格项目", en: "Analytes passed" },
  score: { zh: "成绩", en: "Score" },
  overall: { zh: "总体评价", en: "Overall" },
  notes: { zh: "说明", en: "Notes" },
  sample: { zh: "样本", en: "Sample" },
  result: { zh: "结果", en: "Result" },
  assignedValue: { zh: "指定值", en: "Assigned value" },
  sigmaOrRange: { zh: "σpt / 允许范围", en: "allowed range" },
  scoreColumn: { zh: "评分", en: "Score" },
  judgement: { zh: "判定", en: "Judgement" },
  analyteVerdict: { zh: "项目评价", en: "Analyte" },
  acceptable: { zh: "可接受", en: "acceptable" },
  scheme: { zh: "评价方案", en: "Scheme" },
  sigma: { zh: "σpt", en: "SDPA" },
  allowed: { zh: "允许误差", en: "Allowed error" },
  notComputable: { zh: "不可计算", en: "not computable" },
  noData: { zh: "无数据", en: "No data" },
  labValue: { zh: "本室", en: "Your lab" },
  analyte: { zh: "项目", en: "Analyte" },
  trend: { zh: "趋势", en: "Trend" },
  notInRound: { zh: "未参加", en: "Not in round" },
  page: { zh: "页", en: "Page" },
  validity: { zh: "有效期", en: "Valid" },
  signatory: { zh: "签发人", en: "Signatory" },
} as const satisfies Record<string, Label>;

/** The line telling a reader how to check the file, printed on reports and certificates. */
export const HOW_TO_VERIFY: Label = {
  zh: "核验方法：打开核验页面（扫描二维码）并上传本文件，系统计算文件的 SM3 哈希，与区块链上登记的哈希比对，给出有效、已撤销、已过期或已被篡改的结论。",
  en: "How to verify: open the verification page (scan the QR code) and upload this file; its SM3 hash is checked against the hash registered on chain: valid, revoked, expired or altered.",
};
