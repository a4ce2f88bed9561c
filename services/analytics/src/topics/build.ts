// buildTopic: a new version of a topic from services/his's standardised records. Each institution's
// records are mapped to the engine's tables in a scratch DuckDB, the topic's cohort is selected there
// with the engine's own compiled criteria, and the cohort's rows are copied into the institution's
// file. Everything is written into a staging directory renamed into place at the end, so a failed
// build leaves no partial version and the previous ones untouched.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { platformError } from "@health-chain/sdk";
import { selectCohort } from "./cohort.ts";
import { hashTopicContent } from "./content-hash.ts";
import { shanghaiDate } from "./dates.ts";
import { definitionHash, type TopicDefinition } from "./definition.ts";
import { mapStandardRecord, type SkipReason, type StandardRecord } from "./mapping.ts";
import { listSourceParts, readSourcePart, type HisRecordSource, type SourcePart } from "./source.ts";
import { appendEventRows, appendPatients, createScratchSchema, createTopicSchema, emptyEventRows, fillResidents, resetInstitutionTables, type PatientRow } from "./tables.ts";
import { MANIFEST_FILE, latestTopicVersion, pruneTopicVersions, topicDirectory, versionDirectory, type InstitutionManifest, type TopicManifest } from "./versions.ts";

export interface BuildTopicOptions {
  /** The directory holding every topic's versions. */
  readonly directory: string;
  /** The his database's Prisma client (or anything with its collectedRecord delegate). */
  readonly his: HisRecordSource;
  readonly definition: TopicDefinition;
  /** Versions kept after a new one is created (default 3). */
  readonly keep?: number;
  /** Records per page read from his (default 5000). */
  readonly pageSize?: number;
  readonly now?: () => Date;
}

export type BuildTopicResult =
  | { readonly status: "created"; readonly manifest: TopicManifest; readonly removed: readonly number[] }
  | { readonly status: "unchanged"; readonly manifest: TopicManifest };

const INSTITUTION_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** What the build has read so far, across institutions. */
interface SourceTally {
  records: number;
  highWaterMark: string | null;
  readonly skipped: Map<string, Partial<Record<SkipReason, number>>>;
}

function tallyRead(tally: SourceTally, record: StandardRecord): void {
  tally.records++;
  const updated = record.updatedAt.toISOString();
  if (tally.highWaterMark === null || updated > tally.highWaterMark) tally.highWaterMark = updated;
}

function tallySkip(tally: SourceTally, institution: string, reason: SkipReason): void {
  const counts = tally.skipped.get(institution) ?? {};
  counts[reason] = (counts[reason] ?? 0) + 1;
  tally.skipped.set(institution, counts);
}

function checkInstitutionCode(code: string): void {
  if (!INSTITUTION_CODE.test(code)) {
    throw platformError("INVALID_INPUT", {
      details: { institution: code },
      message: `The his database holds records of an institution code "${code}" that cannot name a topic file; nothing was built.`,
      messageZh: `his 数据库中机构编码“${code}”无法用作专题库文件名；未构建任何内容。`,
    });
  }
}

// Every institution's patient records first: an event-only resident takes demographics from another institution.
async function loadPatients(scratch: DuckDBConnection, his: HisRecordSource, parts: readonly SourcePart[], pageSize: number, tally: SourceTally): Promise<void> {
  for (const part of parts.filter((p) => p.model === "patient")) {
    for await (const page of readSourcePart(his, part, pageSize)) {
      const rows: PatientRow[] = [];
      for (const record of page) {
        tallyRead(tally, record);
        const mapped = mapStandardRecord(record);
        if (mapped.table === "residents") rows.push({ ...mapped.row, institution: part.institution, updated_at: record.updatedAt.toISOString(), record_id: record.recordId });
        else if (mapped.table === null) tallySkip(tally, part.institution, mapped.skipped);
      }
      await appendPatients(scratch, rows);
    }
  }
}

async function loadEvents(scratch: DuckDBConnection, his: HisRecordSource, parts: readonly SourcePart[], pageSize: number, tally: SourceTally): Promise<void> {
  for (const part of parts.filter((p) => p.model !== "patient")) {
    for await (const page of readSourcePart(his, part, pageSize)) {
      const rows = emptyEventRows();
      for (const record of page) {
        tallyRead(tally, record);
        const mapped = mapStandardRecord(record);
        if (mapped.table === null) tallySkip(tally, part.institution, mapped.skipped);
        else if (mapped.table !== "residents") (rows[mapped.table] as unknown[]).push(mapped.row);
      }
      await appendEventRows(scratch, rows);
    }
  }
}

const OUT = "topic_out";

