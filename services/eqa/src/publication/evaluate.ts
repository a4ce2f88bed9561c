// Evaluating a round stored in the database: the round's analytes with the scheme each is
// evaluated with (the previous round's of the same plan, unless the centre overrode it for this
// round — recorded with who and why), its samples and expected values, the enrolled labs with their
// level, region, allowed-to-test flags and whether they submitted, and the accepted results; the
// pure engine (../evaluation) does the rest. Each evaluation is stored as a new version, with the
// schemes it used and where each came from, and the round moves to "evaluated".
import { platformError } from "@health-chain/sdk";
import type { EqaDb } from "../db.ts";
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
export async function roundInputOf(db: EqaDb, roundCode: string): Promise<{ input: RoundInput; schemes: StoredSchemes; counts: { enrolled: number; submitted: number; results: number } }> {
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
  return {
    input,
    schemes: { schemes: resolved.schemes, provenance: resolved.provenance, overrides: resolved.overrides },
    counts: { enrolled: enrolments.length, submitted: enrolments.filter((e) => e.status === "submitted").length, results: resultRows.length },
  };
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
  const { input, schemes } = await roundInputOf(db, roundCode);
  const evaluation = evaluateRound(input);
  const stored = await db.$transaction(async (tx) => {
    const last = await tx.evaluation.findFirst({ where: { roundId: round.id }, orderBy: { version: "desc" }, select: { version: true } });
    const version = (last?.version ?? 0) + 1;
    await tx.evaluation.create({
      data: { roundId: round.id, version, schemeJson: JSON.stringify(schemes), resultJson: JSON.stringify(evaluation), computedAt: now, computedBy: actor },
    });
    await tx.round.update({ where: { id: round.id }, data: { status: "evaluated" } });
    await tx.auditEvent.create({
      data: {
        at: now,
        actor,
        action: "round.evaluate",
        roundCode,
        labCode: null,
        detailsJson: JSON.stringify({ version, provenance: schemes.provenance, overrides: schemes.overrides, consistency: evaluation.consistency.status, collusionGroups: evaluation.collusion.length }),
      },
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
