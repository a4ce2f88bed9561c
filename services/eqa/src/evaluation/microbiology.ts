import type { AnalyteRun } from "./analyte-run.ts";
import { scoreKey } from "./analyte-run.ts";
import { judged, notEvaluated } from "./messages.ts";
import { ALL_GROUP } from "./peer-group.ts";
import { compare } from "./resolve-schemes.ts";
import type { Score, ScoreItem } from "./types.ts";

/**
 * Microbiology: the identification is right only when the set of organisms reported equals the expected
 * set (no partial credit: a missed pathogen or an extra organism both mislead the clinician), and each
 * expected susceptibility interpretation (organism × antibiotic → S/I/R/SDD) must match. The sample is
 * acceptable when every item is right. Without an expected answer the sample is not evaluated
 * (identification has no consensus rule here).
 */
export function evaluateMicrobiology(run: AnalyteRun): Score[] {
  const scores: Score[] = [];
  for (const sampleCode of run.samples) {
    const expected = run.expected(sampleCode);
    for (const result of run.results.get(sampleCode) ?? []) {
      if (result.value.type !== "microbiology") continue;
      const base = { ...scoreKey(result, "microbiology"), value: null, group: ALL_GROUP };
      if (expected?.type !== "microbiology") {
        scores.push({ ...base, ...notEvaluated("noExpected") });
        continue;
      }
      const reported = new Map(result.value.organisms.map((organism) => [organism.code, organism]));
      const expectedSet = new Set(expected.organisms);
      const items: ScoreItem[] = [];
      for (const code of [...new Set([...expectedSet, ...reported.keys()])].sort(compare)) {
        const inExpected = expectedSet.has(code);
        const inReported = reported.has(code);
        items.push({ key: code, expected: inExpected ? "present" : "absent", reported: inReported ? "present" : "absent", correct: inExpected === inReported });
      }
      const susceptibility = expected.susceptibility ?? {};
      for (const organism of Object.keys(susceptibility).sort(compare)) {
        const answers = susceptibility[organism] ?? {};
        const given = new Map((reported.get(organism)?.susceptibility ?? []).map((s) => [s.antibiotic, s.interpretation]));
        for (const antibiotic of Object.keys(answers).sort(compare)) {
          const want = answers[antibiotic] as string;
          const got = given.get(antibiotic) ?? null;
          items.push({ key: `${organism}/${antibiotic}`, expected: want, reported: got, correct: got === want });
        }
      }
      const correct = items.filter((item) => item.correct).length;
      scores.push({
        ...base,
        score: items.length === 0 ? null : correct / items.length,
        items,
        target: { source: "expected", answers: [...expectedSet].sort(compare) },
        ...judged(correct === items.length ? "pass" : "fail"),
      });
    }
  }
  return scores;
}
