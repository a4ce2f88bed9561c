// A complete gateway for the tests: a development chain with the contracts (test/helpers/chain.ts),
// the mirror in process on a temporary SQLite file, the gateway database on another, the dev
// founders as institutions, staff with fresh SM2 keys, disk stores with dev keyrings, and helpers
// to sign in and call the API through `app.request()`.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Address, Hex } from "viem";
import type { HDAccount } from "viem/accounts";
import { generateSm2KeyPair, signSm2, toHex, type Sm2KeyPair } from "@health-chain/sdk";
import { pino } from "pino";
import { DEV, devAccount, startTestChain, type TestChain } from "../../test/helpers/chain.ts";
import { openMirrorDatabase, type MirrorDatabase } from "../../mirror/src/database.ts";
import { createIndexer, type Indexer } from "../../mirror/src/indexer.ts";
import { createGateway } from "../src/app.ts";
import { parseConfig, type GatewayConfig, type GatewayConfigFile } from "../src/config.ts";
import type { Clock, GatewayDeps, Role } from "../src/context.ts";
import { createMetrics } from "../src/metrics.ts";
import { createDeps } from "../src/server.ts";

export { DEV, devAccount };

/** The dev founders' institution addresses. */
export const INSTITUTIONS = {
  healthAuthority: devAccount(DEV.healthAuthority).address,
  hospital: devAccount(DEV.hospital).address,
  eqaCentre: devAccount(DEV.eqaCentre).address,
  platform: devAccount(DEV.platform).address,
} as const;

/** The staff of the test configuration: id → institution and roles. */
export const STAFF: Record<string, { institution: Address; roles: Role[] }> = {
  "hospital-his": { institution: INSTITUTIONS.hospital, roles: ["institution-system"] },
  "hospital-doctor": { institution: INSTITUTIONS.hospital, roles: ["doctor"] },
  "hospital-admin": { institution: INSTITUTIONS.hospital, roles: ["admin"] },
  "authority-admin": { institution: INSTITUTIONS.healthAuthority, roles: ["admin"] },
  "authority-system": { institution: INSTITUTIONS.healthAuthority, roles: ["institution-system"] },
  "authority-researcher": { institution: INSTITUTIONS.healthAuthority, roles: ["researcher"] },
  "authority-reviewer": { institution: INSTITUTIONS.healthAuthority, roles: ["reviewer"] },
  "eqa-system": { institution: INSTITUTIONS.eqaCentre, roles: ["institution-system"] },
  "eqa-admin": { institution: INSTITUTIONS.eqaCentre, roles: ["admin"] },
  "platform-auditor": { institution: INSTITUTIONS.platform, roles: ["auditor"] },
  "platform-system": { institution: INSTITUTIONS.platform, roles: ["institution-system"] },
};

