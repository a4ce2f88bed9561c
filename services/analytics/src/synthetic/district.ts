// The synthetic district's fixed shape: its institutions, regions, population pyramid and the
// age-specific prevalences the generator draws from. Figures are rounded, plausible values for a
// Chinese city, not estimates: they exist so benchmarks and tests run on realistic proportions.

/** A county-level division (GB/T 2260 six-digit code). */
export const REGIONS: readonly string[] = ["440303", "440304", "440305", "440306", "440307", "440308", "440309", "440310", "440311"];

/** How an institution reports the results whose unit varies between laboratories. */
export interface InstitutionUnits {
  /** HbA1c as NGSP % under LOINC 4548-4, or IFCC mmol/mol under 59261-8. */
  readonly hba1c: "%" | "mmol/mol";
  readonly glucose: "mmol/L" | "mg/dL";
  readonly creatinine: "µmol/L" | "umol/L" | "mg/dL";
}

export interface Institution {
  readonly code: string;
  readonly kind: "hospital" | "community";
  /** The region a community health centre serves; hospitals serve the whole district. */
  readonly region: string | null;
  readonly units: InstitutionUnits;
}

export const INSTITUTION_COUNT = 25;
const HOSPITALS = 3;

// Units vary by laboratory, as in the district's feeds: a few report glucose and creatinine in mg/dL
// (imported analysers), a few HbA1c in IFCC mmol/mol, one spells µmol/L as the UCUM "umol/L".
function unitsOf(index: number): InstitutionUnits {
  return {
    hba1c: index % 8 === 7 ? "mmol/mol" : "%",
    glucose: index % 4 === 3 ? "mg/dL" : "mmol/L",
    creatinine: index % 5 === 4 ? "mg/dL" : index % 6 === 1 ? "umol/L" : "µmol/L",
  };
}

/** 3 district hospitals, then 22 community health centres spread over the regions. */
export const INSTITUTIONS: readonly Institution[] = Array.from({ length: INSTITUTION_COUNT }, (_, i) => ({
  code: `INST${String(i + 1).padStart(2, "0")}`,
  kind: i < HOSPITALS ? ("hospital" as const) : ("community" as const),
  region: i < HOSPITALS ? null : REGIONS[(i - HOSPITALS) % REGIONS.length]!,
  units: unitsOf(i),
}));

/** Share of the population (%) by 10-year age band, 0–9 … 90–100 (shape of China's 2020 census pyramid, rounded). */
export const AGE_BAND_WEIGHTS: readonly number[] = [11, 11, 12, 15, 15, 16, 11, 6, 2.5, 0.5];

/** Age-specific probability of a disease by age band [minAge, probability]; below the first band: 0. */
export type AgeTable = readonly (readonly [number, number])[];

// Type 2 diabetes (E11): adult prevalence ≈ 10 % over this pyramid (cf. Li et al., BMJ 2020;369:m997: 11.2 %).
export const DIABETES_BY_AGE: AgeTable = [[18, 0.02], [30, 0.04], [40, 0.08], [50, 0.14], [60, 0.19], [70, 0.2]];
// Hypertension (I10): adult prevalence ≈ 25 % (cf. China Hypertension Survey, Circulation 2018;137:2344: 23.2 %).
export const HYPERTENSION_BY_AGE: AgeTable = [[18, 0.04], [30, 0.1], [40, 0.2], [50, 0.33], [60, 0.45], [70, 0.55]];

export function probabilityAt(table: AgeTable, age: number): number {
  let p = 0;
  for (const [minAge, probability] of table) if (age >= minAge) p = probability;
  return p;
}

/** The events' period: 2021-01-01 … 2025-12-31; ages are completed years on the index date. */
export const PERIOD_START = "2021-01-01";
export const INDEX_DATE = "2025-12-31";
