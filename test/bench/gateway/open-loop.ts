// The open-loop load generator of the gateway benchmark, in a process of its own like load.ts: the
// benchmark forks this file, sends one `OpenLoopJob` over IPC, gets `{ window: "start" }` and
// `{ window: "end" }` when the measured window opens and closes, then one `OpenLoopResult`.
//
// `clients` simulated people, each with a keep-alive connection of their own (an http.Agent with one
// socket) and at most one request in flight, together offer `rate` requests/s: client i sends on a
// fixed schedule, every `clients / rate` seconds from a random phase (a seeded PRNG, so runs are
// reproducible) in the first interval. The load offered does not depend on how fast the gateway
// answers (an open loop), unlike autocannon's closed loop where each connection sends its next
// request as soon as its previous answer arrives. When an answer comes late the client's next
// request waits for it, and its latency still counts from its *scheduled* time: the time it waited
// behind the late answer is latency its user saw (coordinated omission corrected, as wrk2 does).
//
// The schedule runs `warmupSec` unmeasured, then the measured window of `durationSec`: every request
// scheduled in the window counts. After the window no new requests are scheduled; the clients finish
// the window's requests (in flight or waiting behind a late answer) for at most `timeoutSec` more,
// and what is left then is "unanswered". Each request that gets no answer within `timeoutSec` of
// being sent is aborted and counted as a timeout. Latencies go into an HDR histogram (microseconds,
// 3 significant digits); requests take the next entry of `requests` (a global counter, as load.ts).
import { Agent, request as httpRequest } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { build as buildHistogram } from "hdr-histogram-js";
import { prng } from "../../helpers/prng.ts";
import type { LoadRequest } from "./load.ts";

export interface OpenLoopJob {
  readonly url: string;
  /** Simulated clients, one connection and at most one request in flight each. */
  readonly clients: number;
  /** Requests per second offered by all clients together. */
  readonly rate: number;
  /** Unmeasured seconds of the same schedule before the window. */
  readonly warmupSec: number;
  readonly durationSec: number;
  readonly timeoutSec: number;
  readonly requests: readonly LoadRequest[];
  /** Seed of the clients' phases. */
  readonly seed?: number;
}

export interface OpenLoopResult {
  readonly clients: number;
  readonly rate: number;
  readonly durationSec: number;
  /** Requests scheduled in the measured window. */
  readonly scheduled: number;
  /** Of those: answered 2xx, answered otherwise, failed (connection error or timeout), unanswered at the end. */
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Errors that were timeouts (no answer within `timeoutSec` of being sent). */
  readonly timeouts: number;
  readonly unanswered: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** 2xx answers (to any request) received during the window, per second. */
  readonly okPerSecond: number;
  /** From the scheduled time to the end of the answer, of the window's answered requests (any status). */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  /** Requests of the window sent more than 5 ms after their scheduled time (behind a late answer, or a late timer), and the worst delay (ms). */
  readonly sentLate: { readonly count: number; readonly maxMs: number };
  /** How long the clients took to finish the window's requests after it closed (s). */
  readonly drainSec: number;
  readonly distinctRequests: number;
  /** CPU the load generator used during the window, in cores. */
  readonly clientCores: number;
  /** The load generator's event-loop lag during the window (p99, max; ms). */
  readonly clientLagMs: { readonly p99: number; readonly max: number };
}

/** Late-timer slack: a request sent more than this after its scheduled time counts as sent late. */
const LATE_MS = 5;

type Outcome = { status: number } | { error: string; timeout: boolean };

