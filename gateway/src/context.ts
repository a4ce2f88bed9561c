// What every part of the gateway shares: its dependencies (GatewayDeps), the Hono environment of a
// request (GatewayEnv: request id, the signed-in principal, the idempotency claim) and the roles.
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import type { ChainAccess } from "./chain.ts";
import type { GatewayConfig } from "./config.ts";
import type { GatewayDb } from "./db.ts";
import type { SqlReader } from "../../mirror/src/db/index.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Rbac } from "./middleware/rbac.ts";
import type { IdempotencyClaim } from "./middleware/idempotency.ts";
import type { MirrorQueries, InstitutionStore } from "./external.ts";
import type { AuditState } from "./audit-log.ts";
import type { HisDb } from "../../services/his/src/db.ts";
import type { EqaDb } from "../../services/eqa/src/db.ts";
import type { ResearchDeps } from "./research/deps.ts";

/** The gateway's roles (configured in gateway/config/rbac.json, never hard-coded in routes). */
export const ROLES = ["resident", "doctor", "institution-system", "researcher", "reviewer", "admin", "auditor", "lab-staff"] as const;
export type Role = (typeof ROLES)[number];

/** Who sent a request, as the session established at sign-in says. */
export interface Principal {
  /** resident: wallet sign-in (SIWE); staff: a person with an SM2 key; system: an institution's system. */
  readonly kind: "resident" | "staff" | "system";
  /** The wallet address (residents) or the staff id (staff, systems). */
  readonly subject: string;
  readonly roles: readonly Role[];
  /** The institution a member of staff or a system acts for. */
  readonly institution?: Address;
  /** A resident's wallet address. */
  readonly wallet?: Address;
  readonly staffId?: string;
  readonly sessionId: string;
  /** The session's SM2 public key (0x04‖x‖y), registered at sign-in, to seal what the session reads. */
  readonly sessionPublicKey?: Hex;
}

/** The time source (tests move it). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Everything a route needs; built once per process by `createDeps` (server.ts) or by a test. */
export interface GatewayDeps {
  readonly config: GatewayConfig;
  /** The gateway's own database (Prisma). */
  readonly db: GatewayDb;
  /** Prepared SELECTs on the same database, for the hot read paths (mirror/src/db/reader.ts). */
  readonly sql: SqlReader;
  /** Read side of the chain's SQL mirror. */
  readonly mirror: MirrorQueries;
  readonly chain: ChainAccess;
  /** Each institution's store of encrypted originals, by checksummed institution address. */
  readonly stores: ReadonlyMap<Address, InstitutionStore>;
  readonly rbac: Rbac;
  /**
   * The collection service's database (services/his), when configured (`his.databaseUrl`): the
   * gateway reads its tasks, runs and quarantine and writes only operators' requests into it.
   */
  readonly his?: HisDb | undefined;
  /**
   * The EQA service's database (services/eqa), when configured (`eqa.databaseUrl`): the gateway
   * takes result entries and the centre's decisions into it; the EQA worker evaluates, renders and
   * anchors.
   */
  readonly eqa?: EqaDb | undefined;
  /**
   * The research service (services/analytics), when configured (`analytics`): its database, topic
   * databases and secrets, for /v1/research.
   */
  readonly research?: ResearchDeps | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
}

/** The Hono environment of the gateway's routes. */
export interface GatewayEnv {
  Variables: {
    requestId: string;
    /** Set by the auth middleware when a valid session token came; read it with `principalOf(c)`. */
    principal: Principal | undefined;
    /** Set by the idempotency middleware when the request carried an Idempotency-Key. */
    idempotency: IdempotencyClaim | undefined;
    rbac: Rbac;
    /** Set by the `audited` middleware of a write route: the action and whether its row was written. */
    audit: AuditState | undefined;
  };
}
