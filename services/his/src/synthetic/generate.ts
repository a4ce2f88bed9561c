// The generator: residents one at a time, each from its own seeded stream, yielding the records
// every institution they visit would send, in the order of their change timestamps, with dirt.
// Nothing is kept across residents but the set of ID numbers in use, so a stream of millions of
// records costs the memory of one resident.
import {
  ABNORMAL_RANGES, ACUTE_DIAGNOSES, ADMISSION_DIAGNOSES, ADMISSION_PANEL, CHRONIC_PREVALENCE, DIAGNOSES,
  DRUGS_FOR_DIAGNOSIS, type DiagnosisCode, EXAM_PANEL, LAB_TEST_BY_KEY, type LabTest, TESTS_FOR_DIAGNOSIS,
} from "./catalog.ts";
import { DISTRICT_NAME_EN, DISTRICT_NAME_ZH, DISTRICT_REGION_CODE, type Institution, STREETS, districtInstitutions } from "./district.ts";
import { makeIdNumber } from "./id-number.ts";
import { chineseName, nameWithTypo } from "./names.ts";
import { type SyntheticOptions, type SyntheticOptionsInput, isDay, resolveSyntheticOptions } from "./options.ts";
import { type Random, createRandom, deriveSeed, weightedTable } from "./random.ts";
import {
  type EncounterType, type GroundTruth, OPTIONAL_FIELDS, type RegistrationVariant, type Sex, type SyntheticRecord,
} from "./records.ts";
import { platformError } from "@health-chain/sdk";

export interface SyntheticDistrict {
  readonly regionCode: string;
  readonly nameZh: string;
  readonly nameEn: string;
  readonly institutions: readonly Institution[];
}

/** The district the dataset of these options lives in (institutions and their lab dictionaries). */
export function syntheticDistrict(input: SyntheticOptionsInput = {}): SyntheticDistrict {
  const { seed } = resolveSyntheticOptions(input);
  return { regionCode: DISTRICT_REGION_CODE, nameZh: DISTRICT_NAME_ZH, nameEn: DISTRICT_NAME_EN, institutions: districtInstitutions(seed) };
}

/** Every record of the dataset, resident by resident; within a resident, by change timestamp. */
export function* syntheticRecords(input: SyntheticOptionsInput = {}): Generator<SyntheticRecord, void, undefined> {
  const context = createContext(resolveSyntheticOptions(input));
  for (let index = 0; index < context.options.residents; index++) yield* residentRecords(context, index);
}

/** The records whose change timestamp falls on `day` (YYYY-MM-DD, China Standard Time): one T+1 increment. */
export function* syntheticRecordsOfDay(input: SyntheticOptionsInput, day: string): Generator<SyntheticRecord, void, undefined> {
  if (!isDay(day)) {
    throw platformError("INVALID_INPUT", {
      message: `The day must be written YYYY-MM-DD, got ${JSON.stringify(day)}.`,
      messageZh: "日期格式应为 YYYY-MM-DD。",
      details: { problems: [{ key: "day", problem: "a day written YYYY-MM-DD", value: day }] },
    });
  }
  for (const record of syntheticRecords(input)) if (record.changedAt.startsWith(day)) yield record;
}

// ---- time: minutes since 1970-01-01 00:00 China Standard Time ----

const MINUTES_PER_DAY = 1440;
const dayStrings = new Map<number, string>();

