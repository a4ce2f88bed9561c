// The topic databases screening runs on and exports take their cohort from: the latest version of
// the configured topic (services/analytics topics: one DuckDB file per institution, built by the
// analytics worker from the collection service's standardised records), opened read-only for one
// run. Each institution's data version names the topic, its version and its content hash, so a
// run's fingerprint (and the perturbation keyed by it) changes exactly when that data changes.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Hex } from "viem";
import { parseCriteria } from "../../../services/analytics/src/criteria/parse.ts";
import { openTopicVersion, topicCohort } from "../../../services/analytics/src/topics/index.ts";
import type { ResearchDeps } from "./deps.ts";

export interface OpenResearchTopic {
  readonly name: string;
  readonly version: number;
  readonly connections: ReadonlyMap<string, DuckDBConnection>;
  readonly dataVersions: ReadonlyMap<string, string>;
  /** The residentRefs meeting the criteria at the given institutions (those the topic lacks: none). */
  cohort(criteria: unknown, indexDate: string, institutions: readonly string[]): Promise<Hex[]>;
  close(): void;
}

export async function openResearchTopic(research: Pick<ResearchDeps, "topicDirectory" | "topic">): Promise<OpenResearchTopic> {
  const opened = await openTopicVersion(research.topicDirectory, research.topic);
  const dataVersions = new Map(
    Object.entries(opened.manifest.institutions).map(([code, part]) => [code, `${opened.manifest.topic}@v${opened.manifest.version}:${part.contentHash.slice(0, 18)}`]),
  );
  return {
    name: opened.manifest.topic,
    version: opened.manifest.version,
    connections: opened.connections,
    dataVersions,
    async cohort(criteria, indexDate, institutions) {
      const tree = parseCriteria(criteria);
      const refs = new Set<string>();
      for (const code of institutions) {
        const connection = opened.connections.get(code);
        if (connection === undefined) continue;
        for (const ref of await topicCohort(connection, tree, indexDate)) refs.add(ref.toLowerCase());
      }
      return [...refs].sort() as Hex[];
    },
    close: () => opened.close(),
  };
}
