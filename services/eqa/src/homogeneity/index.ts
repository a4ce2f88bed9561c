// Homogeneity and stability studies of a round's samples (ISO 13528:2015 Annex B; ISO/IEC 17043:2010 Annex B).
export { evaluateStudy } from "./evaluate.ts";
export { analyteStudySchema, homogeneityDataSchema, homogeneityStudySchema, sigmaPtSchema, stabilityDataSchema } from "./types.ts";
export type {
  AnalyteStudy,
  AnalyteStudyEvaluation,
  Computed,
  HomogeneityEvaluation,
  HomogeneityStudy,
  HomogeneityStudyInput,
  Reason,
  StabilityEvaluation,
  StudyEvaluation,
} from "./types.ts";
