import type { AnalyteDefinition } from "../types.ts";
import type { AnalyteRun } from "./analyte-run.ts";
import { collusionCheck } from "./collusion.ts";
import { consistencyCheck } from "./consistency.ts";
import { evaluateGenotyping } from "./genotyping.ts";
import { labAnalyteStanding } from "./lab-analytes.ts";
import { notEvaluated } from "./messages.ts";
import { evaluateMicrobiology } from "./microbiology.ts";
import { evaluateMorphology } from "./morphology.ts";
import { evaluateQualitative } from "./qualitative.ts";
import { evaluateQuantitative } from "./quantitative.ts";
import { compare } from "./resolve-schemes.ts";
import { counted, summarise } from "./summaries.ts";
import { evaluateTrueness } from "./trueness.ts";
import { SLOPE_MIN_SAMPLES, truenessSlope } from "./trueness-slope.ts";
import type { Cell, LabAnalyte, LabSlope, LabSummary, RoundEvaluation, RoundInput, RoundResult, Score, Summaries } from "./types.ts";
import { validateRoundInput } from "./validate-input.ts";

const SEP = "\u0000";

function evaluateAnalyte(run: AnalyteRun): { cells: Cell[]; scores: Score[] } {
  if (run.analyte.special === "hpv") return { cells: [], scores: evaluateGenotyping(run) };
  switch (run.analyte.resultType) {
    case "quantitative":
      return evaluateQuantitative(run);
    case "qualitative":
      return { cells: [], scores: evaluateQualitative(run) };
    case "microbiology":
      return { cells: [], scores: evaluateMicrobiology(run) };
    case "morphology":
      return { cells: [], scores: evaluateMorphology(run) };
    case "trueness":
      return { cells: [], scores: evaluateTrueness(run) };
  }
}

/**
 * Evaluates a round: outlier screening, assigned values, σpt, u(x_pt), scores and judgements per result,
 * standings per lab × analyte and per lab, summaries, the collusion check and the consistency record.
 * Pure and deterministic: the same input gives a deep-equal output (everything is sorted by code, samples
 * keep the round's order). Only results of labs that submitted (and are not registered as
 * non-participating) are evaluated; results of a site not allowed to test an analyte are not evaluated.
 * Refuses inconsistent input with INVALID_INPUT (see validateRoundInput).
 */
