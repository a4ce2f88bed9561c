// An approved research export (批量数据导出): consent checked on chain at export time, field by
// field; de-identification by a published his policy version; k-anonymity over the policy's
// quasi-identifiers, generalised further through new policy versions or refused with the report;
// then the package bytes and their SM3. Residents are never dropped to reach k: an export that would
// break consent or k-anonymity is refused, never silently trimmed.
import { checkDeidPolicyVersion, validateDeidPolicy, type DeidPolicyVersion, type DeidSecrets } from "@health-chain/his";
import { fingerprint, platformError } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { Bilingual } from "../privacy/index.ts";
import { checkResearchConsent, type ConsentOutcome } from "./consent.ts";
import { deidentifyConsented, policyRef, type DeidentifiedExport } from "./deid.ts";
import { checkExportOptions, type ExportSettings } from "./options.ts";
import { buildExportPackage } from "./package.ts";
import { NULL_NOTE, checkExportK, exportQuasiIdentifiers, nextCoarserPolicy, residentQuasiRows, type LocatedQuasiIdentifier } from "./quasi.ts";
import type {
  BuildExportOptions, ExportGeneralisationStep, ExportKCheck, ExportKReport, ExportMember, ExportPolicySuggestion, ExportReport, ExportResult,
} from "./types.ts";

/** One policy version applied and checked. */
interface Attempt {
  readonly version: DeidPolicyVersion;
  readonly deid: DeidentifiedExport;
  readonly qis: readonly LocatedQuasiIdentifier[];
  readonly check: ExportKCheck;
}

function attempt(consented: ConsentOutcome, version: DeidPolicyVersion, secrets: DeidSecrets, settings: ExportSettings, refs: readonly string[]): Attempt {
  const deid = deidentifyConsented(consented.records, version, secrets, settings.referenceDate);
  const qis = exportQuasiIdentifiers(version.value);
  const rows = residentQuasiRows(deid.records, qis, refs);
  return { version, deid, qis, check: checkExportK(rows, qis, settings.k, policyRef(version)) };
}

/** Publishes the coarser policy through the caller and holds it to what was asked. */
async function publishCoarser(settings: ExportSettings, suggestion: ExportPolicySuggestion): Promise<DeidPolicyVersion> {
  const version = await settings.coarsen!(suggestion.policy);
  checkDeidPolicyVersion(version);
  if (version.hash !== fingerprint(validateDeidPolicy(suggestion.policy) as never)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "coarsen", coarsen: suggestion.coarsen, name: version.name, version: version.version },
      message: `coarsen returned a policy version that is not the coarser policy it was given (${suggestion.coarsen}); publish exactly that policy.`,
      messageZh: `coarsen 返回的策略版本不是所给的更粗策略（${suggestion.coarsen}）；请原样发布该策略。`,
    });
  }
  return version;
}

function kReport(settings: ExportSettings, first: Attempt, last: Attempt, steps: readonly ExportGeneralisationStep[], suggestion: ExportPolicySuggestion | null): ExportKReport {
  return {
    k: settings.k,
    onKFailure: settings.onKFailure,
    quasiIdentifiers: last.qis.map(({ name, rule, in: where }) => ({ name, rule, in: where })),
    note: NULL_NOTE,
    initial: first.check,
    steps,
    final: last.check,
    suggestion,
  };
}

function kRefusal(settings: ExportSettings, last: Attempt, steps: number): Bilingual {
  const below = last.check.classesBelowK.reduce((sum, found) => sum + found.size, 0);
  const tried = steps === 0 ? "" : ` after ${steps} generalisation step(s)`;
  const triedZh = steps === 0 ? "" : `经过 ${steps} 步泛化后，`;
  return {
    en: `The export is refused: ${below} of ${last.check.residents} resident(s) share their quasi-identifier values with fewer than ${settings.k} resident(s)${tried}. No one is dropped to reach k; see the report's classes and the suggested coarser policy.`,
    zh: `导出被拒绝：${triedZh}${last.check.residents} 名居民中有 ${below} 名的准标识符取值组合少于 ${settings.k} 人。不会为达到 k 而删除任何居民；请查看报告中的等价类和建议的更粗策略。`,
  };
}

const EMPTY_REFUSAL: Bilingual = {
  en: "The export is refused: after the consent check no resident of the cohort has any record whose fields they allowed for this project's research.",
  zh: "导出被拒绝：授权核验后，队列中没有任何居民的记录字段允许用于本项目的科研。",
};

function members(consented: ConsentOutcome, refs: readonly string[]): ExportMember[] {
  return refs.map((ref) => {
    const resident = consented.residents.get(ref)!;
    return { residentRef: resident.residentRef, resident: resident.resident, grantIds: [...resident.grantIds].sort() as Hex[] };
  });
}

/** Builds an export, or refuses it with the report. Bad options or records: INVALID_INPUT, nothing built. */
export async function buildExport(options: BuildExportOptions): Promise<ExportResult> {
  const settings = checkExportOptions(options);
  // Compiled once before any record is read: a missing secret fails before the chain is asked anything.
  deidentifyConsented([], settings.policy, options.secrets, settings.referenceDate);
  const consented = await checkResearchConsent(options.records, options.consent, settings);
  const base = { exportId: settings.exportId, projectId: settings.project.id, createdAt: settings.at.toISOString(), consent: consented.report };
  if (consented.residents.size === 0) {
    const report: ExportReport = { ...base, deid: null, kAnonymity: null, package: null };
    return { status: "refused", exportId: settings.exportId, reason: "empty-after-consent", message: EMPTY_REFUSAL, report };
  }
  const refs = [...consented.residents.keys()].sort();
  const first = attempt(consented, settings.policy, options.secrets, settings, refs);
  let last = first;
  const steps: ExportGeneralisationStep[] = [];
  while (!last.check.satisfied) {
    const suggestion = nextCoarserPolicy(last.version.value, last.check, last.qis);
    if (settings.onKFailure === "refuse" || suggestion === null || steps.length >= settings.maxGeneralisationSteps) {
      const report: ExportReport = { ...base, deid: last.deid.report, kAnonymity: kReport(settings, first, last, steps, suggestion), package: null };
      return { status: "refused", exportId: settings.exportId, reason: "k-anonymity", message: kRefusal(settings, last, steps.length), report };
    }
    const distinctValuesBefore = last.check.distinctValues[last.qis.find((qi) => qi.rule === suggestion.coarsen)!.name] ?? 0;
    last = attempt(consented, await publishCoarser(settings, suggestion), options.secrets, settings, refs);
    steps.push({ step: steps.length + 1, coarsened: suggestion.coarsen, distinctValuesBefore, check: last.check });
  }
  const policy = policyRef(last.version);
  const built = buildExportPackage({
    exportId: settings.exportId,
    project: settings.project,
    policy,
    createdAt: settings.at,
    k: settings.k,
    quasiIdentifiers: last.qis,
    residents: refs.length,
    records: last.deid.records,
  });
  const report: ExportReport = {
    ...base,
    deid: last.deid.report,
    kAnonymity: kReport(settings, first, last, steps, null),
    package: { residents: refs.length, records: last.deid.records.length, recordsByModel: built.recordsByModel, bytes: built.bytes.length, packageHash: built.packageHash },
  };
  return { status: "built", exportId: settings.exportId, bytes: built.bytes, packageHash: built.packageHash, policy, members: members(consented, refs), accessed: consented.accessed, report };
}
