// The gateway's configuration: a JSON file (paths in it are relative to the file) with a few
// settings overridable from the environment, checked with zod once at start. Secrets (token
// secret, chain signing keys, store keys) come from files or environment variables in production;
// only a development configuration may name the public development mnemonic's keys, and only
// against a development chain (checked when the chain is reached: chain ids 424242 and 31337).
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";
import { z } from "zod";
import { platformError } from "@health-chain/sdk";
import { ROLES } from "./context.ts";

/** Chain ids of development chains (chain-node dev mode, Hardhat). */
export const DEV_CHAIN_IDS: readonly number[] = [424242, 31337];

/** The development secret of `mode: "dev"` when none is configured: public, never for production. */
const DEV_TOKEN_SECRET = "health-chain development token secret; never use in production";

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "not an address")
  .transform((v) => getAddress(v));

const sm2PublicKey = z
  .string()
  .regex(/^(0x)?04[0-9a-fA-F]{128}$/, "not an uncompressed SM2 public key (04‖x‖y, hex)")
  .transform((v) => (v.startsWith("0x") ? v.toLowerCase() : `0x${v.toLowerCase()}`) as Hex);

/** Where a chain signing key comes from: a file holding the hex key, an environment variable, or (dev only) the dev mnemonic. */
const signingKey = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ devIndex: z.number().int().min(0).max(1000) }).strict(),
]);

const storeConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fs"), dir: z.string().min(1), keyFile: z.string().min(1).optional() }).strict(),
  z.object({ kind: z.literal("kubo"), url: z.string().url(), keyFile: z.string().min(1).optional() }).strict(),
]);

