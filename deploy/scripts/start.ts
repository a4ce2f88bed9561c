// `npm start`: the embedded stack for developing and trying the platform: a local chain (chain-node in
// development mode) with the contract suite deployed, the mirror indexing it into SQLite, and the
// gateway serving the REST API with the development configuration (gateway/config/dev.json). Every
// start is fresh: the chain, the mirror's and the gateway's databases and the originals' stores
// under cache/ are recreated. Runs until Ctrl-C or SIGTERM, then stops everything.
//
//   CHAIN_RPC_PORT     port of the chain's JSON-RPC on 127.0.0.1 (default 8545)
//   GATEWAY_PORT       port of the gateway on 127.0.0.1 (default 8080)
//   MIRROR_METRICS_PORT port of the mirror's /metrics on 127.0.0.1 (default 9464)
//   DEPLOYMENTS_DIR    where the deployments file is written (default deploy/deployments)
//   HIS_PORT           port of the collection service's push endpoints on 127.0.0.1 (default 8090)
//   HIS_MLLP_PORT      port of its HL7 v2 MLLP listener on 127.0.0.1 (default 2575)
//   SEED_RESIDENTS     residents of the synthetic district seeded through the collection service (default 300)
//
// The EQA service (services/eqa) is seeded with its demonstration (`eqa seed`: labs, plans, round 1
// published with its documents anchored through the gateway, round 2 open for entry), then its
// worker runs (`eqa serve`, log cache/eqa.log); the gateway serves it under /v1/eqa.
//
// The research service (services/analytics) is seeded after the district (`analytics seed`: the
// research-export de-identification policy published, its topic databases built from the collected
// records under cache/topics), then its worker runs (`analytics serve`: topics rebuilt on their
// schedules, export packages anchored; log cache/analytics.log); the gateway serves it under /v1/research.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, relative, resolve } from "node:path";
import { CONTRACT_NAMES, deploymentsFile, type Deployments } from "./deployments.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HOST = "127.0.0.1";
const STOP_GRACE_MS = 10_000;
const RPC_WAIT_MS = 60_000;

const CHAIN_NODE_CLI = join(ROOT, "chain-node", "src", "cli.ts");
const MIRROR_CLI = join(ROOT, "mirror", "src", "cli.ts");
const GATEWAY_CLI = join(ROOT, "gateway", "src", "cli.ts");
const GATEWAY_DEV_CONFIG = join(ROOT, "gateway", "config", "dev.json");
const HIS_CLI = join(ROOT, "services", "his", "src", "cli.ts");
const HIS_DEV_CONFIG = join(ROOT, "services", "his", "config", "his.dev.json");
const EQA_CLI = join(ROOT, "services", "eqa", "src", "cli.ts");
const EQA_DEV_CONFIG = join(ROOT, "services", "eqa", "config", "eqa.dev.json");
const ANALYTICS_CLI = join(ROOT, "services", "analytics", "src", "cli.ts");
const ANALYTICS_DEV_CONFIG = join(ROOT, "services", "analytics", "config", "analytics.dev.json");

const hardhatCli = (() => {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("hardhat/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.hardhat!);
})();

/** A problem the user can fix; printed without a stack trace. */
class StartError extends Error {}

/** A running chain: its JSON-RPC URL, its log, and the promise of its exit. */
interface Chain {
  rpcUrl: string;
  logFile: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** Runs hardhat in its own process group, so that a Ctrl-C reaches only this script, which then stops it. */
function spawnHardhat(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawnCli(hardhatCli, args, env);
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}

async function assertPortFree(port: number, variable = "CHAIN_RPC_PORT"): Promise<void> {
  await new Promise<void>((done, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new StartError(`port ${port} on ${HOST} is already in use (another health chain?); stop it or set ${variable} to a free port`)
          : error,
      ),
    );
    probe.listen(port, HOST, () => probe.close(() => done()));
  });
}

async function rpc(url: string, method: string): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

function logTail(file: string): string {
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-15).join("\n");
}

