// Building the package of an approved export. The export request is claimed (approved → building)
// so two builds never run; the cohort is taken from the topic databases with the screening
// request's own criteria and index date; the records come from the institutions' stores; consent
// is asked of the chain as the project at this moment; the analytics pipeline de-identifies with
// the collection service's active research-export policy and checks k-anonymity. A refusal is
// kept with its report (status refused); a build that fails for another reason (the chain or a
// store unreachable) gives the claim back so it can be tried again. Every record read into a package
// leaves an access-log line (anchored in AuditTrail) and its resident a notification; every
// de-identification is recorded as a use of the policy version applied (services/his DeidUse).
import type { Hex } from "viem";
import { hmacSm3, platformError, utf8 } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import type { ResearchDeps } from "./deps.ts";
import { chainResearchConsent } from "./consent.ts";
import { recordExportAccess } from "./evidence.ts";
import { cohortRecords } from "./records.ts";
import { markRevocations, operatorStore, savePackage } from "./packages.ts";
import { openResearchTopic } from "./topics.ts";
import { buildExport } from "../../../services/analytics/src/exports/index.ts";
import type { ScreeningRequest } from "../../../services/analytics/src/requests/types.ts";
import type { DeidSecrets } from "../../../services/his/src/deid/secrets.ts";
import { activeDeidPolicy, deidPolicyVersion, publishDeidPolicy, recordDeidUse } from "../../../services/his/src/deid/versions.ts";

/** How long a build's claim holds: far longer than a build of the largest export allowed takes (seconds). */
export const BUILD_LEASE_MS = 15 * 60_000;

/** The de-identification policy research exports apply (services/his config/deid/research-export.json). */
export const RESEARCH_EXPORT_POLICY = "research-export";

function hisOf(deps: GatewayDeps) {
  if (deps.his === undefined) {
    throw platformError("NOT_FOUND", {
      message: "Exports need the collection service's database (his.databaseUrl) for the de-identification policies.",
      messageZh: "导出需要采集服务数据库（his.databaseUrl）中的脱敏策略。",
      details: { reason: "his-not-configured" },
    });
  }
  return deps.his;
}

/**
 * The de-identification secrets of one project: each derived from the platform's secret and the
 * project id (HMAC-SM3), so one resident's personRef, hashed ID number, pseudonyms and date shift
 * differ between projects' packages — two projects cannot join their packages on them, while one
 * project's successive exports still link (a cohort followed over time).
 */
export function projectSecrets(base: DeidSecrets, projectId: Hex): DeidSecrets {
  const context = utf8(`health-chain/research-project\0${projectId.toLowerCase()}`);
  return { secret: (id) => hmacSm3(base.secret(id), context), keyRing: (id) => base.keyRing(id) };
}

export async function buildPackage(deps: GatewayDeps, research: ResearchDeps, exportId: string, actor: string, requestId: string) {
  const { db } = research;
  // What the build will need is checked before anything is claimed or read.
  const his = hisOf(deps);
  operatorStore(deps);
  // A build whose process died keeps its claim until the lease ends; then another may take it over.
  const staleBefore = new Date(deps.clock.now().getTime() - BUILD_LEASE_MS);
  const claimed = await db.exportRequest.updateMany({
    where: { id: exportId, OR: [{ status: "approved" }, { status: "building", updatedAt: { lt: staleBefore } }] },
    data: { status: "building" },
  });
  if (claimed.count === 0) {
    const row = await db.exportRequest.findUniqueOrThrow({ where: { id: exportId } });
    throw platformError("CONFLICT", {
      message: row.status === "requested" ? "The export has not been approved yet." : `The export cannot be built: it is ${row.status}.`,
      messageZh: row.status === "requested" ? "该导出申请尚未批准。" : `该导出申请当前状态为 ${row.status}，不能生成数据包。`,
      details: { reason: "export-not-approved", status: row.status },
    });
  }
  try {
    const row = await db.exportRequest.findUniqueOrThrow({ where: { id: exportId } });
    const request = JSON.parse((await db.screeningRequest.findUniqueOrThrow({ where: { id: row.requestId } })).json) as ScreeningRequest;
    const project = await db.project.findUniqueOrThrow({ where: { id: row.projectId } });
    const policy = await activeDeidPolicy(his, RESEARCH_EXPORT_POLICY);
    if (policy === null) {
      throw platformError("CONFLICT", {
        message: `No active "${RESEARCH_EXPORT_POLICY}" de-identification policy is published; publish one first.`,
        messageZh: `尚未发布有效的“${RESEARCH_EXPORT_POLICY}”脱敏策略，请先发布。`,
        details: { reason: "no-deid-policy", policy: RESEARCH_EXPORT_POLICY },
      });
    }
    const topic = await openResearchTopic(research);
    let cohort: Hex[];
    try {
      cohort = await topic.cohort(request.criteria, request.indexDate, request.institutions);
    } finally {
      topic.close();
    }
    const found = await cohortRecords(deps, cohort, { maxRecords: deps.config.analytics!.maxExportRecords });
    // The request screened these institutions' data: the cohort's records elsewhere are not part of it.
    const targeted = new Set(request.institutions);
    const records = found.records.filter((r) => targeted.has(r.institution));
    const skipped = { ...found.skipped, ...(records.length < found.records.length ? { "outside-requested-institutions": found.records.length - records.length } : {}) };
    const at = deps.clock.now();
    const result = await buildExport({
      exportId,
      project: { id: project.id as Hex, title: project.title },
      cohort,
      records,
      consent: chainResearchConsent(deps),
      policy,
      secrets: projectSecrets(research.deidSecrets, project.id as Hex),
      k: row.k,
      onKFailure: row.onKFailure as "refuse" | "generalise",
      // A coarser policy is published as a new, inactive version so the use records exactly what was applied.
      coarsen: (coarser) => publishDeidPolicy(his, coarser, { actor, note: `k-anonymity generalisation for export ${exportId}`, activate: false }),
      referenceDate: request.indexDate,
      at,
    });
    const report = { ...result.report, topic: { name: topic.name, version: topic.version }, recordsNotExported: skipped };
    if (result.status === "refused") {
      await db.exportRequest.update({ where: { id: exportId }, data: { status: "refused", reportJson: JSON.stringify(report) } });
      return { status: "refused" as const, reason: result.reason, message: result.message, report };
    }
    await recordExportAccess(deps, {
      exportId,
      projectId: project.id as Hex,
      projectCode: project.code,
      reader: row.requestedBy,
      requestId,
      at,
      accessed: result.accessed,
      holderOf: new Map(records.map((r) => [r.recordId.toLowerCase(), r.holder])),
    });
    const applied = await deidPolicyVersion(his, result.policy.name, result.policy.version);
    await recordDeidUse(his, { policy: applied, purpose: `research export ${exportId} (${project.code})`, actor, recordCount: result.report.package?.records ?? 0, outputHash: result.packageHash });
    const saved = await savePackage(deps, db, {
      exportId,
      bytes: result.bytes,
      packageHash: result.packageHash,
      records: result.report.package?.records ?? 0,
      policy: result.policy,
      members: result.members,
      reportJson: JSON.stringify(report),
    });
    await markRevocations(deps, db, [saved.id]);
    return { status: "built" as const, packageId: saved.id, packageHash: saved.packageHash, certId: saved.certId, anchorState: saved.anchorState, report };
  } catch (error) {
    await db.exportRequest.updateMany({ where: { id: exportId, status: "building" }, data: { status: "approved" } });
    throw error;
  }
}
