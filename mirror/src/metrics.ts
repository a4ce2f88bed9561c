// Prometheus metrics of the indexer (own registry, so several indexers can live in one process)
// and the small node:http server that serves them on /metrics.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface MirrorMetrics {
  registry: Registry;
  indexedBlock: Gauge<"contract">;
  chainHead: Gauge;
  lagBlocks: Gauge;
  lagSeconds: Gauge;
  events: Counter<"contract">;
  reorgs: Counter;
  rollbackDepth: Gauge;
  rolledBackBlocks: Counter;
  errors: Counter<"kind">;
}

export function createMirrorMetrics(options: { defaultMetrics?: boolean } = {}): MirrorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    indexedBlock: new Gauge({ name: "mirror_indexed_block", help: "Last block indexed, per contract", labelNames: ["contract"], registers }),
    chainHead: new Gauge({ name: "mirror_chain_head_block", help: "Chain head as the node reports it", registers }),
    lagBlocks: new Gauge({ name: "mirror_lag_blocks", help: "Chain head minus the lowest indexed block", registers }),
    lagSeconds: new Gauge({ name: "mirror_lag_seconds", help: "Now minus the time of the lowest indexed block", registers }),
    events: new Counter({ name: "mirror_events_total", help: "Events written (rate: events/s)", labelNames: ["contract"], registers }),
    reorgs: new Counter({ name: "mirror_reorgs_total", help: "Reorganisations detected and rolled back", registers }),
    rollbackDepth: new Gauge({ name: "mirror_rollback_depth_blocks", help: "Blocks rolled back by the last reorganisation", registers }),
    rolledBackBlocks: new Counter({ name: "mirror_rolled_back_blocks_total", help: "Blocks rolled back, all reorganisations", registers }),
    errors: new Counter({ name: "mirror_errors_total", help: "Errors, by kind (rpc, database, range_split, chain_changed)", labelNames: ["kind"], registers }),
  };
}

/** Serves `registry` on GET /metrics; resolves with the server and its port once listening. */
export async function serveMetrics(registry: Registry, port: number, host = "0.0.0.0"): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url?.split("?")[0] === "/metrics") {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(body);
        })
        .catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found; try /metrics\n");
    }
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : port };
}