/** Spawns a CLI (hardhat, chain-node, mirror, gateway) under this Node in its own process group. */
function spawnCli(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

const spawnChainNode = (args: string[]) => spawnCli(CHAIN_NODE_CLI, args);

/** A long-running component: its log file and the promise of its exit. */
interface Service {
  name: string;
  url: string;
  logFile: string;
  exited: Promise<number | null>;
}

/** Runs a CLI to completion (e.g. a migration), failing with its output; returns its stdout. */
async function runCli(what: string, cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawnCli(cli, args, env);
  let output = "";
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => ((output += chunk), (stdout += chunk)));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  if ((await exitOf(child)) !== 0) throw new StartError(`${what} failed:\n${output.trimEnd()}`);
  return stdout;
}

/** Starts a long-running CLI with its output in `logFile` and resolves once `ready()` holds. */
async function startService(name: string, url: string, cli: string, args: string[], env: NodeJS.ProcessEnv, ready: () => Promise<unknown>): Promise<Service> {
  const logFile = join(ROOT, "cache", `${name}.log`);
  const log = createWriteStream(logFile);
  // The stream opens (and truncates) asynchronously: wait for it, or a readiness check that reads
  // the log could find the previous run's lines there.
  await once(log, "open");
  const child = spawnCli(cli, args, env);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const service: Service = { name, url, logFile, exited: exitOf(child) };
  let exited = false;
  void service.exited.then(() => (exited = true));
  const deadline = Date.now() + RPC_WAIT_MS;
  for (;;) {
    if (exited) throw new StartError(`the ${name} stopped while starting; its log (${logFile}) ends:\n${logTail(logFile)}`);
    try {
      await ready();
      return service;
    } catch {
      if (Date.now() > deadline) throw new StartError(`the ${name} at ${url} did not answer within ${RPC_WAIT_MS / 1000} s; its log: ${logFile}`);
      await new Promise((wait) => setTimeout(wait, 250));
    }
  }
}

async function httpOk(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
}

function portFromEnv(name: string, fallback: number): number {
  const port = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`${name} must be a port number, not "${process.env[name]}"`);
  return port;
}

