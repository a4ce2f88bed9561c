// The load generator of the gateway benchmark, in a process of its own so that it never shares the
// gateway's event loop: the benchmark forks this file, sends one `LoadJob` over IPC, and gets one
// `LoadResult` back. autocannon drives `connections` keep-alive connections for `durationSec`; every
// request takes the next entry of `requests` (a global counter, so the ids rotate across
// connections as well as over time).
import { monitorEventLoopDelay } from "node:perf_hooks";
import autocannon from "autocannon";

/** One HTTP request of the rotation. */
export interface LoadRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly timeoutSec: number;
  readonly requests: readonly LoadRequest[];
}

export interface LoadResult {
  readonly durationSec: number;
  readonly connections: number;
  /** Responses received (any status). */
  readonly responses: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  /** Connection errors and timeouts (no response). */
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** 2xx responses per second of the measured duration. */
  readonly okPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  /** Distinct request entries the rotation went through (at most `requests.length`). */
  readonly distinctRequests: number;
  /** CPU the load generator itself used, in cores. */
  readonly clientCores: number;
  /**
   * How late the load generator's own event loop ran (p99 and max, ms): when the machine starves it,
   * answers wait unread in its sockets and count as latency (or as timeouts) that the gateway did not cause.
   */
  readonly clientLagMs: { readonly p99: number; readonly max: number };
}

function run(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url);
  let next = 0;
  const list = job.requests;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationSec,
        timeout: job.timeoutSec,
        pipelining: 1,
        requests: [
          {
            setupRequest: (request) => {
              const r = list[next++ % list.length]!;
              return {
                ...request,
                method: r.method,
                path: r.path,
                headers: { host: target.host, ...r.headers },
                ...(r.body !== undefined ? { body: r.body } : {}),
              };
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const usage = process.cpuUsage(cpuStart);
        const wallMs = performance.now() - wallStart;
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
        const responses = Object.values(statusCodes).reduce((a, b) => a + b, 0);
        const ok2xx = result["2xx"];
        const durationSec = result.duration;
        resolve({
          durationSec,
          connections: result.connections,
          responses,
          ok2xx,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          okPerSecond: ok2xx / durationSec,
          latencyMs: {
            p50: result.latency.p50,
            p90: result.latency.p90,
            p99: result.latency.p99,
            max: result.latency.max,
            mean: result.latency.average,
          },
          distinctRequests: Math.min(next, list.length),
          clientCores: (usage.user + usage.system) / 1000 / wallMs,
          clientLagMs: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
        });
        lag.disable();
      },
    );
  });
}

if (import.meta.main) {
  process.once("message", (job: LoadJob) => {
    run(job).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }, () => process.exit(1)),
    );
  });
}
