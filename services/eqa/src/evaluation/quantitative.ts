import { enNumber, judgeZ, zetaScore, zPrimeScore, zScore } from "../statistics/index.ts";
import type { EvaluationScheme } from "../types.ts";
import type { AnalyteRun } from "./analyte-run.ts";
import { computeCell } from "./cell.ts";
import { schemeAllowedRange } from "./fitness.ts";
import { judged, notEvaluated } from "./messages.ts";
import type { LabValue } from "./outliers.ts";
import { ALL_GROUP, peerGroupKey } from "./peer-group.ts";
import { compare } from "./resolve-schemes.ts";
import type { Bilingual, Cell, RoundExpectedValue, RoundResult, Score } from "./types.ts";

/** Coverage factor turning standard into expanded uncertainties for En (GUM, ISO 13528:2015 9.7: k = 2). */
const COVERAGE_FACTOR = 2;

/**
 * A relative tolerance for "within the allowed range": 4.4 against 4.0 ± 10 % must pass although
 * 4.4 − 4.0 = 0.40000000000000036 in binary floating point. Far below any analyte's decimals.
 */
const BOUNDARY_TOLERANCE = 1e-9;


interface Entry extends LabValue {
  result: RoundResult;
  /** u(x) on the evaluation scale, when reported. */
  uncertainty?: number;
  group: string | null;
}

function byValueThenLab(a: LabValue, b: LabValue): number {
  return a.value - b.value || compare(a.labCode, b.labCode);
}

/** The reference value on the evaluation scale; u(log10 x) ≈ u(x) / (x ln 10) by first-order propagation. */
function referenceOf(expected: RoundExpectedValue | undefined, log10: boolean): { value: number; uncertainty?: number } | null {
  if (expected === undefined || (expected.type !== "quantitative" && expected.type !== "trueness")) return null;
  if (!log10) return expected.uncertainty === undefined ? { value: expected.value } : { value: expected.value, uncertainty: expected.uncertainty };
  if (!(expected.value > 0)) return null;
  const value = Math.log10(expected.value);
  return expected.uncertainty === undefined ? { value } : { value, uncertainty: expected.uncertainty / (expected.value * Math.LN10) };
}

/**
 * Evaluates a quantitative analyte (including the reticulocyte scheme): cells for all methods and each
 * peer group, then one score per result against its peer group's cell or, when that group is too
 * small or not computable, against all methods (the fallback is recorded on the score).
 */
export function evaluateQuantitative(run: AnalyteRun): { cells: Cell[]; scores: Score[] } {
  const { analyte, scheme } = run;
  const log10 = scheme.log10 === true;
  const reticulocyte = analyte.special === "reticulocyte";
  const peerGroups = reticulocyte ? undefined : scheme.peerGroups;
  const cells: Cell[] = [];
  const scores: Score[] = [];
  const pending = new Map<string, Score>();

  for (const sampleCode of run.samples) {
    const results = run.results.get(sampleCode) ?? [];
    const reference = referenceOf(run.expected(sampleCode), log10);
    const entries: Entry[] = [];
    for (const result of results) {
      if (result.value.type !== "quantitative") continue;
      const raw = result.value.value;
      const base = scoreBase(result, analyte.code, sampleCode, reticulocyte ? "reticulocyte" : scheme.score);
      if (log10 && !(raw > 0)) {
        scores.push({ ...base, value: null, group: null, ...notEvaluated("nonPositiveForLog") });
        continue;
      }
      const value = log10 ? Math.log10(raw) : raw;
      const u = result.value.uncertainty;
      const entry: Entry = { labCode: result.labCode, value, result, group: peerGroups === undefined ? ALL_GROUP : peerGroupKey(result.method, peerGroups) };
      if (u !== undefined) entry.uncertainty = log10 ? u / (raw * Math.LN10) : u;
      entries.push(entry);
    }
    entries.sort(byValueThenLab);
    const context = { analyteCode: analyte.code, sampleCode, log10, scheme, reference, reticulocyte };
    const allCell = computeCell(entries, { ...context, group: ALL_GROUP });
    cells.push(allCell);
    const cellOf = new Map<string, Cell>([[ALL_GROUP, allCell]]);
    if (peerGroups !== undefined) {
      const members = new Map<string, Entry[]>();
      for (const entry of entries) {
        if (entry.group === null) continue;
        const list = members.get(entry.group);
        if (list === undefined) members.set(entry.group, [entry]);
        else list.push(entry);
      }
      for (const group of [...members.keys()].sort(compare)) {
        const list = members.get(group) as Entry[]; // already in value order: a filter of a sorted list
        const tooSmall = list.length < peerGroups.minSize ? { minSize: peerGroups.minSize } : undefined;
        const cell = computeCell(list, tooSmall === undefined ? { ...context, group } : { ...context, group, tooSmall });
        cells.push(cell);
        cellOf.set(group, cell);
      }
    }
    const removedOf = new Map<Cell, Set<string>>();
    for (const entry of entries) {
      const target = targetCell(entry, cellOf, allCell);
      let removed = removedOf.get(target.cell);
      if (removed === undefined) {
        removed = new Set(target.cell.screening.removed.map((r) => r.labCode));
        removedOf.set(target.cell, removed);
      }
      const score = scoreEntry(entry, target.cell, scheme, reticulocyte, sampleCode, analyte.code);
      score.group = target.cell.group;
      if (target.fallback !== undefined) score.fallback = target.fallback;
      if (removed.has(entry.labCode)) score.outlier = true;
      scores.push(score);
      if (scheme.score === "pairedDifference" && !reticulocyte) pending.set(`${entry.labCode}\u0000${sampleCode}`, score);
    }
  }
  if (scheme.score === "pairedDifference" && !reticulocyte) scorePairs(run.samples, scores, pending);
  return { cells, scores };
}

