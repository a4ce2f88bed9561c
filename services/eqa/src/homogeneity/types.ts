// A homogeneity and stability study of a round's samples as the centre's staff enter it, and what
// its evaluation returns. The input is declared once as a zod schema; its TypeScript type is
// inferred from it. Array entries carry `code` (analyte) and `sample` (unit id) so that an error
// names them: analytes[GLU].homogeneity.samples[T-017].replicates[1].
import { z } from "zod";
import type { HomogeneityStabilityConclusion, StabilityTTest } from "../statistics/index.ts";

const nonEmpty = z.string().trim().min(1);
const isoDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const measurement = z.number().finite();

/** The limits keep one study to a size the report can print and the gateway can accept. */
const MAX_SAMPLES = 200;
const MAX_REPLICATES = 20;
const MAX_STABILITY = 200;

export const sigmaPtSchema = z.object({
  /** σpt the samples are judged against, in the analyte's unit. */
  value: z.number().finite().positive(),
  /** How σpt was set, as printed: e.g. "fitnessPercent 5% of x_pt". */
  basis: nonEmpty,
});

export const homogeneityDataSchema = z
  .object({
    /** g ≥ 2 units (tubes, vials), each measured m ≥ 2 times, the same m for all. */
    samples: z
      .array(z.object({ sample: nonEmpty, replicates: z.array(measurement).min(2).max(MAX_REPLICATES) }))
      .min(2)
      .max(MAX_SAMPLES),
    measuredAt: isoDate.optional(),
  })
  .superRefine((data, ctx) => {
    const m = data.samples[0]?.replicates.length;
    const seen = new Set<string>();
    data.samples.forEach((unit, i) => {
      if (unit.replicates.length !== m) {
        ctx.addIssue({
          code: "custom",
          path: ["samples", i, "replicates"],
          message: `every sample needs the same number of replicates (${m}), this one has ${unit.replicates.length} / 每个样品的重复测定次数必须相同`,
        });
      }
      if (seen.has(unit.sample)) {
        ctx.addIssue({ code: "custom", path: ["samples", i, "sample"], message: `duplicate sample id ${unit.sample} / 样品编号重复` });
      }
      seen.add(unit.sample);
    });
  });

const stabilityPointSchema = z.object({
  measuredAt: isoDate,
  values: z.array(measurement).min(2).max(MAX_STABILITY),
});

export const stabilityDataSchema = z
  .object({
    /** At (or near) the homogeneity check, before storage or transport. */
    before: stabilityPointSchema,
    /** After storage under `storage`, typically at the end of the round. */
    after: stabilityPointSchema,
    /** Storage or transport conditions between the two, e.g. "2–8 °C, 14 days". */
    storage: nonEmpty,
  })
  .refine((data) => Date.parse(data.after.measuredAt) >= Date.parse(data.before.measuredAt), {
    path: ["after", "measuredAt"],
    message: "the after measurements are dated before the before measurements / 后测日期早于前测日期",
  });

export const analyteStudySchema = z
  .object({
    code: nonEmpty,
    name: nonEmpty,
    nameEn: z.string().default(""),
    unit: z.string().default(""),
    sigmaPt: sigmaPtSchema,
    homogeneity: homogeneityDataSchema.optional(),
    stability: stabilityDataSchema.optional(),
  })
  .refine((data) => data.homogeneity !== undefined || data.stability !== undefined, {
    path: ["homogeneity"],
    message: "give homogeneity data, stability data or both / 请提供均匀性数据、稳定性数据或两者",
  });

export const homogeneityStudySchema = z
  .object({
    round: z.object({ code: nonEmpty, name: nonEmpty }),
    /** Significance level of the stability t-test; default 0.05. */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    analytes: z.array(analyteStudySchema).min(1),
  })
  .superRefine((data, ctx) => {
    const seen = new Set<string>();
    data.analytes.forEach((analyte, i) => {
      if (seen.has(analyte.code)) {
        ctx.addIssue({ code: "custom", path: ["analytes", i, "code"], message: `duplicate analyte code ${analyte.code} / 项目代码重复` });
      }
      seen.add(analyte.code);
    });
  });

/** A study as entered (defaults may be omitted). */
export type HomogeneityStudyInput = z.input<typeof homogeneityStudySchema>;
/** A validated study, defaults applied. */
export type HomogeneityStudy = z.output<typeof homogeneityStudySchema>;
export type AnalyteStudy = HomogeneityStudy["analytes"][number];

export interface Reason {
  readonly en: string;
  readonly zh: string;
}

/** A statistic, or why it could not be computed (then no number is given). */
export type Computed = { readonly computable: true; readonly value: number } | { readonly computable: false; readonly reason: Reason };

export interface HomogeneityEvaluation {
  /** g and m. */
  readonly samples: number;
  readonly replicates: number;
  readonly sampleIds: readonly string[];
  readonly measuredAt?: string;
  readonly grandMean: number;
  readonly sx: number;
  readonly sw: number;
  readonly ss: number;
  /** s_x² < s_w²/m: the between-sample variance estimate was negative and s_s is taken as 0 (ISO 13528:2015 B.3). */
  readonly ssClippedToZero: boolean;
  /** F = MS_between / MS_within; not computable when every unit's replicates agree exactly (MS_within = 0). */
  readonly f: Computed;
  /** 0.3 σpt. */
  readonly limit: number;
  /** s_s ≤ 0.3 σpt. */
  readonly homogeneous: boolean;
}

export interface StabilityEvaluation {
  readonly before: { readonly measuredAt: string; readonly n: number; readonly mean: number };
  readonly after: { readonly measuredAt: string; readonly n: number; readonly mean: number };
  readonly storage: string;
  /** |x̄ − ȳ|. */
  readonly difference: number;
  /** 0.3 σpt. */
  readonly limit: number;
  /** |x̄ − ȳ| ≤ 0.3 σpt: the verdict. */
  readonly stable: boolean;
  /** Welch t-test reported beside the criterion (its own verdict in `tTest.stable`). */
  readonly tTest: StabilityTTest;
}

export interface AnalyteStudyEvaluation {
  readonly code: string;
  readonly name: string;
  readonly nameEn: string;
  readonly unit: string;
  readonly sigmaPt: { readonly value: number; readonly basis: string };
  /** Absent when no homogeneity data was entered for this analyte. */
  readonly homogeneity?: HomogeneityEvaluation;
  /** Absent when no stability data was entered for this analyte. */
  readonly stability?: StabilityEvaluation;
  readonly conclusion: HomogeneityStabilityConclusion;
}

export interface StudyEvaluation {
  readonly round: { readonly code: string; readonly name: string };
  readonly alpha: number;
  readonly analytes: readonly AnalyteStudyEvaluation[];
  readonly overall: {
    /** Every supplied check of every analyte passed its 0.3 σpt criterion. */
    readonly acceptable: boolean;
    /** Codes of analytes that failed homogeneity / stability. */
    readonly notHomogeneous: readonly string[];
    readonly notStable: readonly string[];
    /** Codes of analytes for which that check was not done (no data entered). */
    readonly homogeneityNotStudied: readonly string[];
    readonly stabilityNotStudied: readonly string[];
    readonly sentences: { readonly en: readonly string[]; readonly zh: readonly string[] };
  };
}
