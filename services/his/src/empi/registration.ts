// A patient registration as an institution sends it, and its normalised form: the values the matcher
// compares and the blocking keys the index is searched by. Bad input is an INVALID_INPUT error
// naming every problem (English and Chinese); dirt that real registrations carry (a wrong ID
// number, a malformed phone) is kept and simply carries no evidence.
import { platformError } from "@health-chain/sdk";
import { checkIdNumber, idNumberCheckChar } from "../synthetic/id-number.ts";

/** A registration of a patient at an institution (the shape of synthetic/records.ts PatientRegistration, keyed). */
export interface EmpiRegistration {
  /** The institution's code. */
  readonly institution: string;
  /** The institution's own patient number. */
  readonly patientId: string;
  readonly name: string;
  /** "male" | "female" | "unknown", 男/女/未知, or the GB/T 2261.1 codes 1/2/0/9. */
  readonly sex: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  /** A resident identity number (GB 11643, 18 characters; 15-digit first-generation numbers are upgraded). */
  readonly idNumber: string | null;
  readonly phone: string | null;
  readonly address: string | null;
}

export type EmpiSex = "male" | "female" | "unknown";

/** A registration in comparable form, with its blocking keys. */
export interface NormalizedRegistration {
  readonly institution: string;
  readonly patientId: string;
  /** NFKC, no spaces or middle dots. */
  readonly name: string;
  readonly sex: EmpiSex;
  readonly birthDate: string;
  /** As sent, upper-cased and 15→18 upgraded when it looks like an ID number; null when absent. */
  readonly idNumber: string | null;
  readonly phone: string | null;
  readonly address: string | null;
  /** The ID number when it is a valid GB 11643 number (check character and birth date), else null. */
  readonly idKey: string | null;
  /** Whether the valid ID number's encoded sex and birth date agree with the registration's own. */
  readonly idConsistent: boolean;
  /** birthDate + "|" + sex. */
  readonly birthKey: string;
  /** The phone's digits without the country code, when it has at least 7. */
  readonly phoneKey: string | null;
}

export interface RegistrationProblem {
  readonly field: string;
  readonly problem: string;
  readonly problemZh: string;
}

const SEX_CODES: Readonly<Record<string, EmpiSex>> = {
  male: "male", m: "male", 男: "male", "1": "male",
  female: "female", f: "female", 女: "female", "2": "female",
  unknown: "unknown", 未知: "unknown", "0": "unknown", "9": "unknown", 未说明: "unknown",
};

const MAX_TEXT = 200;

/** The comparable form of a person's name: NFKC, no white space, no middle dots of transliterated names. */
export function normalizePersonName(name: string): string {
  return name.normalize("NFKC").replace(/[\s·•・‧.．]/gu, "").toUpperCase();
}

/** The comparable form of an ID number: NFKC, no spaces, upper case, 15 digits upgraded to 18. */
export function normalizeIdNumber(idNumber: string): string {
  const id = idNumber.normalize("NFKC").replace(/\s/g, "").toUpperCase();
  // A first-generation (1985) number: 6-digit region, 6-digit birth date (19YYMMDD), 3-digit sequence.
  if (/^\d{15}$/.test(id)) {
    const first17 = `${id.slice(0, 6)}19${id.slice(6)}`;
    return first17 + idNumberCheckChar(first17);
  }
  return id;
}

/** The comparable form of a phone number: its digits, without a +86/0086 country code. */
export function normalizePhone(phone: string): string {
  const digits = phone.normalize("NFKC").replace(/\D/g, "");
  if (/^(0086|86)1\d{10}$/.test(digits)) return digits.slice(digits.length - 11);
  return digits;
}

export const birthKeyOf = (birthDate: string, sex: EmpiSex) => `${birthDate}|${sex}`;

function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

const optionalText = (value: string | null | undefined) => {
  if (value === null || value === undefined) return null;
  const text = value.normalize("NFKC").trim();
  return text === "" ? null : text;
};

