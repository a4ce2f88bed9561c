// Confirmed mapping decisions (an append-only, versioned log) and the review queue that produces them.
import { platformError } from "@health-chain/sdk";
import type { CodeMapper, MappingCandidate, MappingProposal } from "./mapper.ts";

/** One decision on (institution, local code). A later decision supersedes an earlier one; none is ever erased. */
export interface MappingDecision {
  /** Position in the whole log, from 1. */
  readonly sequence: number;
  readonly institution: string;
  readonly localCode: string;
  /** 1 for the first decision on this key, then 2, 3 … */
  readonly version: number;
  /** The standard code, or null for a rejection (no standard code fits). */
  readonly code: string | null;
  readonly action: "accept-candidate" | "accept-code" | "reject";
  readonly reviewer: string;
  /** ISO 8601. */
  readonly decidedAt: string;
  readonly note: string;
  /** What the mapper proposed when the decision was made. */
  readonly proposedCode: string | null;
  readonly proposedScore: number;
  readonly dictionaryVersion: string;
  /** The sequence of the decision it supersedes, or null. */
  readonly supersedes: number | null;
}

const keyOf = (institution: string, localCode: string) => `${institution}\u0000${localCode}`;

export class DecisionLog {
  readonly #log: MappingDecision[] = [];
  readonly #current = new Map<string, MappingDecision>();

  record(decision: Omit<MappingDecision, "sequence" | "version" | "supersedes">): MappingDecision {
    const previous = this.#current.get(keyOf(decision.institution, decision.localCode));
    const full: MappingDecision = Object.freeze({
      ...decision,
      sequence: this.#log.length + 1,
      version: (previous?.version ?? 0) + 1,
      supersedes: previous?.sequence ?? null,
    });
    this.#log.push(full);
    this.#current.set(keyOf(decision.institution, decision.localCode), full);
    return full;
  }

  current(institution: string, localCode: string): MappingDecision | undefined {
    return this.#current.get(keyOf(institution, localCode));
  }

  history(institution: string, localCode: string): MappingDecision[] {
    return this.#log.filter((d) => d.institution === institution && d.localCode === localCode);
  }

  all(): readonly MappingDecision[] {
    return [...this.#log];
  }
}

export interface ReviewItem {
  readonly id: string;
  readonly proposal: MappingProposal;
  readonly status: "pending" | "accepted" | "rejected";
  readonly decision: MappingDecision | null;
}

export interface ReviewerInput {
  readonly reviewer: string;
  /** ISO 8601; defaults to now. */
  readonly at?: string;
  readonly note?: string;
}

/** Review items for proposals between the review and auto-accept thresholds; decisions go to the mapper's log. */
export class ReviewQueue {
  readonly #mapper: CodeMapper;
  readonly #log: DecisionLog;
  readonly #items = new Map<string, ReviewItem>();
  #next = 1;

  constructor(mapper: CodeMapper) {
    if (!mapper.decisions) {
      throw platformError("INVALID_INPUT", {
        message: "The review queue needs a mapper with a decision log.",
        messageZh: "复核队列需要带有决策日志的对码器。",
      });
    }
    this.#mapper = mapper;
    this.#log = mapper.decisions;
  }

  /** Queues a `review` proposal (other statuses are ignored and give null); one pending item per key. */
  submit(proposal: MappingProposal): ReviewItem | null {
    if (proposal.status !== "review") return null;
    const existing = this.pending().find((item) => item.proposal.institution === proposal.institution && item.proposal.localCode === proposal.localCode);
    if (existing) return existing;
    const item: ReviewItem = { id: `R${String(this.#next++).padStart(6, "0")}`, proposal, status: "pending", decision: null };
    this.#items.set(item.id, item);
    return item;
  }

  pending(): ReviewItem[] {
    return [...this.#items.values()].filter((item) => item.status === "pending");
  }

  get(id: string): ReviewItem | undefined {
    return this.#items.get(id);
  }

  /** Accepts the candidate at `candidate` (0 = the best) or, with `code`, any standard code. */
  accept(id: string, input: ReviewerInput & { readonly candidate?: number; readonly code?: string }): MappingDecision {
    const item = this.#pendingItem(id);
    let code: string;
    if (input.code !== undefined) {
      if (!this.#mapper.entry(input.code)) {
        throw platformError("NOT_FOUND", {
          message: `Standard code ${input.code} is not in dictionary ${this.#mapper.dictionary.version}.`,
          messageZh: `标准编码 ${input.code} 不在标准字典 ${this.#mapper.dictionary.version} 中。`,
          details: { code: input.code, dictionaryVersion: this.#mapper.dictionary.version },
        });
      }
      code = input.code;
    } else {
      const candidate: MappingCandidate | undefined = item.proposal.candidates[input.candidate ?? 0];
      if (!candidate) {
        throw platformError("INVALID_INPUT", {
          message: `Review item ${id} has no candidate ${input.candidate ?? 0}.`,
          messageZh: `复核条目 ${id} 没有第 ${input.candidate ?? 0} 个候选。`,
          details: { id, candidate: input.candidate ?? 0 },
        });
      }
      code = candidate.code;
    }
    return this.#decide(item, input.code !== undefined ? "accept-code" : "accept-candidate", code, input);
  }

  reject(id: string, input: ReviewerInput): MappingDecision {
    return this.#decide(this.#pendingItem(id), "reject", null, input);
  }

  #decide(item: ReviewItem, action: MappingDecision["action"], code: string | null, input: ReviewerInput): MappingDecision {
    if (typeof input.reviewer !== "string" || input.reviewer.trim() === "") {
      throw platformError("INVALID_INPUT", { message: "A decision needs the reviewer's id.", messageZh: "复核决定须注明复核人。", details: { id: item.id } });
    }
    const at = input.at ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(at))) {
      throw platformError("INVALID_INPUT", { message: `Decision time ${at} is not an ISO 8601 time.`, messageZh: `决定时间 ${at} 格式无效。`, details: { at } });
    }
    const { proposal } = item;
    const decision = this.#log.record({
      institution: proposal.institution,
      localCode: proposal.localCode,
      code,
      action,
      reviewer: input.reviewer,
      decidedAt: at,
      note: input.note ?? "",
      proposedCode: proposal.candidates[0]?.code ?? null,
      proposedScore: proposal.score,
      dictionaryVersion: proposal.dictionaryVersion,
    });
    this.#items.set(item.id, { ...item, status: code === null ? "rejected" : "accepted", decision });
    return decision;
  }

  #pendingItem(id: string): ReviewItem {
    const item = this.#items.get(id);
    if (!item) {
      throw platformError("NOT_FOUND", { message: `No review item ${id}.`, messageZh: `复核条目 ${id} 不存在。`, details: { id } });
    }
    if (item.status !== "pending") {
      throw platformError("CONFLICT", {
        message: `Review item ${id} was already ${item.status}.`,
        messageZh: `复核条目 ${id} 已处理（${item.status === "accepted" ? "已接受" : "已驳回"}）。`,
        details: { id, status: item.status },
      });
    }
    return item;
  }
}
