// Reading a round's results for the evaluation (one query: 2,000 labs × 100 results in well under
// a second) and the audit trail.
import type { EqaDb } from "../db.ts";
import { notFound } from "../model/errors.ts";
import type { MethodInfo, ResultValue } from "../types.ts";

export interface RoundResult {
  labCode: string;
  sampleCode: string;
  analyteCode: string;
  value: ResultValue;
  method: MethodInfo;
}

interface Row {
  labCode: string;
  sampleCode: string;
  analyteCode: string;
  valueJson: string;
  instrument: string | null;
  reagent: string | null;
  method: string | null;
}

/** The results of a round, by lab, sample and analyte code; only the labs that submitted (their
 * set is locked), unless `includeDrafts`. */
export async function resultsOfRound(db: EqaDb, roundCode: string, options: { includeDrafts?: boolean } = {}): Promise<RoundResult[]> {
  const round = await db.round.findUnique({ where: { code: roundCode }, select: { id: true } });
  if (!round) throw notFound("round", roundCode);
  const statuses = options.includeDrafts === true ? ["submitted", "draft"] : ["submitted", "submitted"];
  // Written once for both providers: quoted identifiers, parameters bound by Prisma.
  const rows = await db.$queryRaw<Row[]>`
    SELECT l."code" AS "labCode", s."code" AS "sampleCode", r."analyteCode" AS "analyteCode", r."valueJson" AS "valueJson",
           r."instrument" AS "instrument", r."reagent" AS "reagent", r."method" AS "method"
    FROM "Result" r
    JOIN "Enrolment" e ON e."roundId" = r."roundId" AND e."labId" = r."labId"
    JOIN "Lab" l ON l."id" = r."labId"
    JOIN "Sample" s ON s."id" = r."sampleId"
    WHERE r."roundId" = ${round.id} AND e."status" IN (${statuses[0]}, ${statuses[1]})
    ORDER BY l."code", s."order", r."analyteCode"`;
  return rows.map((r) => {
    const method: MethodInfo = {};
    if (r.instrument !== null) method.instrument = r.instrument;
    if (r.reagent !== null) method.reagent = r.reagent;
    if (r.method !== null) method.method = r.method;
    return { labCode: r.labCode, sampleCode: r.sampleCode, analyteCode: r.analyteCode, value: JSON.parse(r.valueJson) as ResultValue, method };
  });
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  roundCode: string | null;
  labCode: string | null;
  details: Record<string, unknown>;
}

/** The audit trail, newest first (default 100, at most 10,000 events). */
export async function auditTrail(db: EqaDb, filter: { roundCode?: string; labCode?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 10_000);
  const rows = await db.auditEvent.findMany({
    where: { ...(filter.roundCode === undefined ? {} : { roundCode: filter.roundCode }), ...(filter.labCode === undefined ? {} : { labCode: filter.labCode }) },
    orderBy: { id: "desc" },
    take: limit,
  });
  return rows.map(({ detailsJson, ...r }) => ({ ...r, details: JSON.parse(detailsJson) as Record<string, unknown> }));
}