export function evaluateRound(input: RoundInput): RoundEvaluation {
  validateRoundInput(input);
  const analytes = [...input.analytes].sort((a, b) => compare(a.code, b.code));
  const sampleCodes = input.samples.map((sample) => sample.code);
  const sampleOrder = new Map(sampleCodes.map((code, index) => [code, index]));
  const expectedOf = new Map(input.samples.map((sample) => [sample.code, sample.expected ?? {}]));
  const labs = [...input.labs].sort((a, b) => compare(a.code, b.code));
  const nonParticipating = new Set(input.nonParticipating);
  const evaluable = new Set(labs.filter((lab) => lab.submitted && !nonParticipating.has(lab.code)).map((lab) => lab.code));
  const labOf = new Map(labs.map((lab) => [lab.code, lab]));
  const allowed = (labCode: string, analyteCode: string): boolean => labOf.get(labCode)?.allowedToTest?.[analyteCode] !== false;

  // Index once: analyte → sample → results in lab order; and which lab × analyte × sample was reported.
  const submittedResults = input.results.filter((result) => evaluable.has(result.labCode));
  const sortedResults = [...submittedResults].sort((a, b) => compare(a.labCode, b.labCode));
  const byAnalyte = new Map<string, Map<string, RoundResult[]>>();
  const reportedKeys = new Set<string>();
  const reportedAnalyte = new Set<string>();
  for (const result of sortedResults) {
    reportedKeys.add(`${result.labCode}${SEP}${result.analyteCode}${SEP}${result.sampleCode}`);
    reportedAnalyte.add(`${result.labCode}${SEP}${result.analyteCode}`);
    if (!allowed(result.labCode, result.analyteCode)) continue;
    let perSample = byAnalyte.get(result.analyteCode);
    if (perSample === undefined) byAnalyte.set(result.analyteCode, (perSample = new Map()));
    const list = perSample.get(result.sampleCode);
    if (list === undefined) perSample.set(result.sampleCode, [result]);
    else list.push(result);
  }

  const cells: Cell[] = [];
  const scores: Score[] = [];
  for (const analyte of analytes) {
    const scheme = input.schemes[analyte.code] as AnalyteDefinition["scheme"];
    const outcome = evaluateAnalyte({
      analyte,
      scheme,
      samples: sampleCodes,
      expected: (sampleCode) => expectedOf.get(sampleCode)?.[analyte.code],
      results: byAnalyte.get(analyte.code) ?? new Map(),
    });
    cells.push(...outcome.cells);
    scores.push(...outcome.scores);
  }

  // Records for what was not evaluated by the lab's situation: not allowed, or its own missing result.
  const missingItems: Summaries["missingItems"] = [];
  for (const labCode of evaluable) {
    for (const analyte of analytes) {
      const isAllowed = allowed(labCode, analyte.code);
      const reportedSome = reportedAnalyte.has(`${labCode}${SEP}${analyte.code}`);
      for (const sampleCode of sampleCodes) {
        const reported = reportedKeys.has(`${labCode}${SEP}${analyte.code}${SEP}${sampleCode}`);
        const key = { labCode, analyteCode: analyte.code, sampleCode, value: null, group: null, kind: kindOf(analyte, input) };
        if (!isAllowed) {
          scores.push({ ...key, ...notEvaluated("notAllowedToTest") });
        } else if (!reported) {
          missingItems.push({ labCode, analyteCode: analyte.code, sampleCode });
          if (reportedSome) scores.push({ ...key, ...notEvaluated("notReported") });
        }
      }
    }
  }
  scores.sort(
    (a, b) =>
      compare(a.labCode, b.labCode) ||
      compare(a.analyteCode, b.analyteCode) ||
      (sampleOrder.get(a.sampleCode) as number) - (sampleOrder.get(b.sampleCode) as number),
  );
  missingItems.sort(
    (a, b) =>
      compare(a.labCode, b.labCode) ||
      compare(a.analyteCode, b.analyteCode) ||
      (sampleOrder.get(a.sampleCode) as number) - (sampleOrder.get(b.sampleCode) as number),
  );

  // Standings per lab × analyte, from the (sorted, hence contiguous) scores.
  const labAnalytes: LabAnalyte[] = [];
  const analyteOf = new Map(analytes.map((a) => [a.code, a]));
  // ⌈passThreshold × samples⌉ evaluated samples for a standing (the slack keeps 0.7 × 10 at 7, not 8);
  // strict and HPV schemes judge whatever was evaluated, as before.
  const minimumEvaluated = Math.ceil(input.round.passThreshold * sampleCodes.length - 1e-9);
  const ruleOf = (analyteCode: string, slope?: LabSlope) => {
    const analyte = analyteOf.get(analyteCode) as AnalyteDefinition;
    const strict = analyte.special === "strict";
    const free = strict || analyte.special === "hpv";
    return { strict, passThreshold: input.round.passThreshold, minimumEvaluated: free ? 0 : minimumEvaluated, ...(slope === undefined ? {} : { slope }) };
  };
  // The slope method applies to trueness analytes whose round has ≥ 3 samples with reference values.
  const slopeAnalytes = new Set(
    analytes
      .filter((a) => a.resultType === "trueness")
      .filter((a) => input.samples.filter((s) => s.expected?.[a.code]?.type === "trueness" || s.expected?.[a.code]?.type === "quantitative").length >= SLOPE_MIN_SAMPLES)
      .map((a) => a.code),
  );
  for (let start = 0; start < scores.length; ) {
    const first = scores[start] as Score;
    let end = start + 1;
    while (end < scores.length && (scores[end] as Score).labCode === first.labCode && (scores[end] as Score).analyteCode === first.analyteCode) end++;
    const lab = labOf.get(first.labCode);
    if (lab !== undefined) {
      const slice = scores.slice(start, end);
      const slope = slopeAnalytes.has(first.analyteCode) && allowed(first.labCode, first.analyteCode) ? truenessSlope(slice) : undefined;
      labAnalytes.push(labAnalyteStanding(lab, first.analyteCode, slice, ruleOf(first.analyteCode, slope)));
    }
    start = end;
  }
  for (const labCode of evaluable) {
    for (const analyte of analytes) {
      if (!reportedAnalyte.has(`${labCode}${SEP}${analyte.code}`) && allowed(labCode, analyte.code)) {
        labAnalytes.push(labAnalyteStanding(labOf.get(labCode) as RoundInput["labs"][number], analyte.code, [], ruleOf(analyte.code)));
      }
    }
  }
  labAnalytes.sort((a, b) => compare(a.labCode, b.labCode) || compare(a.analyteCode, b.analyteCode));

  const labSummaries = summariseLabs(labs, nonParticipating, labAnalytes, scores);
  // Submitted: what the labs declared on submission when the caller passes it (otherwise counted from
  // this input). Stored: the results of submitted labs in the input; drafts of labs that have not
  // submitted are not part of the round's data. Reported: those that received a score record.
  const reportedScores = scores.filter((s) => reportedKeys.has(`${s.labCode}${SEP}${s.analyteCode}${SEP}${s.sampleCode}`));
  const stored = { labs: new Set(submittedResults.map((r) => r.labCode)).size, results: submittedResults.length };
  const consistency = consistencyCheck({
    submitted: input.declared === undefined ? { labs: evaluable.size, results: submittedResults.length } : { labs: input.declared.labs, results: input.declared.results },
    stored,
    reported: { labs: new Set(reportedScores.map((s) => s.labCode)).size, results: reportedScores.length },
  });
  return {
    roundCode: input.round.code,
    passThreshold: input.round.passThreshold,
    cells,
    scores,
    labAnalytes,
    labs: labSummaries,
    summaries: summarise({ cells, scores, labAnalytes, labs: labSummaries, missingItems, sampleOrder }),
    collusion: collusionCheck(sortedResults),
    consistency,
  };
}

