// Fellegi–Sunter weights. For each field and agreement level, m = P(level | same person) and
// u = P(level | different persons); the level's weight is log2(m / u), a missing value weighs 0, and
// a pair's score is the sum over fields: log2 of the likelihood ratio, under the usual assumption
// that fields agree independently. The defaults and the thresholds are argued in docs/empi.md.
import { platformError } from "@health-chain/sdk";
import { FIELD_LEVELS, MATCH_FIELDS, type AgreementLevel, type MatchField } from "./compare.ts";

export interface LevelProbabilities {
  readonly m: number;
  readonly u: number;
}

/** m and u for every non-missing level of every field. */
export type MatchProbabilities = {
  readonly [F in MatchField]: { readonly [L in (typeof FIELD_LEVELS)[F][number]]: LevelProbabilities };
};

/**
 * u from the synthetic district's random pairs (name exact 6e-5, close 4e-3; birth date exact
 * 3e-5, close 1e-3), rounded up towards real name frequencies; m from the registration dirt an
 * institution's records carry (a homophone slip in ~7% of later registrations, a changed phone in
 * ~10%). See docs/empi.md for the table of weights.
 */
export const DEFAULT_MATCH_PROBABILITIES: MatchProbabilities = {
  idNumber: { exact: { m: 0.998, u: 1e-7 }, disagree: { m: 0.002, u: 1 - 1e-7 } },
  name: { exact: { m: 0.92, u: 1e-4 }, close: { m: 0.07, u: 4e-3 }, disagree: { m: 0.01, u: 0.9959 } },
  birthDate: { exact: { m: 0.985, u: 3.3e-5 }, close: { m: 0.01, u: 1e-3 }, disagree: { m: 0.005, u: 0.999 } },
  sex: { exact: { m: 0.998, u: 0.5 }, disagree: { m: 0.002, u: 0.5 } },
  phone: { exact: { m: 0.88, u: 1e-5 }, disagree: { m: 0.12, u: 1 - 1e-5 } },
};

export interface MatchThresholds {
  /** At or above: linked automatically. */
  readonly link: number;
  /** At or above (and below `link`): a new person and a review item. Below: a new person. */
  readonly review: number;
}

/**
 * log2 posterior odds = log2 prior odds + score. For a district of N ≈ 10^6 residents the prior odds
 * that a registration is a given other person are ≈ 2^-20: `link` 31 means posterior odds ≥ 2^11
 * (P ≥ 0.9995), `review` 18 means odds ≥ 1:4, worth a person's look.
 */
export const DEFAULT_MATCH_THRESHOLDS: MatchThresholds = { link: 31, review: 18 };

/** The weight of every level of every field. */
export type MatchWeights = { readonly [F in MatchField]: Readonly<Record<AgreementLevel, number>> };

function invalid(problems: string[]): never {
  throw platformError("INVALID_INPUT", {
    message: `Invalid EMPI matching configuration: ${problems.join("; ")}.`,
    messageZh: `居民主索引匹配参数无效：${problems.join("；")}。`,
    details: { problems },
  });
}

/** Merges overrides into the defaults and checks them (0 < m, u < 1 or ≤ 1; m of a field sums to 1). */
export function resolveProbabilities(overrides: { readonly [F in MatchField]?: { readonly [level: string]: Partial<LevelProbabilities> } } = {}): MatchProbabilities {
  const problems: string[] = [];
  const out: Record<string, Record<string, LevelProbabilities>> = {};
  for (const field of Object.keys(overrides)) if (!MATCH_FIELDS.includes(field as MatchField)) problems.push(`unknown field ${field}`);
  for (const field of MATCH_FIELDS) {
    const levels: Record<string, LevelProbabilities> = {};
    const given = overrides[field] ?? {};
    for (const level of Object.keys(given)) if (!(FIELD_LEVELS[field] as readonly string[]).includes(level)) problems.push(`${field} has no level ${level}`);
    let mSum = 0;
    for (const level of FIELD_LEVELS[field]) {
      const base = (DEFAULT_MATCH_PROBABILITIES[field] as Record<string, LevelProbabilities>)[level]!;
      const p = { ...base, ...given[level] };
      for (const key of ["m", "u"] as const) {
        if (typeof p[key] !== "number" || !(p[key] > 0 && p[key] <= 1)) problems.push(`${field}.${level}.${key} must be in (0, 1]`);
      }
      mSum += p.m;
      levels[level] = p;
    }
    if (Math.abs(mSum - 1) > 1e-6) problems.push(`the m of ${field}'s levels must sum to 1 (got ${mSum})`);
    out[field] = levels;
  }
  if (problems.length > 0) invalid(problems);
  return out as unknown as MatchProbabilities;
}

export function resolveThresholds(overrides: Partial<MatchThresholds> = {}): MatchThresholds {
  const t = { ...DEFAULT_MATCH_THRESHOLDS, ...overrides };
  if (!Number.isFinite(t.link) || !Number.isFinite(t.review) || t.review > t.link) {
    invalid([`thresholds must be finite numbers with review ≤ link (got review ${t.review}, link ${t.link})`]);
  }
  return t;
}

export function weightsOf(probabilities: MatchProbabilities): MatchWeights {
  const weights: Record<string, Record<AgreementLevel, number>> = {};
  for (const field of MATCH_FIELDS) {
    const levels = probabilities[field] as Record<string, LevelProbabilities>;
    const row: Record<AgreementLevel, number> = { exact: 0, close: 0, disagree: 0, missing: 0 };
    for (const [level, p] of Object.entries(levels)) row[level as AgreementLevel] = Math.log2(p.m / p.u);
    // A field without a "close" level treats close as disagree (never happens: compare.ts gives none).
    if (!("close" in levels)) row.close = row.disagree;
    weights[field] = row;
  }
  return weights as MatchWeights;
}