const fileSchema = z
  .object({
    mode: z.enum(["dev", "production"]).default("production"),
    listen: z
      .object({ host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(8080) })
      .strict()
      .default({ host: "127.0.0.1", port: 8080 }),
    /** The gateway's own database: `file:` (SQLite) or `postgres(ql)://`. */
    databaseUrl: z.string().min(1),
    /** The mirror's database (read only). */
    mirrorDatabaseUrl: z.string().min(1),
    /**
     * The collection service's database (services/his), for the admin screens of /v1/collection;
     * absent: those routes answer "collection service not configured".
     */
    his: z.object({ databaseUrl: z.string().min(1) }).strict().optional(),
    /**
     * The EQA service's database (services/eqa), for /v1/eqa (rounds, result intake, evaluations,
     * documents, mutual recognition); absent: those routes answer "EQA service not configured".
     * `centres`: the institutions that run EQA (their admins manage plans and rounds, and only
     * their anchored recognition statements count); named, never inferred.
     */
    eqa: z
      .object({
        databaseUrl: z.string().min(1),
        centres: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/)).min(1),
        /** Public base URL of the verification page printed (as a QR code) on reports and certificates. */
        verifyBaseUrl: z.string().url().optional(),
      })
      .strict()
      .optional(),
    /**
     * The research service (services/analytics), for /v1/research: its database (projects,
     * screening requests, exports, packages, usage), the directory of its topic databases (one
     * DuckDB file per institution and version, built by the analytics worker from the collection
     * service's standardised records), the topic screening runs on, the operator institution (its
     * store keeps the export packages encrypted; its system anchors their hashes), and the
     * small-cell protection of every count that leaves (threshold, method). Absent: those routes
     * answer "research service not configured". Secrets come from the environment only:
     * GATEWAY_ANALYTICS_NOISE_KEY (hex, 32 bytes: the key of perturbed counts) and the
     * de-identification secrets HIS_DEID_SECRET_RESEARCH_LINK, HIS_DEID_SECRET_RESEARCH_DATE_SHIFT.
     */
    analytics: z
      .object({
        databaseUrl: z.string().min(1),
        topicDirectory: z.string().min(1),
        topic: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).default("all"),
        operator: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
        smallCells: z
          .object({ threshold: z.number().int().min(2).max(100).default(5), method: z.enum(["suppress", "round", "perturb"]).default("suppress") })
          .strict()
          .default({ threshold: 5, method: "suppress" }),
        /** The least k an export may ask for (k-anonymity of what leaves; a researcher may only ask for more). */
        minK: z.number().int().min(2).max(100).default(5),
        /** Most records one export may hold (a larger cohort is refused, never cut). */
        maxExportRecords: z.number().int().min(1).max(5_000_000).default(200_000),
      })
      .strict()
      .optional(),
    chain: z
      .object({
        rpcUrl: z.string().url(),
        deploymentsDir: z.string().min(1),
        /** Receipt wait limit in ms. */
        receiptTimeoutMs: z.number().int().positive().default(60_000),
      })
      .strict(),
    auth: z
      .object({
        /** HMAC-SM3 key of the session tokens, ≥ 32 bytes of UTF-8; required outside dev mode. */
        tokenSecret: z.string().min(32).optional(),
        /** Name of an environment variable holding the token secret (preferred in production). */
        tokenSecretEnv: z.string().min(1).optional(),
        sessionTtlSeconds: z.number().int().min(30).max(24 * 3600).default(900),
        challengeTtlSeconds: z.number().int().min(10).max(3600).default(300),
        /**
         * How long a process trusts a session row it read: the bound on how long a logout on another
         * process takes to reach this one (on the same process it is immediate). 0 = always read.
         */
        sessionCacheMs: z.number().int().min(0).max(60_000).default(15_000),
        /** The EIP-4361 domain and URI residents sign in to. */
        domain: z.string().min(1).default("localhost"),
        uri: z.string().url().default("http://localhost"),
        statement: z.string().default("Sign in to the health-data consortium gateway. 登录健康数据联盟链网关。"),
      })
      .strict()
      .default({
        sessionTtlSeconds: 900,
        challengeTtlSeconds: 300,
        sessionCacheMs: 15_000,
        domain: "localhost",
        uri: "http://localhost",
        statement: "Sign in to the health-data consortium gateway. 登录健康数据联盟链网关。",
      }),
    audit: z
      .object({ batchIntervalMs: z.number().int().min(50).max(3_600_000).default(5000) })
      .strict()
      .default({ batchIntervalMs: 5000 }),
    /** The institutions the gateway relays for, each with the chain key of its allowlisted account. */
    institutions: z
      .array(z.object({ address, name: z.string().min(1), key: signingKey }).strict())
      .min(1),
    /** The institution whose account relays residents' consents and records access batches (the platform). */
    relayer: address,
    staff: z
      .array(
        z
          .object({
            id: z.string().regex(/^[\w.@-]{1,64}$/, "letters, digits, _ . @ - (1..64)"),
            institution: address,
            name: z.string().min(1),
            roles: z.array(z.enum(ROLES)).min(1),
            sm2PublicKey,
          })
          .strict(),
      )
      .default([]),
    /** Each institution's store of originals, by institution address. */
    stores: z.record(z.string(), storeConfig).default({}),
    rbacFile: z.string().min(1).default("rbac.json"),
    /** Browser origins allowed to call the API (CORS), e.g. the apps' dev server; none by default. */
    corsOrigins: z.array(z.string().url()).default([]),
    /**
     * Addresses of the reverse proxies / load balancers in front of the gateway. Only a request
     * arriving from one of them may name the client with X-Forwarded-For; from anyone else the
     * header is ignored and the audit log records the socket's peer address.
     */
    trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])).default([]),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type GatewayConfigFile = z.input<typeof fileSchema>;

/** A configured institution, its signing key resolved. */
export interface InstitutionConfig {
  readonly address: Address;
  readonly name: string;
  readonly key: z.infer<typeof signingKey>;
}

/** A configured member of staff or system. */
export type StaffConfig = z.infer<typeof fileSchema>["staff"][number];

export type StoreConfig = z.infer<typeof storeConfig>;

/** The checked configuration, paths absolute, secrets resolved. */
export type GatewayConfig = Omit<z.infer<typeof fileSchema>, "auth" | "stores"> & {
  readonly auth: Omit<z.infer<typeof fileSchema>["auth"], "tokenSecret" | "tokenSecretEnv"> & { readonly tokenSecret: string };
  readonly stores: Readonly<Record<Address, StoreConfig>>;
  /** Directory of the configuration file (relative paths were resolved against it). */
  readonly baseDir: string;
};

