// /v1/audit: the business audit log for auditors and admins — who, when, what, why and how it
// ended — filtered and paged (newest first), and exported as CSV for Excel (UTF-8 with BOM,
// RFC 4180 quoting, cells that a spreadsheet would run as a formula neutralised).
import { createRoute, z } from "@hono/zod-openapi";
import { getAddress, isAddress } from "viem";
import { CSV_BOM, CSV_EOL, csvLine, platformError } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import type { Prisma } from "../generated/sqlite/client.ts";
import { recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";

/** Most rows one CSV export holds; narrow the filters for more. */
export const MAX_EXPORT_ROWS = 100_000;

const Filters = z.object({
  from: z.string().datetime({ offset: true }).optional().openapi({ description: "At or after (ISO 8601)" }),
  to: z.string().datetime({ offset: true }).optional().openapi({ description: "Before (ISO 8601)" }),
  subject: z.string().max(128).optional().openapi({ description: "Staff id or wallet address" }),
  institution: z.string().max(64).optional(),
  action: z.string().max(64).optional().openapi({ example: "certificates.issue" }),
  outcome: z.enum(["success", "failure"]).optional(),
  target: z.string().max(200).optional(),
  requestId: z.string().max(128).optional(),
});

const ListQuery = Filters.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d{1,15}$/, "not a cursor").optional(),
});

const AuditEntry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    subject: z.string(),
    role: z.string(),
    institution: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    purpose: z.string().nullable(),
    outcome: z.string(),
    requestId: z.string(),
    ip: z.string().nullable(),
    details: z.unknown().nullable(),
  })
  .openapi("AuditEntry");

type Row = Awaited<ReturnType<GatewayDeps["db"]["auditLog"]["findMany"]>>[number];

function whereOf(f: z.infer<typeof Filters>): Prisma.AuditLogWhereInput {
  const where: Prisma.AuditLogWhereInput = {};
  if (f.from || f.to) where.at = { ...(f.from ? { gte: new Date(f.from) } : {}), ...(f.to ? { lt: new Date(f.to) } : {}) };
  if (f.subject) where.subject = f.subject;
  if (f.institution) where.institution = isAddress(f.institution, { strict: false }) ? getAddress(f.institution) : f.institution;
  if (f.action) where.action = f.action;
  if (f.outcome) where.outcome = f.outcome;
  if (f.target) where.target = f.target;
  if (f.requestId) where.requestId = f.requestId;
  return where;
}

function entry(row: Row): z.infer<typeof AuditEntry> {
  return {
    id: row.id,
    at: row.at.toISOString(),
    subject: row.subject,
    role: row.role,
    institution: row.institution,
    action: row.action,
    target: row.target,
    purpose: row.purpose,
    outcome: row.outcome,
    requestId: row.requestId,
    ip: row.ip,
    details: row.detailsJson === null ? null : (JSON.parse(row.detailsJson) as unknown),
  };
}

const CSV_COLUMNS = ["id", "at", "subject", "role", "institution", "action", "target", "purpose", "outcome", "requestId", "ip", "details"] as const;

function auditCsvLine(row: Row): string {
  return csvLine([
    row.id,
    row.at.toISOString(),
    row.subject,
    row.role,
    row.institution,
    row.action,
    row.target,
    row.purpose,
    row.outcome,
    row.requestId,
    row.ip,
    row.detailsJson,
  ]);
}

const tags = ["audit"];

export function auditRoutes(deps: GatewayDeps) {
  const listRoute = createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "Query the business audit log / 查询业务审计日志",
    security: BEARER,
    middleware: [requirePermission("audit:read")] as const,
    request: { query: ListQuery },
    responses: {
      200: {
        description: "A page of entries, newest first",
        content: { "application/json": { schema: z.object({ items: z.array(AuditEntry), nextCursor: z.string().optional() }).openapi("AuditPage") } },
      },
      ...errorResponses(400, 401, 403),
    },
  });

  const exportRoute = createRoute({
    method: "get",
    path: "/export.csv",
    tags,
    summary: "Export the business audit log as CSV (UTF-8 with BOM, for Excel) / 导出审计日志",
    security: BEARER,
    middleware: [requirePermission("audit:export")] as const,
    request: { query: Filters },
    responses: {
      200: { description: "CSV, oldest first", content: { "text/csv": { schema: z.string() } } },
      ...errorResponses(400, 401, 403),
    },
  });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const q = c.req.valid("query");
      const where = whereOf(q);
      if (q.cursor) where.id = { lt: Number(q.cursor) };
      const rows = await deps.db.auditLog.findMany({ where, orderBy: { id: "desc" }, take: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({ items: page.map(entry), ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}) }, 200);
    })
    .openapi(exportRoute, async (c) => {
      const q = c.req.valid("query");
      const where = whereOf(q);
      const count = await deps.db.auditLog.count({ where });
      if (count > MAX_EXPORT_ROWS) {
        throw platformError("INVALID_INPUT", {
          message: `The export would hold ${count} rows, more than ${MAX_EXPORT_ROWS}: narrow the time range or filters.`,
          messageZh: `导出将包含 ${count} 行，超过上限 ${MAX_EXPORT_ROWS}：请缩小时间范围或增加筛选条件。`,
          details: { rows: count, maxRows: MAX_EXPORT_ROWS },
        });
      }
      const lines = [`${CSV_BOM}${csvLine(CSV_COLUMNS)}`];
      let after = 0;
      for (;;) {
        const rows = await deps.db.auditLog.findMany({ where: { ...where, id: { gt: after } }, orderBy: { id: "asc" }, take: 2000 });
        for (const row of rows) lines.push(auditCsvLine(row));
        const last = rows[rows.length - 1];
        if (!last || rows.length < 2000) break;
        after = last.id;
      }
      // An export is itself worth a line: who took which part of the log out.
      await recordAudit(deps.db, c, { purpose: "export", details: { filters: q, rows: lines.length - 1 } }, "audit.export");
      const stamp = deps.clock.now().toISOString().replaceAll(":", "").slice(0, 15);
      return c.body(`${lines.join(CSV_EOL)}${CSV_EOL}`, 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="audit-${stamp}.csv"`,
      });
    });
}