/** The problems of one registration (empty when it is acceptable). `today` bounds the birth date (YYYY-MM-DD). */
export function registrationProblems(registration: EmpiRegistration, today: string): RegistrationProblem[] {
  const problems: RegistrationProblem[] = [];
  const add = (field: string, problem: string, problemZh: string) => problems.push({ field, problem, problemZh });
  if (registration === null || typeof registration !== "object") {
    add("registration", "must be an object", "应为对象");
    return problems;
  }
  const r = registration as unknown as Record<string, unknown>;
  for (const [field, zh] of [["institution", "机构代码"], ["patientId", "患者编号"]] as const) {
    const value = r[field];
    if (typeof value !== "string" || value.trim() === "") add(field, "must be a non-empty string", `${zh}不能为空`);
    else if (value.length > MAX_TEXT) add(field, `must be at most ${MAX_TEXT} characters`, `${zh}过长`);
  }
  if (typeof r.name !== "string" || normalizePersonName(r.name) === "") add("name", "must not be empty", "姓名不能为空");
  else if (r.name.length > MAX_TEXT || /\p{Cc}/u.test(r.name)) add("name", "must be at most 200 characters without control characters", "姓名过长或含控制字符");
  if (typeof r.sex !== "string" || SEX_CODES[r.sex.normalize("NFKC").trim().toLowerCase()] === undefined) {
    add("sex", "must be male, female or unknown (男/女/未知, or GB/T 2261.1 code 1, 2, 0 or 9)", "性别应为男、女或未知（或 GB/T 2261.1 代码 1、2、0、9）");
  }
  if (typeof r.birthDate !== "string" || !isCalendarDay(r.birthDate.trim())) {
    add("birthDate", "must be a calendar date written YYYY-MM-DD", "出生日期应为 YYYY-MM-DD 格式的有效日期");
  } else if (r.birthDate.trim() < "1880-01-01" || r.birthDate.trim() > today) {
    add("birthDate", `must lie between 1880-01-01 and today (${today})`, `出生日期应在 1880-01-01 至今天（${today}）之间`);
  }
  for (const [field, zh] of [["idNumber", "身份证号"], ["phone", "电话"], ["address", "地址"]] as const) {
    const value = r[field];
    if (value !== null && value !== undefined && typeof value !== "string") add(field, "must be a string or null", `${zh}应为字符串或空`);
    else if (typeof value === "string" && value.length > MAX_TEXT) add(field, `must be at most ${MAX_TEXT} characters`, `${zh}过长`);
  }
  return problems;
}

/** The normalised form of a registration already checked by `registrationProblems`. */
export function normalizeRegistration(registration: EmpiRegistration): NormalizedRegistration {
  const sex = SEX_CODES[registration.sex.normalize("NFKC").trim().toLowerCase()]!;
  const birthDate = registration.birthDate.trim();
  const rawId = optionalText(registration.idNumber);
  const idNumber = rawId === null ? null : normalizeIdNumber(rawId);
  const check = idNumber === null ? null : checkIdNumber(idNumber);
  const idKey = check?.valid ? idNumber : null;
  const rawPhone = optionalText(registration.phone);
  const phoneDigits = rawPhone === null ? "" : normalizePhone(rawPhone);
  return {
    institution: registration.institution.trim(),
    patientId: registration.patientId.trim(),
    name: normalizePersonName(registration.name),
    sex,
    birthDate,
    idNumber,
    phone: rawPhone,
    address: optionalText(registration.address),
    idKey,
    idConsistent: check?.valid === true && check.birthDate === birthDate && (sex === "unknown" || check.sex === sex),
    birthKey: birthKeyOf(birthDate, sex),
    phoneKey: phoneDigits.length >= 7 ? phoneDigits : null,
  };
}

/** Checks and normalises a batch; throws one INVALID_INPUT naming every bad registration (by index) and changes nothing. */
export function normalizeRegistrations(registrations: readonly EmpiRegistration[], today: string): NormalizedRegistration[] {
  if (!Array.isArray(registrations)) {
    throw platformError("INVALID_INPUT", { message: "Registrations must be an array.", messageZh: "登记信息应为数组。" });
  }
  const bad: { index: number; institution: unknown; patientId: unknown; problems: RegistrationProblem[] }[] = [];
  registrations.forEach((registration, index) => {
    const problems = registrationProblems(registration, today);
    if (problems.length > 0) {
      const r = (registration ?? {}) as unknown as Record<string, unknown>;
      bad.push({ index, institution: r.institution, patientId: r.patientId, problems });
    }
  });
  if (bad.length > 0) {
    const first = bad[0]!;
    const describe = (p: RegistrationProblem) => `${p.field} ${p.problem}`;
    throw platformError("INVALID_INPUT", {
      message: `${bad.length} registration(s) are invalid; the first (index ${first.index}): ${first.problems.map(describe).join("; ")}. Nothing was linked.`,
      messageZh: `${bad.length} 条登记信息无效；第一条（序号 ${first.index}）：${first.problems.map((p) => p.problemZh).join("；")}。未做任何关联。`,
      details: { invalid: bad },
    });
  }
  return registrations.map(normalizeRegistration);
}
