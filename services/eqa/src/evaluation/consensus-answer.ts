import { compare } from "./resolve-schemes.ts";

/** Share of laboratories that must give the same answer for it to become the target (qualitative consensus). */
export const CONSENSUS_AGREEMENT = 0.8;

/**
 * The consensus answer of a qualitative item when no expected answer is set: the most frequent answer
 * when at least 80 % of the laboratories that answered agree on it, else null (no consensus). The
 * 80 % rule is the one Chinese EQA schemes use for qualitative items without a reference result.
 */
export function consensusAnswer(answers: readonly string[]): { answer: string; agreement: number } | null {
  if (answers.length === 0) return null;
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [answer, count] of [...counts].sort((a, b) => compare(a[0], b[0]))) {
    if (count > bestCount) {
      best = answer;
      bestCount = count;
    }
  }
  const agreement = bestCount / answers.length;
  return best !== null && agreement >= CONSENSUS_AGREEMENT ? { answer: best, agreement } : null;
}
