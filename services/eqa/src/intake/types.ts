// What a laboratory sends (ResultEntry, strings as typed) and how a refused field is reported.

/** One result as entered, for one analyte of one sample. Numbers are strings as typed. */
export interface ResultEntry {
  analyte: string;
  sample: string;
  /** Quantitative: "5.62", "1.2E5", "1.2e-3", full-width digits accepted; "<0.5" refused. */
  value?: string;
  /** Quantitative: the lab's standard uncertainty u(x), same unit (for zeta scores). */
  uncertainty?: string;
  /** Qualitative: the code of a choice. */
  choice?: string;
  /** Microbiology: the organisms identified, with susceptibility and phenotype tests. */
  organisms?: {
    code: string;
    susceptibility?: { antibiotic: string; interpretation: string; mic?: string; zone?: string }[];
    phenotypes?: { test: string; result: string }[];
  }[];
  /** Trueness: days × replicates values. */
  replicates?: string[][];
  /** Morphology: an answer (choice code) per image. */
  answers?: { image: string; answer: string }[];
  /** HPV genotyping (analyte special "hpv"): every genotype of the analyte once, call "positive" or "negative". */
  calls?: { genotype: string; call: string }[];
  instrument?: string;
  reagent?: string;
  method?: string;
}

/** One refused field: where, a stable code, and why in English and Chinese. */
export interface FieldError {
  analyte: string;
  sample: string;
  /** e.g. "value", "organisms[0].susceptibility[1].mic", "replicates[2][1]", "sample". */
  field: string;
  code: FieldErrorCode;
  message: string;
  messageZh: string;
}

export type FieldErrorCode =
  | "required"
  | "empty"
  | "censored"
  | "decimalComma"
  | "notANumber"
  | "exponentTooLarge"
  | "belowMin"
  | "aboveMax"
  | "notPositive"
  | "unknownChoice"
  | "duplicate"
  | "unknownAnalyte"
  | "unknownSample"
  | "unexpectedField"
  | "wrongShape"
  | "tooLong"
  | "notAllowedToTest"
  | "missingResult"
  | "dependencyMissing";
