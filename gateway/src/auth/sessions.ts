// Sessions: a row per sign-in in the gateway database, named by the signed token. Every gateway
// process reads the same rows, so a session made by one process works on every other and a logout
// ends it everywhere. The token's MAC and expiry are checked on every request; the row only says
// whether the session was ended (logout). A process keeps the rows it read for `sessionCacheMs`
// (default 15 s; in a bounded LRU of the most recently used sessions) so that the hot path does
// not hit the database on every request: a logout on another process takes effect there within
// that time (the documented bound on logout propagation), on this process at once.
import type { Hex } from "viem";
import { platformError } from "@health-chain/sdk";
import type { Clock, GatewayDeps, Principal } from "../context.ts";
import { Lru } from "../lru.ts";
import { sessionRowOf } from "../reads.ts";
import { newSessionId, signSessionToken, verifySessionToken } from "./token.ts";

/** A principal before it has a session. */
export type PrincipalDraft = Omit<Principal, "sessionId" | "sessionPublicKey">;

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  principal: Principal;
}

export interface SessionManager {
  /** Creates the session row and signs its token. */
  create(draft: PrincipalDraft, sessionPublicKey?: Hex): Promise<IssuedSession>;
  /** The principal of a token; SESSION_EXPIRED when it is malformed, forged, expired or ended. */
  resolve(token: string): Promise<Principal>;
  /** Ends a session for every process (idempotent). */
  end(sessionId: string): Promise<void>;
}

interface Cached {
  principal: Principal | undefined;
  until: number;
}

const MAX_CACHED = 50_000;

function expired(): Error {
  return platformError("SESSION_EXPIRED");
}

export function createSessionManager(deps: Pick<GatewayDeps, "db" | "sql" | "config"> & { clock: Clock }): SessionManager {
  const { db, config, clock } = deps;
  const secret = config.auth.tokenSecret;
  const cacheMs = config.auth.sessionCacheMs;
  const cache = new Lru<string, Cached>(MAX_CACHED);
  // Sessions ended on this process: remembered apart from the LRU, so that eviction never revives one.
  const ended = new Lru<string, true>(MAX_CACHED);

  const remember = (sessionId: string, principal: Principal | undefined) => {
    if (cacheMs <= 0) return;
    cache.set(sessionId, { principal, until: clock.now().getTime() + cacheMs });
  };

  return {
    async create(draft, sessionPublicKey) {
      const id = newSessionId();
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + config.auth.sessionTtlSeconds * 1000);
      const principal: Principal = { ...draft, sessionId: id, ...(sessionPublicKey ? { sessionPublicKey } : {}) };
      await db.session.create({
        data: {
          id,
          subject: principal.subject,
          principalJson: JSON.stringify(principal),
          sessionPublicKey: sessionPublicKey ?? null,
          createdAt: now,
          expiresAt,
        },
      });
      remember(id, principal);
      return { token: signSessionToken(secret, id, expiresAt), expiresAt, principal };
    },

    async resolve(token) {
      const now = clock.now();
      const verified = verifySessionToken(secret, token, now);
      if (!verified) throw expired();
      if (ended.get(verified.sessionId)) throw expired();
      const hit = cache.get(verified.sessionId);
      if (hit && hit.until > now.getTime()) {
        if (!hit.principal) throw expired();
        return hit.principal;
      }
      const row = await sessionRowOf(deps, verified.sessionId);
      const principal =
        row && row.endedAt === null && row.expiresAt.getTime() > now.getTime()
          ? (JSON.parse(row.principalJson) as Principal)
          : undefined;
      remember(verified.sessionId, principal);
      if (!principal) throw expired();
      return principal;
    },

    async end(sessionId) {
      await db.session.updateMany({ where: { id: sessionId, endedAt: null }, data: { endedAt: clock.now() } });
      cache.delete(sessionId);
      ended.set(sessionId, true);
    },
  };
}
