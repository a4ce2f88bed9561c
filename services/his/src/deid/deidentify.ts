// Applying a published policy version to a set of records before they are shared or exported, and
// recording the use: which version (name, number, hash), for what, by whom, how many records and,
// for one package, the SM3 fingerprint of the output.
import { fingerprint, platformError } from "@health-chain/sdk";
import type { HisDb } from "../db.ts";
import {
  type DeidApplied, type DeidContext, type DeidRecordInput, type DeidRecordOutput, type DeidUnusableReason, compileDeidPolicy,
} from "./compile.ts";
import type { DeidSecrets } from "./secrets.ts";
import { type DeidPolicyVersion, type DeidUseRecord, checkDeidPolicyVersion, recordDeidUse } from "./versions.ts";

export interface DeidentifyOptions {
  /** The published version to apply (publishDeidPolicy, activeDeidPolicy, deidPolicyVersion). */
  readonly policy: DeidPolicyVersion;
  /** Resolves the policy's secret ids and key ids. */
  readonly secrets?: DeidSecrets;
  /** What the output is for ("research export project 2025-017", "referral to 上海市第一人民医院"). */
  readonly purpose: string;
  /** Who asked for it (user or system id). */
  readonly actor: string;
  /** When given, a DeidUse row records this use. */
  readonly db?: HisDb;
  /** YYYY-MM-DD ages are computed at; default today (UTC+8). Give it for a reproducible export. */
  readonly referenceDate?: string;
  /** The person key of a record when it is not in the policy's `personKeyField`. */
  readonly personKeyOf?: (record: DeidRecordInput) => string | null;
  /**
   * The output is one package: its hash is recorded with the use. `true`: the SM3 fingerprint of the
   * output records (sdk fingerprint: canonical JSON of the array); a string: the caller's own SM3 of
   * the bytes it writes (0x + 64 hex).
   */
  readonly package?: true | string;
}

/** Counts of one rule over the records, by outcome. */
export interface DeidRuleSummary {
  readonly action: string;
  readonly by: "rule" | "default";
  done: number;
  null: number;
  unusable: number;
}

/** A value that became null because its action could not handle it. */
export interface DeidUnusableValue {
  /** Index of the record in the input. */
  readonly index: number;
  readonly member: string;
  readonly reason: DeidUnusableReason;
}

export interface DeidentifyResult {
  readonly records: DeidRecordOutput[];
  readonly policy: { readonly name: string; readonly version: number; readonly hash: string };
  /** Per member location ("patient.idNumber", "record.institution", "personRef"). */
  readonly summary: Readonly<Record<string, DeidRuleSummary>>;
  readonly unusableCount: number;
  /** The first 100 unusable values, for the report. */
  readonly unusable: readonly DeidUnusableValue[];
  readonly outputHash: string | null;
  /** The use recorded, when a db was given. */
  readonly use: DeidUseRecord | null;
}

const UNUSABLE_LISTED = 100;

function tally(summary: Record<string, DeidRuleSummary>, entry: DeidApplied): void {
  let counts = summary[entry.member];
  if (counts === undefined) {
    counts = { action: entry.action, by: entry.by, done: 0, null: 0, unusable: 0 };
    summary[entry.member] = counts;
  }
  counts[entry.outcome]++;
}

/**
 * De-identifies records with a published policy version, and records the use when `db` is given.
 * Everything is checked before the first record is touched (the version against its hash, the policy,
 * every secret and key it names); a malformed record fails the whole call: nothing is recorded and no
 * output is returned, so an export is never silently trimmed.
 */
export async function deidentify(records: Iterable<DeidRecordInput>, options: DeidentifyOptions): Promise<DeidentifyResult> {
  const policy = checkDeidPolicyVersion(options.policy);
  const transform = compileDeidPolicy(policy, {
    ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    ...(options.referenceDate === undefined ? {} : { referenceDate: options.referenceDate }),
  });
  for (const [what, value] of [["purpose", options.purpose], ["actor", options.actor]] as const) {
    if (typeof value !== "string" || value.trim() === "") {
      throw platformError("INVALID_INPUT", {
        details: { what },
        message: `De-identification needs its ${what}: it is recorded with the use.`,
        messageZh: `脱敏需要${what === "purpose" ? "用途" : "操作人"}：它将记入使用记录。`,
      });
    }
  }
  if (typeof options.package === "string" && !/^0x[0-9a-f]{64}$/.test(options.package)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "package" },
      message: "The package hash is an SM3 digest written 0x followed by 64 lower-case hex digits (or pass true to have it computed).",
      messageZh: "数据包杂凑值应为 SM3 摘要，写作 0x 加 64 位小写十六进制数字（或传入 true 由本函数计算）。",
    });
  }
  const output: DeidRecordOutput[] = [];
  const summary: Record<string, DeidRuleSummary> = {};
  const unusable: DeidUnusableValue[] = [];
  let unusableCount = 0;
  let index = 0;
  for (const record of records) {
    let context: DeidContext | undefined;
    if (options.personKeyOf !== undefined) context = { personKey: options.personKeyOf(record) };
    let result;
    try {
      result = transform(record, context);
    } catch (error) {
      throw platformError("INVALID_INPUT", {
        details: { index, ...(error instanceof Error && "details" in error ? (error.details as object) : {}) },
        message: `Record ${index} cannot be de-identified: ${error instanceof Error ? error.message : String(error)} Nothing was exported or recorded.`,
        messageZh: `第 ${index} 条记录无法脱敏：${error instanceof Error && "messageZh" in error ? String(error.messageZh) : String(error)}未导出或记录任何内容。`,
        cause: error,
      });
    }
    for (const entry of result.applied) {
      tally(summary, entry);
      if (entry.outcome === "unusable") {
        unusableCount++;
        if (unusable.length < UNUSABLE_LISTED) unusable.push({ index, member: entry.member, reason: entry.reason! });
      }
    }
    output.push(result.record);
    index++;
  }
  const outputHash = options.package === undefined ? null : options.package === true ? fingerprint(output) : options.package;
  const version = options.policy;
  const use = options.db === undefined
    ? null
    : await recordDeidUse(options.db, { policy: version, purpose: options.purpose, actor: options.actor, recordCount: output.length, outputHash });
  return {
    records: output,
    policy: { name: version.name, version: version.version, hash: version.hash },
    summary,
    unusableCount,
    unusable,
    outputHash,
    use,
  };
}
