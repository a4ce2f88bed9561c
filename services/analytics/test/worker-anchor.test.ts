// The worker's anchoring of export packages, against the service's real database (SQLite) and a fake
// of the gateway's certificate API: every pending package is issued once under its certificate id,
// the export becomes anchored; a package the gateway keeps refusing is retried with its error kept
// and never holds the others back.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSm2KeyPair, sm3Hex, toHex, utf8, verifySm2 } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { CertificateAnchorer, IssueInput } from "../../../gateway/src/client.ts";
import { migrateAnalyticsDatabase, openAnalyticsDatabase, type AnalyticsDatabase } from "../src/db.ts";
import { anchorPendingPackages } from "../src/worker/index.ts";

const PROJECT = `0x${"ab".repeat(32)}`;
const keys = generateSm2KeyPair();

function fakeGateway(refuse: Set<string>) {
  const issued: IssueInput[] = [];
  const anchorer: CertificateAnchorer = {
    institution: async () => "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    async issue(input) {
      if (refuse.has(input.documentHash)) throw new Error("issue reverted with MissingRole");
      issued.push(input);
      return { certId: sm3Hex(utf8(`0x90f79bf6eb2c4f870365e785982e1f101e93b906:${input.certificateNumber}`)) as Hex, txHash: `0x${"11".repeat(32)}`, blockNumber: issued.length, issuedAt: "2026-11-23T04:00:00.000Z" };
    },
    get: async () => null,
    revoke: async () => ({ txHash: "0x" }),
  };
  return { anchorer, issued };
}

describe("anchoring export packages", () => {
  let dir: string;
  let database: AnalyticsDatabase;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "analytics-anchor-"));
    const url = `file:${join(dir, "analytics.db")}`;
    await migrateAnalyticsDatabase(url);
    database = openAnalyticsDatabase(url);
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pendingPackage(n: number): Promise<{ id: string; hash: Hex }> {
    const db = database.prisma;
    const exportId = `export-${n}`;
    await db.exportRequest.create({ data: { id: exportId, requestId: "r", projectId: PROJECT, requestedBy: "researcher", institution: "0x1", purpose: "p", status: "built" } });
    const id = `package-${n}`;
    const hash = sm3Hex(utf8(`package ${n}`)) as Hex;
    await db.exportPackage.create({
      data: {
        id, exportId, packageHash: hash, bytes: 10, records: 1, residents: 1, policyName: "research-export", policyVersion: 1, policyHash: "0x", storeInstitution: "0x1", cid: "c", keyId: "k", wrappedDataKey: "w",
        certId: sm3Hex(utf8(`0x90f79bf6eb2c4f870365e785982e1f101e93b906:export:${id}`)),
        createdAt: new Date(Date.UTC(2026, 10, 23, 0, n)),
      },
    });
    return { id, hash };
  }

  it("issues each pending package once, signed, as an export package about its project, and marks the export anchored", async () => {
    const a = await pendingPackage(1);
    const { anchorer, issued } = fakeGateway(new Set());
    const result = await anchorPendingPackages(database.prisma, anchorer, { privateKey: toHex(keys.privateKey) });
    assert.deepEqual(result, { anchored: 1, failed: [] });
    assert.equal(issued.length, 1);
    assert.deepEqual([issued[0]!.documentType, issued[0]!.subject, issued[0]!.documentHash, issued[0]!.certificateNumber], ["exportPackage", PROJECT, a.hash, `export:${a.id}`]);
    assert.ok(verifySm2(Buffer.from(a.hash.slice(2), "hex"), issued[0]!.issuerSignature.slice(2), toHex(keys.publicKey), { format: "der" }), "signed by the operator system's key over the hash");
    const row = await database.prisma.exportPackage.findUniqueOrThrow({ where: { id: a.id } });
    assert.deepEqual([row.anchorState, row.blockNumber], ["anchored", 1]);
    assert.equal((await database.prisma.exportRequest.findUniqueOrThrow({ where: { id: "export-1" } })).status, "anchored");
    assert.deepEqual(await anchorPendingPackages(database.prisma, anchorer, { privateKey: toHex(keys.privateKey) }), { anchored: 0, failed: [] }, "nothing twice");
  });

  it("keeps a refused package's error and tries the least-tried first, so it never blocks a newer one", async () => {
    const bad = await pendingPackage(2);
    const good = await pendingPackage(3);
    const { anchorer } = fakeGateway(new Set([bad.hash]));
    // One package per pass: the first pass takes the older (refused) one, the next the newer.
    const first = await anchorPendingPackages(database.prisma, anchorer, { privateKey: toHex(keys.privateKey), limit: 1 });
    assert.deepEqual(first.failed.map((f) => f.packageId), [bad.id]);
    const second = await anchorPendingPackages(database.prisma, anchorer, { privateKey: toHex(keys.privateKey), limit: 1 });
    assert.deepEqual([second.anchored, second.failed.length], [1, 0]);
    const refused = await database.prisma.exportPackage.findUniqueOrThrow({ where: { id: bad.id } });
    assert.deepEqual([refused.anchorState, refused.anchorAttempts], ["pending", 1]);
    assert.match(refused.anchorError ?? "", /MissingRole/);
    assert.equal((await database.prisma.exportPackage.findUniqueOrThrow({ where: { id: good.id } })).anchorState, "anchored");
  });
});
