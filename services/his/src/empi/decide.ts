// The matching decision for one registration against its candidate persons (found by blocking):
// deterministic on a valid, consistent ID number; otherwise Fellegi–Sunter scores against the
// thresholds. Pure: no database, no clock.
import {
  compareBirthDate, compareIdNumber, compareName, comparePhone, compareSex, MATCH_FIELDS, type AgreementLevel, type MatchField,
} from "./compare.ts";
import type { MatchIdentity } from "./identity.ts";
import type { NormalizedRegistration } from "./registration.ts";
import type { MatchThresholds, MatchWeights } from "./weights.ts";

export interface FieldComparison {
  readonly level: AgreementLevel;
  readonly weight: number;
}

/** Why a comparison was not allowed to link automatically, or what was disregarded. */
export type ComparisonFlag =
  /** The registration carries a valid ID number held by the candidate, but its sex or birth date contradict the number. */
  | "id-contradiction"
  /** Both carry valid ID numbers and they differ: never linked without a person's decision. */
  | "id-disagree"
  /** The phone is shared by too many persons (a placeholder, an institution's own number): not evidence. */
  | "shared-phone"
  /** Two persons hold the same valid ID number: they should be one. */
  | "same-id-number";

/** A registration compared with one person (all of the person's identities). */
export interface PersonComparison {
  readonly personId: string;
  readonly score: number;
  readonly fields: { readonly [F in MatchField]: FieldComparison };
  readonly flags: readonly ComparisonFlag[];
}

export interface MatchContext {
  readonly weights: MatchWeights;
  readonly thresholds: MatchThresholds;
  /** Review items a registration may open, best first. */
  readonly maxReviews: number;
  /** Whether the registration's phone is too common to be evidence. */
  readonly phoneIsShared: boolean;
}

function levelsAgainst(registration: NormalizedRegistration, identity: MatchIdentity, phoneIsShared: boolean): Record<MatchField, AgreementLevel> {
  return {
    idNumber: compareIdNumber(registration.idKey, identity.idKey),
    name: compareName(registration.name, identity.nameKey),
    birthDate: compareBirthDate(registration.birthDate, identity.birthDate),
    sex: compareSex(registration.sex, identity.sex),
    phone: phoneIsShared ? "missing" : comparePhone(registration.phoneKey, identity.phoneKey),
  };
}

/**
 * Compares a registration with a person: per field, the best evidence any of the person's
 * identities gives (a missing value only when all are missing), so a second ID number on another
 * identity still counts as a disagreement.
 */
export function comparePerson(
  registration: NormalizedRegistration, personId: string, identities: readonly MatchIdentity[], context: Pick<MatchContext, "weights" | "phoneIsShared">,
): PersonComparison {
  const best: Partial<Record<MatchField, FieldComparison>> = {};
  for (const identity of identities) {
    const levels = levelsAgainst(registration, identity, context.phoneIsShared);
    for (const field of MATCH_FIELDS) {
      const level = levels[field];
      const weight = context.weights[field][level];
      const current = best[field];
      if (current === undefined || (current.level === "missing" && level !== "missing") || (level !== "missing" && weight > current.weight)) {
        best[field] = { level, weight };
      }
    }
  }
  const fields = {} as Record<MatchField, FieldComparison>;
  let score = 0;
  for (const field of MATCH_FIELDS) {
    fields[field] = best[field] ?? { level: "missing", weight: 0 };
    score += fields[field].weight;
  }
  const flags: ComparisonFlag[] = [];
  if (fields.idNumber.level === "disagree") flags.push("id-disagree");
  if (context.phoneIsShared && registration.phoneKey !== null) flags.push("shared-phone");
  return { personId, score: Math.round(score * 1000) / 1000, fields, flags };
}

export type MatchDecision =
  | {
      readonly kind: "link";
      readonly personId: string;
      readonly method: "deterministic" | "probabilistic";
      readonly comparison: PersonComparison;
      /** Other persons to put before a reviewer (possible duplicates of the linked one). */
      readonly reviews: readonly PersonComparison[];
    }
  | {
      readonly kind: "new";
      /** The best candidate, if any. */
      readonly best: PersonComparison | null;
      readonly reviews: readonly PersonComparison[];
    };

const byScore = (a: PersonComparison, b: PersonComparison) => b.score - a.score || (a.personId < b.personId ? -1 : 1);

const withFlag = (comparison: PersonComparison, flag: ComparisonFlag): PersonComparison =>
  comparison.flags.includes(flag) ? comparison : { ...comparison, flags: [...comparison.flags, flag] };

/** Decides one registration against its candidates (person id → the person's identities). */
export function decideMatch(
  registration: NormalizedRegistration, candidates: ReadonlyMap<string, readonly MatchIdentity[]>, context: MatchContext,
): MatchDecision {
  const { thresholds, maxReviews } = context;
  const comparisons = [...candidates].map(([personId, identities]) => comparePerson(registration, personId, identities, context)).sort(byScore);

  if (registration.idKey !== null) {
    const holds = (c: PersonComparison, consistentOnly: boolean) =>
      candidates.get(c.personId)!.some((i) => i.idKey === registration.idKey && (!consistentOnly || i.idConsistent));
    const holders = comparisons.filter((c) => holds(c, false));
    if (holders.length > 0) {
      const consistent = registration.idConsistent ? holders.filter((c) => holds(c, true)) : [];
      if (consistent.length > 0) {
        const [chosen, ...twins] = consistent;
        const duplicates = [
          ...twins.map((c) => withFlag(c, "same-id-number")),
          ...comparisons.filter((c) => !holders.includes(c) && c.score >= thresholds.link && !c.flags.includes("id-disagree")),
        ];
        return { kind: "link", personId: chosen!.personId, method: "deterministic", comparison: chosen!, reviews: duplicates.slice(0, maxReviews) };
      }
      // The number is someone's, but the registration (or every holder) contradicts it: a person decides.
      const flagged = holders.map((c) => withFlag(c, "id-contradiction"));
      const others = comparisons.filter((c) => !holders.includes(c) && c.score >= thresholds.review);
      return { kind: "new", best: comparisons[0] ?? null, reviews: [...flagged, ...others].slice(0, maxReviews) };
    }
  }

  const linkable = comparisons.find((c) => c.score >= thresholds.link && !c.flags.includes("id-disagree"));
  if (linkable !== undefined) {
    const duplicates = comparisons.filter((c) => c !== linkable && c.score >= thresholds.link && !c.flags.includes("id-disagree"));
    return { kind: "link", personId: linkable.personId, method: "probabilistic", comparison: linkable, reviews: duplicates.slice(0, maxReviews) };
  }
  const grey = comparisons.filter((c) => c.score >= thresholds.review);
  return { kind: "new", best: comparisons[0] ?? null, reviews: grey.slice(0, maxReviews) };
}
