import { compare } from "./resolve-schemes.ts";
import type { Cell, CvRow, LabAnalyte, LabSummary, PassRate, Score, SingleSampleRow, Summaries } from "./types.ts";

/** Whether a lab-analyte counts in pass rates (passed or failed; not-allowed / not-reported / not-evaluated do not). */
export function counted(standing: LabAnalyte): boolean {
  return standing.status === "passed" || standing.status === "failed";
}

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : (part / whole) * 100;
}

function rates(entries: Iterable<[string, { analyteCode?: string; key: string; evaluated: number; passed: number }]>): PassRate[] {
  return [...entries]
    .sort((a, b) => compare(a[0], b[0]))
    .map(([, value]) => {
      const rate: PassRate = { key: value.key, evaluated: value.evaluated, passed: value.passed, percent: percent(value.passed, value.evaluated) };
      if (value.analyteCode !== undefined) rate.analyteCode = value.analyteCode;
      return rate;
    });
}

function tally(map: Map<string, { analyteCode?: string; key: string; evaluated: number; passed: number }>, id: string, key: string, passed: boolean, analyteCode?: string): void {
  let entry = map.get(id);
  if (entry === undefined) {
    entry = analyteCode === undefined ? { key, evaluated: 0, passed: 0 } : { analyteCode, key, evaluated: 0, passed: 0 };
    map.set(id, entry);
  }
  entry.evaluated++;
  if (passed) entry.passed++;
}

export interface SummaryInput {
  cells: readonly Cell[];
  scores: readonly Score[];
  labAnalytes: readonly LabAnalyte[];
  labs: readonly LabSummary[];
  missingItems: Summaries["missingItems"];
  /** Sample codes in the round's order, for the single-sample table's order. */
  sampleOrder: ReadonlyMap<string, number>;
}

/** Pass rates by analyte, peer group, hospital level and region; CV tables; single-sample table; lists. */
export function summarise(input: SummaryInput): Summaries {
  const labOf = new Map(input.labs.map((lab) => [lab.labCode, lab]));
  const byAnalyte = new Map<string, { analyteCode?: string; key: string; evaluated: number; passed: number }>();
  const byPeer = new Map<string, { analyteCode?: string; key: string; evaluated: number; passed: number }>();
  const byLevel = new Map<string, { analyteCode?: string; key: string; evaluated: number; passed: number }>();
  const byRegion = new Map<string, { analyteCode?: string; key: string; evaluated: number; passed: number }>();
  for (const standing of input.labAnalytes) {
    if (!counted(standing)) continue;
    const lab = labOf.get(standing.labCode) as LabSummary;
    tally(byAnalyte, standing.analyteCode, standing.analyteCode, standing.passed, standing.analyteCode);
    tally(byPeer, `${standing.analyteCode}\u0000${standing.group}`, standing.group, standing.passed, standing.analyteCode);
    tally(byLevel, lab.level, lab.level, standing.passed);
    tally(byRegion, lab.region, lab.region, standing.passed);
  }
  const cvTable: CvRow[] = input.cells.map((cell) => {
    const stats = cell.statistics;
    return {
      analyteCode: cell.analyteCode,
      sampleCode: cell.sampleCode,
      group: cell.group,
      n: stats?.n ?? cell.values.length,
      mean: stats?.plain.mean ?? null,
      sd: stats?.plain.sd ?? null,
      cvPercent: stats?.plain.cvPercent ?? null,
      robustMean: stats?.robust?.mean ?? null,
      robustSd: stats?.robust?.sd ?? null,
      notComputable: cell.notComputable,
    };
  });
  const single = new Map<string, SingleSampleRow>();
  for (const score of input.scores) {
    const id = `${score.analyteCode}\u0000${score.sampleCode}`;
    let row = single.get(id);
    if (row === undefined) {
      row = { analyteCode: score.analyteCode, sampleCode: score.sampleCode, evaluated: 0, acceptable: 0, percent: null };
      single.set(id, row);
    }
    if (score.acceptable !== null) {
      row.evaluated++;
      if (score.acceptable) row.acceptable++;
    }
  }
  const singleSample = [...single.values()]
    .map((row) => ({ ...row, percent: percent(row.acceptable, row.evaluated) }))
    .sort((a, b) => compare(a.analyteCode, b.analyteCode) || (input.sampleOrder.get(a.sampleCode) ?? 0) - (input.sampleOrder.get(b.sampleCode) ?? 0));
  const nonSubmission = input.labs
    .filter((lab) => !lab.submitted && !lab.nonParticipating)
    .map((lab) => ({ labCode: lab.labCode, level: lab.level, region: lab.region }));
  return {
    passRateByAnalyte: rates(byAnalyte),
    passRateByPeerGroup: rates(byPeer),
    passRateByLevel: rates(byLevel),
    passRateByRegion: rates(byRegion),
    cvTable,
    singleSample,
    missingItems: input.missingItems,
    nonSubmission,
  };
}
