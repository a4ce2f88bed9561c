// Proposes a standard code for a local dictionary entry: a confirmed decision first, then exact,
// synonym and fuzzy name matches scored with unit compatibility, sorted into auto / review / unmapped.
import { platformError } from "@health-chain/sdk";
import { type StandardDictionary, type StandardEntry, validateDictionary } from "./dictionary.ts";
import { bracketParts, nameSimilarity, normalizeName, normalizeUnit } from "./normalize.ts";
import type { DecisionLog } from "./review.ts";

export interface LocalEntry {
  readonly institution: string;
  readonly localCode: string;
  readonly localName: string;
  /** Empty or absent when the source does not say. */
  readonly localUnit?: string | null;
}

export type MatchMethod = "exact" | "synonym" | "fuzzy";

export interface MappingCandidate {
  readonly code: string;
  readonly nameZh: string;
  readonly method: MatchMethod;
  /** nameScore × unit factor, in [0, 1]. */
  readonly score: number;
  readonly nameScore: number;
  /** The standard name or synonym that matched best. */
  readonly matchedName: string;
  /** null when the local unit is empty. */
  readonly unitCompatible: boolean | null;
}

export interface MappingThresholds {
  /** At or above: accepted automatically. */
  readonly autoAccept: number;
  /** At or above (and below autoAccept): sent to review; below: unmapped. */
  readonly review: number;
  /** Two different codes whose scores are this close are ambiguous: never auto-accepted. */
  readonly ambiguityMargin: number;
  /** How many candidates a proposal carries. */
  readonly maxCandidates: number;
}

export const DEFAULT_THRESHOLDS: MappingThresholds = { autoAccept: 0.92, review: 0.45, ambiguityMargin: 0.02, maxCandidates: 5 };

/** Name scores by method, and the unit factors the name score is multiplied by. */
export const SCORING = {
  exact: 1,
  synonym: 0.96,
  /** A fuzzy name score is similarity × this, so fuzzy matches never reach the default autoAccept. */
  fuzzyCeiling: 0.9,
  /** The part outside or inside brackets equals a name or synonym: `ALT(谷丙)`. */
  bracketPart: 0.85,
  unitCompatible: 1,
  unitUnknown: 0.95,
  unitIncompatible: 0.75,
} as const;

export type MappingStatus = "confirmed" | "auto" | "review" | "unmapped";

export interface Reason {
  readonly en: string;
  readonly zh: string;
}

export interface MappingProposal {
  readonly institution: string;
  readonly localCode: string;
  readonly localName: string;
  readonly localUnit: string;
  readonly status: MappingStatus;
  /** The mapped code for `confirmed` and `auto`; null otherwise (also for a confirmed rejection). */
  readonly code: string | null;
  readonly method: MatchMethod | "confirmed" | null;
  readonly score: number;
  readonly candidates: readonly MappingCandidate[];
  /** Why it is not auto-accepted, or null. */
  readonly reason: Reason | null;
  readonly dictionaryVersion: string;
  /** The decision version a confirmed proposal comes from. */
  readonly decisionVersion: number | null;
}

interface IndexedEntry {
  readonly entry: StandardEntry;
  readonly names: readonly (readonly [normalized: string, original: string, method: "exact" | "synonym"])[];
  readonly units: ReadonlySet<string>;
}

function invalid(en: string, zh: string, details: Record<string, unknown>): never {
  throw platformError("INVALID_INPUT", { message: en, messageZh: zh, details });
}

export function resolveThresholds(input: Partial<MappingThresholds> = {}): MappingThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...input };
  const inUnit = (v: number) => typeof v === "number" && v >= 0 && v <= 1;
  if (!inUnit(t.autoAccept) || !inUnit(t.review) || t.review > t.autoAccept || !inUnit(t.ambiguityMargin)
    || !Number.isInteger(t.maxCandidates) || t.maxCandidates < 1) {
    invalid(
      "Invalid mapping thresholds: need 0 ≤ review ≤ autoAccept ≤ 1, ambiguityMargin in [0, 1] and maxCandidates ≥ 1.",
      "对码阈值无效：须满足 0 ≤ review ≤ autoAccept ≤ 1，ambiguityMargin 在 [0, 1] 内，maxCandidates ≥ 1。",
      { thresholds: t },
    );
  }
  return t;
}

export function validateLocalEntry(local: LocalEntry): void {
  const empty = (["institution", "localCode", "localName"] as const).filter((key) => typeof local?.[key] !== "string" || local[key].trim() === "");
  if (empty.length > 0) {
    invalid(`Local dictionary entry has empty ${empty.join(", ")}.`, `本地字典条目缺少${empty.join("、")}。`, { empty });
  }
  if (normalizeName(local.localName) === "") {
    invalid("Local name has no letters or characters after normalisation.", "本地名称规范化后为空。", { localName: local.localName });
  }
}

export class CodeMapper {
  readonly dictionary: StandardDictionary;
  readonly thresholds: MappingThresholds;
  readonly decisions: DecisionLog | null;
  readonly #index: readonly IndexedEntry[];
  readonly #byCode: ReadonlyMap<string, StandardEntry>;

