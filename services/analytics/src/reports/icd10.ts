// The 22 chapters of ICD-10 (WHO, 2019 edition; 国家标准 GB/T 14396-2016《疾病分类与代码》 follows
// the same chapters) by their ranges of 3-character categories, with the chapter titles in English
// (WHO) and Chinese (GB/T 14396). A category outside every range (e.g. D49, which WHO leaves unused)
// belongs to no chapter.
import type { Bilingual } from "../privacy/index.ts";

export interface Icd10Chapter {
  /** Roman numeral, I … XXII. */
  readonly chapter: string;
  /** First and last 3-character category, inclusive. */
  readonly from: string;
  readonly to: string;
  readonly title: Bilingual;
}

const chapter = (numeral: string, from: string, to: string, en: string, zh: string): Icd10Chapter => ({ chapter: numeral, from, to, title: { en, zh } });

export const ICD10_CHAPTERS: readonly Icd10Chapter[] = [
  chapter("I", "A00", "B99", "Certain infectious and parasitic diseases", "某些传染病和寄生虫病"),
  chapter("II", "C00", "D48", "Neoplasms", "肿瘤"),
  chapter("III", "D50", "D89", "Diseases of the blood and blood-forming organs and certain disorders involving the immune mechanism", "血液及造血器官疾病和涉及免疫机制的某些疾患"),
  chapter("IV", "E00", "E90", "Endocrine, nutritional and metabolic diseases", "内分泌、营养和代谢疾病"),
  chapter("V", "F00", "F99", "Mental and behavioural disorders", "精神和行为障碍"),
  chapter("VI", "G00", "G99", "Diseases of the nervous system", "神经系统疾病"),
  chapter("VII", "H00", "H59", "Diseases of the eye and adnexa", "眼和附器疾病"),
  chapter("VIII", "H60", "H95", "Diseases of the ear and mastoid process", "耳和乳突疾病"),
  chapter("IX", "I00", "I99", "Diseases of the circulatory system", "循环系统疾病"),
  chapter("X", "J00", "J99", "Diseases of the respiratory system", "呼吸系统疾病"),
  chapter("XI", "K00", "K93", "Diseases of the digestive system", "消化系统疾病"),
  chapter("XII", "L00", "L99", "Diseases of the skin and subcutaneous tissue", "皮肤和皮下组织疾病"),
  chapter("XIII", "M00", "M99", "Diseases of the musculoskeletal system and connective tissue", "肌肉骨骼系统和结缔组织疾病"),
  chapter("XIV", "N00", "N99", "Diseases of the genitourinary system", "泌尿生殖系统疾病"),
  chapter("XV", "O00", "O99", "Pregnancy, childbirth and the puerperium", "妊娠、分娩和产褥期"),
  chapter("XVI", "P00", "P96", "Certain conditions originating in the perinatal period", "起源于围生期的某些情况"),
  chapter("XVII", "Q00", "Q99", "Congenital malformations, deformations and chromosomal abnormalities", "先天性畸形、变形和染色体异常"),
  chapter("XVIII", "R00", "R99", "Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified", "症状、体征和临床与实验室异常所见，不可归类在他处者"),
  chapter("XIX", "S00", "T98", "Injury, poisoning and certain other consequences of external causes", "损伤、中毒和外因的某些其他后果"),
  chapter("XX", "V01", "Y98", "External causes of morbidity and mortality", "疾病和死亡的外因"),
  chapter("XXI", "Z00", "Z99", "Factors influencing health status and contact with health services", "影响健康状态和与保健机构接触的因素"),
  chapter("XXII", "U00", "U85", "Codes for special purposes", "用于特殊目的的编码"),
];

const BY_NUMERAL = new Map(ICD10_CHAPTERS.map((c, index) => [c.chapter, { ...c, index }]));

/** The chapter of an ICD-10 code (its first three characters, upper-cased), or null. */
export function icd10ChapterOf(code: string): Icd10Chapter | null {
  const category = code.slice(0, 3).toUpperCase();
  return ICD10_CHAPTERS.find((c) => category >= c.from && category <= c.to) ?? null;
}

/** A chapter by its numeral, with its position (for ordering). */
export function icd10Chapter(numeral: string): (Icd10Chapter & { readonly index: number }) | undefined {
  return BY_NUMERAL.get(numeral);
}
