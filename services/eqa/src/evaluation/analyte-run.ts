import type { AnalyteDefinition, EvaluationScheme } from "../types.ts";
import type { RoundExpectedValue, RoundResult, Score } from "./types.ts";

/** What each analyte evaluator receives: one analyte, its resolved scheme and its evaluable results. */
export interface AnalyteRun {
  analyte: AnalyteDefinition;
  scheme: EvaluationScheme;
  /** Sample codes in the round's order. */
  samples: readonly string[];
  expected: (sampleCode: string) => RoundExpectedValue | undefined;
  /** The evaluable results (submitted, allowed to test) per sample code, in lab order. */
  results: ReadonlyMap<string, readonly RoundResult[]>;
}

/** The identifying fields of a result's score. */
export function scoreKey(result: RoundResult, kind: Score["kind"]): Pick<Score, "labCode" | "analyteCode" | "sampleCode" | "kind"> {
  return { labCode: result.labCode, analyteCode: result.analyteCode, sampleCode: result.sampleCode, kind };
}
