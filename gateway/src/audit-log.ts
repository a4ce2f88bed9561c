// The business audit log (业务审计): every write route leaves one row — who (subject, role,
// institution), when, what (action, target), why (purpose), how it ended (outcome) and the request
// id. A route declares its action with the `audited` middleware; it writes its success row inside
// its own transaction with `recordAudit(tx, c, …)` (so the row commits with the route's rows), or
// the middleware writes it after a successful answer. A request refused after its input was
// checked (not found, forbidden by ownership, contract revert, conflict) leaves a failure row;
// requests refused for authentication, role or invalid input leave none.
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { isPlatformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "./context.ts";
import type { GatewayDb, GatewayTx } from "./db.ts";

export interface AuditState {
  readonly action: string;
  written: boolean;
}

/** What a route adds to its audit row. */
export interface AuditFacts {
  /** What was acted on (a record id, certificate id, proposal id, …). */
  target?: string;
  /** Why (the declared purpose, a reason). */
  purpose?: string;
  outcome?: "success" | "failure";
  details?: Record<string, unknown>;
}

function clientIp(c: Context<GatewayEnv>): string | null {
  const forwarded = c.req.header("x-forwarded-for");
  if (forwarded) return forwarded.split(",")[0]?.trim() ?? null;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null; // not served by @hono/node-server (app.request in tests)
  }
}

function jsonSafe(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Writes the audit row of the current request (inside `tx` when given) and marks it written. */
export async function recordAudit(db: GatewayDb | GatewayTx, c: Context<GatewayEnv>, facts: AuditFacts = {}, action?: string): Promise<void> {
  const state = c.get("audit");
  const principal = c.get("principal");
  await db.auditLog.create({
    data: {
      at: new Date(),
      subject: principal?.subject ?? "anonymous",
      role: principal?.roles.join(",") ?? "",
      institution: principal?.institution ?? null,
      action: action ?? state?.action ?? `${c.req.method} ${c.req.path}`,
      target: facts.target ?? null,
      purpose: facts.purpose ?? null,
      outcome: facts.outcome ?? "success",
      requestId: c.get("requestId") ?? "",
      ip: clientIp(c),
      detailsJson: facts.details === undefined ? null : jsonSafe(facts.details),
    },
  });
  if (state && (facts.outcome ?? "success") === "success") state.written = true;
}

/**
 * Declares a write route's business action (e.g. "certificates.issue") and makes sure it leaves a
 * row. `target` picks the target from the request when the route does not say it.
 */
export function audited(deps: Pick<GatewayDeps, "db" | "log">, action: string, target?: (c: Context<GatewayEnv>) => string | undefined): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const state: AuditState = { action, written: false };
    c.set("audit", state);
    await next();
    const error = c.error;
    try {
      if (error === undefined && c.res.status < 400) {
        if (!state.written) await recordAudit(deps.db, c, { target: target?.(c) });
      } else if (error !== undefined && isPlatformError(error) && error.kind !== "validation" && error.kind !== "crypto" && error.kind !== "unauthenticated") {
        await recordAudit(deps.db, c, {
          target: target?.(c),
          outcome: "failure",
          details: { code: error.code, ...(error.details.errorName ? { errorName: error.details.errorName } : {}) },
        });
      }
    } catch (auditError) {
      deps.log.error({ err: auditError, requestId: c.get("requestId"), action }, "writing the audit row failed");
    }
  };
}
