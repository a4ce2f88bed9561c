// Process plumbing of the gateway benchmark: spawning the mirror, the gateway and the load generators
// as processes of their own, stopping them, and measuring the CPU each used (from /proc) so the output
// can say where the two cores went.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type { LoadJob, LoadResult } from "./load.ts";
import type { OpenLoopJob, OpenLoopResult } from "./open-loop.ts";

export const ROOT = resolve(import.meta.dirname, "../../..");
const HOST = "127.0.0.1";
const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * Whether gateway/src/server.ts starts the access-evidence batcher itself; until it does, the
 * benchmark's server entry starts it next to the server, as a deployment runs it.
 */
export const SERVER_STARTS_BATCHER = /EvidenceBatcher/.test(readFileSync(join(ROOT, "gateway/src/server.ts"), "utf8"));

const children = new Set<ChildProcess>();

/** Kills every child still running (on exit of the benchmark, however it ends). */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await done;
  clearTimeout(timer);
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export interface MirrorProcess {
  child: ChildProcess;
  logFile: string;
}

/** `mirror run` (mirror/src/cli.ts) on its own process, its output in `logFile`. */
export function startMirror(options: { databaseUrl: string; rpcUrl: string; deploymentsDir: string; pollIntervalMs: number; logFile: string }): MirrorProcess {
  const log = openSync(options.logFile, "a");
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "mirror/src/cli.ts"),
      "run",
      "--database-url",
      options.databaseUrl,
      "--rpc-url",
      options.rpcUrl,
      "--deployments-dir",
      options.deploymentsDir,
      "--poll-interval-ms",
      String(options.pollIntervalMs),
      "--log-level",
      "warn",
    ],
    { cwd: ROOT, stdio: ["ignore", log, log], env: { ...process.env, MIRROR_METRICS_PORT: "off" } },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  return { child, logFile: options.logFile };
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** The processes serving requests (one, or the cluster's workers). */
  servingPids: number[];
  /** Every process of the gateway (with a cluster's primary). */
  allPids: number[];
  logFile: string;
}

/** test/bench/gateway/server.ts with a configuration file, `workers` processes; resolves when they listen. */
export async function startGatewayProcess(options: { configFile: string; workers: number; logFile: string; execArgv?: string[] }): Promise<GatewayProcess> {
  const log = openSync(options.logFile, "a");
  const child = fork(join(import.meta.dirname, "server.ts"), [options.configFile, String(options.workers)], {
    cwd: ROOT,
    stdio: ["ignore", log, log, "ipc"],
    execArgv: options.execArgv ?? [],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const ready = await new Promise<{ listening: string; pids: number[] }>((done, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not listen within 60 s; ${options.logFile} ends:\n${tail(options.logFile)}`)), 60_000);
    child.on("message", (message: { listening?: string; pids?: number[] }) => {
      if (message.listening && message.pids) {
        clearTimeout(timer);
        done({ listening: message.listening, pids: message.pids });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} while starting; ${options.logFile} ends:\n${tail(options.logFile)}`));
    });
  });
  const allPids = options.workers > 1 ? [child.pid!, ...ready.pids] : ready.pids;
  return { child, url: ready.listening, servingPids: ready.pids, allPids, logFile: options.logFile };
}

/**
 * Starts (`{ profile: "start" }`) or stops (`{ profile: "stop", dir }`) the CPU profiler of every
 * serving gateway process; a stop resolves with the profile files written.
 */
export function gatewayProfiler(gateway: GatewayProcess, message: { profile: "start" } | { profile: "stop"; dir: string }): Promise<string[]> {
  return new Promise((done) => {
    const on = (reply: { profiling?: boolean; profiled?: string[] }) => {
      if (!reply.profiling && !reply.profiled) return;
      gateway.child.off("message", on);
      done(reply.profiled ?? []);
    };
    gateway.child.on("message", on);
    gateway.child.send(message);
  });
}

/** Runs one load job in a forked load generator (test/bench/gateway/load.ts). */
export async function runLoad(job: LoadJob, onStart?: (pid: number) => void): Promise<LoadResult> {
  // --no-warnings: autocannon's TimeoutNegativeWarning (its timers running late) is reported as the
  // load generator's event-loop lag instead.
  const child = fork(join(import.meta.dirname, "load.ts"), [], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: ["--no-warnings"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  onStart?.(child.pid!);
  return new Promise((done, reject) => {
    child.once("message", (message: { result?: LoadResult; error?: string }) => {
      if (message.result) done(message.result);
      else reject(new Error(`load generator failed: ${message.error}`));
    });
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(job);
  });
}

/**
 * Runs one open-loop job in a forked load generator (test/bench/gateway/open-loop.ts); `onWindow` is
 * called when its measured window opens and closes (after its warm-up, before it drains).
 */
export async function runOpenLoopProcess(job: OpenLoopJob, onWindow: (edge: "start" | "end") => void | Promise<void>): Promise<OpenLoopResult> {
  const child = fork(join(import.meta.dirname, "open-loop.ts"), [], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  // The window's callbacks may be asynchronous (a scrape of the gateway): the result waits for them.
  let edges: Promise<void> = Promise.resolve();
  return new Promise((done, reject) => {
    child.on("message", (message: { window?: "start" | "end"; result?: OpenLoopResult; error?: string }) => {
      if (message.window) {
        const edge = message.window;
        edges = edges.then(() => onWindow(edge));
      } else if (message.result) {
        const result = message.result;
        edges.then(() => done(result), reject);
      } else if (message.error) reject(new Error(`open-loop load generator failed: ${message.error}`));
    });
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`open-loop load generator exited with ${code}`));
    });
    child.send(job);
  });
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting
// ---------------------------------------------------------------------------------------------------------

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The children of `parent` whose command line contains every one of `parts`. */
export function childPids(parent: number, parts: readonly string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== parent) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (parts.every((p) => cmdline.includes(p))) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

function machineBusySeconds(): { busy: number; all: number } {
  return cpus().reduce(
    (sum, cpu) => {
      const t = cpu.times;
      const busy = t.user + t.nice + t.sys + t.irq;
      return { busy: sum.busy + busy / 1000, all: sum.all + (busy + t.idle) / 1000 };
    },
    { busy: 0, all: 0 },
  );
}

/** A CPU meter over named groups of processes; `stop()` gives the cores each group used meanwhile. */
export function cpuMeter(groups: Record<string, () => number[]>): { stop(): { cores: Record<string, number>; others: number; seconds: number } } {
  const start = performance.now();
  const startMachine = machineBusySeconds();
  const startOwn = process.cpuUsage();
  const startBy: Record<string, Map<number, number>> = {};
  for (const [name, pids] of Object.entries(groups)) startBy[name] = new Map(pids().map((pid) => [pid, cpuSecondsOf(pid)]));
  return {
    stop() {
      const seconds = (performance.now() - start) / 1000;
      const cores: Record<string, number> = {};
      let known = 0;
      for (const [name, pids] of Object.entries(groups)) {
        let used = 0;
        for (const pid of pids()) used += cpuSecondsOf(pid) - (startBy[name]!.get(pid) ?? 0);
        cores[name] = used / seconds;
        known += used;
      }
      const own = process.cpuUsage(startOwn);
      const ownSeconds = (own.user + own.system) / 1e6;
      cores.benchmark = ownSeconds / seconds;
      known += ownSeconds;
      const machine = machineBusySeconds();
      const others = Math.max(0, machine.busy - startMachine.busy - known) / seconds;
      return { cores, others, seconds };
    },
  };
}
