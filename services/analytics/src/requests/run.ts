// Running an approved request: each institution evaluates the criteria on its own connection (the
// design's "evaluated where the data lives"); only protected numbers leave this function and only
// they are recorded. Raw counts live in local variables and are dropped when it returns.
import { randomUUID } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isPlatformError, type BytesLike } from "@health-chain/sdk";
import { funnelPlan } from "../engine/compile.ts";
import { countResidents, funnel } from "../engine/run.ts";
import { protectCounts, protectFunnel, smallCellPolicy, type CountCell, type SmallCellPolicy } from "../privacy/index.ts";
import { alignFunnelWithCell } from "./align.ts";
import { queryFingerprint } from "./fingerprint.ts";
import { requestError, requireText } from "./refuse.ts";
import { getRequest } from "./review.ts";
import type { RequestStore } from "./store.ts";
import type { ClockOptions } from "./submit.ts";
import type { RunRecord, ScreeningRequest } from "./types.ts";

export interface RunRequestOptions extends ClockOptions {
  readonly policy?: Partial<SmallCellPolicy>;
  /** The platform's perturbation secret (never the sponsor's); used in `perturb` mode. */
  readonly key: BytesLike;
  /** Who runs it (recorded in the history). */
  readonly by: string;
  /** The data version of each targeted institution (e.g. its topic database version). */
  readonly dataVersions: ReadonlyMap<string, string>;
}

const stepKey = (step: number) => `step-${step}`;

/**
 * Runs an approved request at each institution it targets and records the run. The stored request
 * is authoritative (a stale `request` object cannot run a request since rejected). Refuses, recording
 * nothing: an unknown request (NOT_FOUND), a request not approved (CONFLICT), a targeted
 * institution without connection or data version, or a bad policy (INVALID_INPUT).
 */
export async function runRequest(
  store: RequestStore,
  request: Pick<ScreeningRequest, "id">,
  institutions: ReadonlyMap<string, DuckDBConnection>,
  options: RunRequestOptions,
): Promise<RunRecord> {
  const by = requireText(options?.by, "runner", "执行人", 200);
  const policy = smallCellPolicy(options.policy);
  const stored = await getRequest(store, request?.id);
  if (stored.status !== "approved") {
    throw requestError(
      "CONFLICT",
      { requestId: stored.id, status: stored.status },
      `Only an approved request can run; this one is ${stored.status}.`,
      `只有已批准的检索需求才能执行；该需求状态为${stored.status === "submitted" ? "待审核" : "已驳回"}。`,
    );
  }
  const dataVersions: Record<string, string> = {};
  for (const code of stored.institutions) {
    const version = options.dataVersions?.get(code);
    if (!institutions.has(code) || typeof version !== "string" || version.length === 0) {
      throw requestError(
        "INVALID_INPUT",
        { institution: code },
        `The institution ${code} targeted by the request has no connection or data version.`,
        `检索需求指定的机构 ${code} 缺少连接或数据版本。`,
      );
    }
    dataVersions[code] = version;
  }

  const evaluation = { indexDate: stored.indexDate };
  const plan = funnelPlan(stored.criteria);
  const counts: CountCell[] = [];
  const stepCounts: number[][] = [];
  for (const code of stored.institutions) {
    const connection = institutions.get(code)!;
    const count = await countResidents(connection, stored.criteria, evaluation);
    const steps = (await funnel(connection, stored.criteria, evaluation)).map((s) => s.residents);
    // The funnel's last step is the cohort by construction (compileFunnel); a mismatch is a bug, and
    // publishing both would give two different numbers for one cohort.
    if (steps[steps.length - 1] !== count) {
      throw requestError("INTERNAL", { institution: code }, "The funnel does not end with the cohort count.", "漏斗末步与队列计数不一致。");
    }
    counts.push({ key: code, count });
    stepCounts.push(steps);
  }

  const fingerprint = queryFingerprint(stored.criteria, stored.indexDate, dataVersions);
  const table = protectCounts(counts, { policy, showTotal: true, perturbation: { key: options.key, queryFingerprint: fingerprint } });
  const funnels = stored.institutions.map((code, i) => {
    // Each institution's funnel is keyed by its own data version, so its noise changes only when its data does.
    const own = queryFingerprint(stored.criteria, stored.indexDate, { [code]: dataVersions[code]! });
    const steps = stepCounts[i]!.map((count, step) => ({ key: stepKey(step), count }));
    const protectedFunnel = protectFunnel(steps, { policy, perturbation: { key: options.key, queryFingerprint: own } });
    return { institution: code, funnel: alignFunnelWithCell(protectedFunnel, stepCounts[i]!, table.cells[i]!.cell) };
  });
  const totals = plan.map((_, step) => stepCounts.reduce((sum, steps) => sum + steps[step]!, 0));
  const totalFunnel = alignFunnelWithCell(
    protectFunnel(
      totals.map((count, step) => ({ key: stepKey(step), count })),
      { policy, perturbation: { key: options.key, queryFingerprint: fingerprint } },
    ),
    totals,
    table.total!,
  );

  const at = (options.now?.() ?? new Date()).toISOString();
  const run: RunRecord = {
    runId: randomUUID(),
    requestId: stored.id,
    at,
    by,
    fingerprint,
    dataVersions,
    plan,
    counts: table,
    funnels,
    totalFunnel,
    note: table.note,
  };
  await appendRun(store, stored, run);
  return run;
}

const RUN_SAVE_ATTEMPTS = 5;

/**
 * Adds the run to the stored request and its history. Runs of one request may finish together (two
 * sponsors' windows, two gateway processes): appending is order-free, so a save that lost the race
 * re-reads the request and appends again; the request is still approved (a decision is final).
 */
async function appendRun(store: RequestStore, read: ScreeningRequest, run: RunRecord): Promise<void> {
  let current = read;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.save({ ...current, runs: [...current.runs, run] }, { kind: "run", requestId: current.id, at: run.at, actor: run.by, run }, { replacing: current });
      return;
    } catch (error) {
      if (!isPlatformError(error, "CONFLICT") || attempt === RUN_SAVE_ATTEMPTS) throw error;
      current = await getRequest(store, current.id);
    }
  }
}
