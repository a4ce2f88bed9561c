// The mirror's configuration: flags over environment over defaults, validated with zod. A bad
// value is an INVALID_INPUT error naming every problem, in English and Chinese, for the operator.
import { resolve } from "node:path";
import { z } from "zod/v4";
import { platformError } from "../../sdk/src/index.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export const DEFAULT_DATABASE_URL = `file:${resolve(ROOT, "cache", "mirror.db")}`;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const mirrorConfigSchema = z.object({
  /** `file:<path>` (SQLite) or `postgres://…` (PostgreSQL). */
  databaseUrl: z
    .string()
    .refine((u) => /^(file:|postgres:\/\/|postgresql:\/\/)/.test(u), "must start with file:, postgres:// or postgresql://"),
  /** JSON-RPC endpoint of any EVM node of the chain (http:// or https://). */
  rpcUrl: z.string().url().refine((u) => /^https?:\/\//.test(u), "must be an http:// or https:// URL"),
  /** Directory of the deployments files (`<chainId>.json`). */
  deploymentsDir: z.string().min(1),
  /** Blocks to wait behind the head before indexing a block (0 on an instant-finality chain). */
  confirmations: int(0, 10_000),
  /** Port of the /metrics server; 0 picks a free one; null: no server. */
  metricsPort: int(0, 65_535).nullable(),
  /** How often to look for new blocks when caught up, ms. */
  pollIntervalMs: int(10, 3_600_000),
  /** Widest eth_getLogs block range; ranges shrink on errors and grow back. */
  maxBlockRange: int(1, 1_000_000),
  /** pino level. */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
});

export type MirrorConfig = z.infer<typeof mirrorConfigSchema>;

/** Environment variables read, and the config key each sets. */
export const ENVIRONMENT = {
  MIRROR_DATABASE_URL: "databaseUrl",
  CHAIN_RPC_URL: "rpcUrl",
  DEPLOYMENTS_DIR: "deploymentsDir",
  MIRROR_CONFIRMATIONS: "confirmations",
  MIRROR_METRICS_PORT: "metricsPort",
  MIRROR_POLL_INTERVAL_MS: "pollIntervalMs",
  MIRROR_MAX_BLOCK_RANGE: "maxBlockRange",
  MIRROR_LOG_LEVEL: "logLevel",
} as const satisfies Record<string, keyof MirrorConfig>;

export const DEFAULTS: MirrorConfig = {
  databaseUrl: DEFAULT_DATABASE_URL,
  rpcUrl: "http://127.0.0.1:8545",
  deploymentsDir: resolve(ROOT, "deploy", "deployments"),
  confirmations: 0,
  metricsPort: 9465,
  pollIntervalMs: 1000,
  maxBlockRange: 5000,
  logLevel: "info",
};

/**
 * The configuration from `overrides` (flags, or code), then `env`, then {@link DEFAULTS}.
 * Throws INVALID_INPUT with `details.problems` ([{ key, problem, value }]).
 */
export function loadMirrorConfig(overrides: Partial<Record<keyof MirrorConfig, unknown>> = {}, env: NodeJS.ProcessEnv = process.env): MirrorConfig {
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const [name, key] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== "") merged[key] = key === "metricsPort" && value === "off" ? null : value;
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
  const parsed = mirrorConfigSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const envName = Object.entries(ENVIRONMENT).find(([, k]) => k === key)?.[0];
    return { key, env: envName, problem: issue.message, value: merged[key] };
  });
  const list = problems.map((p) => `${p.key}${p.env ? ` (${p.env})` : ""}: ${p.problem}`).join("; ");
  throw platformError("INVALID_INPUT", {
    message: `Invalid mirror configuration: ${list}.`,
    messageZh: `镜像配置无效：${list}。`,
    details: { problems },
  });
}
