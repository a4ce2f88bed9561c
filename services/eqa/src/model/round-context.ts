// A round as the intake and the evaluation need it: the round row, its plan, the plan's analyte
// definitions (parsed) and the samples, in three small queries.
import type { EqaDb, EqaTx } from "../db.ts";
import type { AnalyteDefinition, ExpectedValue } from "../types.ts";
import { notFound } from "./errors.ts";

export type RoundStatus = "draft" | "open" | "closed" | "evaluated" | "published";

export interface RoundContext {
  round: { id: number; code: string; name: string; status: RoundStatus; opensAt: Date; deadline: Date; createdAt: Date };
  plan: { id: number; code: string; name: string; nameEn: string; year: number; passThreshold: number };
  /** In the plan's order. */
  analytes: AnalyteDefinition[];
  analyteByCode: Map<string, AnalyteDefinition>;
  samples: { id: number; code: string; expected?: Record<string, ExpectedValue> }[];
  sampleByCode: Map<string, { id: number; code: string }>;
}

export async function loadRoundContext(db: EqaDb | EqaTx, roundCode: string): Promise<RoundContext> {
  const round = await db.round.findUnique({
    where: { code: roundCode },
    select: {
      id: true,
      code: true,
      name: true,
      status: true,
      opensAt: true,
      deadline: true,
      createdAt: true,
      plan: { select: { id: true, code: true, name: true, nameEn: true, year: true, passThreshold: true } },
    },
  });
  if (!round) throw notFound("round", roundCode);
  const [analyteRows, sampleRows] = await Promise.all([
    db.planAnalyte.findMany({ where: { planId: round.plan.id }, orderBy: { order: "asc" }, select: { definitionJson: true } }),
    db.sample.findMany({ where: { roundId: round.id }, orderBy: { order: "asc" }, select: { id: true, code: true, expectedJson: true } }),
  ]);
  const analytes = analyteRows.map((r) => JSON.parse(r.definitionJson) as AnalyteDefinition);
  const samples = sampleRows.map((s) => ({
    id: s.id,
    code: s.code,
    ...(s.expectedJson === null ? {} : { expected: JSON.parse(s.expectedJson) as Record<string, ExpectedValue> }),
  }));
  const { plan, ...rest } = round;
  return {
    round: { ...rest, status: rest.status as RoundStatus },
    plan,
    analytes,
    analyteByCode: new Map(analytes.map((a) => [a.code, a])),
    samples,
    sampleByCode: new Map(samples.map((s) => [s.code, s])),
  };
}

/** Contexts recently loaded, per database client: a plan's analytes and a round's samples never
 * change once created, so the intake's hot path need not read them on every save (the round's
 * status and deadline are always read afresh inside the transaction). */
const recent = new WeakMap<object, Map<string, { context: RoundContext; at: number }>>();
const CACHE_MS = 60_000;

export async function cachedRoundContext(db: EqaDb, roundCode: string): Promise<RoundContext> {
  let byCode = recent.get(db);
  if (!byCode) recent.set(db, (byCode = new Map()));
  const hit = byCode.get(roundCode);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.context;
  const context = await loadRoundContext(db, roundCode);
  byCode.set(roundCode, { context, at: Date.now() });
  return context;
}
