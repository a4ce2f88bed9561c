// Submission of a screening request: everything is validated before anything is stored, so a
// refused request leaves no trace (the criteria with parseCriteria's own typed, located error).
import { randomUUID } from "node:crypto";
import { parseCriteria } from "../criteria/parse.ts";
import { isIsoDate } from "../criteria/schema.ts";
import { requestError, requireText } from "./refuse.ts";
import type { RequestStore } from "./store.ts";
import type { ScreeningRequest } from "./types.ts";

export interface SubmitRequestInput {
  readonly sponsor: string;
  readonly title: string;
  readonly purpose: string;
  readonly criteria: unknown;
  readonly indexDate: string;
  readonly institutions: readonly string[];
}

export interface ClockOptions {
  /** The time of the action (default: now). */
  readonly now?: () => Date;
}

const INSTITUTION_CODE = /^[A-Za-z0-9_-]{1,64}$/;

function checkInstitutions(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw requestError(
      "INVALID_INPUT",
      { field: "institutions" },
      "A request must target at least one institution.",
      "检索需求必须至少指定一个机构。",
    );
  }
  const seen = new Set<string>();
  for (const code of value as unknown[]) {
    if (typeof code !== "string" || !INSTITUTION_CODE.test(code)) {
      throw requestError(
        "INVALID_INPUT",
        { field: "institutions", value: String(code) },
        "An institution code has 1 to 64 letters, digits, '_' or '-'.",
        "机构编码须为 1 至 64 个字母、数字、“_”或“-”。",
      );
    }
    if (seen.has(code)) {
      throw requestError("INVALID_INPUT", { field: "institutions", value: code }, `The institution ${code} is listed twice.`, `机构 ${code} 重复列出。`);
    }
    seen.add(code);
  }
  return [...value] as string[];
}

/** Validates and stores a new request with status `submitted`. Throws INVALID_INPUT and stores nothing on bad input. */
export async function submitRequest(store: RequestStore, input: SubmitRequestInput, options: ClockOptions = {}): Promise<ScreeningRequest> {
  if (typeof input !== "object" || input === null) {
    throw requestError("INVALID_INPUT", { field: "request" }, "The request must be an object.", "检索需求必须是对象。");
  }
  const sponsor = requireText(input.sponsor, "sponsor", "申请人", 200);
  const title = requireText(input.title, "title", "标题", 200);
  const purpose = requireText(input.purpose, "purpose", "研究目的", 4000);
  const criteria = parseCriteria(input.criteria);
  if (typeof input.indexDate !== "string" || !isIsoDate(input.indexDate)) {
    throw requestError(
      "INVALID_INPUT",
      { field: "indexDate" },
      "The index date must be a calendar date written YYYY-MM-DD.",
      "索引日期必须是 YYYY-MM-DD 格式的有效日期。",
    );
  }
  const institutions = checkInstitutions(input.institutions);
  const at = (options.now?.() ?? new Date()).toISOString();
  const request: ScreeningRequest = {
    id: randomUUID(),
    sponsor,
    title,
    purpose,
    criteria,
    indexDate: input.indexDate,
    institutions,
    status: "submitted",
    submittedAt: at,
    review: null,
    runs: [],
  };
  await store.save(request, { kind: "submitted", requestId: request.id, at, actor: sponsor });
  return request;
}