function kindOf(analyte: AnalyteDefinition, input: RoundInput): Score["kind"] {
  if (analyte.special === "hpv") return "genotyping";
  if (analyte.special === "reticulocyte") return "reticulocyte";
  if (analyte.resultType === "quantitative") return (input.schemes[analyte.code] as AnalyteDefinition["scheme"]).score;
  return analyte.resultType;
}

function summariseLabs(labs: RoundInput["labs"], nonParticipating: ReadonlySet<string>, labAnalytes: readonly LabAnalyte[], scores: readonly Score[]): LabSummary[] {
  const tallies = new Map(labs.map((lab) => [lab.code, { passed: 0, total: 0, acceptable: 0, evaluated: 0 }]));
  for (const standing of labAnalytes) {
    if (!counted(standing)) continue;
    const tally = tallies.get(standing.labCode);
    if (tally === undefined) continue;
    tally.total++;
    if (standing.passed) tally.passed++;
  }
  for (const score of scores) {
    if (score.acceptable === null) continue;
    const tally = tallies.get(score.labCode);
    if (tally === undefined) continue;
    tally.evaluated++;
    if (score.acceptable) tally.acceptable++;
  }
  return labs.map((lab) => {
    const tally = tallies.get(lab.code) as { passed: number; total: number; acceptable: number; evaluated: number };
    return {
      labCode: lab.code,
      level: lab.level,
      region: lab.region,
      submitted: lab.submitted,
      nonParticipating: nonParticipating.has(lab.code),
      analytesPassed: tally.passed,
      analytesTotal: tally.total,
      acceptableResults: tally.acceptable,
      evaluatedResults: tally.evaluated,
      scorePercent: tally.evaluated === 0 ? null : (tally.acceptable / tally.evaluated) * 100,
    };
  });
}
