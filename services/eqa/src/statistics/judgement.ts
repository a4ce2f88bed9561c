import { assertFiniteNumber } from "./validate.ts";

export type Judgement = "satisfactory" | "questionable" | "unsatisfactory";

export interface JudgementResult {
  readonly judgement: Judgement;
  readonly en: string;
  readonly zh: string;
}

const LABELS: Readonly<Record<Judgement, { en: string; zh: string }>> = {
  satisfactory: { en: "Satisfactory", zh: "满意" },
  questionable: { en: "Questionable", zh: "有问题" },
  unsatisfactory: { en: "Unsatisfactory", zh: "不满意" },
};

function result(judgement: Judgement): JudgementResult {
  return { judgement, ...LABELS[judgement] };
}

/**
 * Judgement of a z, z′ or ζ score (ISO 13528:2015 9.4.1; ISO/IEC 17043:2010 B.4.1.1):
 * |z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory.
 */
export function judgeZ(z: number): JudgementResult {
  assertFiniteNumber(z, "z");
  const magnitude = Math.abs(z);
  if (magnitude <= 2) return result("satisfactory");
  if (magnitude < 3) return result("questionable");
  return result("unsatisfactory");
}

/** Judgement of an E_n number (ISO 13528:2015 9.7.2): |E_n| ≤ 1 satisfactory, otherwise unsatisfactory. */
export function judgeEn(en: number): JudgementResult {
  assertFiniteNumber(en, "en");
  return result(Math.abs(en) <= 1 ? "satisfactory" : "unsatisfactory");
}
