import type { AnalyteRun } from "./analyte-run.ts";
import { scoreKey } from "./analyte-run.ts";
import { judged, notEvaluated } from "./messages.ts";
import { ALL_GROUP } from "./peer-group.ts";
import { compare } from "./resolve-schemes.ts";
import type { Score, ScoreItem } from "./types.ts";

/**
 * Morphology: each image's answer against the expected answer. The score is the fraction answered
 * correctly; the sample passes only when every image is right (cell identification is judged per image
 * in the report, the sample as a whole like the other qualitative items).
 */
export function evaluateMorphology(run: AnalyteRun): Score[] {
  const scores: Score[] = [];
  for (const sampleCode of run.samples) {
    const expected = run.expected(sampleCode);
    for (const result of run.results.get(sampleCode) ?? []) {
      if (result.value.type !== "morphology") continue;
      const base = { ...scoreKey(result, "morphology"), value: null, group: ALL_GROUP };
      if (expected?.type !== "morphology") {
        scores.push({ ...base, ...notEvaluated("noExpected") });
        continue;
      }
      const given = new Map(result.value.answers.map((a) => [a.image, a.answer]));
      const items: ScoreItem[] = Object.keys(expected.answers)
        .sort(compare)
        .map((image) => {
          const want = expected.answers[image] as string;
          const got = given.get(image) ?? null;
          return { key: image, expected: want, reported: got, correct: got === want };
        });
      const correct = items.filter((item) => item.correct).length;
      scores.push({
        ...base,
        score: items.length === 0 ? null : correct / items.length,
        items,
        target: { source: "expected", answers: items.map((item) => `${item.key}:${String(item.expected)}`) },
        ...judged(correct === items.length ? "pass" : "fail"),
      });
    }
  }
  return scores;
}
