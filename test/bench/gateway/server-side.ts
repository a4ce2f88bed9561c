// The gateway's own view of a measured run, from its Prometheus metrics (GET /metrics): how long it
// took to answer, between its first and its last middleware, and how late its event loop ran. Set
// beside the load generator's latencies, it tells time spent inside the gateway from time spent
// waiting before it (accept queue, unread sockets, a starved load generator).
//
// With several processes (node:cluster) each scrape reaches one worker: the figures are that
// worker's, a sample of the whole.

/** Cumulative request-duration buckets (seconds → count) summed over routes, without /metrics itself. */
export interface ServerSnapshot {
  readonly buckets: ReadonlyMap<number, number>;
  readonly count: number;
  readonly sum: number;
  /** Event-loop delay since the previous scrape (prom-client resets it on each): p99 and max, ms. */
  readonly loopLagMs: { readonly p99: number; readonly max: number };
}

const BUCKET = /^gateway_http_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/;
const SUM = /^gateway_http_request_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/;

function labels(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** Parses the request-duration histogram out of a /metrics text. */
export function parseSnapshot(text: string): ServerSnapshot {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  const loopLagMs = { p99: NaN, max: NaN };
  for (const line of text.split("\n")) {
    const lag = /^gateway_nodejs_eventloop_lag_(p99|max)_seconds (\S+)$/.exec(line);
    if (lag) loopLagMs[lag[1] as "p99" | "max"] = Number(lag[2]) * 1000;
    const b = BUCKET.exec(line);
    if (b) {
      const l = labels(b[1]!);
      if (l.get("route") === "/metrics") continue;
      const le = l.get("le") === "+Inf" ? Infinity : Number(l.get("le"));
      buckets.set(le, (buckets.get(le) ?? 0) + Number(b[2]));
      continue;
    }
    const s = SUM.exec(line);
    if (s && labels(s[2]!).get("route") !== "/metrics") {
      if (s[1] === "sum") sum += Number(s[3]);
      else count += Number(s[3]);
    }
  }
  return { buckets, count, sum, loopLagMs };
}

export async function scrape(url: string): Promise<ServerSnapshot> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics -> ${res.status}`);
  return parseSnapshot(await res.text());
}

export interface ServerSide {
  readonly requests: number;
  readonly meanMs: number;
  readonly loopLagMs: { readonly p99: number; readonly max: number };
  /** Share of the run's requests the gateway answered within each bound (ms → share). */
  readonly within: ReadonlyArray<readonly [number, number]>;
}

/** What happened between two snapshots of the same process. */
export function between(before: ServerSnapshot, after: ServerSnapshot): ServerSide {
  const requests = after.count - before.count;
  const within: [number, number][] = [];
  for (const [le, n] of after.buckets) {
    if (!Number.isFinite(le)) continue;
    within.push([le * 1000, requests > 0 ? (n - (before.buckets.get(le) ?? 0)) / requests : 0]);
  }
  within.sort((a, b) => a[0] - b[0]);
  return { requests, meanMs: requests > 0 ? ((after.sum - before.sum) / requests) * 1000 : 0, loopLagMs: after.loopLagMs, within };
}
