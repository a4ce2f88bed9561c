// The EQA domain's shared vocabulary: what an analyte (检测项目) is and how it is evaluated, and
// what a laboratory's result looks like once accepted. Intake (src/intake) validates entries into
// these shapes, the evaluation (src/evaluation) reads them, the reports (src/reports) print them.
// Plain data only (JSON-serialisable): they are stored as JSON columns and passed to workers.

/** How a result is entered and evaluated. */
export type ResultType = "quantitative" | "qualitative" | "microbiology" | "trueness" | "morphology";

/** A choice of a qualitative analyte (e.g. 阴性 / 弱阳性 / 阳性), or an organism / antibiotic / image answer code. */
export interface Choice {
  code: string;
  label: string;
  labelEn: string;
}

/** How the assigned value x_pt is obtained. */
export type AssignedValueMethod =
  | "algorithmA" // ISO 13528 C.3 robust mean of the (screened) results
  | "median"
  | "reference" // a reference value given per sample (reference laboratory, certified material)
  | "peerConsensus"; // algorithm A within the lab's peer group (falls back to all methods)

/** How the standard deviation for proficiency assessment σpt is obtained. */
export type SigmaMethod =
  | "robustS" // s* of algorithm A
  | "made" // 1.483 × MAD
  | "niqr" // 0.7413 × IQR
  | "fitnessPercent" // fitness for purpose: allowed total error TEa = value% × x_pt, σpt = TEa / 3
  | "fitnessAbsolute"; // TEa = value (in the analyte's unit), σpt = TEa / 3

export type OutlierTest = "none" | "grubbs" | "grubbsIterated" | "dixon";

/** What is computed per result and how it is judged. */
export type ScoreKind =
  | "z" // (x − x_pt)/σpt; |z| ≤ 2 satisfactory, < 3 questionable, ≥ 3 unsatisfactory
  | "zPrime" // (x − x_pt)/√(σpt² + u(x_pt)²)
  | "zeta" // (x − x_pt)/√(u(x)² + u(x_pt)²), needs the lab's uncertainty
  | "En" // (x − x_pt)/√(U(x)² + U(x_pt)²), needs expanded uncertainties
  | "allowedRange" // pass when |x − x_pt| ≤ allowed (absolute and/or % of x_pt): Chinese EQA practice (TEa)
  | "pairedDifference"; // |x1 − x2|/√2 of the two samples of a pair, against σpt

/** The evaluation scheme of one analyte (its 评价方案). Reused from the previous round unless overridden. */
export interface EvaluationScheme {
  assignedValue: AssignedValueMethod;
  sigma: SigmaMethod;
  /** For fitnessPercent (percent) or fitnessAbsolute (unit). */
  sigmaValue?: number;
  outliers: { test: OutlierTest; alpha: 0.1 | 0.05 | 0.01 };
  score: ScoreKind;
  /** Allowed total error for "allowedRange": the larger of the two when both are given (as in 靶值 ± 10% 或 ± 0.2 mmol/L). */
  allowed?: { percent?: number; absolute?: number };
  /** Peer grouping (同组比较): by these result attributes, groups smaller than minSize fall back to all methods. */
  peerGroups?: { by: ("instrument" | "reagent" | "method")[]; minSize: number };
  /** Fewest results for a consensus statistic (default 12 for algorithm A as ISO 13528 advises; never < 3). */
  minResults?: number;
  /** Evaluate log10 of the values (e.g. viral loads, HBV DNA IU/mL). */
  log10?: boolean;
}

/** A special scheme that replaces the per-item evaluation. */
export type SpecialScheme =
  | "reticulocyte" // x_pt = mean of retic/RBC ratios (%), allowed = √(t × (100 − t) / 1000)
  | "hpv" // HPV genotyping: a sample passes when all its genotype calls are right
  | "strict"; // any error fails the whole analyte (transfusion compatibility), with per-site allowed-to-test flags

/** An analyte (检测项目) of a plan. */
export interface AnalyteDefinition {
  code: string;
  name: string;
  nameEn: string;
  /** LOINC code of the test, where one applies: how a lab result elsewhere is matched to this analyte for mutual recognition. */
  loinc?: string;
  unit: string;
  /** Decimal places a quantitative result is rounded to on entry. */
  decimals: number;
  resultType: ResultType;
  /** Plausible input range (entries outside are refused on entry), in the analyte's unit. */
  min?: number;
  max?: number;
  /** Qualitative answers, organisms, antibiotics, or morphology answers (by resultType). */
  choices?: Choice[];
  /** Microbiology: whether susceptibility testing is required for an identified organism. */
  susceptibilityRequired?: boolean;
  /** Microbiology: the antibiotics a susceptibility result may name. */
  antibiotics?: Choice[];
  /** Trueness verification: days × replicates expected. */
  trueness?: { days: number; replicates: number };
  /** Morphology: the image ids of each sample to answer. */
  images?: string[];
  /** Reporting this analyte requires results for these analyte codes (dependency rule). */
  requires?: string[];
  /** A result must be reported (otherwise the lab must state why: not tested). */
  required?: boolean;
  scheme: EvaluationScheme;
  special?: SpecialScheme;
}

/** The lab's method information per result, for peer grouping. */
export interface MethodInfo {
  instrument?: string;
  reagent?: string;
  method?: string;
}

/** A susceptibility answer for one antibiotic. */
export interface Susceptibility {
  antibiotic: string;
  interpretation: "S" | "I" | "R" | "SDD";
  mic?: number;
  zone?: number;
}

/** A result as accepted (validated, rounded, converted) and stored. `text` is what the lab typed. */
export type ResultValue =
  | { type: "quantitative"; value: number; text: string; uncertainty?: number }
  | { type: "qualitative"; choice: string }
  | {
      type: "microbiology";
      organisms: { code: string; susceptibility?: Susceptibility[]; phenotypes?: { test: string; result: "positive" | "negative" }[] }[];
    }
  | { type: "trueness"; replicates: number[][]; mean: number }
  | { type: "morphology"; answers: { image: string; answer: string }[] }
  | GenotypingResultValue;

/** An HPV genotyping call: whether the genotype's nucleic acid was detected. */
export type GenotypeCall = "positive" | "negative";

/**
 * HPV genotyping (an analyte with special "hpv", resultType "qualitative", its choices being the
 * genotypes): one call per genotype of the analyte, every genotype exactly once, sorted by genotype.
 * The call is typed as string so that results stored before the call vocabulary was fixed still read.
 */
export interface GenotypingResultValue {
  type: "genotyping";
  calls: { genotype: string; call: string }[];
}

/** The centre's expected calls of an HPV sample, genotype code → call ("positive" / "negative"). */
export interface GenotypingExpectedValue {
  type: "genotyping";
  calls: Record<string, string>;
}

/** What the centre states as the right answer of a sample for an analyte (where not consensus). */
export type ExpectedValue =
  | { type: "quantitative"; value: number; uncertainty?: number }
  | { type: "qualitative"; choice: string; acceptable?: string[] }
  | { type: "microbiology"; organisms: string[]; susceptibility?: Record<string, Record<string, Susceptibility["interpretation"]>> }
  | { type: "trueness"; value: number; uncertainty?: number }
  | { type: "morphology"; answers: Record<string, string> }
  | GenotypingExpectedValue;
