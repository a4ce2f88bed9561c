import type { AnalyteRun } from "./analyte-run.ts";
import { scoreKey } from "./analyte-run.ts";
import { consensusAnswer } from "./consensus-answer.ts";
import { judged, notEvaluated } from "./messages.ts";
import { ALL_GROUP } from "./peer-group.ts";
import { compare } from "./resolve-schemes.ts";
import type { Score, ScoreItem } from "./types.ts";

/**
 * HPV genotyping, evaluated per sample rather than per genotype: a sample is acceptable only when every
 * genotype call of it is right; a genotype the lab did not call counts as wrong. The genotypes judged
 * are the expected sample's, or without an expected answer every genotype called in the round, each
 * needing an 80 % consensus (otherwise the sample is not evaluated).
 */
export function evaluateGenotyping(run: AnalyteRun): Score[] {
  const scores: Score[] = [];
  for (const sampleCode of run.samples) {
    const results = (run.results.get(sampleCode) ?? []).flatMap((r) => (r.value.type === "genotyping" ? [{ result: r, calls: r.value.calls }] : []));
    const expected = run.expected(sampleCode);
    let targets: Map<string, string> | null = new Map();
    let source: "expected" | "consensus" = "expected";
    if (expected?.type === "genotyping") {
      for (const genotype of Object.keys(expected.calls).sort(compare)) targets.set(genotype, expected.calls[genotype] as string);
    } else {
      source = "consensus";
      const answers = new Map<string, string[]>();
      for (const { calls } of results) {
        for (const call of calls) {
          const list = answers.get(call.genotype);
          if (list === undefined) answers.set(call.genotype, [call.call]);
          else list.push(call.call);
        }
      }
      for (const genotype of [...answers.keys()].sort(compare)) {
        // A lab that called nothing for a genotype counts against its consensus.
        const consensus = consensusAnswer([...(answers.get(genotype) as string[]), ...Array<string>(results.length - (answers.get(genotype) as string[]).length).fill("")]);
        if (consensus === null || consensus.answer === "") {
          targets = null;
          break;
        }
        targets.set(genotype, consensus.answer);
      }
    }
    for (const { result, calls } of results) {
      const base = { ...scoreKey(result, "genotyping"), value: null, group: ALL_GROUP };
      if (targets === null) {
        scores.push({ ...base, ...notEvaluated("noConsensus") });
        continue;
      }
      const reported = new Map(calls.map((call) => [call.genotype, call.call]));
      const items: ScoreItem[] = [...targets].map(([genotype, call]) => {
        const given = reported.get(genotype) ?? null;
        return { key: genotype, expected: call, reported: given, correct: given === call };
      });
      const correct = items.filter((item) => item.correct).length;
      scores.push({
        ...base,
        score: items.length === 0 ? null : correct / items.length,
        items,
        target: { source, answers: items.map((item) => `${item.key}:${String(item.expected)}`) },
        ...judged(correct === items.length ? "pass" : "fail"),
      });
    }
  }
  return scores;
}