function dayString(dayNumber: number): string {
  let text = dayStrings.get(dayNumber);
  if (text === undefined) {
    text = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
    dayStrings.set(dayNumber, text);
  }
  return text;
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

function timestamp(minutes: number): string {
  const day = Math.floor(minutes / MINUTES_PER_DAY);
  const inDay = minutes - day * MINUTES_PER_DAY;
  return `${dayString(day)}T${two(Math.floor(inDay / 60))}:${two(inDay % 60)}:00+08:00`;
}

const dayNumberOf = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

// ---- the run ----

interface Context {
  readonly options: SyntheticOptions;
  readonly institutions: readonly Institution[];
  readonly serialOf: ReadonlyMap<string, number>;
  readonly community: readonly Institution[];
  readonly secondary: readonly Institution[];
  readonly tertiary: readonly Institution[];
  readonly fromDay: number;
  readonly usedIdNumbers: Set<string>;
}

function createContext(options: SyntheticOptions): Context {
  const institutions = districtInstitutions(options.seed);
  return {
    options,
    institutions,
    serialOf: new Map(institutions.map((institution, i) => [institution.code, i + 1])),
    community: institutions.filter((i) => i.level === "community"),
    secondary: institutions.filter((i) => i.level === "secondary"),
    tertiary: institutions.filter((i) => i.level === "tertiary"),
    fromDay: dayNumberOf(options.from),
    usedIdNumbers: new Set(),
  };
}

const AGE_BANDS = weightedTable<readonly [number, number]>([
  [[0, 17], 15], [[18, 34], 22], [[35, 49], 22], [[50, 64], 22], [[65, 95], 19],
]);

/** Mobile number prefixes of the three operators (and their virtual-operator ranges excluded). */
const MOBILE_PREFIXES = [
  "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
  "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
  "184", "185", "186", "187", "188", "189", "191", "198", "199",
] as const;

function mobileNumber(random: Random): string {
  return random.pick(MOBILE_PREFIXES) + String(random.int(0, 99_999_999)).padStart(8, "0");
}

interface Person {
  readonly personId: string;
  readonly index: number;
  readonly sex: Sex;
  readonly age: number;
  readonly name: string;
  readonly birthDate: string;
  readonly idNumber: string;
  readonly phone: string;
  readonly address: string;
  readonly streetIndex: number;
  readonly conditions: readonly DiagnosisCode[];
  /** The person's usual value of each test, in its canonical unit. */
  readonly baseline: ReadonlyMap<string, number>;
}

function createPerson(context: Context, random: Random, index: number): Person {
  const sex: Sex = random.chance(0.5) ? "male" : "female";
  const [minAge, maxAge] = random.weighted(AGE_BANDS);
  const age = random.int(minAge, maxAge);
  const birthDate = dayString(context.fromDay - age * 365 - Math.floor(age / 4) - random.int(0, 364));
  let idNumber = makeIdNumber(DISTRICT_REGION_CODE, birthDate, sex, random.int(0, 999));
  for (let tries = 0; context.usedIdNumbers.has(idNumber) && tries < 500; tries++) {
    idNumber = makeIdNumber(DISTRICT_REGION_CODE, birthDate, sex, random.int(0, 999));
  }
  context.usedIdNumbers.add(idNumber);
  const streetIndex = random.int(0, STREETS.length - 1);
  const street = STREETS[streetIndex]!;
  const address = `${DISTRICT_NAME_ZH}${street.nameZh}${random.pick(street.roads)}${random.int(1, 2000)}弄${random.int(1, 80)}号${random.int(1, 25)}0${random.int(1, 6)}室`;
  const band = age < 35 ? 0 : age < 50 ? 1 : age < 65 ? 2 : 3;
  const conditions: DiagnosisCode[] = [];
  for (const [code, prevalence] of CHRONIC_PREVALENCE) if (random.chance(prevalence[band]!)) conditions.push(code);
  if (conditions.includes("E79.0") && random.chance(0.3)) conditions.push("M10.9");
  const baseline = new Map<string, number>();
  for (const test of LAB_TEST_BY_KEY.values()) {
    const range = conditions.map((code) => ABNORMAL_RANGES[code]?.[test.key]).find((r) => r !== undefined) ?? usualRange(test, sex, random);
    baseline.set(test.key, random.real(range[0], range[1]));
  }
  return {
    personId: `P${String(index + 1).padStart(7, "0")}`,
    index, sex, age, birthDate, idNumber, streetIndex, address, conditions, baseline,
    name: chineseName(random, sex),
    phone: mobileNumber(random),
  };
}

/** A healthy person's range: inside the reference interval, one in twenty a little outside it. */
function usualRange(test: LabTest, sex: Sex, random: Random): readonly [number, number] {
  const [lo, hi] = test.key === "HB" ? (sex === "male" ? [130, 160] : [115, 145]) : test.normal;
  if (!random.chance(0.05)) return [lo, hi];
  const margin = (hi - lo) * 0.15;
  return random.chance(0.5) ? [lo - margin, lo] : [hi, hi + margin];
}

const round = (value: number, decimals: number) => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

/** Builds records and their opaque transmission ids for one resident. */
class RecordSink {
  readonly records: SyntheticRecord[] = [];
  private sequence = 0;
  private readonly seed: number;
  private readonly personId: string;

  constructor(seed: number, index: number, personId: string) {
    this.seed = deriveSeed(seed, index + 0x5eed);
    this.personId = personId;
  }

  nextRecordId(): string {
    const n = this.sequence++;
    const high = deriveSeed(this.seed, n).toString(16).padStart(8, "0");
    const low = deriveSeed(this.seed ^ 0xa5a5a5a5, n).toString(16).padStart(8, "0");
    return `MSG${high}${low}`;
  }

  truth(extra: Partial<GroundTruth> = {}): GroundTruth {
    return { personId: this.personId, duplicateOf: null, missingField: null, registrationVariant: null, loinc: null, testKey: null, ...extra };
  }
}

function residentRecords(context: Context, index: number): SyntheticRecord[] {
  const { options } = context;
  const random = createRandom(deriveSeed(options.seed, index + 1));
  const person = createPerson(context, random, index);
  const sink = new RecordSink(options.seed, index, person.personId);
  const home = context.community[person.streetIndex]!;
  const preferredSecondary = random.pick(context.secondary);
  const preferredTertiary = random.pick(context.tertiary);
  const registered = new Map<string, string>();

  const encounterCount = Math.max(1, Math.round(options.eventsPerResident * (0.5 + random.next())));
  const days: number[] = [];
  for (let i = 0; i < encounterCount; i++) days.push(context.fromDay + random.int(0, options.days - 1));
  days.sort((a, b) => a - b);

  const admissionReasons = person.conditions.filter((code) => ADMISSION_DIAGNOSES.includes(code));
  days.forEach((day, visit) => {
    const type = encounterTypeOf(random, person, admissionReasons.length > 0);
    const institution = institutionFor(random, type, home, preferredSecondary, preferredTertiary);
    const start = day * MINUTES_PER_DAY + 8 * 60 + random.int(0, 9 * 60);
    const patientId = registered.get(institution.code) ?? register(context, random, sink, person, institution, start, registered);
    emitEncounter(context, random, sink, person, institution, patientId, type, start, visit, admissionReasons);
  });

  const withDirt = addDirt(random, sink, options.dirt);
  // Stable sort: records with the same timestamp keep the order they were made in.
  return withDirt.sort((a, b) => (a.changedAt < b.changedAt ? -1 : a.changedAt > b.changedAt ? 1 : 0));
}

function encounterTypeOf(random: Random, person: Person, hasAdmissionReason: boolean): EncounterType {
  const draw = random.next();
  if (person.age >= 18 && draw < 0.15) return "physical-exam";
  if (draw > (hasAdmissionReason ? 0.88 : 0.95)) return "inpatient";
  return "outpatient";
}

function institutionFor(random: Random, type: EncounterType, home: Institution, secondary: Institution, tertiary: Institution): Institution {
  const draw = random.next();
  switch (type) {
    case "physical-exam":
      return draw < 0.8 ? home : secondary;
    case "inpatient":
      return draw < 0.6 ? secondary : tertiary;
    default:
      return draw < 0.5 ? home : draw < 0.85 ? secondary : tertiary;
  }
}

/** The resident registers at an institution on the first visit; later institutions may get the details wrong. */
function register(
  context: Context, random: Random, sink: RecordSink, person: Person, institution: Institution, visitStart: number, registered: Map<string, string>,
): string {
  const serial = context.serialOf.get(institution.code)!;
  // A bijection of the resident index: patient numbers never collide within an institution.
  const patientId = institution.patientIdPrefix + String((person.index * 7919 + serial * 104_729) % 10_000_000).padStart(7, "0");
  let name = person.name;
  let phone: string | null = person.phone;
  let variant: RegistrationVariant | null = null;
  if (registered.size > 0 && random.chance(context.options.dirt.registrationVariant)) {
    const kind = random.next();
    const typo = kind < 0.5 ? nameWithTypo(random, person.name) : null;
    if (typo !== null) {
      name = typo;
      variant = "name-typo";
    } else if (kind < 0.75) {
      phone = null;
      variant = "phone-missing";
    } else {
      phone = mobileNumber(random);
      variant = "phone-different";
    }
  }
  registered.set(institution.code, patientId);
  sink.records.push({
    recordId: sink.nextRecordId(),
    kind: "patient",
    institutionCode: institution.code,
    patientId,
    sourceKey: patientId,
    changedAt: timestamp(visitStart - random.int(5, 30)),
    status: "final",
    corrects: null,
    payload: { name, sex: person.sex, birthDate: person.birthDate, idNumber: person.idNumber, phone, address: person.address },
    truth: sink.truth({ registrationVariant: variant }),
  });
  return patientId;
}

function diagnosesOf(random: Random, person: Person, type: EncounterType, admissionReasons: readonly DiagnosisCode[]): DiagnosisCode[] {
  const others = (primary: DiagnosisCode, chance: number) =>
    person.conditions.filter((code) => code !== primary && random.chance(chance)).slice(0, 3);
  if (type === "physical-exam") return ["Z00.0", ...others("Z00.0", 1)];
  if (type === "inpatient") {
    const primary = admissionReasons.length > 0 ? random.pick(admissionReasons) : "J18.9";
    return [primary, ...others(primary, 0.8)];
  }
  const primary = person.conditions.length > 0 && random.chance(0.7) ? random.pick(person.conditions) : random.weighted(ACUTE_TABLE);
  return [primary, ...others(primary, 0.3)];
}

const ACUTE_TABLE = weightedTable(ACUTE_DIAGNOSES);

function emitEncounter(
  context: Context, random: Random, sink: RecordSink, person: Person, institution: Institution, patientId: string,
  type: EncounterType, start: number, visit: number, admissionReasons: readonly DiagnosisCode[],
): void {
  const encounterKey = `${patientId}-${type === "inpatient" ? "Z" : type === "physical-exam" ? "T" : "M"}${String(visit + 1).padStart(3, "0")}`;
  const diagnoses = diagnosesOf(random, person, type, admissionReasons);
  const primary = diagnoses[0]!;
  const lengthOfStay = type === "inpatient" ? random.int(3, 14) : 0;
  const end = type === "inpatient" ? (Math.floor(start / MINUTES_PER_DAY) + lengthOfStay) * MINUTES_PER_DAY + random.int(9 * 60, 15 * 60) : null;
  // A stay reaches the platform with its front sheet after discharge; a visit the same day.
  const closedAt = end ?? start;
  const department = type === "physical-exam" ? "体检中心" : institution.level === "community" ? "全科" : DIAGNOSES[primary].department;
  const base = { institutionCode: institution.code, patientId };
  const final = { status: "final" as const, corrects: null };

  sink.records.push({
    recordId: sink.nextRecordId(), kind: "encounter", ...base, sourceKey: encounterKey,
    changedAt: timestamp(closedAt + random.int(1, 240)),
    ...final,
    payload: { type, department, start: timestamp(start), end: end === null ? null : timestamp(end) },
    truth: sink.truth(),
  });

  diagnoses.forEach((icd10, i) => {
    const diagnosedAt = start + random.int(5, 60);
    sink.records.push({
      recordId: sink.nextRecordId(), kind: "diagnosis", ...base, sourceKey: `${encounterKey}-D${i + 1}`,
      changedAt: timestamp(Math.max(diagnosedAt, closedAt) + random.int(1, 60)),
      ...final,
      payload: { encounterKey, icd10, nameZh: DIAGNOSES[icd10].nameZh, primary: i === 0, diagnosedAt: timestamp(diagnosedAt) },
      truth: sink.truth(),
    });
  });

  const tests = new Set<string>(type === "physical-exam" ? EXAM_PANEL : type === "inpatient" ? ADMISSION_PANEL : []);
  if (type !== "physical-exam" && (type === "inpatient" || random.chance(0.6))) {
    for (const code of diagnoses) for (const test of TESTS_FOR_DIAGNOSIS[code] ?? []) tests.add(test);
  }
  const collectedAt = type === "inpatient" ? start + MINUTES_PER_DAY - (start % MINUTES_PER_DAY) + random.int(6 * 60, 7 * 60) : start + random.int(10, 90);
  const abnormal: string[] = [];
  for (const testKey of tests) {
    const result = labResult(random, person, institution, testKey, diagnoses.includes("J18.9"));
    if (result.flag !== "N") abnormal.push(`${result.test.nameZh}${result.flag === "H" ? "偏高" : "偏低"}`);
    const reportedAt = collectedAt + random.int(60, 360);
    sink.records.push({
      recordId: sink.nextRecordId(), kind: "lab-result", ...base, sourceKey: `${encounterKey}-${result.entry.localCode}`,
      changedAt: timestamp(reportedAt),
      ...final,
      payload: {
        encounterKey, localCode: result.entry.localCode, localName: result.entry.localName, value: result.value,
        unit: result.entry.unit, referenceRange: result.referenceRange, abnormalFlag: result.flag,
        collectedAt: timestamp(collectedAt), reportedAt: timestamp(reportedAt),
      },
      truth: sink.truth({ loinc: result.entry.loinc, testKey }),
    });
  }

  if (type !== "physical-exam") {
    diagnoses.forEach((code, i) => {
      const drugs = DRUGS_FOR_DIAGNOSIS[code];
      if (!drugs || !random.chance(0.8)) return;
      const drug = random.pick(drugs);
      const prescribedAt = (end ?? start) + random.int(20, 120);
      const chronic = !ACUTE_DIAGNOSES.some(([acute]) => acute === code);
      sink.records.push({
        recordId: sink.nextRecordId(), kind: "prescription", ...base, sourceKey: `${encounterKey}-R${i + 1}`,
        changedAt: timestamp(prescribedAt + random.int(1, 30)),
        ...final,
        payload: {
          encounterKey, drugName: drug.nameZh, atc: drug.atc, specification: drug.specification, dose: drug.dose, route: drug.route,
          frequency: drug.frequency, days: chronic ? random.pick([14, 28, 30]) : random.int(3, 7), forDiagnosis: code, prescribedAt: timestamp(prescribedAt),
        },
        truth: sink.truth(),
      });
    });
  }

  if (type === "physical-exam") {
    const heightCm = round(person.sex === "male" ? random.real(160, 182) : random.real(150, 170), 1);
    const heavy = person.conditions.includes("K76.0") || person.conditions.includes("E11.9");
    const bmiDrawn = random.real(19, 27) + (heavy ? 3 : 0);
    const weightKg = round(bmiDrawn * (heightCm / 100) ** 2, 1);
    const bmi = round(weightKg / (heightCm / 100) ** 2, 1);
    const hypertensive = person.conditions.includes("I10");
    const systolicMmHg = hypertensive ? random.int(138, 168) : random.int(105, 135);
    const diastolicMmHg = hypertensive ? random.int(85, 102) : random.int(65, 85);
    const findings = [
      ...(systolicMmHg >= 140 || diastolicMmHg >= 90 ? ["血压偏高"] : []),
      ...(bmi >= 28 ? ["肥胖"] : bmi >= 24 ? ["超重"] : []),
      ...abnormal,
    ];
    sink.records.push({
      recordId: sink.nextRecordId(), kind: "physical-exam", ...base, sourceKey: `${encounterKey}-RPT`,
      changedAt: timestamp(start + random.int(3, 10) * MINUTES_PER_DAY + random.int(0, 480)),
      ...final,
      payload: {
        encounterKey, examDate: dayString(Math.floor(start / MINUTES_PER_DAY)), heightCm, weightKg, bmi, systolicMmHg, diastolicMmHg, findings,
        conclusion: findings.length > 0 ? `发现异常：${findings.join("；")}。` : "本次体检未见明显异常。",
        advice: findings.length > 0 ? "建议低盐低脂饮食、适量运动，相关异常项目于专科门诊复查。" : "保持健康生活方式，每年体检一次。",
      },
      truth: sink.truth(),
    });
  }

  if (end !== null) {
    const admission = DIAGNOSES[primary];
    sink.records.push({
      recordId: sink.nextRecordId(), kind: "discharge-summary", ...base, sourceKey: `${encounterKey}-CY`,
      changedAt: timestamp(end + random.int(60, 600)),
      ...final,
      payload: {
        encounterKey, admittedAt: timestamp(start), dischargedAt: timestamp(end), lengthOfStayDays: lengthOfStay,
        admissionDiagnosis: primary, dischargeDiagnoses: diagnoses,
        course: `患者因“${admission.nameZh}”于${dayString(Math.floor(start / MINUTES_PER_DAY))}入院，完善相关检查，予规范治疗，病情稳定，住院${lengthOfStay}天。`,
        outcome: random.chance(0.8) ? "好转" : "治愈",
        dischargeAdvice: "出院后规律服药，低盐低脂饮食，两周后门诊随访，不适随诊。",
      },
      truth: sink.truth(),
    });
  }
}

function labResult(random: Random, person: Person, institution: Institution, testKey: string, pneumonia: boolean) {
  const test = LAB_TEST_BY_KEY.get(testKey)!;
  const entry = institution.labDictionary.find((line) => line.testKey === testKey)!;
  const unit = test.units.find((u) => u.unit === entry.unit)!;
  const canonical = pneumonia && testKey === "WBC" ? random.real(11, 18) : person.baseline.get(testKey)! * (1 + random.real(-0.05, 0.05));
  const [lo, hi] = test.normal;
  const value = round(unit.fromCanonical(canonical), unit.decimals);
  const flag: "N" | "H" | "L" = canonical > hi ? "H" : canonical < lo ? "L" : "N";
  const referenceRange = `${round(unit.fromCanonical(lo), unit.decimals)}-${round(unit.fromCanonical(hi), unit.decimals)}`;
  return { test, entry, unit, value, flag, referenceRange };
}

/** Missing fields, late corrections and duplicates over one resident's first transmissions. */
function addDirt(random: Random, sink: RecordSink, rates: SyntheticOptions["dirt"]): SyntheticRecord[] {
  const out: SyntheticRecord[] = [];
  for (const original of sink.records) {
    let record = original;
    if (random.chance(rates.missingField)) {
      const field = random.pick<string>(OPTIONAL_FIELDS[record.kind]);
      record = { ...record, payload: { ...record.payload, [field]: null }, truth: { ...record.truth, missingField: field } } as SyntheticRecord;
    }
    out.push(record);
    if (record.kind !== "patient" && random.chance(rates.duplicate)) {
      const changedAt = timestamp(minutesOf(record.changedAt) + random.int(5, 1800));
      out.push({ ...record, recordId: sink.nextRecordId(), changedAt, truth: { ...record.truth, duplicateOf: record.recordId } });
    }
    if (record.kind === "lab-result" && random.chance(rates.lateCorrection)) {
      const factor = random.chance(0.5) ? random.real(1.05, 1.3) : random.real(0.7, 0.95);
      const decimals = (String(record.payload.value).split(".")[1] ?? "").length;
      out.push({
        ...record,
        recordId: sink.nextRecordId(),
        changedAt: timestamp(minutesOf(record.changedAt) + random.int(1, 10) * MINUTES_PER_DAY + random.int(0, 600)),
        status: "corrected",
        corrects: record.recordId,
        payload: { ...record.payload, value: round(record.payload.value * factor, Math.max(decimals, 1)) },
        truth: { ...record.truth, missingField: null },
      });
    }
  }
  return out;
}

function minutesOf(stamp: string): number {
  return dayNumberOf(stamp.slice(0, 10)) * MINUTES_PER_DAY + Number(stamp.slice(11, 13)) * 60 + Number(stamp.slice(14, 16));
}
