// The topic directory: `<directory>/<topic>/v<version>/{manifest.json, <institution>.duckdb}`. A
// version directory appears whole (renamed into place after its manifest is written) or not at
// all; staging directories (`.build-…`) are never listed.
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { platformError } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { TopicDefinition } from "./definition.ts";
import type { SkipReason } from "./mapping.ts";
import type { TopicTable } from "./tables.ts";

/** What one institution's file of a version holds. */
export interface InstitutionManifest {
  readonly file: string;
  readonly residents: number;
  readonly rows: Readonly<Record<TopicTable, number>>;
  /** Records read for this institution that became no row, by reason. */
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** SM3 over the rows in canonical order (content-hash.ts). */
  readonly contentHash: Hex;
}

/** manifest.json of a topic version. */
export interface TopicManifest {
  readonly format: 1;
  readonly topic: string;
  readonly version: number;
  readonly definition: TopicDefinition;
  readonly definitionHash: Hex;
  /** The date ages were computed at. */
  readonly indexDate: string;
  readonly builtAt: string;
  /** The his data the version was built from: the latest updatedAt read, and how many records were read. */
  readonly source: { readonly highWaterMark: string | null; readonly records: number };
  readonly institutions: Readonly<Record<string, InstitutionManifest>>;
}

export const MANIFEST_FILE = "manifest.json";
const TOPIC_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const VERSION_DIR = /^v([1-9]\d*)$/;

/** The directory of a topic; refuses a name that is not a topic slug (it becomes a path). */
export function topicDirectory(directory: string, topic: string): string {
  if (!TOPIC_NAME.test(topic) || topic.length > 64) {
    throw platformError("INVALID_INPUT", {
      details: { topic },
      message: `"${topic}" is not a topic name (a lower-case slug).`,
      messageZh: `“${topic}”不是专题库名称（小写标识）。`,
    });
  }
  return join(directory, topic);
}

export function versionDirectory(directory: string, topic: string, version: number): string {
  return join(topicDirectory(directory, topic), `v${version}`);
}

/** The version numbers present (with a manifest), ascending. */
export async function versionNumbers(directory: string, topic: string): Promise<number[]> {
  const root = topicDirectory(directory, topic);
  if (!existsSync(root)) return [];
  const found: number[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const match = VERSION_DIR.exec(entry.name);
    if (entry.isDirectory() && match && existsSync(join(root, entry.name, MANIFEST_FILE))) found.push(Number(match[1]));
  }
  return found.sort((a, b) => a - b);
}

export async function readManifest(directory: string, topic: string, version: number): Promise<TopicManifest> {
  return JSON.parse(await readFile(join(versionDirectory(directory, topic, version), MANIFEST_FILE), "utf8")) as TopicManifest;
}

/** The manifests of a topic's versions, oldest first. */
export async function listTopicVersions(directory: string, topic: string): Promise<TopicManifest[]> {
  const manifests: TopicManifest[] = [];
  for (const version of await versionNumbers(directory, topic)) manifests.push(await readManifest(directory, topic, version));
  return manifests;
}

/** The latest version's manifest, or null when the topic has none. */
export async function latestTopicVersion(directory: string, topic: string): Promise<TopicManifest | null> {
  const versions = await versionNumbers(directory, topic);
  const latest = versions[versions.length - 1];
  return latest === undefined ? null : readManifest(directory, topic, latest);
}

/** An opened version: one read-only connection per institution. */
export interface OpenedTopicVersion {
  readonly manifest: TopicManifest;
  readonly connections: ReadonlyMap<string, DuckDBConnection>;
  close(): void;
}

/**
 * Opens the latest (or the given) version of a topic read-only. NOT_FOUND when the topic has no
 * such version. Close it when done: the files of a version older than the kept ones are removed by
 * later builds.
 */
export async function openTopicVersion(directory: string, topic: string, version?: number): Promise<OpenedTopicVersion> {
  const versions = await versionNumbers(directory, topic);
  const chosen = version ?? versions[versions.length - 1];
  if (chosen === undefined || !versions.includes(chosen)) {
    throw platformError("NOT_FOUND", {
      details: { topic, version: version ?? null },
      message: version === undefined ? `Topic "${topic}" has no version yet.` : `Topic "${topic}" has no version ${version}.`,
      messageZh: version === undefined ? `专题库“${topic}”尚无版本。` : `专题库“${topic}”没有版本 ${version}。`,
    });
  }
  const manifest = await readManifest(directory, topic, chosen);
  const opened: { instance: DuckDBInstance; connection: DuckDBConnection }[] = [];
  const connections = new Map<string, DuckDBConnection>();
  const close = (): void => {
    for (const { instance, connection } of opened) {
      connection.closeSync();
      instance.closeSync();
    }
  };
  try {
    for (const [institution, entry] of Object.entries(manifest.institutions)) {
      const instance = await DuckDBInstance.create(join(versionDirectory(directory, topic, chosen), entry.file), { access_mode: "READ_ONLY" });
      const connection = await instance.connect();
      opened.push({ instance, connection });
      connections.set(institution, connection);
    }
  } catch (error) {
    close();
    throw error;
  }
  return { manifest, connections, close };
}

/** Removes all but the newest `keep` versions; returns the removed version numbers. */
export async function pruneTopicVersions(directory: string, topic: string, keep: number): Promise<number[]> {
  const versions = await versionNumbers(directory, topic);
  const removed = versions.slice(0, Math.max(0, versions.length - keep));
  for (const version of removed) await rm(versionDirectory(directory, topic, version), { recursive: true, force: true });
  return removed;
}
