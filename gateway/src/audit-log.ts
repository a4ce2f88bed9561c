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
import { writeQueueOf } from "./write-queue.ts";
import type { GatewayDb, GatewayTx } from "./db.ts";

export interface AuditState {
  readonly action: string;
  /** The configured trusted proxies (see `clientIp`). */
  readonly trustedProxies: readonly string[];
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

/** An IPv4-mapped IPv6 peer (::ffff:10.0.0.5) as the IPv4 address configurations name. */
function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * The client's address for the audit log: the socket's peer, unless the peer is a configured trusted
 * proxy, whose X-Forwarded-For then names the client (the nearest address not itself a trusted
 * proxy, so a client cannot prepend a forged one).
 */
export function clientIp(c: Context<GatewayEnv>, trustedProxies: readonly string[]): string | null {
  let peer: string | null;
  try {
    const address = getConnInfo(c).remote.address;
    peer = address === undefined ? null : plainIp(address);
  } catch {
    peer = null; // not served by @hono/node-server (app.request in tests)
  }
  if (peer === null || !trustedProxies.includes(peer)) return peer;
  const forwarded = (c.req.header("x-forwarded-for") ?? "").split(",").map((a) => plainIp(a.trim())).filter((a) => a !== "");
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (!trustedProxies.includes(forwarded[i]!)) return forwarded[i]!;
  }
  return peer;
}

function jsonSafe(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** The audit row of the current request, as stored. */
function auditRowOf(c: Context<GatewayEnv>, facts: AuditFacts, action?: string) {
  const state = c.get("audit");
  const principal = c.get("principal");
  return {
    at: new Date(),
    subject: principal?.subject ?? "anonymous",
    role: principal?.roles.join(",") ?? "",
    institution: principal?.institution ?? null,
    action: action ?? state?.action ?? `${c.req.method} ${c.req.path}`,
    target: facts.target ?? null,
    purpose: facts.purpose ?? null,
    outcome: facts.outcome ?? "success",
    requestId: c.get("requestId") ?? "",
    ip: clientIp(c, state?.trustedProxies ?? []),
    detailsJson: facts.details === undefined ? null : jsonSafe(facts.details),
  };
}

/** Writes the audit row of the current request (inside `tx` when given) and marks it written. */
export async function recordAudit(db: GatewayDb | GatewayTx, c: Context<GatewayEnv>, facts: AuditFacts = {}, action?: string): Promise<void> {
  const state = c.get("audit");
  await db.auditLog.create({ data: auditRowOf(c, facts, action) });
  if (state && (facts.outcome ?? "success") === "success") state.written = true;
}

/**
 * Declares a write route's business action (e.g. "certificates.issue") and makes sure it leaves a
 * row. `target` picks the target from the request when the route does not say it.
 */
export function audited(deps: Pick<GatewayDeps, "db" | "log" | "config">, action: string, target?: (c: Context<GatewayEnv>) => string | undefined): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const state: AuditState = { action, trustedProxies: deps.config.trustedProxies, written: false };
    c.set("audit", state);
    await next();
    const error = c.error;
    try {
      // Rows written here go through the group-commit queue: concurrent requests share one
      // transaction (and, on SQLite, one fsync) for their audit rows; each request still waits
      // for its row to be committed before its answer leaves.
      if (error === undefined && c.res.status < 400) {
        if (!state.written) await writeQueueOf(deps.db).enqueueInserts([{ model: "auditLog", data: auditRowOf(c, { target: target?.(c) }) }]);
      } else if (error !== undefined && isPlatformError(error) && error.kind !== "validation" && error.kind !== "crypto" && error.kind !== "unauthenticated") {
        const details = { code: error.code, ...(error.details.errorName ? { errorName: error.details.errorName } : {}) };
        await writeQueueOf(deps.db).enqueueInserts([{ model: "auditLog", data: auditRowOf(c, { target: target?.(c), outcome: "failure", details }) }]);
      }
    } catch (auditError) {
      deps.log.error({ err: auditError, requestId: c.get("requestId"), action }, "writing the audit row failed");
    }
  };
}
