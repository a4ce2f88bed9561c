import type { AnalyteRun } from "./analyte-run.ts";
import { scoreKey } from "./analyte-run.ts";
import { consensusAnswer } from "./consensus-answer.ts";
import { judged, notEvaluated } from "./messages.ts";
import { ALL_GROUP } from "./peer-group.ts";
import type { Score } from "./types.ts";

/**
 * Qualitative items (阴性 / 弱阳性 / 阳性 ...): a result passes when its choice is the expected choice
 * or one of its acceptable alternatives; without an expected answer, the consensus answer (≥ 80 % of
 * the laboratories agreeing) is the target, and without consensus the sample is not evaluated.
 */
export function evaluateQualitative(run: AnalyteRun): Score[] {
  const scores: Score[] = [];
  for (const sampleCode of run.samples) {
    const results = run.results.get(sampleCode) ?? [];
    const expected = run.expected(sampleCode);
    let target: NonNullable<Score["target"]> | null = null;
    if (expected?.type === "qualitative") {
      target = { source: "expected", answers: [expected.choice, ...(expected.acceptable ?? [])] };
    } else {
      const consensus = consensusAnswer(results.flatMap((r) => (r.value.type === "qualitative" ? [r.value.choice] : [])));
      if (consensus !== null) target = { source: "consensus", answers: [consensus.answer], agreement: consensus.agreement };
    }
    for (const result of results) {
      if (result.value.type !== "qualitative") continue;
      const base = { ...scoreKey(result, "qualitative"), value: null, group: ALL_GROUP };
      if (target === null) {
        scores.push({ ...base, ...notEvaluated("noConsensus") });
        continue;
      }
      const correct = target.answers.includes(result.value.choice);
      scores.push({
        ...base,
        score: null,
        target,
        items: [{ key: run.analyte.code, expected: target.answers.join(" / "), reported: result.value.choice, correct }],
        ...judged(correct ? "pass" : "fail"),
      });
    }
  }
  return scores;
}