function scoreBase(result: RoundResult, analyteCode: string, sampleCode: string, kind: Score["kind"]): Omit<Score, "value" | "group" | "judgement" | "acceptable" | "label" | "score"> {
  return { labCode: result.labCode, analyteCode, sampleCode, kind };
}

function targetCell(entry: Entry, cellOf: ReadonlyMap<string, Cell>, allCell: Cell): { cell: Cell; fallback?: { from: string; reason: Bilingual } } {
  if (entry.group === ALL_GROUP) return { cell: allCell };
  if (entry.group === null) {
    return {
      cell: allCell,
      fallback: { from: "(unspecified)", reason: { en: "The result's method information is incomplete for peer grouping.", zh: "该结果的方法信息不全，无法同组比较。" } },
    };
  }
  const cell = cellOf.get(entry.group) as Cell;
  if (cell.notComputable === null) return { cell };
  return { cell: allCell, fallback: { from: entry.group, reason: { en: cell.notComputable.message, zh: cell.notComputable.messageZh } } };
}

function scoreEntry(entry: Entry, cell: Cell, scheme: EvaluationScheme, reticulocyte: boolean, sampleCode: string, analyteCode: string): Score {
  const base = { ...scoreBase(entry.result, analyteCode, sampleCode, reticulocyte ? "reticulocyte" : scheme.score), value: entry.value, group: cell.group };
  const stats = cell.statistics;
  if (stats === null) {
    const reason = cell.notComputable as NonNullable<Cell["notComputable"]>;
    return { ...base, ...notEvaluated("cellNotComputable", { en: reason.message, zh: reason.messageZh }) };
  }
  const x = entry.value;
  const xpt = stats.assignedValue.value;
  const withTarget = { ...base, assignedValue: xpt };
  if (reticulocyte || scheme.score === "allowedRange") {
    let half = stats.allowedHalfWidth as number;
    if (!reticulocyte) {
      const range = schemeAllowedRange(scheme.allowed ?? {}, xpt);
      if ("code" in range) return { ...withTarget, ...notEvaluated("zeroAllowedError") };
      half = range.halfWidth;
    }
    return allowedRangeScore(withTarget, x, xpt, half, stats.sigmaPt?.value, cell.log10);
  }
  const sigma = (stats.sigmaPt as { value: number }).value;
  const uXpt = stats.uncertainty.value;
  const scored = { ...withTarget, sigmaPt: sigma };
  switch (scheme.score) {
    case "z": {
      const z = zScore(x, xpt, sigma);
      return { ...scored, score: z, ...judged(judgeZ(z).judgement) };
    }
    case "zPrime": {
      if (uXpt === null) return { ...scored, ...notEvaluated("noAssignedUncertainty") };
      const z = zPrimeScore(x, xpt, sigma, uXpt);
      return { ...scored, score: z, ...judged(judgeZ(z).judgement) };
    }
    case "zeta":
    case "En": {
      if (entry.uncertainty === undefined) return { ...scored, ...notEvaluated("noUncertainty") };
      if (uXpt === null) return { ...scored, ...notEvaluated("noAssignedUncertainty") };
      if (entry.uncertainty === 0 && uXpt === 0) return { ...scored, ...notEvaluated("noUncertainty") };
      if (scheme.score === "zeta") {
        const zeta = zetaScore(x, xpt, entry.uncertainty, uXpt);
        return { ...scored, score: zeta, ...judged(judgeZ(zeta).judgement) };
      }
      const en = enNumber(x, xpt, COVERAGE_FACTOR * entry.uncertainty, COVERAGE_FACTOR * uXpt);
      // ISO 13528:2015 9.7.2: |En| ≤ 1 satisfactory, otherwise unsatisfactory.
      return { ...scored, score: en, ...judged(Math.abs(en) <= 1 ? "satisfactory" : "unsatisfactory") };
    }
    default:
      // pairedDifference: judged once both samples of the pair are known (scorePairs).
      return { ...scored, ...notEvaluated("noPair") };
  }
}

