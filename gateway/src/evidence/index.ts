// Access evidence: the canonical access-log line and its hash (line.ts), the batcher that anchors
// the lines in AuditTrail (batcher.ts) and its chain side (recorder.ts).
import type { GatewayDeps } from "../context.ts";
import { createEvidenceBatcher, type EvidenceBatcher } from "./batcher.ts";
import { chainEvidenceRecorder } from "./recorder.ts";

export * from "./line.ts";
export * from "./batcher.ts";
export { chainEvidenceRecorder } from "./recorder.ts";

/** The batcher of a gateway, recording as its relayer institution (the platform), every `config.audit.batchIntervalMs`. */
export function evidenceBatcherOf(deps: GatewayDeps): EvidenceBatcher {
  return createEvidenceBatcher({
    db: deps.db,
    chain: chainEvidenceRecorder(deps.chain),
    clock: deps.clock,
    log: deps.log,
    intervalMs: deps.config.audit.batchIntervalMs,
  });
}

/** Starts the gateway's evidence batcher; `stop()` ends it and waits for a run in progress. */
export function startEvidenceBatcher(deps: GatewayDeps): { stop(): Promise<void>; runOnce: EvidenceBatcher["runOnce"] } {
  const batcher = evidenceBatcherOf(deps);
  batcher.start();
  return { stop: () => batcher.stop(), runOnce: () => batcher.runOnce() };
}
