// Topic databases (专题库): research subsets of the district's standardised data, built from
// services/his on a schedule into versioned DuckDB files, one per institution (docs/topics.md).
export { parseTopicDefinition, parseTopicDefinitions, definitionHash, TOPIC_TIME_ZONE, type TopicDefinition } from "./definition.ts";
export { mapStandardRecord, SKIP_REASONS, TOPIC_MODELS, type StandardRecord, type EncounterRow, type MappedRecord, type SkipReason } from "./mapping.ts";
export { localDate, shanghaiDate } from "./dates.ts";
export { subDistrictOf } from "./region.ts";
export { buildTopic, type BuildTopicOptions, type BuildTopicResult } from "./build.ts";
export { topicCohort } from "./cohort.ts";
export { TOPIC_TABLES, type TopicTable } from "./tables.ts";
export type { HisRecordSource } from "./source.ts";
export {
  listTopicVersions,
  latestTopicVersion,
  openTopicVersion,
  pruneTopicVersions,
  type TopicManifest,
  type InstitutionManifest,
  type OpenedTopicVersion,
} from "./versions.ts";
export { startTopicScheduler, type TopicScheduler, type TopicSchedulerOptions, type TopicLogger, type RefreshResult } from "./scheduler.ts";