function invalid(problems: string[], source: string): Error {
  return platformError("INVALID_INPUT", {
    message: `The gateway configuration ${source} is not valid: ${problems.join("; ")}`,
    messageZh: `网关配置 ${source} 无效：${problems.join("；")}`,
    details: { source, problems },
  });
}

/**
 * Checks a parsed configuration object. `env` overrides: GATEWAY_HOST, GATEWAY_PORT,
 * GATEWAY_DATABASE_URL, GATEWAY_MIRROR_DATABASE_URL, GATEWAY_HIS_DATABASE_URL, GATEWAY_RPC_URL,
 * GATEWAY_DEPLOYMENTS_DIR, GATEWAY_TOKEN_SECRET, AUDIT_BATCH_INTERVAL_MS.
 */
export function parseConfig(value: unknown, options: { baseDir: string; env?: NodeJS.ProcessEnv; source?: string }): GatewayConfig {
  const env = options.env ?? {};
  const source = options.source ?? "(object)";
  const raw = (typeof value === "object" && value !== null ? structuredClone(value) : value) as Record<string, unknown>;
  if (typeof raw === "object" && raw !== null) {
    const set = (path: string[], v: unknown) => {
      let node = raw;
      for (const key of path.slice(0, -1)) {
        if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
      node[path[path.length - 1] as string] = v;
    };
    if (env.GATEWAY_HOST) set(["listen", "host"], env.GATEWAY_HOST);
    if (env.GATEWAY_PORT) set(["listen", "port"], Number(env.GATEWAY_PORT));
    if (env.GATEWAY_DATABASE_URL) set(["databaseUrl"], env.GATEWAY_DATABASE_URL);
    if (env.GATEWAY_MIRROR_DATABASE_URL) set(["mirrorDatabaseUrl"], env.GATEWAY_MIRROR_DATABASE_URL);
    if (env.GATEWAY_HIS_DATABASE_URL) set(["his", "databaseUrl"], env.GATEWAY_HIS_DATABASE_URL);
    if (env.GATEWAY_EQA_DATABASE_URL) set(["eqa", "databaseUrl"], env.GATEWAY_EQA_DATABASE_URL);
    if (env.GATEWAY_ANALYTICS_DATABASE_URL) set(["analytics", "databaseUrl"], env.GATEWAY_ANALYTICS_DATABASE_URL);
    if (env.GATEWAY_ANALYTICS_TOPIC_DIR) set(["analytics", "topicDirectory"], env.GATEWAY_ANALYTICS_TOPIC_DIR);
    if (env.GATEWAY_RPC_URL) set(["chain", "rpcUrl"], env.GATEWAY_RPC_URL);
    if (env.GATEWAY_DEPLOYMENTS_DIR) set(["chain", "deploymentsDir"], env.GATEWAY_DEPLOYMENTS_DIR);
    if (env.GATEWAY_TOKEN_SECRET) set(["auth", "tokenSecret"], env.GATEWAY_TOKEN_SECRET);
    if (env.AUDIT_BATCH_INTERVAL_MS) set(["audit", "batchIntervalMs"], Number(env.AUDIT_BATCH_INTERVAL_MS));
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
      source,
    );
  }
  const c = parsed.data;
  const problems: string[] = [];
  const path = (p: string) => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const fileUrl = (url: string) => {
    if (!url.startsWith("file:")) return url;
    const rest = url.slice("file:".length);
    return rest.startsWith("/") || rest === ":memory:" ? url : `file:${resolve(options.baseDir, rest)}`;
  };

  let tokenSecret = c.auth.tokenSecret;
  if (tokenSecret === undefined && c.auth.tokenSecretEnv !== undefined) tokenSecret = env[c.auth.tokenSecretEnv];
  if (tokenSecret === undefined) {
    if (c.mode === "dev") tokenSecret = DEV_TOKEN_SECRET;
    else problems.push("auth.tokenSecret: required outside dev mode (or auth.tokenSecretEnv / GATEWAY_TOKEN_SECRET)");
  } else if (Buffer.byteLength(tokenSecret, "utf8") < 32) {
    problems.push("auth.tokenSecret: at least 32 bytes");
  }

  const institutions = new Set(c.institutions.map((i) => i.address));
  if (!institutions.has(c.relayer)) problems.push(`relayer: ${c.relayer} is not among the configured institutions`);
  for (const inst of c.institutions) {
    if ("devIndex" in inst.key && c.mode !== "dev") problems.push(`institutions.${inst.address}.key: devIndex only in dev mode`);
  }
  const staffIds = new Set<string>();
  for (const s of c.staff) {
    if (staffIds.has(s.id)) problems.push(`staff.${s.id}: duplicate id`);
    staffIds.add(s.id);
  }
  const stores: Record<Address, StoreConfig> = {};
  for (const [key, store] of Object.entries(c.stores)) {
    if (!isAddress(key, { strict: false })) {
      problems.push(`stores.${key}: not an institution address`);
      continue;
    }
    stores[getAddress(key)] =
      store.kind === "fs"
        ? { ...store, dir: path(store.dir), ...(store.keyFile ? { keyFile: path(store.keyFile) } : {}) }
        : { ...store, ...(store.keyFile ? { keyFile: path(store.keyFile) } : {}) };
  }
  if (c.analytics && (!isAddress(c.analytics.operator, { strict: false }) || stores[getAddress(c.analytics.operator)] === undefined)) {
    problems.push(`analytics.operator: ${c.analytics.operator} needs a store (stores) to keep the export packages in`);
  }
  if (problems.length > 0) throw invalid(problems, source);

  const { tokenSecret: _secret, tokenSecretEnv: _env, ...auth } = c.auth;
  void _secret;
  void _env;
  return {
    ...c,
    databaseUrl: fileUrl(c.databaseUrl),
    mirrorDatabaseUrl: fileUrl(c.mirrorDatabaseUrl),
    ...(c.his ? { his: { databaseUrl: fileUrl(c.his.databaseUrl) } } : {}),
    ...(c.eqa ? { eqa: { ...c.eqa, databaseUrl: fileUrl(c.eqa.databaseUrl) } } : {}),
    ...(c.analytics ? { analytics: { ...c.analytics, databaseUrl: fileUrl(c.analytics.databaseUrl), topicDirectory: path(c.analytics.topicDirectory) } } : {}),
    chain: { ...c.chain, deploymentsDir: path(c.chain.deploymentsDir) },
    institutions: c.institutions.map((i) =>
      "file" in i.key ? { ...i, key: { file: path(i.key.file) } } : i,
    ),
    auth: { ...auth, tokenSecret: tokenSecret as string },
    stores,
    rbacFile: path(c.rbacFile),
    baseDir: options.baseDir,
  };
}

