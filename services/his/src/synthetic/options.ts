// The generator's knobs with their defaults; a bad value is an INVALID_INPUT error naming each problem.
import { platformError } from "@health-chain/sdk";

/** The share of records that carry each kind of dirt. */
export interface DirtRates {
  /** Of clinical records: sent a second time (same sourceKey and payload, new recordId, a little later). */
  readonly duplicate: number;
  /** Of registrations at a resident's second and later institutions: a name typo, or a missing or different phone. */
  readonly registrationVariant: number;
  /** Of all first transmissions: one optional field left empty. */
  readonly missingField: number;
  /** Of lab results: re-sent days later with a changed value and `corrects` pointing at the original. */
  readonly lateCorrection: number;
}

export interface SyntheticOptions {
  readonly seed: number;
  readonly residents: number;
  /** Mean number of encounters (visits, stays, examinations) per resident over the period. */
  readonly eventsPerResident: number;
  /** First day of the period, YYYY-MM-DD (China Standard Time). */
  readonly from: string;
  readonly days: number;
  readonly dirt: DirtRates;
}

export type SyntheticOptionsInput = Partial<Omit<SyntheticOptions, "dirt">> & { readonly dirt?: Partial<DirtRates> };

export const DEFAULT_DIRT_RATES: DirtRates = { duplicate: 0.02, registrationVariant: 0.15, missingField: 0.03, lateCorrection: 0.01 };

export const DEFAULT_SYNTHETIC_OPTIONS: SyntheticOptions = {
  seed: 20240101,
  residents: 1000,
  eventsPerResident: 4,
  from: "2024-01-01",
  days: 365,
  dirt: DEFAULT_DIRT_RATES,
};

/** Patient numbers are a bijection of the resident index below this bound. */
export const MAX_RESIDENTS = 5_000_000;

/** Whether a string is a real calendar day written YYYY-MM-DD. */
export function isDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export function resolveSyntheticOptions(input: SyntheticOptionsInput = {}): SyntheticOptions {
  const options: SyntheticOptions = {
    ...DEFAULT_SYNTHETIC_OPTIONS,
    ...input,
    dirt: { ...DEFAULT_DIRT_RATES, ...input.dirt },
  };
  const problems: { key: string; problem: string; value: unknown }[] = [];
  const check = (ok: boolean, key: string, problem: string, value: unknown) => {
    if (!ok) problems.push({ key, problem, value });
  };
  check(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff, "seed", "an integer in [0, 2^32)", options.seed);
  check(Number.isInteger(options.residents) && options.residents >= 1 && options.residents <= MAX_RESIDENTS, "residents", `an integer in [1, ${MAX_RESIDENTS}]`, options.residents);
  check(Number.isFinite(options.eventsPerResident) && options.eventsPerResident >= 1 && options.eventsPerResident <= 100, "eventsPerResident", "a number in [1, 100]", options.eventsPerResident);
  check(typeof options.from === "string" && isDay(options.from), "from", "a day written YYYY-MM-DD", options.from);
  check(Number.isInteger(options.days) && options.days >= 1 && options.days <= 3660, "days", "an integer in [1, 3660]", options.days);
  for (const [name, rate] of Object.entries(options.dirt)) {
    check(typeof rate === "number" && rate >= 0 && rate <= 1, `dirt.${name}`, "a rate in [0, 1]", rate);
  }
  if (problems.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `Invalid synthetic data options: ${problems.map((p) => `${p.key} must be ${p.problem}`).join("; ")}.`,
      messageZh: `合成数据参数无效：${problems.map((p) => p.key).join("、")}。`,
      details: { problems },
    });
  }
  return options;
}
