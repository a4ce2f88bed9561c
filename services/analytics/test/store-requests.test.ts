import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrateAnalyticsDatabase, openAnalyticsDatabase, type AnalyticsDatabase } from "../src/db.ts";
import { isPlatformError } from "@health-chain/sdk";
import { memoryRequestStore, reviewRequest, sponsorHistory, submitRequest, type RequestStore, type ScreeningRequest } from "../src/requests/index.ts";
import { prismaRequestStore } from "../src/store/requests.ts";

const CRITERIA = { type: "and", children: [{ type: "diagnosis", codes: ["E11"] }, { type: "demographic", age: { min: 60 } }] };
const input = (sponsor: string) => ({ sponsor, title: "T2DM", purpose: "Feasibility", criteria: CRITERIA, indexDate: "2024-12-31", institutions: ["INST01"] });

// The same observable behaviour from the in-memory store and the database one.
function contract(name: string, open: () => Promise<{ store: RequestStore; close?: () => Promise<void> }>) {
  describe(`request store contract: ${name}`, () => {
    let store: RequestStore;
    let close: (() => Promise<void>) | undefined;
    before(async () => ({ store, close } = await open()));
    after(async () => close?.());

    it("keeps requests by id, lists them in submission order and by sponsor, and appends the history", async () => {
      let clock = Date.parse("2025-01-01T00:00:00Z");
      const now = () => new Date((clock += 1000));
      const a = await submitRequest(store, input("sponsor-a"), { now });
      const b = await submitRequest(store, input("sponsor-b"), { now });
      await reviewRequest(store, a.id, { reviewer: "rev", decision: "approved", reason: "EC-1" }, { now });
      assert.equal((await store.get(a.id))?.status, "approved");
      assert.equal(await store.get("nope"), undefined);
      assert.deepEqual((await store.list()).map((r) => r.id), [a.id, b.id]);
      assert.deepEqual((await store.list({ sponsor: "sponsor-b" })).map((r) => r.id), [b.id]);
      assert.deepEqual((await store.history({ requestId: a.id })).map((e) => e.kind), ["submitted", "reviewed"]);
      assert.deepEqual((await sponsorHistory(store, "sponsor-a")).map((r) => r.id), [a.id]);
    });

    it("lets exactly one of two concurrent reviews through; the other changes nothing", async () => {
      const request = await submitRequest(store, input("sponsor-d"));
      const results = await Promise.allSettled([
        reviewRequest(store, request.id, { reviewer: "rev-1", decision: "approved", reason: "EC-1" }),
        reviewRequest(store, request.id, { reviewer: "rev-2", decision: "rejected", reason: "no" }),
      ]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.ok(isPlatformError(refused.reason, "CONFLICT"));
      assert.equal((refused.reason as { details: Record<string, unknown> }).details.reason, "already-reviewed");
      const winner = (results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<ScreeningRequest>).value;
      assert.equal((await store.get(request.id))!.review!.reviewer, winner.review!.reviewer);
      assert.deepEqual((await store.history({ requestId: request.id })).map((e) => e.kind), ["submitted", "reviewed"]);
    });

    it("refuses a save that replaces a request changed meanwhile, or creates one that exists, storing nothing", async () => {
      const request = await submitRequest(store, input("sponsor-e"));
      const entry = { kind: "submitted" as const, requestId: request.id, at: request.submittedAt, actor: "x" };
      await assert.rejects(store.save(request, entry), (e: unknown) => isPlatformError(e, "CONFLICT"));
      const stale = { ...request, title: "not what is stored" };
      await assert.rejects(store.save({ ...request, title: "changed" }, entry, { replacing: stale }), (e: unknown) => isPlatformError(e, "CONFLICT"));
      assert.equal((await store.get(request.id))!.title, "T2DM");
      assert.equal((await store.history({ requestId: request.id })).length, 1);
    });

    it("hands out copies: changing what it returned changes nothing stored", async () => {
      const request = await submitRequest(store, input("sponsor-c"));
      const got = (await store.get(request.id))!;
      (got as { title: string }).title = "changed";
      assert.equal((await store.get(request.id))!.title, "T2DM");
    });
  });
}

contract("memory", async () => ({ store: memoryRequestStore() }));

let directory: string;
contract("prisma (SQLite)", async () => {
  directory = mkdtempSync(join(tmpdir(), "analytics-store-"));
  const url = `file:${join(directory, "analytics.db")}`;
  await migrateAnalyticsDatabase(url);
  const database: AnalyticsDatabase = openAnalyticsDatabase(url);
  return {
    store: prismaRequestStore(database.prisma, () => ({ institution: "0xabc" })),
    close: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
