// What a published round issues to each enrolled lab, derived from the stored evaluation: the
// proficiency-testing report, the history of its last three rounds, a general certificate for the
// analytes it passed, a trueness certificate where it passed trueness analytes, and the
// machine-readable recognition statement (mutual recognition). Pure mapping from the evaluation to
// the renderers' data shapes; the rendering and storing is ./publish.ts.
import type { Cell, LabAnalyte, RoundEvaluation, RoundResultValue, Score } from "../evaluation/types.ts";
import type { AnalyteReport, CertificateData, HistoryReportData, LabReportData, ResultRow } from "../reports/types.ts";
import { RECOGNITION_STATEMENT_FORMAT, type RecognitionStatement } from "../recognition/statement.ts";
import type { AnalyteDefinition } from "../types.ts";

export interface PublicationContext {
  centre: { name: string; nameEn: string; address: string };
  plan: { code: string; name: string; nameEn: string; year: number };
  round: { code: string; name: string; deadline: string; publishedAt: string };
  analytes: AnalyteDefinition[];
  signatory: string;
  /** How long a certificate and the recognition it carries are valid, from publication. */
  validityDays: number;
}

export interface PublicationLab {
  code: string;
  name: string;
  department: string;
  institution: string;
  nonParticipationReason: string | null;
  submitted: boolean;
}

export interface DocumentRef {
  number: string;
  issuedAt: string;
  verifyUrl: string;
}

const JUDGEMENT_ZH: Record<string, string> = { satisfactory: "满意", questionable: "有问题", unsatisfactory: "不满意" };

const ASSIGNED_TEXT: Record<string, string> = {
  algorithmA: "稳健均值（ISO 13528 算法 A）Robust mean (algorithm A)",
  median: "中位数 Median",
  reference: "参考值 Reference value",
  peerConsensus: "同组稳健均值 Peer-group robust mean",
  reticulocyteMean: "网织红细胞比率均值 Mean retic/RBC ratio",
};
const SIGMA_TEXT: Record<string, string> = {
  robustS: "稳健标准差 s*",
  made: "MADe（1.483 × MAD）",
  niqr: "nIQR（0.7413 × IQR）",
  fitnessPercent: "适用性（允许总误差 %）Fitness for purpose (TEa %)",
  fitnessAbsolute: "适用性（允许总误差）Fitness for purpose (TEa)",
};
const SCORE_TEXT: Record<string, string> = {
  z: "z 比分数 z score",
  zPrime: "z′ 比分数 z′ score",
  zeta: "ζ 比分数 zeta score",
  En: "En 值 En number",
  allowedRange: "允许范围 Allowed range",
  pairedDifference: "配对差 |x1 − x2|/√2",
};

/** The validity window of certificates and recognition: whole seconds (the chain keeps seconds). */
export function validityOf(context: PublicationContext): { validFrom: string; validUntil: string } {
  const from = Math.floor(Date.parse(context.round.publishedAt) / 1000) * 1000;
  return { validFrom: new Date(from).toISOString(), validUntil: new Date(from + context.validityDays * 86_400_000).toISOString() };
}

/** How a stored result reads in a report: what the lab reported, in its own digits. */
export function resultText(value: RoundResultValue | undefined, analyte: AnalyteDefinition): string {
  if (value === undefined) return "未报告 Not reported";
  const label = (code: string) => analyte.choices?.find((c) => c.code === code)?.label ?? code;
  switch (value.type) {
    case "quantitative":
      return value.text;
    case "qualitative":
      return label(value.choice);
    case "microbiology":
      return value.organisms.map((o) => label(o.code)).join("；");
    case "trueness":
      return `x̄ = ${value.mean}`;
    case "morphology":
      return value.answers.map((a) => `${a.image}: ${label(a.answer)}`).join("；");
    case "genotyping":
      return value.calls.map((c) => `${c.genotype}: ${c.call}`).join("；");
  }
}

function row(score: Score | undefined, cell: Cell | undefined, sample: string, value: RoundResultValue | undefined, analyte: AnalyteDefinition): ResultRow {
  const warning = cell?.statistics?.uncertainty.check?.warning;
  const pair = score?.pair;
  const pairNote = pair
    ? `配对差（与 ${pair.partnerSampleCode}）${pair.score.toFixed(2)}，${JUDGEMENT_ZH[pair.judgement]}；Pair difference (with ${pair.partnerSampleCode}) ${pair.score.toFixed(2)}, ${pair.judgement}`
    : undefined;
  const note = score?.notEvaluated ? `${score.notEvaluated.zh} ${score.notEvaluated.en}` : cell?.notComputable ? `${cell.notComputable.messageZh} ${cell.notComputable.message}` : pairNote;
  return {
    sample,
    result: resultText(value, analyte),
    assignedValue: score?.assignedValue ?? null,
    sigma: score?.sigmaPt ?? null,
    ...(score?.allowed ? { allowedLow: score.allowed.low, allowedHigh: score.allowed.high } : {}),
    score: score?.score ?? null,
    scoreKind: score?.kind ?? "",
    judgement: score?.judgement ?? "notEvaluated",
    judgementZh: score?.label.zh ?? "未评价",
    judgementEn: score?.label.en ?? "Not evaluated",
    ...(note ? { note } : {}),
    ...(warning ? { uWarning: `${warning.zh} ${warning.en}` } : {}),
  };
}

