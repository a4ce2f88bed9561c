import { platformError } from "@health-chain/sdk";
import type { HomogeneityResult } from "./homogeneity.ts";
import type { StabilityResult } from "./stability.ts";

export interface HomogeneityStabilityConclusion {
  /** Undefined when that check was not supplied. */
  readonly homogeneous?: boolean;
  readonly stable?: boolean;
  /** Every supplied check passed its criterion. */
  readonly acceptable: boolean;
  /** One sentence per finding, for the report, in reading order. */
  readonly sentences: { readonly en: readonly string[]; readonly zh: readonly string[] };
}

/** Three significant figures, the precision the criteria are stated to. */
function fmt(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/**
 * The conclusion of a homogeneity/stability study for the round report (ISO 13528:2015 Annex B;
 * ISO/IEC 17043:2010 4.4.3): the s_s ≤ 0.3 σpt criterion, the |x̄ − ȳ| ≤ 0.3 σpt criterion and, when
 * computable, the t-test, each as an English and a Chinese sentence with the figures.
 * σpt is recovered from the stored limit (limit = 0.3 σpt).
 */
export function homogeneityStabilityConclusion(input: {
  readonly homogeneity?: HomogeneityResult;
  readonly stability?: StabilityResult;
}): HomogeneityStabilityConclusion {
  if (typeof input !== "object" || input === null || (input.homogeneity === undefined && input.stability === undefined)) {
    throw platformError("INVALID_INPUT", {
      message: "Give a homogeneity result, a stability result or both.",
      messageZh: "请提供均匀性结果、稳定性结果或两者。",
      details: { field: "homogeneity|stability" },
    });
  }
  const en: string[] = [];
  const zh: string[] = [];
  const { homogeneity, stability } = input;
  if (homogeneity !== undefined) {
    const relation = homogeneity.homogeneous ? "≤" : ">";
    const figures = `s_s = ${fmt(homogeneity.ss)} ${relation} 0.3σpt = ${fmt(homogeneity.limit)}; ${homogeneity.samples} samples × ${homogeneity.replicates} replicates`;
    const figuresZh = `s_s = ${fmt(homogeneity.ss)} ${relation} 0.3σpt = ${fmt(homogeneity.limit)}；${homogeneity.samples} 个样品 × ${homogeneity.replicates} 次重复`;
    en.push(homogeneity.homogeneous ? `The samples are adequately homogeneous (${figures}).` : `The samples are not adequately homogeneous (${figures}).`);
    zh.push(homogeneity.homogeneous ? `样品均匀性符合要求（${figuresZh}）。` : `样品均匀性不符合要求（${figuresZh}）。`);
  }
  if (stability !== undefined) {
    const relation = stability.stable ? "≤" : ">";
    const figures = `|x̄ − ȳ| = ${fmt(stability.difference)} ${relation} 0.3σpt = ${fmt(stability.limit)}`;
    en.push(stability.stable ? `The samples are adequately stable (${figures}).` : `The samples are not adequately stable (${figures}).`);
    zh.push(stability.stable ? `样品稳定性符合要求（${figures}）。` : `样品稳定性不符合要求（${figures}）。`);
    const test = stability.tTest;
    if (test.computable) {
      const tFigures = `t = ${fmt(test.t)}, df = ${fmt(test.df)}, p = ${fmt(test.pValue)}, α = ${test.alpha}`;
      en.push(
        test.significantDifference
          ? `The t-test shows a significant difference between before and after (${tFigures}).`
          : `The t-test shows no significant difference between before and after (${tFigures}).`,
      );
      zh.push(test.significantDifference ? `t 检验显示前后差异有统计学意义（${tFigures}）。` : `t 检验显示前后差异无统计学意义（${tFigures}）。`);
    } else {
      en.push(`t-test not computed: ${test.reason.en}`);
      zh.push(`未进行 t 检验：${test.reason.zh}`);
    }
  }
  const homogeneous = homogeneity?.homogeneous;
  const stable = stability?.stable;
  return {
    ...(homogeneous === undefined ? {} : { homogeneous }),
    ...(stable === undefined ? {} : { stable }),
    acceptable: homogeneous !== false && stable !== false,
    sentences: { en, zh },
  };
}
