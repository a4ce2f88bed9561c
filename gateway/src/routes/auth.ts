// /v1/auth: challenges, SM2 sign-in (staff, institution systems), SIWE sign-in (residents), the
// current session and logout.
import { createRoute, z } from "@hono/zod-openapi";
import { isPlatformError } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import type { SessionManager, IssuedSession } from "../auth/sessions.ts";
import { createChallenge, signInSiwe, signInSm2 } from "../auth/sign-in.ts";
import { recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf, requireAuth } from "../middleware/auth.ts";
import { BEARER, createRouter } from "../router.ts";
import { OkSchema, PrincipalSchema } from "../schemas/common.ts";
import type { Context } from "hono";
import type { GatewayEnv } from "../context.ts";

const ChallengeRequest = z
  .object({
    subject: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: "A staff id (SM2 sign-in) or a wallet address (SIWE sign-in)", example: "hospital-his" }),
  })
  .openapi("ChallengeRequest");

const ChallengeResponse = z
  .object({
    challengeId: z.string().openapi({ description: "Also the nonce inside the message" }),
    kind: z.enum(["sm2", "siwe"]),
    message: z.string().openapi({ description: "Sign exactly this text (UTF-8)" }),
    expiresAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Challenge");

const Sm2SignInRequest = z
  .object({
    challengeId: z.string().regex(/^[0-9a-f]{32}$/, "not a challenge id"),
    staffId: z.string().min(1).max(64),
    signature: z
      .string()
      .regex(/^(0x)?([0-9a-fA-F]{2}){8,80}$/, "not a hex SM2 signature")
      .openapi({ description: "SM2 signature (DER, or raw r‖s of 64 bytes) over the challenge message, user id 1234567812345678" }),
    sessionPublicKey: z
      .string()
      .regex(/^(0x)?04[0-9a-fA-F]{128}$/, "not an uncompressed SM2 public key")
      .optional()
      .openapi({ description: "The session's SM2 public key (04‖x‖y): what the session reads is sealed to it" }),
  })
  .openapi("Sm2SignIn");

const SiweSignInRequest = z
  .object({
    message: z.string().min(1).max(4096).openapi({ description: "The EIP-4361 message of the challenge, unchanged" }),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "not a 65-byte 0x signature"),
    sessionPublicKey: z
      .string()
      .regex(/^(0x)?04[0-9a-fA-F]{128}$/, "not an uncompressed SM2 public key")
      .optional(),
  })
  .openapi("SiweSignIn");

const SessionResponse = z
  .object({
    token: z.string().openapi({ description: "Send as `Authorization: Bearer <token>`" }),
    expiresAt: z.string().openapi({ format: "date-time" }),
    principal: PrincipalSchema,
  })
  .openapi("Session");

const tags = ["auth"];

const challengeRoute = createRoute({
  method: "post",
  path: "/challenge",
  tags,
  summary: "Get a sign-in challenge / 获取登录挑战",
  request: { body: { content: { "application/json": { schema: ChallengeRequest } }, required: true } },
  responses: {
    200: { description: "The challenge to sign", content: { "application/json": { schema: ChallengeResponse } } },
    ...errorResponses(400),
  },
});

const sm2Route = createRoute({
  method: "post",
  path: "/sm2",
  tags,
  summary: "Sign in with an SM2 key (staff, institution systems) / SM2 密钥登录",
  request: { body: { content: { "application/json": { schema: Sm2SignInRequest } }, required: true } },
  responses: {
    200: { description: "A session", content: { "application/json": { schema: SessionResponse } } },
    ...errorResponses(400, 401),
  },
});

const siweRoute = createRoute({
  method: "post",
  path: "/siwe",
  tags,
  summary: "Sign in with a wallet (EIP-4361, residents) / 钱包登录",
  request: { body: { content: { "application/json": { schema: SiweSignInRequest } }, required: true } },
  responses: {
    200: { description: "A session", content: { "application/json": { schema: SessionResponse } } },
    ...errorResponses(400, 401),
  },
});

const sessionRoute = createRoute({
  method: "get",
  path: "/session",
  tags,
  summary: "The current session's principal / 当前会话",
  security: BEARER,
  middleware: [requireAuth()] as const,
  responses: {
    200: { description: "The principal", content: { "application/json": { schema: z.object({ principal: PrincipalSchema }) } } },
    ...errorResponses(401),
  },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags,
  summary: "End the session, for every gateway process / 退出登录",
  security: BEARER,
  middleware: [requireAuth()] as const,
  responses: {
    200: { description: "Ended", content: { "application/json": { schema: OkSchema } } },
    ...errorResponses(401),
  },
});

function sessionBody(issued: IssuedSession) {
  return { token: issued.token, expiresAt: issued.expiresAt.toISOString(), principal: { ...issued.principal, roles: [...issued.principal.roles] } };
}

export function authRoutes(deps: GatewayDeps, sessions: SessionManager) {
  const signInDeps = { db: deps.db, config: deps.config, clock: deps.clock, chainId: deps.chain.chainId };

  /** Audits a sign-in attempt (success or failure) under the signed-in or claimed subject. */
  async function signIn(c: Context<GatewayEnv>, method: "sm2" | "siwe", subject: string, run: () => Promise<IssuedSession>) {
    try {
      const issued = await run();
      c.set("principal", issued.principal);
      await recordAudit(deps.db, c, { target: issued.principal.sessionId, details: { method } }, "auth.sign-in");
      return issued;
    } catch (error) {
      if (isPlatformError(error, "SIGN_IN_FAILED")) {
        await recordAudit(deps.db, c, { target: subject, outcome: "failure", details: { method, reason: error.details.reason } }, "auth.sign-in").catch(
          (e: unknown) => deps.log.error({ err: e }, "audit of a failed sign-in"),
        );
      }
      throw error;
    }
  }

  return createRouter()
    .openapi(challengeRoute, async (c) => {
      const { subject } = c.req.valid("json");
      const challenge = await createChallenge(signInDeps, subject);
      return c.json({ ...challenge, expiresAt: challenge.expiresAt.toISOString() }, 200);
    })
    .openapi(sm2Route, async (c) => {
      const input = c.req.valid("json");
      const issued = await signIn(c, "sm2", input.staffId, () => signInSm2(signInDeps, sessions, input));
      return c.json(sessionBody(issued), 200);
    })
    .openapi(siweRoute, async (c) => {
      const input = c.req.valid("json");
      const issued = await signIn(c, "siwe", "wallet", () => signInSiwe(signInDeps, sessions, input));
      return c.json(sessionBody(issued), 200);
    })
    .openapi(sessionRoute, (c) => {
      const principal = principalOf(c);
      return c.json({ principal: { ...principal, roles: [...principal.roles] } }, 200);
    })
    .openapi(logoutRoute, async (c) => {
      const principal = principalOf(c);
      await sessions.end(principal.sessionId);
      await recordAudit(deps.db, c, { target: principal.sessionId }, "auth.logout");
      return c.json({ ok: true as const }, 200);
    });
}
