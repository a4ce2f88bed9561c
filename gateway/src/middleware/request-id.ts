// Every request carries an id: the caller's `X-Request-Id` when it is sane, else a new UUID; it is
// echoed in the response header, in every error body, in the logs and in the business audit log.
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { GatewayEnv } from "../context.ts";

const SANE = /^[\w.:-]{1,128}$/;

export function requestId(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE.test(given) ? given : randomUUID();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
