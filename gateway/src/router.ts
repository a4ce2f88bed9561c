// The router every resource uses: an OpenAPIHono whose validation failures become INVALID_INPUT.
// Sub-apps are mounted by createGateway; they inherit its error handler.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { GatewayEnv } from "./context.ts";
import { validationHook } from "./errors.ts";

/** A new sub-app for one resource (`records`, `consents`, …). */
export function createRouter(): OpenAPIHono<GatewayEnv> {
  return new OpenAPIHono<GatewayEnv>({ defaultHook: (result) => validationHook(result) });
}

/** The security requirement of routes that need a session token, for `createRoute({ security })`. */
export const BEARER = [{ bearer: [] }];
