import { platformError } from "@health-chain/sdk";
import type { AnalyteDefinition, EvaluationScheme } from "../types.ts";

export type SchemeProvenance = "definition" | "previousRound" | "override";

/** A manual change of one analyte's scheme for this round, recorded with who, when and why. */
export interface SchemeOverride {
  analyte: string;
  scheme: EvaluationScheme;
  reason: string;
  actor: string;
  /** ISO 8601 time of the decision. */
  at: string;
}

export interface ResolvedSchemes {
  schemes: Record<string, EvaluationScheme>;
  provenance: Record<string, SchemeProvenance>;
  /** The overrides applied, in analyte order, for the round's audit record. */
  overrides: SchemeOverride[];
}

/**
 * The scheme each analyte is evaluated with: the previous round's scheme when it had one (automatic
 * evaluation reuses it), else the analyte's definition; a manual override wins and is recorded. Two
 * overrides of one analyte, an override without reason or actor, or of an unknown analyte are refused.
 */
export function resolveSchemes(
  analytes: readonly AnalyteDefinition[],
  previous: Readonly<Record<string, EvaluationScheme>> | undefined,
  overrides: readonly SchemeOverride[],
): ResolvedSchemes {
  const codes = new Set(analytes.map((analyte) => analyte.code));
  const byAnalyte = new Map<string, SchemeOverride>();
  for (const override of overrides) {
    const problem = !codes.has(override.analyte)
      ? { en: `unknown analyte ${override.analyte}`, zh: `未知项目 ${override.analyte}` }
      : byAnalyte.has(override.analyte)
        ? { en: `analyte ${override.analyte} is overridden twice`, zh: `项目 ${override.analyte} 被重复修改` }
        : override.reason.trim() === "" || override.actor.trim() === "" || Number.isNaN(Date.parse(override.at))
          ? { en: "an override needs a reason, an actor and a valid time", zh: "修改评价方案必须填写原因、操作人和有效时间" }
          : null;
    if (problem !== null) {
      throw platformError("INVALID_INPUT", {
        message: `Scheme override refused: ${problem.en}.`,
        messageZh: `评价方案修改被拒绝：${problem.zh}。`,
        details: { field: "overrides", analyte: override.analyte },
      });
    }
    byAnalyte.set(override.analyte, override);
  }
  const schemes: Record<string, EvaluationScheme> = {};
  const provenance: Record<string, SchemeProvenance> = {};
  const applied: SchemeOverride[] = [];
  for (const analyte of [...analytes].sort((a, b) => compare(a.code, b.code))) {
    const override = byAnalyte.get(analyte.code);
    const reused = previous?.[analyte.code];
    if (override !== undefined) {
      schemes[analyte.code] = structuredClone(override.scheme);
      provenance[analyte.code] = "override";
      applied.push(override);
    } else if (reused !== undefined) {
      schemes[analyte.code] = structuredClone(reused);
      provenance[analyte.code] = "previousRound";
    } else {
      schemes[analyte.code] = structuredClone(analyte.scheme);
      provenance[analyte.code] = "definition";
    }
  }
  return { schemes, provenance, overrides: applied };
}

/** Code-point order: deterministic on every machine, unlike localeCompare. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
