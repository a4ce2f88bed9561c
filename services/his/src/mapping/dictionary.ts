// The standard dictionary a local dictionary is mapped to, and the standard lab dictionary built from the catalog.
import { platformError } from "@health-chain/sdk";
import { LAB_TESTS } from "../synthetic/catalog.ts";

/** One standard concept: for lab tests a LOINC code, which fixes the property (mass or substance concentration) and so the unit family. */
export interface StandardEntry {
  readonly code: string;
  readonly nameZh: string;
  readonly nameEn: string;
  /** Other names and abbreviations (Chinese or English) that mean exactly this concept. */
  readonly synonyms: readonly string[];
  readonly canonicalUnit: string;
  /** Every unit a result of this code may be reported in (the canonical one included). */
  readonly allowedUnits: readonly string[];
}

export interface StandardDictionary {
  /** The code system, e.g. `http://loinc.org`. */
  readonly system: string;
  /** Recorded on every proposal and decision, for audit. */
  readonly version: string;
  readonly entries: readonly StandardEntry[];
}

/** Checks a dictionary: codes unique, names and units present. Throws INVALID_INPUT naming the problems. */
export function validateDictionary(dictionary: StandardDictionary): StandardDictionary {
  const problems: string[] = [];
  const seen = new Set<string>();
  if (!dictionary.version?.trim()) problems.push("version is empty");
  for (const entry of dictionary.entries) {
    if (!entry.code?.trim()) problems.push("an entry has an empty code");
    else if (seen.has(entry.code)) problems.push(`code ${entry.code} appears twice`);
    seen.add(entry.code);
    if (!entry.nameZh?.trim() && !entry.nameEn?.trim()) problems.push(`${entry.code} has no name`);
    if (!entry.allowedUnits.includes(entry.canonicalUnit)) problems.push(`${entry.code}: canonical unit not among allowed units`);
  }
  if (problems.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `Invalid standard dictionary: ${problems.join("; ")}.`,
      messageZh: `标准字典无效：${problems.join("；")}。`,
      details: { problems },
    });
  }
  return dictionary;
}

/** Hand-picked synonyms and abbreviations in common Chinese laboratory use, by catalog test key. */
const LAB_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  GLU: ["FPG", "GLU", "FBG", "空腹葡萄糖", "Glucose"],
  HBA1C: ["HbA1c", "GHb", "A1C", "糖化血红蛋白A1c"],
  TC: ["TC", "CHOL", "T-CHO", "胆固醇"],
  TG: ["TG", "TRIG", "三酰甘油"],
  LDL: ["LDL-C", "LDL胆固醇"],
  HDL: ["HDL-C", "HDL胆固醇"],
  CREA: ["Cr", "CREA", "Scr"],
  UA: ["UA", "URIC", "血尿酸"],
  ALT: ["ALT", "GPT", "谷丙转氨酶"],
  AST: ["AST", "GOT", "谷草转氨酶"],
  K: ["K", "K+", "血钾"],
  TSH: ["TSH", "sTSH", "促甲状腺素"],
  HB: ["HGB", "Hb", "血色素"],
  WBC: ["WBC", "白细胞"],
  PLT: ["PLT", "血小板"],
};

/**
 * The standard lab dictionary: one entry per distinct LOINC code of each catalog test (glucose in
 * mmol/L is 14771-0, in mg/dL 1558-6; haemoglobin in g/L or g/dL is 718-7 for both), with the
 * test's Chinese and English names and the synonyms above. Deliberately not every local name the
 * synthetic laboratories use, so that fuzzy matching and review are exercised.
 */
export function standardLabDictionary(version = "lab-2024.1"): StandardDictionary {
  const entries: StandardEntry[] = [];
  for (const test of LAB_TESTS) {
    const codes = [...new Set(test.units.map((unit) => unit.loinc))];
    for (const code of codes) {
      const units = test.units.filter((unit) => unit.loinc === code).map((unit) => unit.unit);
      entries.push({
        code,
        nameZh: test.nameZh,
        nameEn: test.nameEn,
        synonyms: LAB_SYNONYMS[test.key] ?? [],
        canonicalUnit: units[0]!,
        allowedUnits: units,
      });
    }
  }
  return validateDictionary({ system: "http://loinc.org", version, entries });
}
