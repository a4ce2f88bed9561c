// Name and unit normalisation and the documented string similarity used by the code mapper.

const BRACKETS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}", "【": "】", "〔": "〕", "〈": "〉", "《": "》", "「": "」" };

/**
 * The comparable form of a name: NFKC (full-width letters, digits and brackets to half-width),
 * lower case, and every space, punctuation mark and symbol removed — so `葡萄糖（空腹）`,
 * `葡萄糖(空腹)` and `葡萄糖 [空腹]` are all `葡萄糖空腹`, and `LDL-C` is `ldlc`.
 */
export function normalizeName(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/[\s\p{P}\p{S}]/gu, "");
}

/** The part of a name outside brackets and each bracketed part, normalised: `ALT(谷丙)` → [`alt`, `谷丙`]. */
export function bracketParts(name: string): string[] {
  const text = name.normalize("NFKC");
  const parts: string[] = [];
  let outside = "";
  let inside = "";
  let close: string | null = null;
  for (const ch of text) {
    if (close === null && BRACKETS[ch] !== undefined) {
      close = BRACKETS[ch];
    } else if (close !== null && ch === close) {
      parts.push(inside);
      inside = "";
      close = null;
    } else if (close !== null) {
      inside += ch;
    } else {
      outside += ch;
    }
  }
  if (close !== null) outside += inside;
  if (parts.length === 0) return [];
  return [outside, ...parts].map(normalizeName).filter((part) => part.length > 0);
}

/** The comparable form of a unit: NFKC, lower case, no spaces, micro sign to `u`, `^` to `*`. */
export function normalizeUnit(unit: string): string {
  return unit.normalize("NFKC").toLowerCase().replace(/\s+/g, "").replace(/[µμ]/g, "u").replace(/\^/g, "*");
}

/** The character bigrams of a normalised string (a one-character string is its own single gram), as a multiset. */
function bigrams(text: string): Map<string, number> {
  const chars = [...text];
  const grams = new Map<string, number>();
  const add = (gram: string) => grams.set(gram, (grams.get(gram) ?? 0) + 1);
  if (chars.length === 1) add(chars[0]!);
  for (let i = 0; i + 1 < chars.length; i++) add(chars[i]! + chars[i + 1]!);
  return grams;
}

/** Sørensen–Dice coefficient over character-bigram multisets: 2·|A∩B| / (|A|+|B|), in [0, 1]. */
export function diceCoefficient(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  if (a === b) return 1;
  const ga = bigrams(a);
  const gb = bigrams(b);
  let common = 0;
  let sizeA = 0;
  let sizeB = 0;
  for (const count of ga.values()) sizeA += count;
  for (const count of gb.values()) sizeB += count;
  for (const [gram, count] of ga) common += Math.min(count, gb.get(gram) ?? 0);
  return (2 * common) / (sizeA + sizeB);
}

/**
 * Similarity of two normalised names in [0, 1]: the larger of the bigram Dice coefficient and,
 * when one name contains the other (`血肌酐` ⊃ `肌酐`), 0.5 + 0.4 × shorter/longer length.
 */
export function nameSimilarity(a: string, b: string): number {
  const dice = diceCoefficient(a, b);
  if (a.length === 0 || b.length === 0) return 0;
  const [short, long] = [...a].length <= [...b].length ? [a, b] : [b, a];
  const containment = long.includes(short) ? 0.5 + (0.4 * [...short].length) / [...long].length : 0;
  return Math.max(dice, containment);
}
