// Polling a FHIR R4 server (the regional platform's, or a hospital's facade) for what changed: per
// resource type, a search sorted by _lastUpdated, page after page through link[relation=next].
//
// The cursor is, per resource type, the last meta.lastUpdated read and the ids read at that instant.
// A new search starts at `_lastUpdated=ge<instant>` (not gt: a page boundary or the limit can cut an
// instant in two) and skips the ids already read there, so resources sharing a timestamp are neither
// skipped nor read twice, whatever the page size, the limit or the server's order among equals.
import { platformError } from "@health-chain/sdk";
import type { PullAdapter, PullPage, RejectedItem, SourceItem } from "../types.ts";
import { FHIR_RESOURCE_TYPES, type FhirResourceType, readFhirBundle } from "./parse.ts";

export interface FhirPullOptions {
  /** The server's base URL, e.g. `https://platform.example/fhir/R4`. */
  readonly baseUrl: string;
  /** The fetch to use (default: the global one); tests and proxies pass their own. */
  readonly fetch?: typeof globalThis.fetch;
  /** The types to read, in this order (default: every supported type but DiagnosticReport, which gives no items). */
  readonly resourceTypes?: readonly FhirResourceType[];
  /** `_count` per search page (default 100, at most 1000). */
  readonly pageSize?: number;
  /** Extra request headers, e.g. Authorization. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The institution the server speaks for, for resources that name none (see FhirParseOptions). */
  readonly institutionCode?: string;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
}

export const DEFAULT_FHIR_PULL_TYPES: readonly FhirResourceType[] = [
  "Patient", "Encounter", "Condition", "Observation", "MedicationRequest", "DocumentReference",
];

interface Position {
  at: string | null;
  ids: string[];
}

interface CursorState {
  readonly v: 1;
  readonly positions: Record<string, Position>;
}

const invalid = (key: string, problem: string, value: unknown, message: string, messageZh: string) =>
  platformError("INVALID_INPUT", { message, messageZh, details: { problems: [{ key, problem, value }] } });

function checkOptions(options: FhirPullOptions): void {
  const url = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : null;
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw invalid("baseUrl", "an http(s) URL", options.baseUrl, "The FHIR server's base URL must be an http(s) URL.", "FHIR 服务器基础地址须为 http(s) URL。");
  }
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw invalid("pageSize", "an integer in [1, 1000]", pageSize, "The page size must be an integer from 1 to 1000.", "分页大小须为 1 至 1000 的整数。");
  }
  for (const type of options.resourceTypes ?? []) {
    if (!(FHIR_RESOURCE_TYPES as readonly string[]).includes(type)) {
      throw invalid("resourceTypes", `one of ${FHIR_RESOURCE_TYPES.join(", ")}`, type, `${type} is not a resource type the adapter reads.`, `适配器不读取 ${type} 资源。`);
    }
  }
}

function decodeCursor(cursor: string | null): CursorState {
  if (cursor === null) return { v: 1, positions: {} };
  let state: unknown;
  try {
    state = JSON.parse(cursor);
  } catch {
    state = null;
  }
  const positions = (state as CursorState | null)?.positions;
  const valid = (state as CursorState | null)?.v === 1 && typeof positions === "object" && positions !== null &&
    Object.values(positions).every((p) => (p.at === null || typeof p.at === "string") && Array.isArray(p.ids) && p.ids.every((id) => typeof id === "string"));
  if (!valid) throw invalid("cursor", "a cursor this adapter returned", cursor, "The cursor was not made by the FHIR pull adapter.", "游标不是 FHIR 拉取适配器生成的。");
  return { v: 1, positions: structuredClone(positions) };
}

