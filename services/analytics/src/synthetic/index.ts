// The seeded synthetic district: generator, its fixed shape, and the per-institution DuckDB loader.
export { mulberry32, type Rng } from "./random.ts";
export {
  REGIONS,
  INSTITUTIONS,
  INSTITUTION_COUNT,
  AGE_BAND_WEIGHTS,
  DIABETES_BY_AGE,
  HYPERTENSION_BY_AGE,
  PERIOD_START,
  INDEX_DATE,
  probabilityAt,
  type AgeTable,
  type Institution,
  type InstitutionUnits,
} from "./district.ts";
export { generateDistrict, checkDistrictOptions, type DistrictOptions, type DistrictSink, type DistrictSummary } from "./generate.ts";
export { loadDistrict, openInstitution, closeDistrict, institutionFile, type InstitutionDatabase, type LoadedDistrict } from "./load.ts";
