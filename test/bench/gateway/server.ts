// The gateway under test, as its own process (or processes): the benchmark forks this file with the
// path of a gateway configuration file and the number of processes.
//
//   node test/bench/gateway/server.ts <config.json> [workers]
//
// One worker: the gateway's own `startGateway` in this process. Several: a node:cluster primary that
// migrates the database once, then forks that many workers, each running `startGateway` on the same
// configuration (same port: the primary hands out connections round robin; same databases: the
// gateway keeps no other state). When every worker listens, the process sends
// `{ listening: url, pids: [...] }` to its parent over IPC. SIGTERM stops the workers gracefully.
//
// CPU profiles of a measured run only: `{ profile: "start" }` over IPC starts the V8 sampling
// profiler in every serving process (node:inspector), `{ profile: "stop", dir }` stops it, writes
// `<dir>/gateway-<pid>.cpuprofile` per process and answers `{ profiled: [files] }`.
import cluster from "node:cluster";
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { loadConfig } from "../../../gateway/src/config.ts";
import { migrateGatewayDatabase } from "../../../gateway/src/db.ts";
import { startGateway, type RunningGateway } from "../../../gateway/src/server.ts";
import { startEvidenceBatcher } from "../../../gateway/src/evidence/index.ts";
import { SERVER_STARTS_BATCHER } from "./processes.ts";

interface Ready {
  listening: string;
  pids: number[];
}

type ProfileMessage = { profile: "start" } | { profile: "stop"; dir: string };

async function worker(configFile: string, migrate: boolean): Promise<{ url: string; stop(): Promise<void> }> {
  const config = loadConfig(configFile, {});
  const gateway: RunningGateway = await startGateway(config, { migrate });
  const batcher = SERVER_STARTS_BATCHER ? undefined : startEvidenceBatcher(gateway.deps);
  return {
    url: gateway.url,
    async stop() {
      await batcher?.stop();
      await gateway.close(5_000);
    },
  };
}

/** The profiler of this process: start, then stop into a file. */
function profiler(): (message: ProfileMessage) => Promise<string | undefined> {
  let session: Session | undefined;
  return async (message) => {
    if (message.profile === "start") {
      session = new Session();
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
      return undefined;
    }
    if (!session) return undefined;
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    session = undefined;
    const file = join(message.dir, `gateway-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return file;
  };
}

async function main(): Promise<void> {
  const configFile = process.argv[2];
  const workers = Number(process.argv[3] ?? "1");
  if (!configFile || !Number.isInteger(workers) || workers < 1) throw new Error("usage: server.ts <config.json> [workers]");

  if (workers === 1) {
    const running = await worker(configFile, true);
    const stop = () => {
      void running.stop().finally(() => process.exit(0));
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    const profile = profiler();
    process.on("message", (message: ProfileMessage) => {
      void profile(message).then((file) => process.send?.(message.profile === "start" ? { profiling: true } : { profiled: file ? [file] : [] }));
    });
    process.send?.({ listening: running.url, pids: [process.pid] } satisfies Ready);
    return;
  }

  if (cluster.isPrimary) {
    const config = loadConfig(configFile, {});
    await migrateGatewayDatabase(config.databaseUrl);
    cluster.setupPrimary({ execArgv: process.execArgv, args: [configFile, String(workers)] });
    const urls: string[] = [];
    const pids: number[] = [];
    let stopping = false;
    let answers: { files: string[]; left: number; kind: "start" | "stop" } | undefined;
    for (let i = 0; i < workers; i++) {
      const child = cluster.fork();
      child.on("message", (message: { listening?: string; profiling?: boolean; profiled?: string[] }) => {
        if (message.listening && child.process.pid !== undefined) {
          urls.push(message.listening);
          pids.push(child.process.pid);
          if (urls.length === workers) process.send?.({ listening: urls[0]!, pids } satisfies Ready);
        }
        if ((message.profiling || message.profiled) && answers) {
          answers.files.push(...(message.profiled ?? []));
          if (--answers.left === 0) {
            process.send?.(answers.kind === "start" ? { profiling: true } : { profiled: answers.files });
            answers = undefined;
          }
        }
      });
      child.on("exit", (code) => {
        if (!stopping) {
          console.error(`gateway worker ${child.process.pid} exited with ${code}`);
          process.exit(1);
        }
      });
    }
    process.on("message", (message: ProfileMessage) => {
      answers = { files: [], left: workers, kind: message.profile };
      for (const w of Object.values(cluster.workers ?? {})) w?.send(message);
    });
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
      setInterval(() => {
        if (!Object.values(cluster.workers ?? {}).some((w) => w && !w.isDead())) process.exit(0);
      }, 50);
      setTimeout(() => process.exit(0), 15_000).unref();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return;
  }

  const running = await worker(configFile, false);
  const stop = () => {
    void running.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", () => undefined); // the primary decides
  const profile = profiler();
  process.on("message", (message: ProfileMessage) => {
    void profile(message).then((file) => process.send?.(message.profile === "start" ? { profiling: true } : { profiled: file ? [file] : [] }));
  });
  process.send?.({ listening: running.url });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : String(error));
  process.exit(1);
});
