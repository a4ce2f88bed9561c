import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isPlatformError } from "@health-chain/sdk";
import { countResidents, funnel } from "../src/engine/index.ts";
import { isSuppressedCell, type ProtectedCell } from "../src/privacy/index.ts";
import {
  memoryRequestStore,
  queryFingerprint,
  reviewRequest,
  runRequest,
  sponsorHistory,
  submitRequest,
  type RequestStore,
  type SubmitRequestInput,
} from "../src/requests/index.ts";
import { closeDistrict, loadDistrict, type InstitutionDatabase } from "../src/synthetic/index.ts";

const KEY = new TextEncoder().encode("test perturbation secret, 32 by.");
const INDEX_DATE = "2024-12-31";
const TWO = ["INST01", "INST02"];
// Women aged 80+ with type 2 diabetes and no antidiabetic: rare, so small cells at 2,000 residents.
const RARE = {
  type: "and",
  children: [
    { type: "diagnosis", codes: ["E11"] },
    { type: "demographic", sex: ["2"], age: { min: 80 } },
    { type: "not", child: { type: "medication", codes: ["A10"] } },
  ],
};
// Type 2 diabetes at 60 or older: tens of residents per hospital.
const COMMON = { type: "and", children: [{ type: "diagnosis", codes: ["E11"] }, { type: "demographic", age: { min: 60 } }] };

const input = (criteria: unknown): SubmitRequestInput => ({
  sponsor: "sponsor-a",
  title: "T2DM screening",
  purpose: "Feasibility of a trial",
  criteria,
  indexDate: INDEX_DATE,
  institutions: TWO,
});

async function rejectsWith(run: Promise<unknown>, code: "INVALID_INPUT" | "CONFLICT" | "FORBIDDEN"): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isPlatformError(error, code), `expected ${code}, got ${String(error)}`);
    assert.match(error.messageZh, /[\u4e00-\u9fff]/);
    return true;
  });
}

async function approved(store: RequestStore, criteria: unknown) {
  const request = await submitRequest(store, input(criteria));
  return reviewRequest(store, request.id, { reviewer: "reviewer-1", decision: "approved", reason: "Ethics approval EC-2024-17" });
}

/** Every count a reader sees: shown values and their labels, anywhere in the object. */
function shownNumbers(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) value.forEach((v) => shownNumbers(v, out));
  else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record["value"] === "number") out.push(record["value"]);
    for (const v of Object.values(record)) shownNumbers(v, out);
  }
  return out;
}

let district: InstitutionDatabase[];
let connections: Map<string, DuckDBConnection>;
const versions = new Map([
  ["INST01", "topic-2024-12-01"],
  ["INST02", "topic-2024-12-01"],
]);
before(async () => {
  district = (await loadDistrict({ residents: 2_000, events: 40_000, seed: 11 })).institutions as InstitutionDatabase[];
  connections = new Map(district.filter((d) => TWO.includes(d.code)).map((d) => [d.code, d.connection]));
});
after(() => closeDistrict(district));

describe("submission and review", () => {
  it("refuses an invalid criteria tree with the parser's INVALID_INPUT and stores nothing", async () => {
    const store = memoryRequestStore();
    await rejectsWith(submitRequest(store, input({ type: "diagnosis", codes: ["not-a-code"] })), "INVALID_INPUT");
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await store.history(), []);
  });
  it("requires a reason to approve and to reject, and changes nothing without one", async () => {
    const store = memoryRequestStore();
    const request = await submitRequest(store, input(COMMON));
    for (const decision of ["approved", "rejected"] as const) {
      await rejectsWith(reviewRequest(store, request.id, { reviewer: "reviewer-1", decision, reason: "  " }), "INVALID_INPUT");
    }
    assert.equal((await store.get(request.id))?.status, "submitted");
    const rejected = await reviewRequest(store, request.id, { reviewer: "reviewer-1", decision: "rejected", reason: "No ethics approval" });
    assert.equal(rejected.review?.reason, "No ethics approval");
    await rejectsWith(reviewRequest(store, request.id, { reviewer: "reviewer-1", decision: "approved", reason: "changed mind" }), "CONFLICT");
  });
  it("does not let the sponsor review their own request", async () => {
    const store = memoryRequestStore();
    const request = await submitRequest(store, input(COMMON));
    await rejectsWith(reviewRequest(store, request.id, { reviewer: "sponsor-a", decision: "approved", reason: "mine" }), "FORBIDDEN");
  });
});

