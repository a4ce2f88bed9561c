// The analytics worker: the topic databases rebuilt on their schedules (croner), and the built
// export packages anchored through the gateway as soon as they appear. One pass anchors what is
// pending; the loop sleeps `pollMs` after an idle pass and goes on at once after a busy one.
import type { Logger } from "pino";
import type { CertificateAnchorer } from "../../../../gateway/src/client.ts";
import type { AnalyticsDb } from "../db.ts";
import { startTopicScheduler, type HisRecordSource, type TopicDefinition } from "../topics/index.ts";
import { anchorPendingPackages, type AnchorPackagesResult } from "./anchor.ts";

export { anchorPendingPackages, packageCertificateNumber, type AnchorPackagesResult } from "./anchor.ts";

export interface AnalyticsWorkerOptions {
  readonly db: AnalyticsDb;
  readonly his: HisRecordSource;
  readonly topicDirectory: string;
  readonly topics: readonly TopicDefinition[];
  readonly keepVersions?: number;
  readonly anchoring: { readonly anchorer: CertificateAnchorer; readonly privateKey: string };
  readonly pollMs: number;
  readonly log: Pick<Logger, "info" | "warn" | "error">;
}

export interface RunningAnalyticsWorker {
  /** Stops the schedules and the loop; resolves when the pass under way has finished. */
  stop(): Promise<void>;
}

export function startAnalyticsWorker(options: AnalyticsWorkerOptions): RunningAnalyticsWorker {
  const scheduler = startTopicScheduler({
    directory: options.topicDirectory,
    his: options.his,
    definitions: [...options.topics],
    logger: options.log,
    ...(options.keepVersions === undefined ? {} : { keep: options.keepVersions }),
  });
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      let result: AnchorPackagesResult | undefined;
      try {
        result = await anchorPendingPackages(options.db, options.anchoring.anchorer, { privateKey: options.anchoring.privateKey });
        if (result.anchored > 0) options.log.info({ anchored: result.anchored }, "export packages anchored");
        for (const failure of result.failed) options.log.warn(failure, "anchoring an export package failed; will retry");
      } catch (error) {
        options.log.error({ err: error }, "the anchoring pass failed");
      }
      if (stopped || (result !== undefined && result.anchored > 0)) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  options.log.info({ topics: options.topics.map((t) => t.name) }, "analytics worker started");
  return {
    async stop() {
      stopped = true;
      wake?.();
      scheduler.stop();
      await loop;
    },
  };
}
