// The gateway application: global middleware (request id, metrics, body limit, RBAC table,
// authentication), the service routes (/healthz, /metrics, /openapi.json, /docs) and one sub-app
// per resource under /v1. Errors of every route leave through one handler (errors.ts).
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "./context.ts";
import { createSessionManager, type SessionManager } from "./auth/sessions.ts";
import { mountDocs } from "./docs.ts";
import { errorHandler, notFoundHandler, validationHook } from "./errors.ts";
import { measureRequests } from "./metrics.ts";
import { authenticate } from "./middleware/auth.ts";
import { checkPermissionsDefined } from "./middleware/rbac.ts";
import { requestId } from "./middleware/request-id.ts";
import { accessRoutes } from "./routes/access.ts";
import { auditRoutes } from "./routes/audit.ts";
import { authRoutes } from "./routes/auth.ts";
import { certificatesRoutes } from "./routes/certificates.ts";
import { collectionRoutes } from "./routes/collection.ts";
import { eqaRoutes } from "./routes/eqa.ts";
import { codeMappingRoutes } from "./routes/code-mapping.ts";
import { empiRoutes } from "./routes/empi.ts";
import { consentsRoutes } from "./routes/consent.ts";
import { consortiumRoutes } from "./routes/consortium.ts";
import { notificationsRoutes } from "./routes/notifications.ts";
import { provenanceRoutes } from "./routes/provenance.ts";
import { recordsRoutes } from "./routes/records.ts";
import { researchRoutes } from "./routes/research.ts";

/** Largest request body accepted (a batch of records is the biggest). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export const API_VERSION = "0.1.0";

export interface CreateGatewayOptions {
  /** Share a session manager (its cache) between apps; default: a new one. */
  sessions?: SessionManager;
}

export function createGateway(deps: GatewayDeps, options: CreateGatewayOptions = {}) {
  const sessions = options.sessions ?? createSessionManager(deps);
  const app = new OpenAPIHono<GatewayEnv>({ defaultHook: (result) => validationHook(result) });
  app.onError(errorHandler(deps));
  app.notFound(notFoundHandler);

  app.use("*", requestId());
  app.use("*", measureRequests(deps.metrics));
  if (deps.config.corsOrigins.length > 0) {
    app.use(
      "*",
      cors({
        origin: [...deps.config.corsOrigins],
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
        exposeHeaders: ["X-Request-Id", "Idempotent-Replayed"],
        maxAge: 600,
      }),
    );
  }
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw platformError("INVALID_INPUT", {
          message: `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
          messageZh: `请求体超过 ${MAX_BODY_BYTES} 字节。`,
          details: { maxBytes: MAX_BODY_BYTES },
        });
      },
    }),
  );
  app.use("*", async (c, next) => {
    c.set("rbac", deps.rbac);
    await next();
  });
  app.use("*", authenticate(sessions));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "hc1 session token (HMAC-SM3)",
    description: "The token of POST /v1/auth/sm2 or /v1/auth/siwe",
  });

  app.get("/healthz", async (c) => {
    const checks: Record<string, string> = {};
    let healthy = true;
    try {
      await deps.db.$queryRawUnsafe("SELECT 1");
      checks.database = "ok";
    } catch {
      checks.database = "unreachable";
      healthy = false;
    }
    try {
      const block = await Promise.race([
        deps.chain.publicClient.getBlockNumber(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000).unref()),
      ]);
      checks.chain = `ok (block ${block})`;
    } catch {
      checks.chain = "unreachable";
    }
    return c.json({ status: healthy ? "ok" : "unhealthy", chainId: deps.chain.chainId, checks }, healthy ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.header("Content-Type", deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  app.doc("/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "Health-chain gateway / 健康数据联盟链网关",
      version: API_VERSION,
      description:
        "REST API of the consortium health-data chain: sign-in (SM2, SIWE), records, consent, consent-checked reads, provenance, certificates, audit, consortium, notifications and data collection. Every error is `{ code, message, messageZh, details?, hint?, requestId }`.",
    },
    tags: [
      { name: "auth", description: "Sign-in and sessions / 登录与会话" },
      { name: "records", description: "Record indexes / 数据索引" },
      { name: "consents", description: "Consent / 授权" },
      { name: "access", description: "Consent-checked reads / 授权访问" },
      { name: "provenance", description: "A record's life / 溯源" },
      { name: "certificates", description: "Certificates and timestamps / 证书存证" },
      { name: "audit", description: "Business audit log / 业务审计" },
      { name: "consortium", description: "Members, alliances, proposals / 联盟管理" },
      { name: "notifications", description: "Residents' messages / 居民消息" },
      { name: "collection", description: "Collection tasks, runs, quality, quarantine, anchoring / 采集任务管理" },
      { name: "research", description: "Research projects, screening requests, protected counts, approved exports / 科研检索与数据导出" },
    ],
  });
  mountDocs(app, "/openapi.json");

  const routes = app
    .route("/v1/auth", authRoutes(deps, sessions))
    .route("/v1/records", recordsRoutes(deps))
    .route("/v1/consents", consentsRoutes(deps))
    .route("/v1/access", accessRoutes(deps))
    .route("/v1/provenance", provenanceRoutes(deps))
    .route("/v1/certificates", certificatesRoutes(deps))
    .route("/v1/audit", auditRoutes(deps))
    .route("/v1/consortium", consortiumRoutes(deps))
    .route("/v1/notifications", notificationsRoutes(deps))
    .route("/v1/collection", collectionRoutes(deps))
    .route("/v1/empi", empiRoutes(deps))
    .route("/v1/code-mapping", codeMappingRoutes(deps))
    .route("/v1/eqa", eqaRoutes(deps))
    .route("/v1/research", researchRoutes(deps));

  checkPermissionsDefined(deps.rbac);
  return routes;
}

/** The gateway's route types, for the typed client `hc<AppType>`. */
export type AppType = ReturnType<typeof createGateway>;
