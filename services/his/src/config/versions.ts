// Versioned configuration (record models, a source's mapping rules, de-identification policies, the
// anchoring policy): every published version is kept, numbered from 1 and fingerprinted; one version
// per (kind, name) is active. Whatever uses a configuration records the version and hash it used.
import { fingerprint, platformError } from "@health-chain/sdk";
import type { HisDb, HisTx } from "../db.ts";

export type ConfigKind = "record-model" | "mapping-rules" | "deid-policy" | "anchoring";

export const CONFIG_KINDS: readonly ConfigKind[] = ["record-model", "mapping-rules", "deid-policy", "anchoring"];

/** A published version of a piece of configuration. */
export interface ConfigVersionOf<T> {
  readonly kind: ConfigKind;
  readonly name: string;
  readonly version: number;
  /** SM3 fingerprint of the canonical JSON of `value`. */
  readonly hash: string;
  readonly active: boolean;
  readonly createdBy: string;
  readonly note: string | null;
  readonly createdAt: Date;
  readonly value: T;
}

type Client = HisDb | HisTx;

function toVersion<T>(row: { kind: string; name: string; version: number; hash: string; active: boolean; createdBy: string; note: string | null; createdAt: Date; json: string }): ConfigVersionOf<T> {
  return {
    kind: row.kind as ConfigKind,
    name: row.name,
    version: row.version,
    hash: row.hash,
    active: row.active,
    createdBy: row.createdBy,
    note: row.note,
    createdAt: row.createdAt,
    value: JSON.parse(row.json) as T,
  };
}

function checkKind(kind: string): asserts kind is ConfigKind {
  if (!CONFIG_KINDS.includes(kind as ConfigKind)) {
    throw platformError("INVALID_INPUT", {
      message: `Unknown configuration kind "${kind}"; known: ${CONFIG_KINDS.join(", ")}.`,
      messageZh: `未知的配置类别“${kind}”；可用：${CONFIG_KINDS.join("、")}。`,
      details: { kind },
    });
  }
}

/**
 * Publishes `value` as the next version of (kind, name) and makes it active (unless
 * `activate: false`). `validate` runs first and should throw a typed error on a bad value: nothing
 * is written then. Publishing a value equal to the active version returns that version unchanged.
 */
export async function publishConfig<T>(
  db: HisDb,
  input: { kind: ConfigKind; name: string; value: T; actor: string; note?: string; activate?: boolean; validate?: (value: T) => void },
): Promise<ConfigVersionOf<T>> {
  checkKind(input.kind);
  input.validate?.(input.value);
  const hash = fingerprint(input.value as never);
  const json = JSON.stringify(input.value);
  return db.$transaction(async (tx) => {
    const latest = await tx.configVersion.findFirst({ where: { kind: input.kind, name: input.name }, orderBy: { version: "desc" } });
    const active = await tx.configVersion.findFirst({ where: { kind: input.kind, name: input.name, active: true } });
    if (active && active.hash === hash) return toVersion<T>(active);
    const activate = input.activate ?? true;
    if (activate) await tx.configVersion.updateMany({ where: { kind: input.kind, name: input.name, active: true }, data: { active: false } });
    const row = await tx.configVersion.create({
      data: { kind: input.kind, name: input.name, version: (latest?.version ?? 0) + 1, json, hash, active: activate, createdBy: input.actor, note: input.note ?? null },
    });
    return toVersion<T>(row);
  });
}

/** The active version of (kind, name), or null when none was published. */
export async function activeConfig<T>(db: Client, kind: ConfigKind, name: string): Promise<ConfigVersionOf<T> | null> {
  checkKind(kind);
  const row = await db.configVersion.findFirst({ where: { kind, name, active: true } });
  return row ? toVersion<T>(row) : null;
}

/** One version of (kind, name), or null. */
export async function configVersion<T>(db: Client, kind: ConfigKind, name: string, version: number): Promise<ConfigVersionOf<T> | null> {
  checkKind(kind);
  const row = await db.configVersion.findUnique({ where: { kind_name_version: { kind, name, version } } });
  return row ? toVersion<T>(row) : null;
}

/** Every version of (kind, name), newest first. */
export async function configHistory<T>(db: Client, kind: ConfigKind, name: string): Promise<ConfigVersionOf<T>[]> {
  checkKind(kind);
  const rows = await db.configVersion.findMany({ where: { kind, name }, orderBy: { version: "desc" } });
  return rows.map((row) => toVersion<T>(row));
}

/** Makes an earlier (or later) version the active one again (a rollback is a re-activation, never an edit). */
export async function activateConfig(db: HisDb, kind: ConfigKind, name: string, version: number): Promise<ConfigVersionOf<unknown>> {
  checkKind(kind);
  return db.$transaction(async (tx) => {
    const row = await tx.configVersion.findUnique({ where: { kind_name_version: { kind, name, version } } });
    if (!row) {
      throw platformError("NOT_FOUND", {
        message: `No version ${version} of ${kind} "${name}".`,
        messageZh: `${kind}“${name}”没有第 ${version} 版。`,
        details: { kind, name, version },
      });
    }
    await tx.configVersion.updateMany({ where: { kind, name, active: true }, data: { active: false } });
    return toVersion(await tx.configVersion.update({ where: { id: row.id }, data: { active: true } }));
  });
}
