// What /v1/research needs beyond the gateway's own dependencies: the analytics service's
// database, where its topic databases are, and the secrets of what leaves (the key of perturbed
// counts, the de-identification secrets).
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import type { AnalyticsDb } from "../../../services/analytics/src/db.ts";
import type { DeidSecrets } from "../../../services/his/src/deid/secrets.ts";

export interface ResearchDeps {
  readonly db: AnalyticsDb;
  /** The topic databases' directory and the topic screening runs on. */
  readonly topicDirectory: string;
  readonly topic: string;
  /** HMAC key of perturbed counts (never the sponsor's). */
  readonly noiseKey: Uint8Array;
  readonly deidSecrets: DeidSecrets;
}

export function researchOf(deps: GatewayDeps): ResearchDeps {
  if (deps.research === undefined || deps.config.analytics === undefined) {
    throw platformError("NOT_FOUND", {
      message: "The research service is not configured on this gateway (analytics).",
      messageZh: "本网关未配置科研服务（analytics）。",
      details: { reason: "research-not-configured" },
    });
  }
  return deps.research;
}
