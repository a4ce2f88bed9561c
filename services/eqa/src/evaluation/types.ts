// The round evaluation's input and output. Plain JSON-serialisable data: the reports, the Excel export
// and the gateway read a RoundEvaluation as it is stored.
import type {
  AnalyteDefinition,
  AssignedValueMethod,
  EvaluationScheme,
  ExpectedValue,
  MethodInfo,
  ResultValue,
  ScoreKind,
  SigmaMethod,
} from "../types.ts";
import type { DixonStatistic } from "../statistics/index.ts";

/** A text in both languages of the reports (Chinese first in the user interface). */
export interface Bilingual {
  en: string;
  zh: string;
}

/** The genotyping variants live in src/types.ts with the other result shapes; re-exported for the evaluation's readers. */
export type { GenotypingExpectedValue, GenotypingResultValue } from "../types.ts";

/** Every stored result shape (src/types.ts ResultValue, HPV genotyping included). */
export type RoundResultValue = ResultValue;
/** Every expected-value shape (src/types.ts ExpectedValue, HPV genotyping included). */
export type RoundExpectedValue = ExpectedValue;

export interface RoundLab {
  code: string;
  /** Hospital level (医院等级), e.g. "三级甲等". */
  level: string;
  region: string;
  /** Whether the lab submitted its results for this round (every lab listed is enrolled). */
  submitted: boolean;
  /** Per analyte code: false when the site is not allowed to test it (not evaluated, not failed). */
  allowedToTest?: Record<string, boolean>;
}

export interface RoundResult {
  labCode: string;
  sampleCode: string;
  analyteCode: string;
  value: RoundResultValue;
  method: MethodInfo;
}

export interface RoundInput {
  round: {
    code: string;
    /** Fraction of evaluated samples that must be acceptable for an analyte to pass (e.g. 0.8). */
    passThreshold: number;
  };
  analytes: AnalyteDefinition[];
  /** The resolved scheme per analyte code (see resolveSchemes). */
  schemes: Record<string, EvaluationScheme>;
  /** In the round's order: pairedDifference pairs consecutive samples (1st with 2nd, 3rd with 4th, ...). */
  samples: { code: string; expected?: Record<string, RoundExpectedValue> }[];
  labs: RoundLab[];
  results: RoundResult[];
  /** Labs registered as not participating (with a reason, elsewhere). */
  nonParticipating: string[];
  /**
   * What the labs declared on submission (counts recorded when each lab submitted): the "submitted"
   * side of the consistency check. Without it, the submitted side is counted from this input.
   */
  declared?: ConsistencyCounts;
}

// ---------------------------------------------------------------------------------------------- cells

export type NotComputableCode =
  | "tooFewResults"
  | "zeroSpread"
  /** TEa = 0 (a percentage of an assigned value of 0): no σpt or allowed range. */
  | "zeroAllowedError"
  | "groupTooSmall"
  | "noReferenceValue"
  | "outOfRange"
  /** Slope method: fewer than 3 samples with both a lab mean and a reference value. */
  | "tooFewSamples"
  /** Slope method: every reference value is the same, no slope exists. */
  | "zeroReferenceSpread";

/** A statistic that cannot be computed: reports print the message, never a number. */
export interface NotComputable {
  code: NotComputableCode;
  message: string;
  messageZh: string;
}

export interface RemovedOutlier {
  labCode: string;
  value: number;
  test: "grubbs" | "grubbsIterated" | "dixon";
  /** G (Grubbs) or the Dixon ratio named in `ratio`. */
  statistic: number;
  /** Dixon only: which subrange ratio was used (chosen by n: r10 3..7, r11 8..10, r21 11..13, r22 14..30). */
  ratio?: DixonStatistic;
  critical: number;
  reason: Bilingual;
}

export interface OutlierScreening {
  test: EvaluationScheme["outliers"]["test"];
  alpha: number;
  /** False when the test did not run (not a consensus value, too few values, outside the test's table). */
  applied: boolean;
  note?: Bilingual;
  removed: RemovedOutlier[];
}

export interface CellStatistics {
  /** Results used after outlier screening. */
  n: number;
  plain: { mean: number; sd: number | null; cvPercent: number | null };
  /** Algorithm A x*, s* (ISO 13528 C.3) where computable. */
  robust: { mean: number; sd: number } | null;
  assignedValue: { value: number; method: AssignedValueMethod | "reticulocyteMean" };
  sigmaPt: { value: number; method: SigmaMethod } | null;
  /** Standard uncertainty of the assigned value; null when unknown (a reference value without uncertainty). */
  uncertainty: {
    value: number | null;
    source: "consensus" | "reference";
    /** u(x_pt) ≤ 0.3 σpt (ISO 13528:2015 9.2.1) with the prescribed warning when it fails. */
    check: { ok: boolean; ratio: number; warning?: Bilingual } | null;
  };
  /** Reticulocyte scheme: half-width of the allowed range around x_pt. */
  allowedHalfWidth?: number;
}

/** One analyte × sample × group (group "all" or a peer group key such as "instrument=XN-1000"). */
export interface Cell {
  analyteCode: string;
  sampleCode: string;
  group: string;
  /** Whether values are log10 of the reported values. */
  log10: boolean;
  /** Results reported into this group (before screening). */
  nReported: number;
  /** The values used (after screening), ascending. */
  values: number[];
  screening: OutlierScreening;
  statistics: CellStatistics | null;
  notComputable: NotComputable | null;
}

// --------------------------------------------------------------------------------------------- scores

export type ScoreJudgement = "satisfactory" | "questionable" | "unsatisfactory" | "pass" | "fail" | "notEvaluated";

