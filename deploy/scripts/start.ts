// `npm start`: a local chain (chain-node in development mode) with the contract suite deployed, for
// developing and trying the other components. Runs until Ctrl-C or SIGTERM, then stops the chain.
//
//   CHAIN_RPC_PORT   port of the chain's JSON-RPC on 127.0.0.1 (default 8545)
//   DEPLOYMENTS_DIR  where the deployments file is written (default deploy/deployments)
import { spawn, type ChildProcess } from "node:child_process";
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
  const child = spawn(process.execPath, [hardhatCli, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((done, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new StartError(`port ${port} on ${HOST} is already in use (another chain?); stop it or set CHAIN_RPC_PORT to a free port`)
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

/** Spawns chain-node's CLI in its own process group, like hardhat. */
function spawnChainNode(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CHAIN_NODE_CLI, ...args], {
    cwd: ROOT,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
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

function printSummary(chain: Chain, deployments: Deployments): void {
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
    console.log("\nstopping the chain ...");
    await Promise.all([...children].map(stopProcess));
    console.log("chain stopped");
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
  printSummary(chain, deployments);

  const code = await chain.exited;
  if (!stopping) {
    console.error(`the chain stopped unexpectedly (exit code ${code}); its log (${chain.logFile}) ends:\n${logTail(chain.logFile)}`);
    await shutdown(1);
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof StartError ? error.message : error);
  await shutdown(1);
});
