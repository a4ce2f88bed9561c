// The evaluation of a homogeneity and stability study: per analyte the one-way ANOVA homogeneity
// check, the stability check (0.3 σpt criterion with a Welch t-test beside it) and the conclusion
// sentences; then the round's overall conclusion.
import { homogeneity, homogeneityStabilityConclusion, stability } from "../statistics/index.ts";
import type { HomogeneityResult, StabilityResult } from "../statistics/index.ts";
import { parseReportInput } from "../reports/validate.ts";
import { overallConclusion } from "./overall.ts";
import { homogeneityStudySchema } from "./types.ts";
import type {
  AnalyteStudy,
  AnalyteStudyEvaluation,
  HomogeneityEvaluation,
  HomogeneityStudyInput,
  StabilityEvaluation,
  StudyEvaluation,
} from "./types.ts";

type HomogeneityData = NonNullable<AnalyteStudy["homogeneity"]>;
type StabilityData = NonNullable<AnalyteStudy["stability"]>;

/** The homogeneity check's figures (ISO 13528:2015 B.3; ISO/IEC 17043:2010 Annex B) with F made explicit when not computable. */
function homogeneityEvaluation(data: HomogeneityData, result: HomogeneityResult): HomogeneityEvaluation {
  // F needs MS_within > 0: when every unit's replicates agree exactly (often the reading resolution,
  // not a perfect material) the ratio is 0/0 or x/0 and carries no information.
  const f =
    result.msWithin > 0
      ? ({ computable: true, value: result.f } as const)
      : ({
          computable: false,
          reason: {
            en: "F not computable: the within-sample variance is 0 (every sample's replicates are identical).",
            zh: "F 值不可计算：样品内方差为 0（各样品的重复测定值完全相同）。",
          },
        } as const);
  return {
    samples: result.samples,
    replicates: result.replicates,
    sampleIds: data.samples.map((unit) => unit.sample),
    ...(data.measuredAt === undefined ? {} : { measuredAt: data.measuredAt }),
    grandMean: result.grandMean,
    sx: result.sx,
    sw: result.sw,
    ss: result.ss,
    ssClippedToZero: result.sx ** 2 < result.sw ** 2 / result.replicates,
    f,
    limit: result.limit,
    homogeneous: result.homogeneous,
  };
}

function stabilityEvaluation(data: StabilityData, result: StabilityResult): StabilityEvaluation {
  return {
    before: { measuredAt: data.before.measuredAt, n: data.before.values.length, mean: result.meanBefore },
    after: { measuredAt: data.after.measuredAt, n: data.after.values.length, mean: result.meanAfter },
    storage: data.storage,
    difference: result.difference,
    limit: result.limit,
    stable: result.stable,
    tTest: result.tTest,
  };
}

/**
 * Evaluates a study as entered. Refuses bad input with one INVALID_INPUT error naming every bad
 * field (analytes[GLU].homogeneity.samples[T-017].replicates), in English and Chinese.
 */
export function evaluateStudy(study: HomogeneityStudyInput): StudyEvaluation {
  const input = parseReportInput(homogeneityStudySchema, study, { en: "homogeneity/stability study", zh: "均匀性/稳定性研究" });
  const analytes = input.analytes.map((analyte): AnalyteStudyEvaluation => {
    const sigmaPt = analyte.sigmaPt.value;
    const homogeneityResult = analyte.homogeneity === undefined ? undefined : homogeneity(analyte.homogeneity.samples.map((unit) => unit.replicates), sigmaPt);
    const stabilityResult =
      analyte.stability === undefined ? undefined : stability(analyte.stability.before.values, analyte.stability.after.values, sigmaPt, { alpha: input.alpha });
    return {
      code: analyte.code,
      name: analyte.name,
      nameEn: analyte.nameEn,
      unit: analyte.unit,
      sigmaPt: { value: sigmaPt, basis: analyte.sigmaPt.basis },
      ...(analyte.homogeneity === undefined || homogeneityResult === undefined ? {} : { homogeneity: homogeneityEvaluation(analyte.homogeneity, homogeneityResult) }),
      ...(analyte.stability === undefined || stabilityResult === undefined ? {} : { stability: stabilityEvaluation(analyte.stability, stabilityResult) }),
      conclusion: homogeneityStabilityConclusion({
        ...(homogeneityResult === undefined ? {} : { homogeneity: homogeneityResult }),
        ...(stabilityResult === undefined ? {} : { stability: stabilityResult }),
      }),
    };
  });
  return { round: input.round, alpha: input.alpha, analytes, overall: overallConclusion(analytes) };
}
