// The district generator: residents one at a time, each with the events of their conditions
// (diagnoses, HbA1c follow-up, treatments) and background activity, handed to a sink that writes
// them where the caller wants (DuckDB appenders, arrays in tests). Streaming keeps memory flat at
// any scale. Dates are days since 1970-01-01 (DuckDB's DATE representation).
import { platformError } from "@health-chain/sdk";
import { epochDay } from "../engine/schema.ts";
import {
  AGE_BAND_WEIGHTS,
  DIABETES_BY_AGE,
  HYPERTENSION_BY_AGE,
  INDEX_DATE,
  INSTITUTIONS,
  PERIOD_START,
  REGIONS,
  probabilityAt,
  type Institution,
} from "./district.ts";
import { mulberry32, type Rng } from "./random.ts";

/** What to generate. `events` is the target total of event rows; the generator lands within a fraction of a percent. */
export interface DistrictOptions {
  readonly residents: number;
  readonly events: number;
  readonly seed: number;
}

/** Receives the rows; `institution` is an index into INSTITUTIONS. */
export interface DistrictSink {
  resident(institution: number, ref: string, sex: string, birthDay: number, region: string): void;
  diagnosis(institution: number, ref: string, code: string, day: number): void;
  lab(institution: number, ref: string, loinc: string, value: number, unit: string, day: number): void;
  medication(institution: number, ref: string, atc: string, day: number): void;
}

/** What was generated, with the true (pre-suppression) condition counts for checking. */
export interface DistrictSummary {
  readonly residents: number;
  readonly adults: number;
  readonly diabetesAdults: number;
  readonly hypertensionAdults: number;
  readonly diagnoses: number;
  readonly labs: number;
  readonly medications: number;
  readonly events: number;
}

function invalid(field: string, en: string, zh: string): Error {
  return platformError("INVALID_INPUT", {
    details: { field },
    message: `Synthetic district: ${field} ${en}. Nothing was generated.`,
    messageZh: `合成区域数据：${field} ${zh}。未生成任何数据。`,
  });
}

/** Checks the options: positive resident count, non-negative event target, 32-bit unsigned seed. */
export function checkDistrictOptions(options: DistrictOptions): void {
  const { residents, events, seed } = options ?? ({} as DistrictOptions);
  if (!Number.isSafeInteger(residents) || residents < 1) throw invalid("residents", "must be a positive integer", "必须是正整数");
  if (!Number.isSafeInteger(events) || events < 0) throw invalid("events", "must be a non-negative integer", "必须是非负整数");
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalid("seed", "must be an integer in 0 … 4294967295", "必须是 0 … 4294967295 之间的整数");
}

const START = epochDay(PERIOD_START);
const END = epochDay(INDEX_DATE);
const DAYS_PER_YEAR = 365.2425;

// Background activity: common primary-care diagnoses, routine labs, common medicines.
const BACKGROUND_DIAGNOSES = ["J06.9", "J20.9", "K29.7", "M54.5", "R51", "Z00.0", "K52.9", "L30.9", "H10.9", "J02.9"];
const BACKGROUND_MEDICINES = ["J01CA04", "N02BE01", "R05DA04", "A02BC01", "M01AE01", "R06AE07"];
const HAEMOGLOBIN = "718-7";

function ageBandIndex(rng: Rng): number {
  return rng.weighted(AGE_BAND_WEIGHTS);
}

const clamp = (x: number, low: number, high: number): number => Math.min(high, Math.max(low, x));
const round = (x: number, decimals: number): number => Math.round(x * 10 ** decimals) / 10 ** decimals;

/** HbA1c in the institution's unit: NGSP % (LOINC 4548-4) or IFCC mmol/mol (LOINC 59261-8, IFCC = (NGSP − 2.15) × 10.929, Hoelzel 2004). */
function hba1c(sink: DistrictSink, inst: Institution, institution: number, ref: string, ngsp: number, day: number): void {
  if (inst.units.hba1c === "%") sink.lab(institution, ref, "4548-4", round(ngsp, 1), "%", day);
  else sink.lab(institution, ref, "59261-8", Math.round((ngsp - 2.15) * 10.929), "mmol/mol", day);
}