function allowedRangeScore(base: Omit<Score, "judgement" | "acceptable" | "label" | "score">, x: number, xpt: number, half: number, sigma: number | undefined, log10: boolean): Score {
  const difference = x - xpt;
  const within = Math.abs(difference) <= half + BOUNDARY_TOLERANCE * Math.max(Math.abs(x), Math.abs(xpt), half);
  const score: Score = {
    ...base,
    // The difference in units of the allowed half-width: |score| ≤ 1 passes.
    score: half > 0 ? difference / half : null,
    allowed: { low: xpt - half, high: xpt + half, halfWidth: half },
    ...judged(within ? "pass" : "fail"),
  };
  if (sigma !== undefined) score.sigmaPt = sigma;
  // A percentage of a logarithm means nothing: no bias % on the log10 scale.
  if (xpt !== 0 && !log10) score.biasPercent = (difference / xpt) * 100;
  return score;
}

const JUDGEMENT_RANK = { satisfactory: 0, questionable: 1, unsatisfactory: 2 } as const;
type ZJudgement = keyof typeof JUDGEMENT_RANK;

/**
 * The paired (split-level) scheme: samples pair in the round's order (1st with 2nd, 3rd with 4th, ...).
 * Each result is judged twice, as in split-level designs and the Youden plot (Youden 1959; ISO 13528:2015
 * clause 10, the graphical methods for paired / split-level samples — clause number unverified):
 * - its bias: z = (x − x_pt)/σpt against its own sample's cell (a lab at 9.0/9.0 against 5.0/5.0 is
 *   biased however small its within-lab difference is);
 * - the pair's within-lab difference, corrected for the difference of the assigned values so samples
 *   at two concentrations can pair: D = ((x₁ − x₂) − (x_pt,1 − x_pt,2))/√2, on the σ scale with
 *   σ = √((σpt,1² + σpt,2²)/2), i.e. D/σ = ((x₁ − x₂) − Δx_pt)/√(σpt,1² + σpt,2²), judged like z.
 * The result's judgement is the worse of the two: acceptable only when both are satisfactory. `score`
 * keeps the result's own z; `pair` carries the difference score. An odd last sample has no pair (noPair).
 */
function scorePairs(samples: readonly string[], scores: Score[], pending: ReadonlyMap<string, Score>): void {
  const partnerOf = new Map<string, string | null>();
  for (let i = 0; i < samples.length; i += 2) {
    const first = samples[i] as string;
    const second = samples[i + 1];
    partnerOf.set(first, second ?? null);
    if (second !== undefined) partnerOf.set(second, first);
  }
  const waiting = (score: Score | undefined): score is Score & { value: number; assignedValue: number; sigmaPt: number } =>
    score !== undefined && score.notEvaluated?.code === "noPair" && score.value !== null && score.assignedValue !== undefined && score.sigmaPt !== undefined;
  const outcomes: { score: Score; judged: { z: number; pair: NonNullable<Score["pair"]> } | null }[] = [];
  for (const score of scores) {
    const own = pending.get(`${score.labCode}\u0000${score.sampleCode}`);
    if (own !== score || !waiting(score)) continue;
    const partnerCode = partnerOf.get(score.sampleCode) ?? null;
    if (partnerCode === null) continue;
    const partner = pending.get(`${score.labCode}\u0000${partnerCode}`);
    if (!waiting(partner)) {
      outcomes.push({ score, judged: null });
      continue;
    }
    // Signed so that both records of a pair carry the same |D|; the sign says which sample reads higher.
    const difference = (score.value - partner.value - (score.assignedValue - partner.assignedValue)) / Math.SQRT2;
    const sigma = Math.sqrt((score.sigmaPt ** 2 + partner.sigmaPt ** 2) / 2);
    const pairScore = difference / sigma;
    outcomes.push({
      score,
      judged: {
        z: zScore(score.value, score.assignedValue, score.sigmaPt),
        pair: { partnerSampleCode: partnerCode, difference, sigma, score: pairScore, judgement: judgeZ(pairScore).judgement },
      },
    });
  }
  // Applied after the loop: a record's "noPair" state is what its partner reads above.
  for (const { score, judged: outcome } of outcomes) {
    if (outcome === null) {
      Object.assign(score, notEvaluated("pairIncomplete"));
      continue;
    }
    const { z, pair } = outcome;
    const own: ZJudgement = judgeZ(z).judgement;
    const worse = JUDGEMENT_RANK[pair.judgement] > JUDGEMENT_RANK[own] ? pair.judgement : own;
    delete score.notEvaluated;
    Object.assign(score, { score: z, pair, ...judged(worse) });
  }
}