export type NotEvaluatedCode =
  | "notReported"
  | "notAllowedToTest"
  | "noUncertainty"
  | "noAssignedUncertainty"
  | "nonPositiveForLog"
  | "cellNotComputable"
  | "zeroAllowedError"
  | "noConsensus"
  | "noExpected"
  | "noPair"
  | "pairIncomplete";

export interface ScoreItem {
  /** Genotype, organism, antibiotic ("organism/antibiotic") or image. */
  key: string;
  expected: string | null;
  reported: string | null;
  correct: boolean;
}

export interface Score {
  labCode: string;
  analyteCode: string;
  sampleCode: string;
  /** The evaluated number (log10 of the result where the scheme says; the mean for trueness). */
  value: number | null;
  /** Group of the cell the result was judged against, with the reason when it fell back to "all". */
  group: string | null;
  fallback?: { from: string; reason: Bilingual };
  kind: ScoreKind | "qualitative" | "microbiology" | "morphology" | "genotyping" | "trueness" | "reticulocyte";
  score: number | null;
  assignedValue?: number;
  sigmaPt?: number;
  allowed?: { low: number; high: number; halfWidth: number };
  biasPercent?: number;
  judgement: ScoreJudgement;
  /** satisfactory or pass; null when not evaluated. Questionable is not acceptable. */
  acceptable: boolean | null;
  label: Bilingual;
  notEvaluated?: { code: NotEvaluatedCode } & Bilingual;
  /** The result was removed from the consensus of the cell it is judged against. */
  outlier?: boolean;
  /** Qualitative detail: per genotype, organism, antibiotic or image. */
  items?: ScoreItem[];
  /** Qualitative target: the expected answer(s), or the consensus answer and its agreement. */
  target?: { source: "expected" | "consensus"; answers: string[]; agreement?: number };
  /**
   * pairedDifference: the within-lab difference of the pair, D = ((x₁ − x₂) − (x_pt,1 − x_pt,2))/√2
   * (signed, this sample minus its partner), σ = √((σpt,1² + σpt,2²)/2), score = D/σ and its judgement.
   * The record's own `score` is then the result's z; `judgement` is the worse of the two.
   */
  pair?: { partnerSampleCode: string; difference: number; sigma: number; score: number; judgement: "satisfactory" | "questionable" | "unsatisfactory" };
}

// ---------------------------------------------------------------------------------------- aggregates

/**
 * Trueness slope method of one lab × analyte: OLS of the lab's sample means on the reference values
 * (src/statistics slopeMethod, 95 % CIs). Either computed or not computable with the reason.
 */
export type LabSlope =
  | {
      n: number;
      slope: number;
      intercept: number;
      slopeCi: [number, number];
      interceptCi: [number, number];
      /** Confidence level of the intervals (0.95). */
      confidence: number;
      /** Slope CI includes 1 and intercept CI includes 0 (no proportional or constant bias shown). */
      acceptable: boolean;
      verdict: Bilingual;
      notComputable: null;
    }
  | { n: number; notComputable: NotComputable };

export type LabAnalyteStatus = "passed" | "failed" | "notEvaluated" | "notAllowed" | "notReported";

export interface LabAnalyte {
  labCode: string;
  analyteCode: string;
  evaluated: number;
  acceptable: number;
  /** Samples the lab did not report (its own missing results). */
  missing: number;
  status: LabAnalyteStatus;
  passed: boolean;
  /** Peer group of the lab's first result of this analyte ("all" without peer grouping). */
  group: string;
  reason: Bilingual;
  /** Trueness analytes with ≥ 3 samples carrying reference values: the slope method over the lab's means. */
  slope?: LabSlope;
}

export interface LabSummary {
  labCode: string;
  level: string;
  region: string;
  submitted: boolean;
  nonParticipating: boolean;
  analytesPassed: number;
  /** Analytes counted (passed or failed). */
  analytesTotal: number;
  acceptableResults: number;
  evaluatedResults: number;
  /** acceptable / evaluated × 100, null when nothing was evaluated. */
  scorePercent: number | null;
}

export interface PassRate {
  key: string;
  analyteCode?: string;
  evaluated: number;
  passed: number;
  percent: number | null;
}

export interface CvRow {
  analyteCode: string;
  sampleCode: string;
  group: string;
  n: number;
  mean: number | null;
  sd: number | null;
  cvPercent: number | null;
  robustMean: number | null;
  robustSd: number | null;
  notComputable: NotComputable | null;
}

export interface SingleSampleRow {
  analyteCode: string;
  sampleCode: string;
  evaluated: number;
  acceptable: number;
  percent: number | null;
}

export interface Summaries {
  passRateByAnalyte: PassRate[];
  passRateByPeerGroup: PassRate[];
  passRateByLevel: PassRate[];
  passRateByRegion: PassRate[];
  cvTable: CvRow[];
  singleSample: SingleSampleRow[];
  missingItems: { labCode: string; analyteCode: string; sampleCode: string }[];
  nonSubmission: { labCode: string; level: string; region: string }[];
}

export interface CollusionGroup {
  labCodes: string[];
  identicalResults: number;
}

export interface ConsistencyCounts {
  labs: number;
  results: number;
}

export interface ConsistencyRecord {
  status: "green" | "red";
  submitted: ConsistencyCounts;
  stored: ConsistencyCounts;
  reported: ConsistencyCounts;
  differences: { what: "labs" | "results"; submitted: number; stored: number; reported: number }[];
}

export interface RoundEvaluation {
  roundCode: string;
  passThreshold: number;
  cells: Cell[];
  scores: Score[];
  labAnalytes: LabAnalyte[];
  labs: LabSummary[];
  summaries: Summaries;
  collusion: CollusionGroup[];
  consistency: ConsistencyRecord;
}
