// De-identification policies as versioned configuration (kind "deid-policy", named by the policy's
// own name) and the record of every use (数据脱敏使用记录, table DeidUse).
import { fingerprint, platformError } from "@health-chain/sdk";
import { type ConfigVersionOf, activeConfig, configHistory, configVersion, publishConfig } from "../config/versions.ts";
import type { HisDb, HisTx } from "../db.ts";
import type { DeidPolicy } from "./policy.ts";
import { validateDeidPolicy } from "./validate.ts";

export const DEID_POLICY_KIND = "deid-policy";

/** A published version of a policy. */
export type DeidPolicyVersion = ConfigVersionOf<DeidPolicy>;

/**
 * Publishes a policy as the next version of its name (validated first: nothing is written when it is
 * invalid) and makes it active unless `activate: false`. A policy equal to the active version is not
 * published again: that version is returned.
 */
export async function publishDeidPolicy(
  db: HisDb,
  policy: DeidPolicy,
  options: { actor: string; note?: string; activate?: boolean },
): Promise<DeidPolicyVersion> {
  const valid = validateDeidPolicy(policy);
  return publishConfig<DeidPolicy>(db, {
    kind: DEID_POLICY_KIND,
    name: valid.name,
    value: valid,
    actor: options.actor,
    validate: validateDeidPolicy,
    ...(options.note === undefined ? {} : { note: options.note }),
    ...(options.activate === undefined ? {} : { activate: options.activate }),
  });
}

/** The active version of a policy, or null. */
export function activeDeidPolicy(db: HisDb | HisTx, name: string): Promise<DeidPolicyVersion | null> {
  return activeConfig<DeidPolicy>(db, DEID_POLICY_KIND, name);
}

/** One version of a policy; NOT_FOUND when there is no such version. */
export async function deidPolicyVersion(db: HisDb | HisTx, name: string, version: number): Promise<DeidPolicyVersion> {
  const found = await configVersion<DeidPolicy>(db, DEID_POLICY_KIND, name, version);
  if (found === null) {
    throw platformError("NOT_FOUND", {
      details: { kind: DEID_POLICY_KIND, name, version },
      message: `No version ${version} of the de-identification policy "${name}".`,
      messageZh: `脱敏策略“${name}”没有第 ${version} 版。`,
    });
  }
  return found;
}

/** Every version of a policy, newest first. */
export function deidPolicyHistory(db: HisDb | HisTx, name: string): Promise<DeidPolicyVersion[]> {
  return configHistory<DeidPolicy>(db, DEID_POLICY_KIND, name);
}

/**
 * Checks that a version object is what was published: kind "deid-policy", its value a valid policy
 * whose fingerprint is the recorded hash (a value edited in memory after loading would otherwise be
 * applied and recorded under a version it is not).
 */
export function checkDeidPolicyVersion(version: DeidPolicyVersion): DeidPolicy {
  if (version === null || typeof version !== "object" || version.kind !== DEID_POLICY_KIND || !Number.isInteger(version.version)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "policy version", kind: (version as { kind?: unknown } | null)?.kind },
      message: 'Pass a published version of a de-identification policy (kind "deid-policy"), as publishDeidPolicy or activeDeidPolicy return it.',
      messageZh: "请传入已发布的脱敏策略版本（类别“deid-policy”），即 publishDeidPolicy 或 activeDeidPolicy 的返回值。",
    });
  }
  const policy = validateDeidPolicy(version.value);
  const hash = fingerprint(policy as never);
  if (hash !== version.hash) {
    throw platformError("INTEGRITY_CHECK_FAILED", {
      details: { what: "de-identification policy", name: version.name, version: version.version, recorded: version.hash, actual: hash },
      message: `The content of policy "${version.name}" version ${version.version} does not match its recorded hash: it was changed after publication. Load it again.`,
      messageZh: `策略“${version.name}”第 ${version.version} 版的内容与登记的杂凑值不符：发布后被修改过。请重新加载。`,
    });
  }
  return policy;
}

/** One recorded use of a policy. */
export interface DeidUseRecord {
  readonly id: number;
  readonly policyName: string;
  readonly policyVersion: number;
  readonly policyHash: string;
  readonly purpose: string;
  readonly actor: string;
  readonly recordCount: number;
  readonly outputHash: string | null;
  readonly createdAt: Date;
}

function requireText(value: unknown, what: "purpose" | "actor"): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > 500) {
    throw platformError("INVALID_INPUT", {
      details: { what },
      message: `A use of a de-identification policy needs its ${what} (1 to 500 characters).`,
      messageZh: `脱敏策略的使用记录需要${what === "purpose" ? "用途" : "操作人"}（1 至 500 个字符）。`,
    });
  }
  return value.trim();
}

/**
 * Records one use of a policy version: who, for what, how many records, and the SM3 of the output
 * when it was one package. For callers that stream (compileDeidPolicy over a cursor) and record the
 * use at the end; deidentify calls it itself.
 */
export async function recordDeidUse(
  db: HisDb | HisTx,
  use: { policy: DeidPolicyVersion; purpose: string; actor: string; recordCount: number; outputHash?: string | null },
): Promise<DeidUseRecord> {
  const purpose = requireText(use.purpose, "purpose");
  const actor = requireText(use.actor, "actor");
  if (!Number.isInteger(use.recordCount) || use.recordCount < 0) {
    throw platformError("INVALID_INPUT", {
      details: { what: "recordCount", value: use.recordCount },
      message: "The record count of a use is a non-negative integer.",
      messageZh: "使用记录的记录数应为非负整数。",
    });
  }
  const outputHash = use.outputHash ?? null;
  if (outputHash !== null && !/^0x[0-9a-f]{64}$/.test(outputHash)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "outputHash" },
      message: "The output hash is an SM3 digest written 0x followed by 64 lower-case hex digits.",
      messageZh: "输出杂凑值应为 SM3 摘要，写作 0x 加 64 位小写十六进制数字。",
    });
  }
  return db.deidUse.create({
    data: {
      policyName: use.policy.name,
      policyVersion: use.policy.version,
      policyHash: use.policy.hash,
      purpose,
      actor,
      recordCount: use.recordCount,
      outputHash,
    },
  });
}

/** Recorded uses, newest first, optionally of one policy (and version). */
export function deidUses(db: HisDb | HisTx, filter: { policyName?: string; policyVersion?: number; take?: number } = {}): Promise<DeidUseRecord[]> {
  return db.deidUse.findMany({
    where: {
      ...(filter.policyName === undefined ? {} : { policyName: filter.policyName }),
      ...(filter.policyVersion === undefined ? {} : { policyVersion: filter.policyVersion }),
    },
    orderBy: { id: "desc" },
    take: Math.min(Math.max(filter.take ?? 100, 1), 1_000),
  });
}
