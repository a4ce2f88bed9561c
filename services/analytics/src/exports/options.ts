// The options of an export, checked before anything is read or asked: a wrong k, cohort or policy is
// the caller's mistake and is refused with nothing done.
import { checkDeidPolicyVersion, type DeidPolicy, type DeidPolicyVersion } from "@health-chain/his";
import type { Hex } from "viem";
import { invalidExportInput, isBytes32 } from "./invalid.ts";
import type { BuildExportOptions, KFailureAction } from "./types.ts";

export const DEFAULT_K = 5;
export const MAX_K = 10_000;
export const DEFAULT_MAX_GENERALISATION_STEPS = 4;
const MAX_GENERALISATION_STEPS = 20;
const EXPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The options with defaults applied and hex normalised to lower case. */
export interface ExportSettings {
  readonly exportId: string;
  readonly project: { readonly id: Hex; readonly title: string };
  /** Lower-case residentRefs. */
  readonly cohort: ReadonlySet<string>;
  readonly policy: DeidPolicyVersion;
  readonly k: number;
  readonly onKFailure: KFailureAction;
  readonly maxGeneralisationSteps: number;
  readonly coarsen: ((policy: DeidPolicy) => Promise<DeidPolicyVersion>) | undefined;
  readonly referenceDate: string;
  readonly at: Date;
}

function isCalendarDay(text: unknown): text is string {
  const match = typeof text === "string" ? DAY.exec(text) : null;
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function checkProject(project: unknown): { id: Hex; title: string } {
  const { id, title } = (project ?? {}) as { id?: unknown; title?: unknown };
  if (!isBytes32(id) || typeof title !== "string" || title.trim() === "") {
    throw invalidExportInput(
      { what: "project" },
      "The project needs its id (the bytes32 grantee id of residents' research consents) and its title.",
      "项目需要其标识（居民科研授权的 bytes32 被授权方标识）和名称。",
    );
  }
  return { id: id.toLowerCase() as Hex, title };
}

function checkCohort(cohort: unknown): Set<string> {
  if (!Array.isArray(cohort)) {
    throw invalidExportInput({ what: "cohort" }, "The cohort must be an array of residentRefs.", "队列必须是居民引用（residentRef）数组。");
  }
  const refs = new Set<string>();
  cohort.forEach((ref: unknown, index) => {
    if (!isBytes32(ref)) {
      throw invalidExportInput({ what: "cohort", index }, `Cohort entry ${index} is not a bytes32 residentRef.`, `队列第 ${index} 项不是 bytes32 居民引用。`);
    }
    const key = ref.toLowerCase();
    if (refs.has(key)) {
      throw invalidExportInput({ what: "cohort", index }, `Cohort entry ${index} repeats a resident.`, `队列第 ${index} 项与之前的居民重复。`);
    }
    refs.add(key);
  });
  return refs;
}

function checkInteger(value: unknown, what: string, low: number, high: number, zh: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < low || value > high) {
    throw invalidExportInput({ what, value }, `${what} must be an integer from ${low} to ${high}.`, `${zh}必须是 ${low} 到 ${high} 之间的整数。`);
  }
  return value;
}

function checkKFailure(options: BuildExportOptions): KFailureAction {
  const action = options.onKFailure ?? "refuse";
  if (action !== "refuse" && action !== "generalise") {
    throw invalidExportInput({ what: "onKFailure", value: action }, 'onKFailure must be "refuse" or "generalise".', 'onKFailure 必须是 "refuse" 或 "generalise"。');
  }
  if (action === "generalise" && typeof options.coarsen !== "function") {
    // Applying an unpublished policy would leave the export without a version to record.
    throw invalidExportInput(
      { what: "coarsen" },
      "To generalise, pass coarsen: it publishes each coarser policy as a new version before it is applied.",
      "泛化时须提供 coarsen：每个更粗的策略在应用前先发布为新版本。",
    );
  }
  return action;
}

/** Checks every option; INVALID_INPUT (or the policy's INTEGRITY_CHECK_FAILED) names the first wrong one. */
export function checkExportOptions(options: BuildExportOptions): ExportSettings {
  if (typeof options !== "object" || options === null) {
    throw invalidExportInput({ what: "options" }, "Pass the export's options.", "请提供导出选项。");
  }
  if (typeof options.exportId !== "string" || !EXPORT_ID.test(options.exportId)) {
    throw invalidExportInput(
      { what: "exportId" },
      "The export id is 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.",
      "导出标识应为 1 至 128 个字母、数字、“.”、“_”、“:”或“-”，并以字母或数字开头。",
    );
  }
  const project = checkProject(options.project);
  const cohort = checkCohort(options.cohort);
  if (typeof options.consent?.check !== "function") {
    throw invalidExportInput({ what: "consent" }, "Pass the consent port (check).", "请提供授权查询端口（check）。");
  }
  checkDeidPolicyVersion(options.policy);
  const k = checkInteger(options.k ?? DEFAULT_K, "k", 2, MAX_K, "k ");
  const onKFailure = checkKFailure(options);
  const steps = checkInteger(options.maxGeneralisationSteps ?? DEFAULT_MAX_GENERALISATION_STEPS, "maxGeneralisationSteps", 0, MAX_GENERALISATION_STEPS, "最大泛化步数");
  if (!isCalendarDay(options.referenceDate)) {
    throw invalidExportInput({ what: "referenceDate" }, "The reference date must be a day written YYYY-MM-DD.", "参考日期应为 YYYY-MM-DD 格式的日期。");
  }
  if (!(options.at instanceof Date) || Number.isNaN(options.at.getTime())) {
    throw invalidExportInput({ what: "at" }, "The export time (at) must be a valid Date.", "导出时间（at）必须是有效的日期。");
  }
  const records = options.records as unknown;
  const iterable = records !== null && typeof records === "object" && (Symbol.iterator in records || Symbol.asyncIterator in records);
  if (!iterable) {
    throw invalidExportInput({ what: "records" }, "The records must be an array or an (async) iterable.", "记录必须是数组或（异步）可迭代对象。");
  }
  return {
    exportId: options.exportId,
    project,
    cohort,
    policy: options.policy,
    k,
    onKFailure,
    maxGeneralisationSteps: steps,
    coarsen: options.coarsen,
    referenceDate: options.referenceDate,
    at: new Date(options.at.getTime()),
  };
}
