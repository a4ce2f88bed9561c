// Evaluating a round stored in the database: the round's analytes with the scheme each is
// evaluated with (the previous round's of the same plan, unless the centre overrode it for this
// round — recorded with who and why), its samples and expected values, the enrolled labs with their
// level, region, allowed-to-test flags and whether they submitted, and the accepted results; the
// pure engine (../evaluation) does the rest. Each evaluation is stored as a new version, with the
// schemes it used and where each came from, and the round moves to "evaluated".
import { platformError } from "@health-chain/sdk";
import type { EqaDb, EqaTx } from "../db.ts";
import { writeAudit } from "../model/audit.ts";
import { evaluateRound, resolveSchemes, type RoundEvaluation, type RoundInput, type RoundResultValue, type SchemeOverride, type SchemeProvenance } from "../evaluation/index.ts";
import { loadRoundContext } from "../model/round-context.ts";
import type { EvaluationScheme } from "../types.ts";

export interface StoredSchemes {
  schemes: Record<string, EvaluationScheme>;
  provenance: Record<string, SchemeProvenance>;
  overrides: SchemeOverride[];
}

/** The schemes of the latest evaluation of the plan's previous round (evaluation reuses them). */
async function previousSchemes(db: EqaDb, planId: number, roundCreatedAt: Date, roundId: number): Promise<Record<string, EvaluationScheme> | undefined> {
  const previous = await db.round.findFirst({
    where: { planId, id: { not: roundId }, createdAt: { lte: roundCreatedAt }, evaluations: { some: {} } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { evaluations: { orderBy: { version: "desc" }, take: 1, select: { schemeJson: true } } },
  });
  const json = previous?.evaluations[0]?.schemeJson;
  return json === undefined ? undefined : (JSON.parse(json) as StoredSchemes).schemes;
}

/** Everything the engine needs of a round, read in a handful of queries. */
export async function roundInputOf(db: EqaDb, roundCode: string): Promise<{
  input: RoundInput;
  schemes: StoredSchemes;
  counts: { enrolled: number; submitted: number; results: number };
  /** What the submitted labs declared: the count each one's latest submission recorded in the audit trail. */
  declared: { labs: number; results: number };
}> {
  const context = await loadRoundContext(db, roundCode);
  const roundId = context.round.id;
  const [enrolments, overrideRows, resultRows, previous] = await Promise.all([
    db.enrolment.findMany({
      where: { roundId },
      select: { status: true, lab: { select: { id: true, code: true, level: true, region: true, allowedToTestJson: true } } },
      orderBy: { lab: { code: "asc" } },
    }),
    db.schemeOverride.findMany({ where: { roundId }, orderBy: { id: "asc" } }),
    db.result.findMany({
      where: { roundId },
      select: { labId: true, sampleId: true, analyteCode: true, valueJson: true, instrument: true, reagent: true, method: true },
    }),
    db.round.findUnique({ where: { id: roundId }, select: { planId: true, createdAt: true } }).then((r) => (r ? previousSchemes(db, r.planId, r.createdAt, roundId) : undefined)),
  ]);
  // The latest override of each analyte is the one in force; earlier ones stay in the table as history.
  const latest = new Map<string, SchemeOverride>();
  for (const o of overrideRows) latest.set(o.analyteCode, { analyte: o.analyteCode, scheme: JSON.parse(o.schemeJson) as EvaluationScheme, reason: o.reason, actor: o.actor, at: o.at.toISOString() });
  const resolved = resolveSchemes(context.analytes, previous, [...latest.values()]);

  const labCode = new Map(enrolments.map((e) => [e.lab.id, e.lab.code]));
  const sampleCode = new Map(context.samples.map((s) => [s.id, s.code]));
  const results: RoundInput["results"] = [];
  for (const r of resultRows) {
    const lab = labCode.get(r.labId);
    const sample = sampleCode.get(r.sampleId);
    if (lab === undefined || sample === undefined) continue;
    results.push({
      labCode: lab,
      sampleCode: sample,
      analyteCode: r.analyteCode,
      value: JSON.parse(r.valueJson) as RoundResultValue,
      method: { ...(r.instrument ? { instrument: r.instrument } : {}), ...(r.reagent ? { reagent: r.reagent } : {}), ...(r.method ? { method: r.method } : {}) },
    });
  }
  const input: RoundInput = {
    round: { code: context.round.code, passThreshold: context.plan.passThreshold },
    analytes: context.analytes,
    schemes: resolved.schemes,
    samples: context.samples.map((s) => ({ code: s.code, ...(s.expected ? { expected: s.expected } : {}) })),
    labs: enrolments.map((e) => ({
      code: e.lab.code,
      level: e.lab.level,
      region: e.lab.region,
      submitted: e.status === "submitted",
      ...(e.lab.allowedToTestJson ? { allowedToTest: JSON.parse(e.lab.allowedToTestJson) as Record<string, boolean> } : {}),
    })),
    results,
    nonParticipating: enrolments.filter((e) => e.status === "nonParticipating").map((e) => e.lab.code),
  };
  const submittedLabs = enrolments.filter((e) => e.status === "submitted").map((e) => e.lab.code);
  const submissions = await db.auditEvent.findMany({
    where: { roundCode, action: "results.submit", labCode: { in: submittedLabs } },
    orderBy: { id: "asc" },
    select: { labCode: true, detailsJson: true },
  });
  const declaredByLab = new Map<string, number>();
  for (const s of submissions) declaredByLab.set(s.labCode as string, (JSON.parse(s.detailsJson) as { count?: number }).count ?? 0);
  const declared = { labs: submittedLabs.length, results: [...declaredByLab.values()].reduce((a, b) => a + b, 0) };
  return {
    input,
    declared,
    schemes: { schemes: resolved.schemes, provenance: resolved.provenance, overrides: resolved.overrides },
    counts: { enrolled: enrolments.length, submitted: enrolments.filter((e) => e.status === "submitted").length, results: resultRows.length },
  };
}

/**
 * A fingerprint of everything intake may change in a round: results (count, newest id, newest
 * entry time) and enrolment states. Equal before and inside the storing transaction means the
 * evaluation saw what is stored.
 */
async function intakeSnapshot(db: EqaDb | EqaTx, roundId: number): Promise<string> {
  const [results, enrolments] = await Promise.all([
    db.result.aggregate({ where: { roundId }, _count: { _all: true }, _max: { id: true, enteredAt: true } }),
    db.enrolment.groupBy({ by: ["status"], where: { roundId }, _count: { _all: true }, orderBy: { status: "asc" } }),
  ]);
  return JSON.stringify([results._count._all, results._max.id, results._max.enteredAt?.toISOString() ?? null, enrolments.map((e) => [e.status, e._count._all])]);
}

/** One lab's part of an evaluation: what its own view shows. */
export interface LabEvaluationPart {
  labCode: string;
  scores: RoundEvaluation["scores"];
  standings: RoundEvaluation["labAnalytes"];
  summary: RoundEvaluation["labs"][number] | null;
}

export function labParts(evaluation: RoundEvaluation): LabEvaluationPart[] {
  const parts = new Map<string, LabEvaluationPart>();
  const part = (labCode: string) => {
    let p = parts.get(labCode);
    if (!p) parts.set(labCode, (p = { labCode, scores: [], standings: [], summary: null }));
    return p;
  };
  for (const s of evaluation.scores) part(s.labCode).scores.push(s);
  for (const s of evaluation.labAnalytes) part(s.labCode).standings.push(s);
  for (const l of evaluation.labs) part(l.labCode).summary = l;
  return [...parts.values()];
}

/** A lab's part of the latest evaluation of a round, or null. */
export async function latestLabEvaluation(db: EqaDb, roundCode: string, labCode: string): Promise<(LabEvaluationPart & { version: number }) | null> {
  const row = await db.labEvaluation.findFirst({ where: { round: { code: roundCode }, labCode }, orderBy: { version: "desc" }, select: { version: true, json: true } });
  return row === null ? null : { ...(JSON.parse(row.json) as LabEvaluationPart), version: row.version };
}

export interface StoredEvaluation {
  roundCode: string;
  version: number;
  computedAt: Date;
  computedBy: string;
  schemes: StoredSchemes;
  evaluation: RoundEvaluation;
}

/**
 * Evaluates a closed (or re-evaluates an evaluated) round and stores the result as the next
 * version; the round becomes "evaluated". Refused while results may still change (open, draft) and
 * once published (documents were issued from the last version).
 */
export async function evaluateStoredRound(db: EqaDb, roundCode: string, actor: string, now: Date = new Date()): Promise<StoredEvaluation> {
  const round = await db.round.findUnique({ where: { code: roundCode }, select: { id: true, status: true } });
  if (!round) throw platformError("NOT_FOUND", { message: `No round ${roundCode}.`, messageZh: `没有轮次 ${roundCode}。`, details: { round: roundCode } });
  if (round.status !== "closed" && round.status !== "evaluated") {
    throw platformError("CONFLICT", {
      message: `Round ${roundCode} is ${round.status}: evaluate it once it is closed, and before it is published.`,
      messageZh: `轮次 ${roundCode} 当前为 ${round.status}：须在关闭后、发布前评价。`,
      details: { reason: "roundStatus", status: round.status },
    });
  }
  const before = await intakeSnapshot(db, round.id);
  const { input, schemes, declared } = await roundInputOf(db, roundCode);
  const evaluation = evaluateRound({ ...input, declared });
  const stored = await db.$transaction(async (tx) => {
    // The round's row first: on PostgreSQL this waits for any intake change holding it (intake
    // share-locks it) and keeps later ones out, so the snapshot below sees every committed change.
    const moved = await tx.round.updateMany({ where: { id: round.id, status: { in: ["closed", "evaluated"] } }, data: { status: "evaluated" } });
    if (moved.count !== 1) {
      throw platformError("CONFLICT", {
        message: `Round ${roundCode} left the closed/evaluated state while it was being evaluated (published or reopened): this evaluation is not stored.`,
        messageZh: `轮次 ${roundCode} 在评价过程中已不处于已截止/已评价状态（已发布或重新开放）：本次评价未保存。`,
        details: { reason: "roundStatus" },
      });
    }
    // Then: what was evaluated must still be what is stored: a lab correcting its results in a late
    // correction window, or the round being published meanwhile, makes this evaluation stale.
    const after = await intakeSnapshot(tx, round.id);
    if (after !== before) {
      throw platformError("CONFLICT", {
        message: `Results of round ${roundCode} changed while it was being evaluated: evaluate it again.`,
        messageZh: `轮次 ${roundCode} 的结果在评价过程中发生了变化：请重新评价。`,
        details: { reason: "resultsChanged" },
      });
    }
    const last = await tx.evaluation.findFirst({ where: { roundId: round.id }, orderBy: { version: "desc" }, select: { version: true } });
    const version = (last?.version ?? 0) + 1;
    await tx.evaluation.create({
      data: { roundId: round.id, version, schemeJson: JSON.stringify(schemes), resultJson: JSON.stringify(evaluation), computedAt: now, computedBy: actor },
    });
    await tx.labEvaluation.createMany({ data: labParts(evaluation).map((part) => ({ roundId: round.id, version, labCode: part.labCode, json: JSON.stringify(part) })) });
    await writeAudit(tx, {
      at: now,
      actor,
      action: "round.evaluate",
      roundCode,
      details: { version, provenance: schemes.provenance, overrides: schemes.overrides, consistency: evaluation.consistency.status, collusionGroups: evaluation.collusion.length },
    });
    return version;
  });
  return { roundCode, version: stored, computedAt: now, computedBy: actor, schemes, evaluation };
}

/** The latest stored evaluation of a round, or null. */
export async function latestEvaluation(db: EqaDb, roundCode: string): Promise<StoredEvaluation | null> {
  const row = await db.evaluation.findFirst({
    where: { round: { code: roundCode } },
    orderBy: { version: "desc" },
  });
  if (!row) return null;
  return {
    roundCode,
    version: row.version,
    computedAt: row.computedAt,
    computedBy: row.computedBy,
    schemes: JSON.parse(row.schemeJson) as StoredSchemes,
    evaluation: JSON.parse(row.resultJson) as RoundEvaluation,
  };
}