async function writeInstitutionFile(scratch: DuckDBConnection, file: string): Promise<Pick<InstitutionManifest, "rows" | "contentHash">> {
  await scratch.run(`ATTACH '${file.replaceAll("'", "''")}' AS ${OUT}`);
  try {
    await scratch.run(`USE ${OUT}`);
    await createTopicSchema(scratch);
    await scratch.run("USE memory");
    for (const table of ["residents", "diagnoses", "labs", "medications", "encounters"]) {
      await scratch.run(`INSERT INTO ${OUT}.${table} SELECT * FROM memory.${table} WHERE resident_ref IN (SELECT resident_ref FROM memory.cohort) ORDER BY ALL`);
    }
    const content = await hashTopicContent(scratch, OUT);
    await scratch.run(`CHECKPOINT ${OUT}`);
    return content;
  } finally {
    await scratch.run("USE memory");
    await scratch.run(`DETACH ${OUT}`);
  }
}

function checkCount(option: string, value: number | undefined): void {
  if (value === undefined || (Number.isInteger(value) && value >= 1)) return;
  throw platformError("INVALID_INPUT", {
    details: { option, value },
    message: `${option} must be a positive integer.`,
    messageZh: `${option} 必须是正整数。`,
  });
}

interface StagedBuild {
  readonly institutions: Record<string, InstitutionManifest>;
  readonly tally: SourceTally;
}

async function stageInstitutions(staging: string, options: BuildTopicOptions, indexDate: string): Promise<StagedBuild> {
  const pageSize = options.pageSize ?? 5000;
  const parts = await listSourceParts(options.his);
  for (const part of parts) checkInstitutionCode(part.institution);
  const tally: SourceTally = { records: 0, highWaterMark: null, skipped: new Map() };
  const instance = await DuckDBInstance.create(":memory:", { temp_directory: join(staging, ".spill") });
  const scratch = await instance.connect();
  const institutions: Record<string, InstitutionManifest> = {};
  try {
    await createScratchSchema(scratch);
    await loadPatients(scratch, options.his, parts, pageSize, tally);
    for (const institution of [...new Set(parts.map((p) => p.institution))]) {
      await resetInstitutionTables(scratch);
      await loadEvents(scratch, options.his, parts.filter((p) => p.institution === institution), pageSize, tally);
      await fillResidents(scratch, institution);
      await selectCohort(scratch, options.definition.criteria, indexDate);
      const file = `${institution}.duckdb`;
      const { rows, contentHash } = await writeInstitutionFile(scratch, join(staging, file));
      institutions[institution] = { file, residents: rows.residents, rows, skipped: tally.skipped.get(institution) ?? {}, contentHash };
    }
  } finally {
    scratch.closeSync();
    instance.closeSync();
  }
  await rm(join(staging, ".spill"), { recursive: true, force: true });
  return { institutions, tally };
}

function sameContent(previous: TopicManifest, hash: string, institutions: Readonly<Record<string, InstitutionManifest>>): boolean {
  if (previous.definitionHash !== hash) return false;
  const codes = Object.keys(institutions);
  if (codes.length !== Object.keys(previous.institutions).length) return false;
  return codes.every((code) => previous.institutions[code]?.contentHash === institutions[code]!.contentHash);
}

/**
 * Builds the topic from the his database. Returns "created" with the new version's manifest, or
 * "unchanged" (and creates nothing) when the definition and every institution's content equal the
 * latest version's. Keeps the newest `keep` versions. A failure leaves the existing versions as they were.
 */
export async function buildTopic(options: BuildTopicOptions): Promise<BuildTopicResult> {
  const { directory, definition } = options;
  checkCount("keep", options.keep);
  checkCount("pageSize", options.pageSize);
  const builtAt = (options.now ?? (() => new Date()))();
  const indexDate = definition.indexDate === "build-date" ? shanghaiDate(builtAt) : definition.indexDate;
  const root = topicDirectory(directory, definition.name);
  await mkdir(root, { recursive: true });
  const staging = join(root, `.build-${randomUUID()}`);
  await mkdir(staging);
  try {
    const { institutions, tally } = await stageInstitutions(staging, options, indexDate);
    const hash = definitionHash(definition);
    const previous = await latestTopicVersion(directory, definition.name);
    if (previous !== null && sameContent(previous, hash, institutions)) return { status: "unchanged", manifest: previous };
    const version = (previous?.version ?? 0) + 1;
    const manifest: TopicManifest = {
      format: 1,
      topic: definition.name,
      version,
      definition,
      definitionHash: hash,
      indexDate,
      builtAt: builtAt.toISOString(),
      source: { highWaterMark: tally.highWaterMark, records: tally.records },
      institutions,
    };
    await writeFile(join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    const target = versionDirectory(directory, definition.name, version);
    if (existsSync(target)) {
      throw platformError("CONFLICT", {
        details: { topic: definition.name, version },
        message: `Version ${version} of topic "${definition.name}" appeared during the build; build again.`,
        messageZh: `构建期间专题库“${definition.name}”出现了版本 ${version}，请重新构建。`,
      });
    }
    await rename(staging, target);
    const removed = await pruneTopicVersions(directory, definition.name, options.keep ?? 3);
    return { status: "created", manifest, removed };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
