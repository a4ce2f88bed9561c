import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrateAnalyticsDatabase, openAnalyticsDatabase, type AnalyticsDatabase } from "../src/db.ts";
import { memoryRequestStore, reviewRequest, sponsorHistory, submitRequest, type RequestStore } from "../src/requests/index.ts";
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
