// Error mapping in one place: every failure leaves the gateway as the same JSON body with a stable
// `code`, both messages, the details, a hint where the catalogue has one, and the request id.
// HealthChainError → its kind's HTTP status (sdk HTTP_STATUS); zod validation failures →
// INVALID_INPUT (400) with the issues; Hono's HTTPException (malformed JSON, 415, body too large) →
// its status with a catalogue code; a Prisma unique-key violation (P2002) → CONFLICT (409);
// anything else → INTERNAL (500), logged, details withheld.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isPlatformError, platformError, type HealthChainError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "./context.ts";

/** The body of every error answer. */
export const ErrorBodySchema = z
  .object({
    code: z.string().openapi({ example: "ROLE_REQUIRED", description: "Stable machine-readable code (sdk ERROR_CATALOG)." }),
    message: z.string().openapi({ example: "Your role does not allow this operation." }),
    messageZh: z.string().openapi({ example: "您的角色无权执行此操作。" }),
    details: z.record(z.string(), z.unknown()).optional(),
    hint: z.object({ en: z.string(), zh: z.string() }).optional(),
    requestId: z.string().openapi({ example: "0f8e2c3a-9a55-4a55-8f0e-0d0f0c0b0a09" }),
  })
  .openapi("Error");

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (INVALID_INPUT and other validation codes) / 输入无效",
  401: "Not signed in, or the session ended (UNAUTHENTICATED, SESSION_EXPIRED, SIGN_IN_FAILED) / 未认证",
  403: "Not allowed (ROLE_REQUIRED, FORBIDDEN, CONSENT_REQUIRED) / 无权访问",
  404: "Not found (NOT_FOUND) / 未找到",
  409: "Conflict (CONFLICT, IDEMPOTENCY_KEY_REUSED, REQUEST_IN_PROGRESS) / 冲突",
  422: "Integrity check failed / 完整性校验失败",
  500: "Internal error (INTERNAL, STORE_UNAVAILABLE) / 内部错误",
  502: "The chain refused or cannot be reached (CONTRACT_REVERTED, CHAIN_UNAVAILABLE) / 链上调用失败",
};

/** The error responses of a route, for `createRoute({ responses: { 200: …, ...errorResponses(400, 401) } })`. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, { description: string; content: { "application/json": { schema: typeof ErrorBodySchema } } }> {
  const out = {} as Record<S, { description: string; content: { "application/json": { schema: typeof ErrorBodySchema } } }>;
  for (const status of statuses) {
    out[status] = { description: DESCRIPTIONS[status] ?? "Error", content: { "application/json": { schema: ErrorBodySchema } } };
  }
  return out;
}

/** The platform error of anything thrown in a request. */
export function toHttpError(error: unknown): HealthChainError & { status?: number } {
  if (isPlatformError(error)) return error;
  if (error instanceof HTTPException) {
    const status = error.status;
    const code =
      status === 401 ? "UNAUTHENTICATED" : status === 403 ? "FORBIDDEN" : status === 404 ? "NOT_FOUND" : status === 409 ? "CONFLICT" : status < 500 ? "INVALID_INPUT" : "INTERNAL";
    const e = platformError(code, {
      ...(status < 500 && error.message ? { message: error.message, messageZh: zhOfHttp(status) } : {}),
      details: { httpStatus: status },
    });
    return Object.assign(e, { status });
  }
  // A unique key the route's own checks did not foresee (two requests writing the same row at once):
  // a conflict, not an internal error.
  if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002") {
    return platformError("CONFLICT", { details: { reason: "unique-constraint" }, cause: error });
  }
  return platformError("INTERNAL", { cause: error });
}

function zhOfHttp(status: number): string {
  if (status === 413) return "请求体过大。";
  if (status === 415) return "不支持的内容类型，请使用 application/json。";
  return "请求无效。";
}

/** The JSON body of an error. */
export function errorBody(error: HealthChainError, requestId: string): ErrorBody {
  const internal = error.code === "INTERNAL";
  return {
    code: error.code,
    message: error.message,
    messageZh: error.messageZh,
    // Internal errors may carry a reason that helps an attacker; they are logged, not sent.
    ...(internal || Object.keys(error.details).length === 0 ? {} : { details: error.details as Record<string, unknown> }),
    ...(error.hint ? { hint: error.hint } : {}),
    requestId,
  };
}

/** `app.onError`: maps and logs. */
export function errorHandler(deps: Pick<GatewayDeps, "log">) {
  return (err: Error, c: Context<GatewayEnv>) => {
    const error = toHttpError(err);
    const status = (error.status ?? error.httpStatus) as ContentfulStatusCode;
    const requestId = c.get("requestId") ?? "";
    if (status >= 500) deps.log.error({ err, requestId, code: error.code, path: c.req.path }, "request failed");
    else deps.log.debug({ requestId, code: error.code, path: c.req.path }, "request refused");
    return c.json(errorBody(error, requestId), status);
  };
}

/** `app.notFound`. */
export function notFoundHandler(c: Context<GatewayEnv>) {
  const error = platformError("NOT_FOUND", { details: { path: c.req.path } });
  return c.json(errorBody(error, c.get("requestId") ?? ""), 404);
}

/** The validation hook of every router: a failed zod check becomes INVALID_INPUT with the issues. */
export function validationHook(result: { success: boolean; error?: unknown; target?: string }): void {
  if (result.success) return;
  const issues =
    result.error instanceof z.ZodError
      ? result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }))
      : [];
  throw platformError("INVALID_INPUT", {
    message: `The request ${result.target ?? "input"} is not valid: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
    messageZh: `请求${result.target === "json" ? "体" : result.target === "query" ? "查询参数" : result.target === "param" ? "路径参数" : "输入"}无效：${issues.map((i) => i.path || "(root)").join("、")}`,
    details: { target: result.target, issues },
  });
}
