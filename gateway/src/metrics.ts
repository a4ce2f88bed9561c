// Prometheus metrics of one gateway (its own registry, so several gateways in one process — as in
// the tests — never clash): requests by route pattern, method and status, and their latency.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { GatewayEnv } from "./context.ts";

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"route" | "method" | "status">;
  readonly latency: Histogram<"route" | "method">;
  /** Relayed transactions by contract, function and outcome. */
  readonly relays: Counter<"contract" | "function" | "outcome">;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "gateway_" });
  return {
    registry,
    requests: new Counter({
      name: "gateway_http_requests_total",
      help: "HTTP requests by route pattern, method and status",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "gateway_http_request_duration_seconds",
      help: "HTTP request latency by route pattern and method",
      labelNames: ["route", "method"],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    relays: new Counter({
      name: "gateway_relayed_transactions_total",
      help: "Transactions relayed to the chain by contract, function and outcome",
      labelNames: ["contract", "function", "outcome"],
      registers: [registry],
    }),
  };
}

/** Counts and times every request under its route pattern (never the raw path: bounded labels). */
export function measureRequests(metrics: GatewayMetrics): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    let route = routePath(c, -1);
    if (route === "*" || route === "/*" || route === "") route = "unmatched";
    const method = c.req.method;
    metrics.requests.inc({ route, method, status: String(c.res.status) });
    metrics.latency.observe({ route, method }, (performance.now() - start) / 1000);
  };
}