export interface TestGateway {
  chain: TestChain;
  config: GatewayConfig;
  deps: GatewayDeps;
  app: ReturnType<typeof createGateway>;
  /** The SM2 key pair registered for each staff id. */
  staffKeys: Record<string, Sm2KeyPair>;
  /** Indexes the chain into the mirror up to the head. */
  syncMirror(): Promise<void>;
  /** Signs in a member of staff (SM2) and returns the session token and session key pair. */
  signInStaff(staffId: string): Promise<{ token: string; sessionKeys: Sm2KeyPair }>;
  /** Signs in a resident with a dev account (SIWE) and returns the token. */
  signInResident(account: HDAccount | number): Promise<{ token: string; address: Address; sessionKeys: Sm2KeyPair }>;
  /** `app.request` with JSON, a bearer token and headers. */
  call(method: string, path: string, options?: { token?: string; json?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** Another gateway app on the same databases with its own Prisma client and session cache (a second process). */
  secondInstance(): Promise<{ app: ReturnType<typeof createGateway>; deps: GatewayDeps; close(): Promise<void> }>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** An existing chain (not stopped by close()). */
  chain?: TestChain;
  clock?: Clock;
  /** Changes to the configuration file object. */
  configure?(file: GatewayConfigFile): void;
  /** The gateway database URL (default: a temporary SQLite file); e.g. a PostgreSQL URL. */
  databaseUrl?: string;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), "gateway-test-"));
  const ownChain = options.chain === undefined;
  const chain = options.chain ?? (await startTestChain());
  const staffKeys: Record<string, Sm2KeyPair> = {};
  for (const id of Object.keys(STAFF)) staffKeys[id] = generateSm2KeyPair();

  const mirrorUrl = `file:${join(dir, "mirror.db")}`;
  const mirrorDb: MirrorDatabase = await openMirrorDatabase(mirrorUrl);
  const indexer: Indexer = createIndexer({
    prisma: mirrorDb.prisma,
    client: chain.publicClient,
    deployments: chain.deployments,
    pollIntervalMs: 50,
  });

  const file: GatewayConfigFile = {
    mode: "dev",
    listen: { host: "127.0.0.1", port: 0 },
    databaseUrl: options.databaseUrl ?? `file:${join(dir, "gateway.db")}`,
    mirrorDatabaseUrl: mirrorUrl,
    chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
    auth: { tokenSecret: "test secret of at least thirty-two bytes!!", domain: "gateway.test", uri: "https://gateway.test" },
    audit: { batchIntervalMs: 200 },
    institutions: [
      { address: INSTITUTIONS.healthAuthority, name: "District Health Commission", key: { devIndex: DEV.healthAuthority } },
      { address: INSTITUTIONS.hospital, name: "District People's Hospital", key: { devIndex: DEV.hospital } },
      { address: INSTITUTIONS.eqaCentre, name: "Clinical Laboratory Centre", key: { devIndex: DEV.eqaCentre } },
      { address: INSTITUTIONS.platform, name: "Regional Platform", key: { devIndex: DEV.platform } },
    ],
    relayer: INSTITUTIONS.platform,
    staff: Object.entries(STAFF).map(([id, s]) => ({
      id,
      institution: s.institution,
      name: id,
      roles: s.roles,
      sm2PublicKey: toHex((staffKeys[id] as Sm2KeyPair).publicKey),
    })),
    stores: {
      [INSTITUTIONS.hospital]: { kind: "fs", dir: join(dir, "store-hospital") },
      [INSTITUTIONS.healthAuthority]: { kind: "fs", dir: join(dir, "store-authority") },
    },
    rbacFile: resolve(import.meta.dirname, "..", "config", "rbac.json"),
    logLevel: "silent",
  };
  options.configure?.(file);
  const config = parseConfig(file, { baseDir: dir, source: "test" });
  const log = pino({ level: process.env.TEST_LOG ?? config.logLevel });
  const running = await createDeps(config, { log, metrics: createMetrics(), ...(options.clock ? { clock: options.clock } : {}) });
  const deps = running.deps;
  const app = createGateway(deps);

  const call: TestGateway["call"] = (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.json !== undefined) headers["content-type"] = "application/json";
    return Promise.resolve(app.request(path, { method, headers, ...(o.json !== undefined ? { body: JSON.stringify(o.json) } : {}) }));
  };

  const seconds: (() => Promise<void>)[] = [];

  const gateway: TestGateway = {
    chain,
    config,
    deps,
    app,
    staffKeys,
    async syncMirror() {
      await indexer.syncToTarget();
    },
    async signInStaff(staffId) {
      const challenge = (await (await call("POST", "/v1/auth/challenge", { json: { subject: staffId } })).json()) as { challengeId: string; message: string };
      const keys = staffKeys[staffId];
      if (!keys) throw new Error(`no staff ${staffId}`);
      const sessionKeys = generateSm2KeyPair();
      const res = await call("POST", "/v1/auth/sm2", {
        json: {
          challengeId: challenge.challengeId,
          staffId,
          signature: toHex(signSm2({ utf8: challenge.message }, keys.privateKey)),
          sessionPublicKey: toHex(sessionKeys.publicKey),
        },
      });
      if (res.status !== 200) throw new Error(`sign-in of ${staffId} failed: ${res.status} ${await res.text()}`);
      return { token: ((await res.json()) as { token: string }).token, sessionKeys };
    },
    async signInResident(accountOrIndex) {
      const account = typeof accountOrIndex === "number" ? devAccount(accountOrIndex) : accountOrIndex;
      const challenge = (await (await call("POST", "/v1/auth/challenge", { json: { subject: account.address } })).json()) as { message: string };
      const signature: Hex = await account.signMessage({ message: challenge.message });
      const sessionKeys = generateSm2KeyPair();
      const res = await call("POST", "/v1/auth/siwe", {
        json: { message: challenge.message, signature, sessionPublicKey: toHex(sessionKeys.publicKey) },
      });
      if (res.status !== 200) throw new Error(`sign-in of ${account.address} failed: ${res.status} ${await res.text()}`);
      return { token: ((await res.json()) as { token: string }).token, address: account.address, sessionKeys };
    },
    call,
    async secondInstance() {
      const other = await createDeps(config, { log, metrics: createMetrics(), migrate: false, chain: deps.chain, ...(options.clock ? { clock: options.clock } : {}) });
      seconds.push(() => other.close());
      return { app: createGateway(other.deps), deps: other.deps, close: () => other.close() };
    },
    async close() {
      for (const close of seconds) await close().catch(() => undefined);
      await running.close();
      await mirrorDb.close();
      if (ownChain) await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return gateway;
}

/** A clock the test moves. */
export function manualClock(start = new Date()): Clock & { advance(ms: number): void; set(d: Date): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
    set(d) {
      now = d.getTime();
    },
  };
}

/** JSON body of a response, typed loosely for assertions. */
/** Files under `dir` (0 when it does not exist): the objects of a store of originals. */
export async function countFiles(dir: string): Promise<number> {
  let n = 0;
  try {
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  } catch {
    return 0;
  }
  return n;
}

export async function body<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
