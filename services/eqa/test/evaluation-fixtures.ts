// Builders of small hand-checkable rounds for the evaluation tests.
import type { RoundInput, RoundResult } from "../src/evaluation/index.ts";
import type { AnalyteDefinition, EvaluationScheme, MethodInfo } from "../src/types.ts";

export function quantitativeAnalyte(code: string, scheme: EvaluationScheme, extra: Partial<AnalyteDefinition> = {}): AnalyteDefinition {
  return { code, name: `项目${code}`, nameEn: `Analyte ${code}`, unit: "mmol/L", decimals: 2, resultType: "quantitative", scheme, ...extra };
}

export function quantitative(labCode: string, analyteCode: string, sampleCode: string, value: number, method: MethodInfo = {}, uncertainty?: number): RoundResult {
  const result: RoundResult = { labCode, analyteCode, sampleCode, value: { type: "quantitative", value, text: String(value) }, method };
  if (uncertainty !== undefined && result.value.type === "quantitative") result.value.uncertainty = uncertainty;
  return result;
}

export function labsOf(codes: readonly string[], extra: Partial<RoundInput["labs"][number]> = {}): RoundInput["labs"] {
  return codes.map((code, i) => ({ code, level: i % 2 === 0 ? "三级" : "二级", region: i % 3 === 0 ? "东区" : "西区", submitted: true, ...extra }));
}

export function round(parts: Partial<RoundInput> & Pick<RoundInput, "analytes" | "results">): RoundInput {
  const labCodes = [...new Set(parts.results.map((r) => r.labCode))].sort();
  const sampleCodes = [...new Set(parts.results.map((r) => r.sampleCode))].sort();
  return {
    round: { code: "T-1", passThreshold: 0.8 },
    schemes: Object.fromEntries(parts.analytes.map((a) => [a.code, a.scheme])),
    samples: sampleCodes.map((code) => ({ code })),
    labs: labsOf(labCodes),
    nonParticipating: [],
    ...parts,
  };
}

export const MEDIAN_MADE: EvaluationScheme = {
  assignedValue: "median",
  sigma: "made",
  outliers: { test: "none", alpha: 0.05 },
  score: "z",
  minResults: 3,
};
