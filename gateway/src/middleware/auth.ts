// Authentication: a `Authorization: Bearer <session token>` header makes the request's principal.
// No header leaves the request anonymous (public routes serve it; `requirePermission` refuses it
// with 401 UNAUTHENTICATED); a header with a bad, expired or ended token is 401 SESSION_EXPIRED.
import type { Context, MiddlewareHandler } from "hono";
import { platformError } from "@health-chain/sdk";
import type { GatewayEnv, Principal } from "../context.ts";
import type { SessionManager } from "../auth/sessions.ts";

export function authenticate(sessions: SessionManager): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw platformError("SESSION_EXPIRED", { details: { reason: "malformed-authorization-header" } });
      c.set("principal", await sessions.resolve(m[1] as string));
    }
    await next();
  };
}

/** The signed-in principal; UNAUTHENTICATED when the request came without a session token. */
export function principalOf(c: Context<GatewayEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw platformError("UNAUTHENTICATED");
  return principal;
}

/** Refuses anonymous requests (use `requirePermission` where a permission applies). */
export function requireAuth(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    principalOf(c);
    await next();
  };
}