describe("running", () => {
  it("refuses to run a submitted or rejected request and records no run", async () => {
    const store = memoryRequestStore();
    const submitted = await submitRequest(store, input(COMMON));
    const options = { key: KEY, by: "platform", dataVersions: versions };
    await rejectsWith(runRequest(store, submitted, connections, options), "CONFLICT");
    await reviewRequest(store, submitted.id, { reviewer: "reviewer-1", decision: "rejected", reason: "Out of scope" });
    // The caller's stale copy still says "submitted": the stored status decides.
    await rejectsWith(runRequest(store, submitted, connections, options), "CONFLICT");
    assert.deepEqual((await store.get(submitted.id))?.runs, []);
    assert.equal((await store.history({ requestId: submitted.id })).filter((e) => e.kind === "run").length, 0);
  });

  it("suppresses small cells and never returns or stores a small raw count", async () => {
    const store = memoryRequestStore();
    const request = await approved(store, RARE);
    // The raw numbers, computed directly at each institution (never through runRequest).
    const raw = new Map<string, { count: number; steps: number[] }>();
    for (const code of TWO) {
      const connection = connections.get(code)!;
      raw.set(code, {
        count: await countResidents(connection, RARE, { indexDate: INDEX_DATE }),
        steps: (await funnel(connection, RARE, { indexDate: INDEX_DATE })).map((s) => s.residents),
      });
    }
    const small = [...raw.values()].flatMap((r) => [r.count, ...r.steps]).filter((n) => n >= 1 && n < 5);
    assert.ok(small.length > 0, "the fixture must contain small cells for this test to mean anything");

    const run = await runRequest(store, request, connections, { key: KEY, by: "platform", dataVersions: versions });
    for (const { key, cell } of run.counts.cells) {
      const count = raw.get(key)!.count;
      if (count >= 1 && count < 5) assert.ok(isSuppressedCell(cell), `${key}: ${count} must be suppressed`);
    }
    // Institution funnels end with the table's cell: one published number per cohort.
    run.funnels.forEach((f, i) => assert.deepEqual(f.funnel.steps.at(-1)!.cell, run.counts.cells[i]!.cell));

    const history = await store.history({ requestId: request.id });
    for (const published of [run, await store.get(request.id), history]) {
      const numbers = shownNumbers(published);
      for (const n of small) assert.ok(!numbers.includes(n), `small raw count ${n} appears in ${JSON.stringify(published).slice(0, 80)}…`);
      const text = JSON.stringify(published);
      for (const n of small) assert.doesNotMatch(text, new RegExp(`"(en|zh)":"${n}"`));
    }
  });

  it("re-runs with the same fingerprint and identical protected results on unchanged data; a refresh changes the fingerprint", async () => {
    const store = memoryRequestStore();
    const request = await approved(store, COMMON);
    const options = { key: KEY, by: "platform", dataVersions: versions, policy: { mode: "perturb" as const } };
    const first = await runRequest(store, request, connections, options);
    const second = await runRequest(store, request, connections, options);
    assert.notEqual(first.runId, second.runId);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.deepEqual(second.counts, first.counts);
    assert.deepEqual(second.funnels, first.funnels);
    assert.deepEqual(second.totalFunnel, first.totalFunnel);
    assert.ok(first.counts.cells.some((c) => !isSuppressedCell(c.cell as ProtectedCell)), "some cell must be shown for stability to be tested");

    const refreshed = new Map(versions).set("INST02", "topic-2025-01-01");
    const third = await runRequest(store, request, connections, { ...options, dataVersions: refreshed });
    assert.notEqual(third.fingerprint, first.fingerprint);
    assert.equal(third.fingerprint, queryFingerprint((await store.get(request.id))!.criteria, INDEX_DATE, Object.fromEntries(refreshed)));

    const history = await sponsorHistory(store, "sponsor-a");
    assert.deepEqual(
      history.map((r) => r.runs.map((run) => run.runId)),
      [[first.runId, second.runId, third.runId]],
    );
    assert.deepEqual(await sponsorHistory(store, "sponsor-b"), []);
  });

  it("refuses a run when a targeted institution has no connection or data version, recording nothing", async () => {
    const store = memoryRequestStore();
    const request = await approved(store, COMMON);
    await rejectsWith(runRequest(store, request, new Map([["INST01", connections.get("INST01")!]]), { key: KEY, by: "platform", dataVersions: versions }), "INVALID_INPUT");
    await rejectsWith(runRequest(store, request, connections, { key: KEY, by: "platform", dataVersions: new Map([["INST01", "v1"]]) }), "INVALID_INPUT");
    assert.deepEqual((await store.get(request.id))?.runs, []);
  });
});