export function runOpenLoop(job: OpenLoopJob, onWindow: (edge: "start" | "end") => void = () => {}): Promise<OpenLoopResult> {
  if (!(job.rate > 0) || job.clients < 1) throw new Error("open loop: rate > 0 and clients >= 1");
  const target = new URL(job.url);
  const list = job.requests;
  const intervalMs = (job.clients * 1000) / job.rate;
  const timeoutMs = job.timeoutSec * 1000;
  const random = prng(job.seed ?? 1);
  const phases = Array.from({ length: job.clients }, () => random() * intervalMs);

  // Scheduled times are relative to `origin` (performance.now() when the schedule starts).
  const origin = performance.now() + 50;
  const windowStart = job.warmupSec * 1000;
  const windowEnd = windowStart + job.durationSec * 1000;
  const drainDeadline = windowEnd + timeoutMs;

  /** The number of k >= 0 with lo <= phase + k·interval < hi. */
  const slots = (phase: number, lo: number, hi: number) => Math.max(0, Math.ceil((hi - phase) / intervalMs) - Math.max(0, Math.ceil((lo - phase) / intervalMs)));
  const scheduled = phases.reduce((sum, phase) => sum + slots(phase, windowStart, windowEnd), 0);

  const histogram = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const statusCodes: Record<string, number> = {};
  let ok2xx = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let latencySumMs = 0;
  let latencyMaxMs = 0;
  let okInWindow = 0;
  let sentLate = 0;
  let sentLateMaxMs = 0;
  let next = 0;
  let closed = false;
  let drainedAt = windowEnd;

  const agents: Agent[] = [];
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let cpuAtStart = process.cpuUsage();
  let wallAtStart = 0;
  let cpuWindow = { user: 0, system: 0 };
  let wallWindowMs = 0;
  let lagFigures = { p99: 0, max: 0 };

  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, Math.max(0, ms)));

  function send(agent: Agent, r: LoadRequest): Promise<Outcome> {
    return new Promise((done) => {
      let settled = false;
      const finish = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(outcome);
      };
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: r.method,
          path: r.path,
          agent,
          headers: { ...r.headers, ...(r.body !== undefined ? { "content-length": String(Buffer.byteLength(r.body)) } : {}) },
        },
        (res) => {
          res.on("data", () => {});
          res.on("end", () => finish({ status: res.statusCode ?? 0 }));
          res.on("error", (error) => finish({ error: error.message, timeout: false }));
        },
      );
      const timer = setTimeout(() => {
        finish({ error: "timeout", timeout: true });
        req.destroy();
      }, timeoutMs);
      req.on("error", (error) => finish({ error: error.message, timeout: false }));
      req.end(r.body);
    });
  }

  async function client(phase: number): Promise<void> {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    for (let k = 0; ; k++) {
      const at = phase + k * intervalMs;
      if (at >= windowEnd) return;
      const wait = origin + at - performance.now();
      if (wait > 0) await sleep(wait);
      if (closed) return;
      const counted = at >= windowStart;
      const sentAt = performance.now();
      if (counted && sentAt - (origin + at) > LATE_MS) {
        sentLate++;
        sentLateMaxMs = Math.max(sentLateMaxMs, sentAt - (origin + at));
      }
      const outcome = await send(agent, list[next++ % list.length]!);
      if (closed) return;
      const end = performance.now();
      if ("status" in outcome && outcome.status >= 200 && outcome.status < 300 && end - origin >= windowStart && end - origin < windowEnd) okInWindow++;
      if (!counted) continue;
      if ("status" in outcome) {
        const ms = end - (origin + at);
        histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
        latencySumMs += ms;
        latencyMaxMs = Math.max(latencyMaxMs, ms);
        statusCodes[outcome.status] = (statusCodes[outcome.status] ?? 0) + 1;
        if (outcome.status >= 200 && outcome.status < 300) ok2xx++;
        else non2xx++;
      } else {
        errors++;
        if (outcome.timeout) timeouts++;
      }
      if (end - origin >= windowEnd) drainedAt = Math.max(drainedAt, end - origin);
    }
  }

  return (async () => {
    let windowClosed!: () => void;
    const windowEnded = new Promise<void>((done) => (windowClosed = done));
    const windowTimers = [
      setTimeout(
        () => {
          lag.enable();
          cpuAtStart = process.cpuUsage();
          wallAtStart = performance.now();
          onWindow("start");
        },
        Math.max(0, origin + windowStart - performance.now()),
      ),
      setTimeout(
        () => {
          cpuWindow = process.cpuUsage(cpuAtStart);
          wallWindowMs = performance.now() - wallAtStart;
          lagFigures = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
          lag.disable();
          onWindow("end");
          windowClosed();
        },
        Math.max(0, origin + windowEnd - performance.now()),
      ),
    ];
    const all = Promise.all(phases.map((phase) => client(phase)));
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const drained = new Promise<void>((done) => (deadline = setTimeout(done, Math.max(0, origin + drainDeadline - performance.now()))));
    // Every client is done (the window's last answers can come before its end) or the drain time is up.
    await Promise.all([windowEnded, Promise.race([all, drained])]);
    clearTimeout(deadline);
    for (const timer of windowTimers) clearTimeout(timer);
    closed = true;
    for (const agent of agents) agent.destroy();
    const unanswered = scheduled - ok2xx - non2xx - errors;
    // A percentile is its bucket's highest equivalent value (3 significant digits): never above the exact maximum.
    const q = (p: number) => (histogram.totalCount > 0 ? Math.min(histogram.getValueAtPercentile(p) / 1000, latencyMaxMs) : NaN);
    const answered = ok2xx + non2xx;
    return {
      clients: job.clients,
      rate: job.rate,
      durationSec: job.durationSec,
      scheduled,
      ok2xx,
      non2xx,
      errors,
      timeouts,
      unanswered,
      statusCodes,
      okPerSecond: okInWindow / job.durationSec,
      latencyMs: { p50: q(50), p90: q(90), p99: q(99), p999: q(99.9), max: answered > 0 ? latencyMaxMs : NaN, mean: answered > 0 ? latencySumMs / answered : NaN },
      sentLate: { count: sentLate, maxMs: sentLateMaxMs },
      drainSec: unanswered > 0 ? job.timeoutSec : (drainedAt - windowEnd) / 1000,
      distinctRequests: Math.min(next, list.length),
      clientCores: wallWindowMs > 0 ? (cpuWindow.user + cpuWindow.system) / 1000 / wallWindowMs : NaN,
      clientLagMs: lagFigures,
    };
  })();
}

if (import.meta.main) {
  process.once("message", (job: OpenLoopJob) => {
    runOpenLoop(job, (edge) => process.send!({ window: edge })).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }, () => process.exit(1)),
    );
  });
}
