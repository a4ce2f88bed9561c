// Running the gateway: build its dependencies from the configuration (migrating its database first,
// loading the registry of institutions and staff into it), serve it on Node, stop gracefully.
// The process keeps no state of its own besides its database, so several can serve behind a load
// balancer on one database.
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { ServerOptions } from "node:http";
import { createAdaptorServer, type ServerType } from "@hono/node-server";
import { pino, type Logger } from "pino";
import type { Address } from "viem";
import { createFsStore, createInstitutionStore, createKuboStore, createDevKeyring, keyringFromKeyFile, type InstitutionStore } from "@health-chain/store";
import { platformError } from "@health-chain/sdk";
import { openMirrorDatabase } from "../../mirror/src/database.ts";
import { createMirrorQueries } from "../../mirror/src/queries.ts";
import { migrateHisDatabase, openHisDatabase } from "../../services/his/src/db.ts";
import { migrateEqaDatabase, openEqaDatabase } from "../../services/eqa/src/db.ts";
import { migrateAnalyticsDatabase, openAnalyticsDatabase } from "../../services/analytics/src/db.ts";
import { researchSecrets } from "./research/secrets.ts";
import { createGateway } from "./app.ts";
import { closeHttpServer } from "./http-close.ts";
import { createChainAccess, type ChainAccess } from "./chain.ts";
import { startEvidenceBatcher } from "./evidence/index.ts";
import type { GatewayConfig } from "./config.ts";
import { systemClock, type Clock, type GatewayDeps } from "./context.ts";
import { migrateGatewayDatabase, openGatewayDatabase, type GatewayDb } from "./db.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { loadRbac } from "./middleware/rbac.ts";

/** The listen backlog (pending connections the kernel queues before the process accepts them). */
export const LISTEN_BACKLOG = 2048;

/**
 * Node's HTTP server settings. Keep-alive longer than the load balancers' and clients' idle timeouts
 * (typically 60 s), so that the server never closes a kept-alive connection just as a client sends on
 * it (Node's default 5 s makes clients of a busy gateway see resets); headers within 66 s (must be
 * above keepAliveTimeout) and a whole request within 120 s; Nagle off.
 */
export const HTTP_SERVER_OPTIONS: ServerOptions = {
  keepAliveTimeout: 65_000,
  headersTimeout: 66_000,
  requestTimeout: 120_000,
  noDelay: true,
};

export interface StartGatewayOptions extends CreateDepsOptions {
  /** Run the access-evidence batcher in this process (default true; several processes may all run it). */
  evidenceBatcher?: boolean;
}

export interface CreateDepsOptions {
  clock?: Clock;
  log?: Logger;
  metrics?: GatewayMetrics;
  /** Use this chain access instead of connecting (tests). */
  chain?: ChainAccess;
  /** Skip migrating the gateway database (another process did). */
  migrate?: boolean;
}

export interface RunningDeps {
  deps: GatewayDeps;
  close(): Promise<void>;
}

/** Writes the configured institutions and staff into the gateway database (upsert), for joins and reports. */
export async function syncRegistry(db: GatewayDb, config: GatewayConfig): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const inst of config.institutions) {
      const roles = JSON.stringify([...new Set(config.staff.filter((s) => s.institution === inst.address).flatMap((s) => s.roles))].sort());
      await tx.institution.upsert({
        where: { address: inst.address },
        create: { address: inst.address, name: inst.name, systemRolesJson: roles },
        update: { name: inst.name, systemRolesJson: roles },
      });
    }
    const ids = config.staff.map((s) => s.id);
    for (const s of config.staff) {
      const data = { institution: s.institution, name: s.name, rolesJson: JSON.stringify(s.roles), sm2PublicKey: s.sm2PublicKey, active: true };
      await tx.staff.upsert({ where: { id: s.id }, create: { id: s.id, ...data }, update: data });
    }
    await tx.staff.updateMany({ where: { id: { notIn: ids } }, data: { active: false } });
  });
}

async function openStores(config: GatewayConfig): Promise<Map<Address, InstitutionStore>> {
  const stores = new Map<Address, InstitutionStore>();
  for (const [institution, store] of Object.entries(config.stores) as [Address, GatewayConfig["stores"][Address]][]) {
    let keyring;
    if (store.keyFile !== undefined) keyring = keyringFromKeyFile(JSON.parse(await readFile(store.keyFile, "utf8")));
    else if (config.mode === "dev") keyring = createDevKeyring(institution);
    else {
      throw platformError("INVALID_INPUT", {
        message: `The store of ${institution} has no keyFile (required outside dev mode).`,
        messageZh: `机构 ${institution} 的存储未配置 keyFile（非开发模式必须配置）。`,
        details: { institution },
      });
    }
    const content = store.kind === "fs" ? createFsStore(store.dir) : createKuboStore({ url: store.url });
    stores.set(institution, createInstitutionStore({ institution, keyring, content }));
  }
  return stores;
}