  constructor(dictionary: StandardDictionary, options: { thresholds?: Partial<MappingThresholds>; decisions?: DecisionLog } = {}) {
    this.dictionary = validateDictionary(dictionary);
    this.thresholds = resolveThresholds(options.thresholds);
    this.decisions = options.decisions ?? null;
    this.#byCode = new Map(dictionary.entries.map((entry) => [entry.code, entry]));
    this.#index = dictionary.entries.map((entry) => ({
      entry,
      names: [
        ...[entry.nameZh, entry.nameEn].map((name) => [normalizeName(name), name, "exact"] as const),
        ...entry.synonyms.map((name) => [normalizeName(name), name, "synonym"] as const),
      ].filter(([normalized]) => normalized !== ""),
      units: new Set(entry.allowedUnits.map(normalizeUnit)),
    }));
  }

  entry(code: string): StandardEntry | undefined {
    return this.#byCode.get(code);
  }

  /** Every candidate scored, best first (ties: compatible unit, then code). */
  candidates(local: LocalEntry): MappingCandidate[] {
    validateLocalEntry(local);
    const name = normalizeName(local.localName);
    const parts = bracketParts(local.localName);
    const unit = normalizeUnit(local.localUnit ?? "");
    const out: MappingCandidate[] = [];
    for (const { entry, names, units } of this.#index) {
      let best: { method: MatchMethod; nameScore: number; matchedName: string } | null = null;
      const consider = (method: MatchMethod, nameScore: number, matchedName: string) => {
        if (best === null || nameScore > best.nameScore) best = { method, nameScore, matchedName };
      };
      for (const [normalized, original, method] of names) {
        if (normalized === name) consider(method, SCORING[method], original);
        else if (parts.includes(normalized)) consider("fuzzy", SCORING.bracketPart, original);
        else consider("fuzzy", SCORING.fuzzyCeiling * nameSimilarity(name, normalized), original);
      }
      if (best === null) continue;
      const { method, nameScore, matchedName } = best as { method: MatchMethod; nameScore: number; matchedName: string };
      if (nameScore <= 0) continue;
      const unitCompatible = unit === "" ? null : units.has(unit);
      const factor = unitCompatible === null ? SCORING.unitUnknown : unitCompatible ? SCORING.unitCompatible : SCORING.unitIncompatible;
      out.push({ code: entry.code, nameZh: entry.nameZh, method, score: round(nameScore * factor), nameScore: round(nameScore), matchedName, unitCompatible });
    }
    return out.sort((a, b) => b.score - a.score || Number(b.unitCompatible === true) - Number(a.unitCompatible === true) || a.code.localeCompare(b.code));
  }

  /** The proposal for one local entry; a confirmed decision for (institution, local code) takes precedence. */
  propose(local: LocalEntry): MappingProposal {
    const candidates = this.candidates(local).slice(0, this.thresholds.maxCandidates);
    const base = {
      institution: local.institution,
      localCode: local.localCode,
      localName: local.localName,
      localUnit: local.localUnit ?? "",
      candidates,
      dictionaryVersion: this.dictionary.version,
    };
    const decision = this.decisions?.current(local.institution, local.localCode);
    if (decision) {
      return decision.code === null
        ? {
            ...base, status: "unmapped", code: null, method: "confirmed", score: 0, decisionVersion: decision.version,
            reason: { en: `Rejected by ${decision.reviewer} at ${decision.decidedAt}: ${decision.note}`, zh: `已由 ${decision.reviewer} 于 ${decision.decidedAt} 驳回：${decision.note}` },
          }
        : { ...base, status: "confirmed", code: decision.code, method: "confirmed", score: 1, reason: null, decisionVersion: decision.version };
    }
    const top = candidates[0];
    const { autoAccept, review, ambiguityMargin } = this.thresholds;
    if (!top || top.score < review) {
      return {
        ...base, status: "unmapped", code: null, method: top?.method ?? null, score: top?.score ?? 0, decisionVersion: null,
        reason: {
          en: top ? `Best candidate ${top.code} scores ${top.score}, below the review threshold ${review}.` : "No standard name resembles the local name.",
          zh: top ? `最佳候选 ${top.code} 得分 ${top.score}，低于复核阈值 ${review}。` : "没有与本地名称相似的标准名称。",
        },
      };
    }
    const rival = candidates.find((c) => c.code !== top.code && top.score - c.score < ambiguityMargin);
    if (top.score >= autoAccept && !rival) {
      return { ...base, status: "auto", code: top.code, method: top.method, score: top.score, reason: null, decisionVersion: null };
    }
    return {
      ...base, status: "review", code: null, method: top.method, score: top.score, decisionVersion: null,
      reason: rival
        ? { en: `Ambiguous: ${top.code} and ${rival.code} score within ${ambiguityMargin}.`, zh: `候选 ${top.code} 与 ${rival.code} 得分接近，无法自动确定。` }
        : { en: `Best candidate ${top.code} scores ${top.score}, below the auto-accept threshold ${autoAccept}.`, zh: `最佳候选 ${top.code} 得分 ${top.score}，低于自动接受阈值 ${autoAccept}。` },
    };
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
