// The anchoring worker's decisions against a recording gateway stand-in (the real gateway and chain
// are exercised end to end in test/e2e/his-collection.test.ts): which records a refusal sets aside,
// what is retried, and that a model the policy anchors again gets its set-aside records back.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Hex } from "viem";
import { anchorDue, type AnchoredState, type Anchorer, type AnchorRecordInput } from "../src/anchoring/anchor.ts";
import { parseAnchoringPolicy } from "../src/anchoring/policy.ts";
import { derivedDirectory } from "../src/collection/ids.ts";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "../src/db.ts";

const directory = derivedDirectory("anchoring test wallet secret");
const batchPolicy = (models: Record<string, unknown>) => ({ value: parseAnchoringPolicy({ models }), version: 1, hash: "0x00" });
const LAB = { anchor: true, cadence: { kind: "batch", size: 10, maxWaitSeconds: 1 } };

/** Answers like the gateway: refusals as GatewayError-shaped errors; remembers what it anchored. */
function standIn(refuse: (records: readonly AnchorRecordInput[]) => object | null) {
  const anchored = new Map<Hex, AnchoredState>();
  const sends: string[][] = [];
  const anchorer: Anchorer = {
    async anchorRecords(records) {
      sends.push(records.map((r) => r.recordId));
      const refusal = refuse(records);
      if (refusal) throw Object.assign(new Error("refused"), refusal);
      for (const r of records) anchored.set(r.recordId, { version: 1, anchoring: "batch", residentRef: r.residentRef, changes: [] });
      return { batchId: String(sends.length), root: `0x${"11".repeat(32)}`, txHash: `0x${"22".repeat(32)}`, blockNumber: sends.length };
    },
    anchorRecord: () => Promise.reject(new Error("not in this test")),
    anchorChanges: () => Promise.reject(new Error("not in this test")),
    anchorChange: () => Promise.reject(new Error("not in this test")),
    async anchoredState(ids) {
      return new Map(ids.filter((id) => anchored.has(id)).map((id) => [id, anchored.get(id)!]));
    },
  };
  return { anchorer, sends, anchored };
}

describe("the anchoring worker", () => {
  let dir: string;
  let db: HisDatabase;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "his-anchoring-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshDb(name: string, count: number): Promise<string[]> {
    const url = `file:${join(dir, `${name}.db`)}`;
    await migrateHisDatabase(url);
    db = openHisDatabase(url);
    const ids = Array.from({ length: count }, (_, i) => `0x${String(i + 1).padStart(64, "0")}`);
    await db.prisma.collectedRecord.createMany({
      data: ids.map((recordId, i) => ({
        recordId,
        institution: "PD-CHC-01",
        model: "lab-result",
        modelVersion: 1,
        sourceKey: `LAB-${i}`,
        patientId: "P1",
        personId: "person-1",
        residentRef: `0x${"ab".repeat(32)}`,
        category: "LAB_REPORT",
        contentHash: `0x${String(i).padStart(64, "c")}`,
        contentJson: JSON.stringify({ value: i }),
        fieldsJson: JSON.stringify({ value: "lab.result.value:value" }),
        sourceTime: new Date("2026-10-01T08:00:00+08:00"),
        createdAt: new Date(Date.now() - 3_600_000),
      })),
    });
    return ids;
  }

  test("a refusal naming one record sets only that one aside; the rest is anchored at the next pass", async () => {
    const ids = await freshDb("blamed", 4);
    try {
      let first = true;
      const gw = standIn(() => (first ? ((first = false), { status: 400, code: "INVALID_INPUT", details: { index: 2 } }) : null));
      const ctx = { db: db.prisma, anchorer: gw.anchorer, policy: batchPolicy({ "lab-result": LAB }), directory };
      assert.equal((await anchorDue(ctx)).failedBatches, 1);
      const states = await db.prisma.collectedRecord.findMany({ orderBy: { recordId: "asc" }, select: { anchorState: true } });
      assert.deepEqual(states.map((s) => s.anchorState), ["pending", "pending", "rejected", "pending"]);
      const second = await anchorDue(ctx);
      assert.equal(second.records, 3);
      assert.deepEqual(gw.sends[1], [ids[0], ids[1], ids[3]]);
      assert.equal(await db.prisma.collectedRecord.count({ where: { anchorState: "anchored" } }), 3);
    } finally {
      await db.close();
    }
  });

  test("a refusal that names no record (a gateway misconfigured, overloaded) sets nothing aside: the batch is retried", async () => {
    await freshDb("unnamed", 3);
    try {
      let refusals = 2;
      const gw = standIn(() => (refusals-- > 0 ? { status: 403, code: "FORBIDDEN" } : null));
      const ctx = { db: db.prisma, anchorer: gw.anchorer, policy: batchPolicy({ "lab-result": LAB }), directory };
      await anchorDue(ctx);
      await anchorDue(ctx);
      assert.equal(await db.prisma.collectedRecord.count({ where: { anchorState: "rejected" } }), 0);
      assert.equal(await db.prisma.collectedRecord.count({ where: { anchorState: "pending" } }), 3);
      assert.equal((await anchorDue(ctx)).records, 3);
      const failed = await db.prisma.anchorBatch.findMany({ where: { state: "failed" } });
      assert.equal(failed.length, 2, "each refused send stays visible with its error");
      assert.match(failed[0]!.errorJson ?? "", /FORBIDDEN/);
    } finally {
      await db.close();
    }
  });

  test("records set off-chain because the policy left their model out come back when it anchors the model again", async () => {
    await freshDb("off-chain", 3);
    try {
      const gw = standIn(() => null);
      const without = await anchorDue({ db: db.prisma, anchorer: gw.anchorer, policy: batchPolicy({ patient: { anchor: true, cadence: { kind: "t+1" } } }), directory });
      assert.equal(without.offChain, 3);
      assert.equal(gw.sends.length, 0);
      const again = await anchorDue({ db: db.prisma, anchorer: gw.anchorer, policy: batchPolicy({ "lab-result": LAB }), directory });
      assert.equal(again.records, 3);
      assert.equal(await db.prisma.collectedRecord.count({ where: { anchorState: "anchored" } }), 3);
    } finally {
      await db.close();
    }
  });
});