/** Builds the gateway's dependencies from its configuration. */
export async function createDeps(config: GatewayConfig, options: CreateDepsOptions = {}): Promise<RunningDeps> {
  const log = options.log ?? pino({ level: config.logLevel, base: { component: "gateway" } });
  const rbac = loadRbac(config.rbacFile);
  if (options.migrate !== false) {
    const applied = await migrateGatewayDatabase(config.databaseUrl);
    if (applied.length > 0) log.info({ applied }, "gateway database migrated");
  }
  const database = openGatewayDatabase(config.databaseUrl);
  const closers: (() => Promise<void>)[] = [() => database.close()];
  try {
    await syncRegistry(database.prisma, config);
    const metrics = options.metrics ?? createMetrics({ defaultMetrics: true });
    const chain = options.chain ?? (await createChainAccess(config, { metrics }));
    // The mirror's process owns its database and migrations; the gateway only reads it (in dev mode
    // it migrates it too, so that it can start before the mirror).
    const mirrorDb = await openMirrorDatabase(config.mirrorDatabaseUrl, { migrate: config.mode === "dev" });
    closers.push(() => mirrorDb.close());
    const mirror = createMirrorQueries(mirrorDb, { chainHead: () => chain.publicClient.getBlockNumber() });
    // Likewise the collection service owns its database; in dev mode the gateway migrates it so that
    // the admin screens work before the service first ran.
    let his: GatewayDeps["his"];
    if (config.his) {
      if (config.mode === "dev") await migrateHisDatabase(config.his.databaseUrl);
      const hisDb = openHisDatabase(config.his.databaseUrl);
      closers.push(() => hisDb.close());
      his = hisDb.prisma;
    }
    let eqa: GatewayDeps["eqa"];
    if (config.eqa) {
      if (config.mode === "dev") await migrateEqaDatabase(config.eqa.databaseUrl);
      const eqaDb = openEqaDatabase(config.eqa.databaseUrl);
      closers.push(() => eqaDb.close());
      eqa = eqaDb.prisma;
    }
    // The research service's database is the analytics service's; the gateway keeps its requests,
    // exports and packages there, and in dev mode migrates it so /v1/research works at once.
    let research: GatewayDeps["research"];
    if (config.analytics) {
      if (config.mode === "dev") await migrateAnalyticsDatabase(config.analytics.databaseUrl);
      const analyticsDb = openAnalyticsDatabase(config.analytics.databaseUrl);
      closers.push(() => analyticsDb.close());
      research = {
        db: analyticsDb.prisma,
        topicDirectory: config.analytics.topicDirectory,
        topic: config.analytics.topic,
        ...researchSecrets(config.mode, process.env, log),
      };
    }
    const stores = await openStores(config);
    const deps: GatewayDeps = {
      config,
      db: database.prisma,
      sql: database.sql,
      mirror,
      chain,
      stores,
      rbac,
      ...(his ? { his } : {}),
      ...(eqa ? { eqa } : {}),
      ...(research ? { research } : {}),
      clock: options.clock ?? systemClock,
      log,
      metrics,
    };
    return {
      deps,
      async close() {
        for (const close of closers.reverse()) await close().catch((err: unknown) => log.warn({ err }, "closing"));
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

export interface RunningGateway {
  url: string;
  server: ServerType;
  deps: GatewayDeps;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), closes the databases. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the HTTP server of a configuration. */
export async function startGateway(config: GatewayConfig, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const running = await createDeps(config, options);
  const app = createGateway(running.deps);
  const batcher = options.evidenceBatcher === false ? undefined : startEvidenceBatcher(running.deps);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.listen.host, serverOptions: HTTP_SERVER_OPTIONS });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A listen backlog larger than Node's default (511): a burst of new connections (hundreds of
    // clients connecting at once while the event loop is busy) otherwise overflows the accept queue,
    // and the kernel drops the handshakes, which the clients retry only after 1, 3, 7… s — requests
    // that never reach a handler and time out at the client. (The kernel caps it at somaxconn.)
    server.listen({ host: config.listen.host, port: config.listen.port, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  running.deps.log.info({ url, chainId: running.deps.chain.chainId }, "gateway listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    deps: running.deps,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await closeHttpServer(server, graceMs);
        // Lines written by the last requests are anchored by the next run of any process, or now.
        await batcher?.stop();
        await running.close();
      })();
      return closing;
    },
  };
}
