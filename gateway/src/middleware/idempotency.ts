// Idempotency of writes: a POST sent with `Idempotency-Key: <key>` is applied once per key and
// caller. The first request claims the key with an "in-progress" row (the primary key makes the
// claim atomic across processes); its successful answer is stored and replayed, byte for byte, to
// every retry of the same request (`Idempotent-Replayed: true`). The same key with a different
// method, path or body → 409 IDEMPOTENCY_KEY_REUSED; a retry while the first is still running →
// 409 REQUEST_IN_PROGRESS. A request that fails leaves no idempotency row, so it can be retried.
//
// A route that writes rows of its own saves the answer in the same transaction with
// `c.get("idempotency")?.save(tx, status, body)`, so rows and idempotency record commit together;
// otherwise the middleware stores the answer after the handler. A claim left "in-progress" by a
// process that died is taken over after `STALE_CLAIM_MS`.
import type { Context, MiddlewareHandler } from "hono";
import { platformError, sm3Hex, utf8 } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import type { GatewayTx } from "../db.ts";

const KEY = /^[\w.:-]{8,128}$/;
/** An in-progress claim older than this belongs to a process that died: it may be taken over. */
export const STALE_CLAIM_MS = 5 * 60_000;

/** The claim of the current request on its idempotency key. */
export interface IdempotencyClaim {
  readonly key: string;
  readonly principal: string;
  readonly requestHash: string;
  /** Stores the answer inside the route's own transaction; the middleware then stores nothing more. */
  save(tx: GatewayTx, status: number, body: unknown): Promise<void>;
  readonly saved: boolean;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** The idempotency middleware; put it after `requirePermission` in a route's `middleware`. */
export function idempotent(deps: Pick<GatewayDeps, "db" | "clock">): MiddlewareHandler<GatewayEnv> {
  const { db, clock } = deps;
  return async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (key === undefined) {
      c.set("idempotency", undefined);
      await next();
      return;
    }
    if (!KEY.test(key)) {
      throw platformError("INVALID_INPUT", {
        message: "The Idempotency-Key header must be 8..128 letters, digits, _ . : -.",
        messageZh: "Idempotency-Key 请求头应为 8 到 128 个字母、数字或 _ . : - 字符。",
        details: { header: "Idempotency-Key", length: key.length },
      });
    }
    const principal = c.get("principal")?.subject ?? "anonymous";
    const body = await c.req.text();
    const requestHash = sm3Hex(utf8(`${c.req.method}\n${c.req.path}\n${body}`));
    const where = { key_principal: { key, principal } };

    const replay = await claimOrReplay(c, { key, principal, requestHash, method: c.req.method, path: c.req.path });
    if (replay) return replay;

    let saved = false;
    const claim: IdempotencyClaim = {
      key,
      principal,
      requestHash,
      get saved() {
        return saved;
      },
      async save(tx, status, responseBody) {
        await tx.idempotencyKey.update({
          where,
          data: { status: "completed", responseStatus: status, responseBody: JSON.stringify(responseBody), completedAt: clock.now() },
        });
        saved = true;
      },
    };
    c.set("idempotency", claim);
    try {
      await next();
    } catch (error) {
      await db.idempotencyKey.deleteMany({ where: { key, principal, status: "in-progress" } });
      throw error;
    }
    if (c.error !== undefined || c.res.status >= 400) {
      if (!saved) await db.idempotencyKey.deleteMany({ where: { key, principal, status: "in-progress" } });
      return;
    }
    if (!saved) {
      const text = await c.res.clone().text();
      await db.idempotencyKey.update({
        where,
        data: { status: "completed", responseStatus: c.res.status, responseBody: text, completedAt: clock.now() },
      });
    }
  };

  async function claimOrReplay(
    c: Context<GatewayEnv>,
    claim: { key: string; principal: string; requestHash: string; method: string; path: string },
  ): Promise<Response | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await db.idempotencyKey.create({ data: { ...claim, status: "in-progress", createdAt: clock.now() } });
        return undefined;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const existing = await db.idempotencyKey.findUnique({ where: { key_principal: { key: claim.key, principal: claim.principal } } });
      if (!existing) continue; // the other request failed and let the key go: claim it again
      if (existing.requestHash !== claim.requestHash) {
        throw platformError("IDEMPOTENCY_KEY_REUSED", { details: { key: claim.key } });
      }
      if (existing.status === "completed" && existing.responseStatus !== null) {
        c.header("Idempotent-Replayed", "true");
        c.header("Content-Type", "application/json");
        return c.body(existing.responseBody ?? "", existing.responseStatus as 200);
      }
      if (clock.now().getTime() - existing.createdAt.getTime() > STALE_CLAIM_MS) {
        await db.idempotencyKey.deleteMany({
          where: { key: claim.key, principal: claim.principal, status: "in-progress", createdAt: existing.createdAt },
        });
        continue;
      }
      throw platformError("REQUEST_IN_PROGRESS", { details: { key: claim.key } });
    }
    throw platformError("REQUEST_IN_PROGRESS", { details: { key: claim.key } });
  }
}