function passedOf(standing: LabAnalyte | undefined): boolean | null {
  if (standing === undefined) return null;
  if (standing.status === "passed") return true;
  if (standing.status === "failed") return false;
  return null;
}

/** Indexes of an evaluation, built once per publication and shared by every lab's documents. */
export interface EvaluationIndex {
  scores: Map<string, Score>;
  cells: Map<string, Cell>;
  standings: Map<string, LabAnalyte>;
}

const key = (...parts: string[]) => parts.join("\u0000");

export function indexEvaluation(evaluation: RoundEvaluation): EvaluationIndex {
  return {
    scores: new Map(evaluation.scores.map((s) => [key(s.labCode, s.analyteCode, s.sampleCode), s])),
    cells: new Map(evaluation.cells.map((c) => [key(c.analyteCode, c.sampleCode, c.group), c])),
    standings: new Map(evaluation.labAnalytes.map((l) => [key(l.labCode, l.analyteCode), l])),
  };
}

export function labReportData(input: {
  context: PublicationContext;
  evaluation: RoundEvaluation;
  index: EvaluationIndex;
  lab: PublicationLab;
  samples: string[];
  results: Map<string, RoundResultValue>;
  document: DocumentRef;
}): LabReportData {
  const { context, evaluation, index, lab, samples, results } = input;
  const analytes: AnalyteReport[] = context.analytes.map((analyte) => {
    const standing = index.standings.get(key(lab.code, analyte.code));
    const rows: ResultRow[] = [];
    const distribution: NonNullable<AnalyteReport["distribution"]> = [];
    for (const sample of samples) {
      const score = index.scores.get(key(lab.code, analyte.code, sample));
      const cell = score?.group ? index.cells.get(key(analyte.code, sample, score.group)) : undefined;
      rows.push(row(score, cell, sample, results.get(key(lab.code, analyte.code, sample)), analyte));
      if (cell && cell.values.length > 0 && analyte.resultType === "quantitative") {
        distribution.push({
          sample,
          values: cell.values,
          labValue: score?.value ?? null,
          assignedValue: score?.assignedValue ?? cell.statistics?.assignedValue.value ?? null,
          sigma: score?.sigmaPt ?? cell.statistics?.sigmaPt?.value ?? null,
        });
      }
    }
    const scheme = analyte.scheme;
    const allowed = scheme.allowed
      ? [scheme.allowed.percent !== undefined ? `±${scheme.allowed.percent}%` : null, scheme.allowed.absolute !== undefined ? `±${scheme.allowed.absolute} ${analyte.unit}` : null]
          .filter((t) => t !== null)
          .join(" 或 or ")
      : undefined;
    return {
      code: analyte.code,
      name: analyte.name,
      nameEn: analyte.nameEn,
      unit: analyte.unit,
      decimals: analyte.decimals,
      scheme: {
        assignedValue: ASSIGNED_TEXT[analyte.special === "reticulocyte" ? "reticulocyteMean" : scheme.assignedValue] ?? scheme.assignedValue,
        sigma: SIGMA_TEXT[scheme.sigma] ?? scheme.sigma,
        score: SCORE_TEXT[scheme.score] ?? scheme.score,
        ...(allowed ? { allowedText: allowed } : {}),
      },
      passed: passedOf(standing),
      acceptable: standing?.acceptable ?? 0,
      evaluated: standing?.evaluated ?? 0,
      rows,
      ...(distribution.length > 0 ? { distribution } : {}),
    };
  });
  const summary = evaluation.labs.find((l) => l.labCode === lab.code);
  const notes: string[] = [];
  // Trueness rounds: the slope method over the samples' reference values (proportional bias).
  for (const analyte of context.analytes) {
    const slope = index.standings.get(key(lab.code, analyte.code))?.slope;
    if (slope === undefined) continue;
    if (slope.notComputable !== null) notes.push(`${analyte.name} 斜率法：${slope.notComputable.messageZh} ${analyte.nameEn} slope method: ${slope.notComputable.message}`);
    else notes.push(`${analyte.name} 斜率法：${slope.verdict.zh} ${analyte.nameEn} slope method: ${slope.verdict.en}`);
  }
  if (lab.nonParticipationReason !== null) notes.push(`本轮未参加，原因：${lab.nonParticipationReason} Did not take part in this round: ${lab.nonParticipationReason}`);
  else if (!lab.submitted) notes.push("本轮未在截止时间前提交结果。 No results were submitted by the deadline.");
  return {
    centre: { name: context.centre.name, nameEn: context.centre.nameEn },
    plan: context.plan,
    round: { code: context.round.code, name: context.round.name, deadline: context.round.deadline, publishedAt: context.round.publishedAt },
    lab: { code: lab.code, name: lab.name, department: lab.department, institution: lab.institution },
    document: input.document,
    analytes,
    summary: {
      analytesPassed: summary?.analytesPassed ?? 0,
      analytesTotal: summary?.analytesTotal ?? 0,
      scorePercent: summary?.scorePercent ?? null,
      overallPassed: summary === undefined || summary.analytesTotal === 0 ? null : summary.analytesPassed === summary.analytesTotal,
    },
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** The analytes a lab passed in the round, in plan order. */
export function passedAnalytes(context: PublicationContext, index: EvaluationIndex, labCode: string): { analyte: AnalyteDefinition; standing: LabAnalyte }[] {
  return context.analytes.flatMap((analyte) => {
    const standing = index.standings.get(key(labCode, analyte.code));
    return standing?.status === "passed" ? [{ analyte, standing }] : [];
  });
}

export function certificateData(input: {
  kind: "general" | "trueness";
  context: PublicationContext;
  index: EvaluationIndex;
  lab: PublicationLab;
  samples: string[];
  document: DocumentRef;
}): CertificateData | null {
  const { context, index, lab } = input;
  const passed = passedAnalytes(context, index, lab.code).filter(({ analyte }) => (input.kind === "trueness") === (analyte.resultType === "trueness"));
  if (passed.length === 0) return null;
  const { validFrom, validUntil } = validityOf(context);
  return {
    kind: input.kind,
    centre: { name: context.centre.name, nameEn: context.centre.nameEn },
    lab: { code: lab.code, name: lab.name, department: lab.department, institution: lab.institution },
    plan: context.plan,
    round: { code: context.round.code, name: context.round.name },
    document: input.document,
    analytes: passed.map(({ analyte }) => {
      const biases = input.samples
        .map((s) => index.scores.get(key(lab.code, analyte.code, s))?.biasPercent)
        .filter((b): b is number => b !== undefined);
      return {
        code: analyte.code,
        name: analyte.name,
        nameEn: analyte.nameEn,
        ...(input.kind === "trueness" && biases.length > 0 ? { detail: `偏倚 Bias ${biases.map((b) => `${b.toFixed(1)}%`).join(", ")}` } : {}),
      };
    }),
    validFrom,
    validUntil,
    signatory: context.signatory,
  };
}

export function recognitionStatement(input: { context: PublicationContext; index: EvaluationIndex; lab: PublicationLab; number: string }): RecognitionStatement | null {
  const { context, index, lab } = input;
  const passed = passedAnalytes(context, index, lab.code);
  if (passed.length === 0) return null;
  return {
    format: RECOGNITION_STATEMENT_FORMAT,
    centre: context.centre.address,
    lab: { code: lab.code, name: lab.name, institution: lab.institution, department: lab.department },
    plan: { code: context.plan.code, year: context.plan.year },
    round: { code: context.round.code, publishedAt: context.round.publishedAt },
    analytes: passed
      .map(({ analyte, standing }) => ({
        code: analyte.code,
        ...(analyte.loinc ? { loinc: analyte.loinc } : {}),
        name: analyte.name,
        nameEn: analyte.nameEn,
        acceptable: standing.acceptable,
        evaluated: standing.evaluated,
      }))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
    ...validityOf(context),
    number: input.number,
  };
}

/** One round of a lab's history: its standings and scores. */
export type HistoryRound = HistoryReportData["rounds"][number];

export function historyRound(input: {
  round: { code: string; name: string; publishedAt: string };
  analytes: AnalyteDefinition[];
  evaluation: RoundEvaluation;
  labCode: string;
  samples: string[];
}): HistoryRound {
  const index = indexEvaluation(input.evaluation);
  return {
    round: input.round,
    analytes: input.analytes.map((analyte) => {
      const scores = input.samples.map((s) => index.scores.get(key(input.labCode, analyte.code, s))?.score ?? null);
      return {
        code: analyte.code,
        name: analyte.name,
        passed: passedOf(index.standings.get(key(input.labCode, analyte.code))),
        scores,
        scoreKind: analyte.scheme.score,
      };
    }),
    scorePercent: input.evaluation.labs.find((l) => l.labCode === input.labCode)?.scorePercent ?? null,
  };
}

export { key as evaluationKey };
