// /v1/notifications: a resident's messages (access requests, grants used, answers …), newest
// first, with read/unread. Other modules create them with `notify` (notify.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";

const NotificationSchema = z
  .object({
    id: z.number().int(),
    kind: z.string().openapi({ example: "access-requested" }),
    payload: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .openapi("Notification");

const ListQuery = z.object({
  unread: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "true: only unread" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d{1,15}$/, "not a cursor").optional(),
});

const IdParam = z.object({ id: z.coerce.number().int().positive().openapi({ param: { name: "id", in: "path" }, example: 1 }) });

type Row = Awaited<ReturnType<GatewayDeps["db"]["notification"]["findMany"]>>[number];

function shown(row: Row): z.infer<typeof NotificationSchema> {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payloadJson) as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

const tags = ["notifications"];

export function notificationsRoutes(deps: GatewayDeps) {
  const residentOf = (c: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(c);
    if (p.kind !== "resident" || !p.wallet) throw platformError("FORBIDDEN", { details: { reason: "residents-only" } });
    return p.wallet;
  };

  const listRoute = createRoute({
    method: "get",
    path: "/",
    tags,
    summary: "My notifications, newest first / 我的消息",
    security: BEARER,
    middleware: [requirePermission("notifications:read")] as const,
    request: { query: ListQuery },
    responses: {
      200: {
        description: "A page",
        content: { "application/json": { schema: z.object({ items: z.array(NotificationSchema), nextCursor: z.string().optional() }).openapi("NotificationPage") } },
      },
      ...errorResponses(400, 401, 403),
    },
  });

  const unreadRoute = createRoute({
    method: "get",
    path: "/unread-count",
    tags,
    summary: "How many are unread / 未读数",
    security: BEARER,
    middleware: [requirePermission("notifications:read")] as const,
    responses: {
      200: { description: "Count", content: { "application/json": { schema: z.object({ unread: z.number().int() }) } } },
      ...errorResponses(401, 403),
    },
  });

  const readRoute = createRoute({
    method: "post",
    path: "/{id}/read",
    tags,
    summary: "Mark one read / 标记已读",
    security: BEARER,
    middleware: [requirePermission("notifications:update"), audited(deps, "notifications.read", (c) => c.req.param("id"))] as const,
    request: { params: IdParam },
    responses: {
      200: { description: "Marked", content: { "application/json": { schema: NotificationSchema } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const readAllRoute = createRoute({
    method: "post",
    path: "/read-all",
    tags,
    summary: "Mark all read / 全部标记已读",
    security: BEARER,
    middleware: [requirePermission("notifications:update"), audited(deps, "notifications.read-all")] as const,
    responses: {
      200: { description: "How many were marked", content: { "application/json": { schema: z.object({ updated: z.number().int() }) } } },
      ...errorResponses(401, 403),
    },
  });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const resident = residentOf(c);
      const q = c.req.valid("query");
      const rows = await deps.db.notification.findMany({
        where: { resident, ...(q.unread === "true" ? { readAt: null } : {}), ...(q.cursor ? { id: { lt: Number(q.cursor) } } : {}) },
        orderBy: { id: "desc" },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({ items: page.map(shown), ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}) }, 200);
    })
    .openapi(unreadRoute, async (c) => {
      const resident = residentOf(c);
      return c.json({ unread: await deps.db.notification.count({ where: { resident, readAt: null } }) }, 200);
    })
    .openapi(readRoute, async (c) => {
      const resident = residentOf(c);
      const { id } = c.req.valid("param");
      const row = await deps.db.$transaction(async (tx) => {
        const found = await tx.notification.findUnique({ where: { id } });
        // Another resident's notification is as good as absent.
        if (!found || found.resident !== resident) throw platformError("NOT_FOUND", { details: { id } });
        const updated = found.readAt ? found : await tx.notification.update({ where: { id }, data: { readAt: deps.clock.now() } });
        await recordAudit(tx, c, { target: String(id) });
        return updated;
      });
      return c.json(shown(row), 200);
    })
    .openapi(readAllRoute, async (c) => {
      const resident = residentOf(c);
      const updated = await deps.db.$transaction(async (tx) => {
        const r = await tx.notification.updateMany({ where: { resident, readAt: null }, data: { readAt: deps.clock.now() } });
        await recordAudit(tx, c, { details: { updated: r.count } });
        return r.count;
      });
      return c.json({ updated }, 200);
    });
}
