// The EMPI's knobs with their defaults; a bad value is an INVALID_INPUT error naming each problem.
import { randomUUID } from "node:crypto";
import { platformError } from "@health-chain/sdk";
import type { MatchField } from "./compare.ts";
import { resolveProbabilities, resolveThresholds, weightsOf, type LevelProbabilities, type MatchProbabilities, type MatchThresholds, type MatchWeights } from "./weights.ts";

export interface EmpiOptions {
  /** Score thresholds (log2 likelihood ratio); defaults in weights.ts. */
  readonly thresholds?: Partial<MatchThresholds>;
  /** m/u overrides per field and level, e.g. `{ phone: { exact: { u: 1e-4 } } }`. */
  readonly probabilities?: { readonly [F in MatchField]?: { readonly [level: string]: Partial<LevelProbabilities> } };
  /** Entries of the in-memory (institution, patientId) → person cache; 0 turns it off. Default 100,000. */
  readonly cacheSize?: number;
  /** Review items one registration may open (best candidates first). Default 3. */
  readonly maxReviewsPerRegistration?: number;
  /** A phone number held by more persons than this is a placeholder, not evidence. Default 5. */
  readonly maxPersonsPerPhone?: number;
  /** Timeout of the transactions the EMPI opens itself, in ms. Default 60,000. */
  readonly transactionTimeoutMs?: number;
  /** New person ids (default: random UUIDs, which say nothing about the person). */
  readonly newPersonId?: () => string;
  /** The clock (birth dates after today are refused). */
  readonly now?: () => Date;
}

export interface ResolvedEmpiOptions {
  readonly thresholds: MatchThresholds;
  readonly probabilities: MatchProbabilities;
  readonly weights: MatchWeights;
  readonly cacheSize: number;
  readonly maxReviewsPerRegistration: number;
  readonly maxPersonsPerPhone: number;
  readonly transactionTimeoutMs: number;
  readonly newPersonId: () => string;
  readonly now: () => Date;
}

export function resolveEmpiOptions(options: EmpiOptions = {}): ResolvedEmpiOptions {
  const problems: string[] = [];
  const integer = (name: string, value: number | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer in [${min}, ${max}]`);
    return value;
  };
  const cacheSize = integer("cacheSize", options.cacheSize, 100_000, 0, 10_000_000);
  const maxReviewsPerRegistration = integer("maxReviewsPerRegistration", options.maxReviewsPerRegistration, 3, 1, 100);
  const maxPersonsPerPhone = integer("maxPersonsPerPhone", options.maxPersonsPerPhone, 5, 1, 1000);
  const transactionTimeoutMs = integer("transactionTimeoutMs", options.transactionTimeoutMs, 60_000, 1000, 3_600_000);
  if (options.newPersonId !== undefined && typeof options.newPersonId !== "function") problems.push("newPersonId must be a function");
  if (options.now !== undefined && typeof options.now !== "function") problems.push("now must be a function");
  if (problems.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `Invalid EMPI options: ${problems.join("; ")}.`,
      messageZh: `居民主索引参数无效：${problems.join("；")}。`,
      details: { problems },
    });
  }
  const probabilities = resolveProbabilities(options.probabilities);
  return {
    thresholds: resolveThresholds(options.thresholds),
    probabilities,
    weights: weightsOf(probabilities),
    cacheSize,
    maxReviewsPerRegistration,
    maxPersonsPerPhone,
    transactionTimeoutMs,
    newPersonId: options.newPersonId ?? randomUUID,
    now: options.now ?? (() => new Date()),
  };
}

/** Today in China Standard Time (YYYY-MM-DD), the bound of a birth date. */
export function todayInChina(now: Date): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}