/** The mirror and the gateway over the fresh chain, each with fresh databases under cache/. */
async function startPlatform(chain: Chain, deploymentsDir: string): Promise<Service[]> {
  const gatewayPort = portFromEnv("GATEWAY_PORT", 8080);
  const metricsPort = portFromEnv("MIRROR_METRICS_PORT", 9464);
  await assertPortFree(gatewayPort, "GATEWAY_PORT");
  await assertPortFree(metricsPort, "MIRROR_METRICS_PORT");
  const cache = join(ROOT, "cache");
  // The chain is new: rows and originals of an earlier chain would describe blocks that no longer exist.
  for (const db of ["mirror.db", "gateway.db", "his.db", "platform.db", "eqa.db", "analytics.db"]) for (const suffix of ["", "-wal", "-shm"]) rmSync(join(cache, `${db}${suffix}`), { force: true });
  for (const dir of ["store-hospital", "store-authority", "store-platform", "topics"]) rmSync(join(cache, dir), { recursive: true, force: true });

  const mirrorEnv = {
    MIRROR_DATABASE_URL: `file:${join(cache, "mirror.db")}`,
    CHAIN_RPC_URL: chain.rpcUrl,
    DEPLOYMENTS_DIR: deploymentsDir,
    MIRROR_METRICS_PORT: String(metricsPort),
  };
  await runCli("migrating the mirror's database", MIRROR_CLI, ["migrate"], mirrorEnv);
  const metricsUrl = `http://${HOST}:${metricsPort}/metrics`;
  const mirror = await startService("mirror", metricsUrl, MIRROR_CLI, ["run"], mirrorEnv, () => httpOk(metricsUrl));

  const gatewayUrl = `http://${HOST}:${gatewayPort}`;
  const gateway = await startService(
    "gateway",
    gatewayUrl,
    GATEWAY_CLI,
    ["serve", "--config", GATEWAY_DEV_CONFIG],
    {
      GATEWAY_HOST: HOST,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_RPC_URL: chain.rpcUrl,
      GATEWAY_DEPLOYMENTS_DIR: deploymentsDir,
      GATEWAY_DATABASE_URL: `file:${join(cache, "gateway.db")}`,
      GATEWAY_MIRROR_DATABASE_URL: `file:${join(cache, "mirror.db")}`,
      GATEWAY_HIS_DATABASE_URL: `file:${join(cache, "his.db")}`,
      GATEWAY_EQA_DATABASE_URL: `file:${join(cache, "eqa.db")}`,
      GATEWAY_ANALYTICS_DATABASE_URL: `file:${join(cache, "analytics.db")}`,
      GATEWAY_ANALYTICS_TOPIC_DIR: join(cache, "topics"),
    },
    () => httpOk(`${gatewayUrl}/healthz`),
  );

  // The collection service: the synthetic district seeded through it (the regional platform's
  // intermediate database, its tasks, one T+1 run collected and anchored), then its process.
  const hisPort = portFromEnv("HIS_PORT", 8090);
  const mllpPort = portFromEnv("HIS_MLLP_PORT", 2575);
  await assertPortFree(hisPort, "HIS_PORT");
  await assertPortFree(mllpPort, "HIS_MLLP_PORT");
  const hisEnv = { HIS_DATABASE_URL: `file:${join(cache, "his.db")}`, HIS_PORT: String(hisPort), HIS_MLLP_PORT: String(mllpPort), HIS_GATEWAY_URL: gatewayUrl };
  const residents = process.env.SEED_RESIDENTS ?? "300";
  console.log(`seeding the synthetic district (${residents} residents) through the collection service, and the EQA demonstration ...`);
  // The EQA seed runs alongside: its own database, and its anchoring goes through the gateway's
  // queue of chain writes like the collection service's.
  // The QR codes on the demo's PDFs point at this gateway's verification route, whatever its port.
  const eqaEnv = { EQA_DATABASE_URL: `file:${join(cache, "eqa.db")}`, EQA_GATEWAY_URL: gatewayUrl, EQA_VERIFY_BASE_URL: `${gatewayUrl}/v1/eqa/verify` };
  const [, eqaSeed] = await Promise.all([
    runCli("seeding the synthetic district", HIS_CLI, ["seed", "--config", HIS_DEV_CONFIG, "--source-url", `file:${join(cache, "platform.db")}`, "--residents", residents], hisEnv),
    timed(() => runCli("seeding the EQA demonstration", EQA_CLI, ["seed", "--config", EQA_DEV_CONFIG], eqaEnv)),
  ]);
  eqaDemo = { ...(JSON.parse(eqaSeed.value) as EqaSeedSummary), seconds: eqaSeed.seconds };
  const hisUrl = `http://${HOST}:${hisPort}`;
  const his = await startService("his", hisUrl, HIS_CLI, ["serve", "--config", HIS_DEV_CONFIG], hisEnv, () => httpOk(`${hisUrl}/healthz`));
  // The worker has no port: it is up once it logs that it started.
  const eqaLog = join(cache, "eqa.log");
  const eqa = await startService("eqa", `${gatewayUrl}/v1/eqa`, EQA_CLI, ["serve", "--config", EQA_DEV_CONFIG], eqaEnv, async () => {
    if (!readFileSync(eqaLog, "utf8").includes('"worker started"')) throw new Error("not yet started");
  });
  // The research service works on what the district's seeding collected.
  const analyticsEnv = {
    ANALYTICS_DATABASE_URL: `file:${join(cache, "analytics.db")}`,
    ANALYTICS_HIS_DATABASE_URL: `file:${join(cache, "his.db")}`,
    ANALYTICS_TOPIC_DIR: join(cache, "topics"),
    ANALYTICS_GATEWAY_URL: gatewayUrl,
  };
  const analyticsSeed = await timed(() => runCli("seeding the research service", ANALYTICS_CLI, ["seed", "--config", ANALYTICS_DEV_CONFIG], analyticsEnv));
  analyticsDemo = { ...(JSON.parse(analyticsSeed.value) as AnalyticsSeedSummary), seconds: analyticsSeed.seconds };
  const analyticsLog = join(cache, "analytics.log");
  const analytics = await startService("analytics", `${gatewayUrl}/v1/research`, ANALYTICS_CLI, ["serve", "--config", ANALYTICS_DEV_CONFIG], analyticsEnv, async () => {
    if (!readFileSync(analyticsLog, "utf8").includes('"analytics worker started"')) throw new Error("not yet started");
  });
  return [mirror, gateway, his, eqa, analytics];
}