/** Glucose (LOINC 2345-7) from mmol/L into the institution's unit (1 mmol/L = 18.016 mg/dL). */
function glucose(sink: DistrictSink, inst: Institution, institution: number, ref: string, mmol: number, day: number): void {
  if (inst.units.glucose === "mmol/L") sink.lab(institution, ref, "2345-7", round(mmol, 1), "mmol/L", day);
  else sink.lab(institution, ref, "2345-7", Math.round(mmol * 18.016), "mg/dL", day);
}

/** Creatinine (LOINC 2160-0) from µmol/L into the institution's unit (1 mg/dL = 88.4 µmol/L). */
function creatinine(sink: DistrictSink, inst: Institution, institution: number, ref: string, umol: number, day: number): void {
  if (inst.units.creatinine === "mg/dL") sink.lab(institution, ref, "2160-0", round(umol / 88.4, 2), "mg/dL", day);
  else sink.lab(institution, ref, "2160-0", Math.round(umol), inst.units.creatinine, day);
}

/**
 * Generates the district, resident by resident, into the sink. Each resident has a home institution
 * (a district hospital or their region's community centre) and a second one; 80 % of their events are
 * at home. A resident is written to every institution where they have events, and always to home.
 */
export function generateDistrict(options: DistrictOptions, sink: DistrictSink): DistrictSummary {
  checkDistrictOptions(options);
  const rng = mulberry32(options.seed);
  const hospitals = INSTITUTIONS.flatMap((inst, i) => (inst.kind === "hospital" ? [i] : []));
  const centresOf = new Map(REGIONS.map((region) => [region, INSTITUTIONS.flatMap((inst, i) => (inst.region === region ? [i] : []))]));
  let adults = 0;
  let diabetesAdults = 0;
  let hypertensionAdults = 0;
  let diagnoses = 0;
  let labs = 0;
  let medications = 0;

  // Counting wrapper: also records which institutions saw the current resident.
  let seen = new Set<number>();
  const counted: DistrictSink = {
    resident: sink.resident,
    diagnosis: (i, ref, code, day) => (diagnoses++, seen.add(i), sink.diagnosis(i, ref, code, day)),
    lab: (i, ref, loinc, value, unit, day) => (labs++, seen.add(i), sink.lab(i, ref, loinc, value, unit, day)),
    medication: (i, ref, atc, day) => (medications++, seen.add(i), sink.medication(i, ref, atc, day)),
  };

  for (let r = 0; r < options.residents; r++) {
    const ref = `P${String(r + 1).padStart(9, "0")}`;
    const sex = rng.chance(0.512) ? "1" : "2";
    const band = ageBandIndex(rng);
    // Band 9 is 90–100 inclusive (11 single years); the others are 10 years.
    const age = band * 10 + rng.int(band === 9 ? 11 : 10);
    const birthDay = END - Math.floor((age + rng.next()) * DAYS_PER_YEAR);
    const region = REGIONS[rng.int(REGIONS.length)]!;
    const centres = centresOf.get(region)!;
    const centre = centres[rng.int(centres.length)]!;
    const hospital = hospitals[rng.int(hospitals.length)]!;
    const home = rng.chance(0.35) ? hospital : centre;
    const second = home === hospital ? centre : hospital;
    const first = Math.max(START, birthDay);
    const span = END - first + 1;
    const where = (): number => (rng.chance(0.8) ? home : second);
    const dayIn = (from: number): number => from + rng.int(END - from + 1);
    seen = new Set<number>();
    const eventsBefore = diagnoses + labs + medications;

    const adult = age >= 18;
    const diabetic = rng.chance(probabilityAt(DIABETES_BY_AGE, age));
    const hypertensive = rng.chance(probabilityAt(HYPERTENSION_BY_AGE, age));
    if (adult) {
      adults++;
      if (diabetic) diabetesAdults++;
      if (hypertensive) hypertensionAdults++;
    }

    if (diabetic) {
      const onset = dayIn(first);
      const at = where();
      counted.diagnosis(at, ref, rng.chance(0.5) ? "E11.9" : "E11", onset);
      const onInsulin = rng.chance(0.2);
      const onMetformin = rng.chance(0.75);
      const onStatin = rng.chance(0.45);
      // Follow-up every 60–120 days: HbA1c, often a repeat diagnosis code and refills. The first
      // HbA1c is within 0–80 days of diagnosis for 90 % (control at diagnosis mostly poor).
      let day = onset + (rng.chance(0.9) ? rng.int(81) : 91 + rng.int(120));
      let visit = 0;
      while (day <= END) {
        const inst = where();
        const ngsp = visit === 0 ? clamp(rng.normal(8.2, 1.3), 5.2, 15) : clamp(rng.normal(7.5, 1.1), 5.0, 14);
        hba1c(counted, INSTITUTIONS[inst]!, inst, ref, ngsp, day);
        if (rng.chance(0.5)) counted.diagnosis(inst, ref, "E11.9", day);
        if (rng.chance(0.4)) glucose(counted, INSTITUTIONS[inst]!, inst, ref, clamp(rng.normal(8.6, 2.2), 3.5, 30), day);
        if (onMetformin) counted.medication(inst, ref, "A10BA02", day);
        if (onInsulin) counted.medication(inst, ref, rng.chance(0.5) ? "A10AE04" : "A10AB05", day);
        if (onStatin) counted.medication(inst, ref, rng.chance(0.6) ? "C10AA05" : "C10AA01", day);
        visit++;
        day += 60 + rng.int(61);
      }
    }
    if (hypertensive) {
      const onset = dayIn(first);
      counted.diagnosis(where(), ref, "I10", onset);
      const drug = rng.chance(0.6) ? "C08CA01" : "C09CA01";
      const onStatin = !diabetic && rng.chance(0.3);
      for (let day = onset; day <= END; day += 90 + rng.int(61)) {
        const inst = where();
        if (rng.chance(0.3)) counted.diagnosis(inst, ref, "I10", day);
        counted.medication(inst, ref, drug, day);
        if (onStatin) counted.medication(inst, ref, "C10AA05", day);
        if (rng.chance(0.25)) creatinine(counted, INSTITUTIONS[inst]!, inst, ref, clamp(rng.normal(85, 20), 35, 400), day);
      }
    }
    if (adult && !diabetic && rng.chance(0.1)) {
      const inst = where();
      hba1c(counted, INSTITUTIONS[inst]!, inst, ref, clamp(rng.normal(5.5, 0.4), 4.0, 6.4), dayIn(first));
    }

    // Background activity fills the event budget: the remaining target spread over the remaining
    // residents (self-correcting), older residents weighted up, drawn uniform on [0, 2·mean].
    const emitted = diagnoses + labs + medications;
    const remainingMean = Math.max(0, options.events - emitted) / (options.residents - r);
    const wanted = Math.floor(rng.next() * 2 * remainingMean * (0.6 + age / 110) + rng.next());
    const background = Math.max(0, wanted - (emitted - eventsBefore));
    for (let k = 0; k < background; k++) {
      const inst = where();
      const day = first + rng.int(span);
      const kind = rng.next();
      if (kind < 0.35) counted.diagnosis(inst, ref, BACKGROUND_DIAGNOSES[rng.int(BACKGROUND_DIAGNOSES.length)]!, day);
      else if (kind < 0.5) glucose(counted, INSTITUTIONS[inst]!, inst, ref, clamp(rng.normal(5.2, 0.7), 3.0, 12), day);
      else if (kind < 0.62) creatinine(counted, INSTITUTIONS[inst]!, inst, ref, clamp(rng.normal(sex === "1" ? 80 : 62, 15), 25, 300), day);
      else if (kind < 0.75) counted.lab(inst, ref, HAEMOGLOBIN, Math.round(clamp(rng.normal(sex === "1" ? 145 : 128, 12), 60, 200)), "g/L", day);
      else counted.medication(inst, ref, BACKGROUND_MEDICINES[rng.int(BACKGROUND_MEDICINES.length)]!, day);
    }

    sink.resident(home, ref, sex, birthDay, region);
    for (const inst of seen) if (inst !== home) sink.resident(inst, ref, sex, birthDay, region);
  }
  return {
    residents: options.residents,
    adults,
    diabetesAdults,
    hypertensionAdults,
    diagnoses,
    labs,
    medications,
    events: diagnoses + labs + medications,
  };
}