/** Reads and checks the configuration file (JSON) with the process environment's overrides. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `Cannot read the gateway configuration ${file}: ${(cause as Error).message}`,
      messageZh: `无法读取网关配置 ${file}：${(cause as Error).message}`,
      details: { file },
      cause,
    });
  }
  return parseConfig(value, { baseDir: dirname(resolve(file)), env, source: file });
}

/** The hex private key of a configured signing key (file, environment variable or dev mnemonic index). */
export function readSigningKey(key: InstitutionConfig["key"], env: NodeJS.ProcessEnv = process.env): Hex | { devIndex: number } {
  if ("devIndex" in key) return { devIndex: key.devIndex };
  const text = "file" in key ? readFileSync(key.file, "utf8").trim() : (env[key.env] ?? "").trim();
  const hex = (text.startsWith("0x") ? text : `0x${text}`) as Hex;
  if (!isHex(hex) || hex.length !== 66) {
    throw platformError("INVALID_KEY", {
      message: `The signing key from ${"file" in key ? key.file : `$${key.env}`} is not a 32-byte hex private key.`,
      messageZh: `来自 ${"file" in key ? key.file : `$${key.env}`} 的签名密钥不是 32 字节十六进制私钥。`,
      details: { source: "file" in key ? key.file : key.env },
    });
  }
  return hex;
}