/** What `analytics seed` printed. */
interface AnalyticsSeedSummary {
  policy: { name: string; version: number };
  topics: { topic: string; status: string; version: number }[];
}

let analyticsDemo: (AnalyticsSeedSummary & { seconds: number }) | undefined;

/** What `eqa seed` printed (the part start.ts shows). */
interface EqaSeedSummary {
  rounds: { code: string; status: string; enrolled: number; submitted: number }[];
  labs: { created: string[]; existing: string[] };
  documents: { byStatus: Record<string, number> };
}

let eqaDemo: (EqaSeedSummary & { seconds: number }) | undefined;

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/**
 * Starts the development chain (a chain-node in development mode, fresh data directory under
 * cache/) on 127.0.0.1:port and resolves once its JSON-RPC answers.
 */
async function startChain(port: number): Promise<Chain> {
  await assertPortFree(port);
  const dir = join(ROOT, "cache", `chain-node-${port}`);
  rmSync(dir, { recursive: true, force: true });
  const init = spawnChainNode(["init", "--dev", "--dir", dir, "--http-port", String(port), "--http-host", HOST]);
  let initOutput = "";
  init.stdout!.on("data", (chunk: Buffer) => (initOutput += chunk));
  init.stderr!.on("data", (chunk: Buffer) => (initOutput += chunk));
  if ((await exitOf(init)) !== 0) throw new StartError(`preparing the chain's directory failed:\n${initOutput.trimEnd()}`);

  const logFile = join(dir, "chain.log");
  const log = createWriteStream(logFile);
  const child = spawnChainNode(["run", "--config", join(dir, "config.json")]);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const chain: Chain = { rpcUrl: `http://${HOST}:${port}`, logFile, process: child, exited: exitOf(child) };

  const deadline = Date.now() + RPC_WAIT_MS;
  let exited = false;
  void chain.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new StartError(`the chain stopped while starting; its log (${logFile}) ends:\n${logTail(logFile)}`);
    try {
      await rpc(chain.rpcUrl, "eth_chainId");
      return chain;
    } catch {
      if (Date.now() > deadline) throw new StartError(`the chain's JSON-RPC at ${chain.rpcUrl} did not answer within ${RPC_WAIT_MS / 1000} s`);
      await new Promise((wait) => setTimeout(wait, 250));
    }
  }
}