/** A PullAdapter over a FHIR R4 server's search API. */
export function createFhirPullAdapter(options: FhirPullOptions): PullAdapter {
  checkOptions(options);
  const base = options.baseUrl.replace(/\/+$/, "");
  const origin = new URL(base).origin;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const types = options.resourceTypes ?? DEFAULT_FHIR_PULL_TYPES;
  const pageSize = options.pageSize ?? 100;
  const parseOptions = options.institutionCode === undefined ? {} : { institutionCode: options.institutionCode };
  let closed = false;

  const searchUrl = (type: string, at: string | null): string => {
    const query = new URLSearchParams();
    if (at !== null) query.set("_lastUpdated", `ge${at}`);
    query.set("_sort", "_lastUpdated");
    query.set("_count", String(pageSize));
    return `${base}/${type}?${query.toString()}`;
  };

  const getBundle = async (url: string): Promise<string> => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept: "application/fhir+json", ...options.headers },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (cause) {
      throw platformError("INTERNAL", {
        cause,
        message: `The FHIR server cannot be reached (${url}): ${String(cause)}.`,
        messageZh: "无法连接 FHIR 服务器。",
        details: { url },
      });
    }
    const body = await response.text();
    if (!response.ok) {
      throw platformError("INTERNAL", {
        message: `The FHIR server answered ${response.status} to ${url}.`,
        messageZh: `FHIR 服务器返回 ${response.status}。`,
        details: { url, status: response.status, body: body.slice(0, 500) },
      });
    }
    return body;
  };

  const parseJson = (body: string, url: string): object => {
    try {
      const value: unknown = JSON.parse(body);
      if (typeof value === "object" && value !== null) return value;
    } catch {
      // reported below
    }
    throw platformError("INTERNAL", { message: `The FHIR server's answer to ${url} is not JSON.`, messageZh: "FHIR 服务器的应答不是 JSON。", details: { url } });
  };

  /** The next page's URL, refused if it leaves the server (a next link must not take credentials elsewhere). */
  const nextOf = (bundle: unknown): string | null => {
    const links = (bundle as { link?: { relation?: string; url?: string }[] }).link;
    const next = Array.isArray(links) ? links.find((link) => link.relation === "next")?.url : undefined;
    if (!next) return null;
    const url = new URL(next, `${base}/`);
    if (url.origin !== origin) {
      throw platformError("INTERNAL", {
        message: `The FHIR server's next link leaves ${origin}: ${url.origin}.`,
        messageZh: "FHIR 服务器的下一页链接指向其他站点，已拒绝。",
        details: { next },
      });
    }
    return url.toString();
  };

  return {
    format: "fhir-r4",
    async pull(cursor: string | null, limit: number): Promise<PullPage> {
      if (closed) throw platformError("CONFLICT", { message: "The FHIR pull adapter is closed.", messageZh: "FHIR 拉取适配器已关闭。" });
      if (!Number.isInteger(limit) || limit < 1) throw invalid("limit", "a positive integer", limit, "The limit must be a positive integer.", "数量上限须为正整数。");
      const state = decodeCursor(cursor);
      const items: SourceItem[] = [];
      const rejected: RejectedItem[] = [];
      let consumed = 0;
      const page = (done: boolean): PullPage => ({ items, rejected, cursor: JSON.stringify(state), done });

      for (const type of types) {
        const position = (state.positions[type] ??= { at: null, ids: [] });
        let seen = new Set(position.ids);
        let url: string | null = searchUrl(type, position.at);
        while (url !== null) {
          const bundle = parseJson(await getBundle(url), url);
          const reading = readFhirBundle(bundle, parseOptions);
          if ("rejected" in reading) {
            throw platformError("INTERNAL", {
              message: `The FHIR server's answer to ${url} is not a readable searchset: ${reading.rejected.message}`,
              messageZh: `FHIR 服务器的应答不是可读取的 searchset：${reading.rejected.messageZh}`,
              details: { url, reason: reading.rejected.reason },
            });
          }
          for (const entry of reading.entries) {
            const at = entry.position?.lastUpdated ?? null;
            const id = entry.position?.id ?? null;
            if (at !== null && id !== null && at === position.at && seen.has(id)) continue;
            if (entry.item === undefined && entry.rejected === undefined && entry.position === null) continue;
            if (consumed >= limit) return page(false);
            if (entry.item) items.push(entry.item);
            if (entry.rejected) rejected.push(entry.rejected);
            consumed++;
            if (at === null || id === null) continue;
            if (at === position.at) {
              position.ids.push(id);
              seen.add(id);
            } else if (position.at === null || Date.parse(at) >= Date.parse(position.at)) {
              // Never backwards: a server out of order must not make the next search re-read everything.
              position.at = at;
              position.ids = [id];
              seen = new Set(position.ids);
            }
          }
          url = nextOf(bundle);
        }
      }
      return page(true);
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
