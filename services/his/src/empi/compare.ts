// Field comparisons: the agreement level of one field of two registrations. The levels are what
// Fellegi–Sunter weights are attached to (weights.ts); "missing" (either side empty) carries no
// evidence either way.

export type AgreementLevel = "exact" | "close" | "disagree" | "missing";

/** The fields compared, and the levels each one can take (besides "missing"). */
export const FIELD_LEVELS = {
  idNumber: ["exact", "disagree"],
  name: ["exact", "close", "disagree"],
  birthDate: ["exact", "close", "disagree"],
  sex: ["exact", "disagree"],
  phone: ["exact", "disagree"],
} as const;

export type MatchField = keyof typeof FIELD_LEVELS;
export const MATCH_FIELDS = Object.keys(FIELD_LEVELS) as MatchField[];

/** Levenshtein distance over code points (a name's characters), stopping early above `max`. */
export function editDistance(a: readonly string[], b: readonly string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      if (value < best) best = value;
    }
    if (best > max) return max + 1;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Names (already normalised): exact; close when the surname (first character) is the same and one
 * character differs, is missing or is extra — a clerk's homophone slip (伟/炜) or a dropped
 * character; else disagree. Character edit distance rather than Jaro–Winkler: Chinese names are two
 * to four characters, where one edit is the natural unit and Jaro–Winkler's prefix bonus would only
 * restate "same surname". Pinyin is not compared.
 */
export function compareName(a: string, b: string): AgreementLevel {
  if (a === "" || b === "") return "missing";
  if (a === b) return "exact";
  const ca = [...a];
  const cb = [...b];
  if (ca[0] !== cb[0] || Math.min(ca.length, cb.length) < 2) return "disagree";
  return editDistance(ca, cb, 1) <= 1 ? "close" : "disagree";
}

/** Birth dates (YYYY-MM-DD): exact; close when one digit differs or day and month are swapped; else disagree. */
export function compareBirthDate(a: string, b: string): AgreementLevel {
  if (a === "" || b === "") return "missing";
  if (a === b) return "exact";
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  if (differing === 1) return "close";
  const swapped = `${a.slice(0, 4)}-${a.slice(8, 10)}-${a.slice(5, 7)}`;
  return swapped === b ? "close" : "disagree";
}

export function compareSex(a: string, b: string): AgreementLevel {
  if (a === "unknown" || b === "unknown") return "missing";
  return a === b ? "exact" : "disagree";
}

/** Phones by their normalised digits. */
export function comparePhone(a: string | null, b: string | null): AgreementLevel {
  if (a === null || b === null) return "missing";
  return a === b ? "exact" : "disagree";
}

/**
 * ID numbers by their valid form only: two valid numbers agree or disagree; an invalid number
 * (bad check character) is most likely a typo of the right one, so it says nothing.
 */
export function compareIdNumber(a: string | null, b: string | null): AgreementLevel {
  if (a === null || b === null) return "missing";
  return a === b ? "exact" : "disagree";
}