/** Deploys the contract suite with deploy/scripts/deploy.ts and returns the deployments file. */
async function deployContracts(chain: Chain): Promise<Deployments> {
  const chainId = Number(await rpc(chain.rpcUrl, "eth_chainId"));
  // localhost: the development mnemonic signs locally (the node holds no keys).
  const child = spawnHardhat(["run", "--network", "localhost", "deploy/scripts/deploy.ts"], {
    CHAIN_RPC_URL: chain.rpcUrl,
    // The chain starts empty every time: an Ignition journal of an earlier run is stale.
    DEPLOY_RESET: "1",
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const code = await exitOf(child);
  if (code !== 0) throw new StartError(`deploying the contracts failed:\n${output.trimEnd()}`);
  return JSON.parse(readFileSync(deploymentsFile(chainId, ROOT), "utf8")) as Deployments;
}

function printSummary(chain: Chain, deployments: Deployments, services: Service[]): void {
  const file = deploymentsFile(deployments.chainId, ROOT);
  const show = (path: string) => (relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path));
  const lines = [
    "",
    "Health chain is running",
    "",
    `  chain id          ${deployments.chainId}`,
    `  RPC URL           ${chain.rpcUrl}`,
    `  deployments file  ${show(file)}`,
    `  chain log         ${show(chain.logFile)}`,
    ...services.flatMap((service) =>
      service.name === "gateway"
        ? [`  gateway           ${service.url}`, `  API docs          ${service.url}/docs`, `  gateway log       ${show(service.logFile)}`]
        : service.name === "his"
          ? [`  collection (his)  ${service.url}`, `  FHIR R4 push      ${service.url}/fhir/his-fhir`, `  HL7 v2 (MLLP)     ${HOST}:${process.env.HIS_MLLP_PORT ?? 2575} (task his-lis-oru)`, `  his log           ${show(service.logFile)}`]
          : service.name === "eqa"
            ? [
                `  EQA service       ${service.url}`,
                ...(eqaDemo
                  ? [
                      `  EQA demo rounds   ${eqaDemo.rounds.map((r) => `${r.code} (${r.status}, ${r.submitted}/${r.enrolled} submitted)`).join(", ")}`,
                      `  EQA demo          ${eqaDemo.labs.created.length + eqaDemo.labs.existing.length} labs, ${eqaDemo.documents.byStatus.anchored ?? 0} documents anchored; seeded in ${eqaDemo.seconds.toFixed(1)} s`,
                    ]
                  : []),
                `  EQA database      ${show(join(ROOT, "cache", "eqa.db"))}`,
                `  EQA worker log    ${show(service.logFile)}`,
              ]
            : service.name === "analytics"
              ? [
                  `  research service  ${service.url}`,
                  ...(analyticsDemo ? [`  topic databases   ${analyticsDemo.topics.map((t) => `${t.topic} v${t.version}`).join(", ")}; seeded in ${analyticsDemo.seconds.toFixed(1)} s`] : []),
                  `  analytics log     ${show(service.logFile)}`,
                ]
              : [`  mirror metrics    ${service.url}`, `  mirror log        ${show(service.logFile)}`],
    ),
    "",
    `  ${"contract".padEnd(20)}  ${"address".padEnd(42)}  block`,
    ...CONTRACT_NAMES.map((name) => {
      const { address, blockNumber } = deployments.contracts[name];
      return `  ${name.padEnd(20)}  ${address}  ${blockNumber}`;
    }),
    "",
    "Press Ctrl-C to stop.",
  ];
  console.log(lines.join("\n"));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = exitOf(child);
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

let stopping = false;

async function shutdown(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (children.size > 0) {
    console.log("\nstopping the EQA worker, the collection service, the gateway, the mirror and the chain ...");
    await Promise.all([...children].map(stopProcess));
    console.log("stopped");
  }
  process.exit(exitCode);
}

async function main(): Promise<void> {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));

  const port = Number(process.env.CHAIN_RPC_PORT ?? 8545);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`CHAIN_RPC_PORT must be a port number, not "${process.env.CHAIN_RPC_PORT}"`);

  console.log(`starting the chain on ${HOST}:${port} ...`);
  const chain = await startChain(port);
  console.log("deploying the contracts ...");
  const deployments = await deployContracts(chain);
  console.log("starting the mirror and the gateway ...");
  const services = await startPlatform(chain, dirname(deploymentsFile(deployments.chainId, ROOT)));
  printSummary(chain, deployments, services);

  const stopped = await Promise.race([
    chain.exited.then((code) => ({ name: "chain", code, logFile: chain.logFile })),
    ...services.map((service) => service.exited.then((code) => ({ name: service.name, code, logFile: service.logFile }))),
  ]);
  if (!stopping) {
    console.error(`the ${stopped.name} stopped unexpectedly (exit code ${stopped.code}); its log (${stopped.logFile}) ends:\n${logTail(stopped.logFile)}`);
    await shutdown(1);
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof StartError ? error.message : error);
  await shutdown(1);
});
