// De-identification policies as versioned configuration, and a DeidUse row for every use.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprint, isPlatformError } from "@health-chain/sdk";
import { configHistory } from "../src/config/versions.ts";
import { type HisDatabase, migrateHisDatabase, openHisDatabase } from "../src/db.ts";
import {
  type DeidPolicy, type DeidRecordInput, activeDeidPolicy, createDeidSecrets, deidPolicyHistory, deidPolicyVersion, deidUses, deidentify,
  exampleDeidPolicy, publishDeidPolicy, recordDeidUse,
} from "../src/deid/index.ts";
import { syntheticRecords } from "../src/index.ts";

const secrets = createDeidSecrets({ secrets: { "research-link": randomBytes(32), "research-date-shift": randomBytes(32) } });

const records: DeidRecordInput[] = [...syntheticRecords({ seed: 3, residents: 12 })].map((r) => ({
  model: r.kind, content: r.payload as never, personId: r.truth.personId, institution: r.institutionCode, sourceKey: r.sourceKey,
}));

describe("deid: policy versions and recorded uses", () => {
  let dir: string;
  let database: HisDatabase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "his-deid-"));
    const url = `file:${join(dir, "his.db")}`;
    await migrateHisDatabase(url);
    database = openHisDatabase(url);
  });

  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("publishes a policy as version 1, keeps an equal one at that version, and a changed one as version 2", async () => {
    const db = database.prisma;
    const policy = exampleDeidPolicy("research-export");
    const v1 = await publishDeidPolicy(db, policy, { actor: "admin.wang", note: "初版" });
    assert.deepEqual([v1.kind, v1.name, v1.version, v1.active, v1.hash], ["deid-policy", "research-export", 1, true, fingerprint(policy)]);
    assert.equal((await publishDeidPolicy(db, policy, { actor: "admin.wang" })).version, 1);
    const wider: DeidPolicy = { ...policy, dateShift: { secretId: "research-date-shift", maxDays: 60 } };
    const v2 = await publishDeidPolicy(db, wider, { actor: "admin.li", note: "偏移范围扩大到 ±60 天" });
    assert.equal(v2.version, 2);
    assert.equal((await activeDeidPolicy(db, "research-export"))?.version, 2);
    assert.deepEqual((await deidPolicyHistory(db, "research-export")).map((v) => [v.version, v.active, v.createdBy]), [[2, true, "admin.li"], [1, false, "admin.wang"]]);
    assert.deepEqual((await deidPolicyVersion(db, "research-export", 1)).value, policy);
    await assert.rejects(deidPolicyVersion(db, "research-export", 9), (e: unknown) => isPlatformError(e, "NOT_FOUND"));
  });

  it("refuses to publish an invalid policy and writes nothing", async () => {
    const db = database.prisma;
    const bad = { ...exampleDeidPolicy("share-with-doctor"), name: "share-bad", rules: { patient: { phone: { action: "mask", keepLast: 65 } } } } as unknown as DeidPolicy;
    await assert.rejects(publishDeidPolicy(db, bad, { actor: "admin.wang" }), (e: unknown) => isPlatformError(e, "INVALID_INPUT") && e.details.rule === "patient.phone");
    assert.deepEqual(await configHistory(db, "deid-policy", "share-bad"), []);
  });

  it("records each use with the version, hash, purpose, actor, count and the package's SM3", async () => {
    const db = database.prisma;
    const v1 = await deidPolicyVersion(db, "research-export", 1);
    const before = (await deidUses(db)).length;
    const result = await deidentify(records, {
      policy: v1, secrets, purpose: "科研项目 2025-017 数据导出", actor: "researcher.zhao", db, referenceDate: "2025-01-01", package: true,
    });
    assert.equal(result.records.length, records.length);
    assert.equal(result.outputHash, fingerprint(result.records));
    assert.deepEqual(result.policy, { name: "research-export", version: 1, hash: v1.hash });
    const [use] = await deidUses(db, { policyName: "research-export" });
    assert.equal((await deidUses(db)).length, before + 1);
    assert.deepEqual(
      [use?.policyName, use?.policyVersion, use?.policyHash, use?.purpose, use?.actor, use?.recordCount, use?.outputHash, use?.id],
      ["research-export", 1, v1.hash, "科研项目 2025-017 数据导出", "researcher.zhao", records.length, result.outputHash, result.use?.id],
    );
    // The same version, secrets and reference date give the same package.
    const again = await deidentify(records, { policy: v1, secrets, purpose: "复核", actor: "auditor.qian", referenceDate: "2025-01-01", package: true });
    assert.equal(again.outputHash, result.outputHash);
    assert.equal(again.use, null, "no db: nothing recorded");
    assert.equal((await deidUses(db)).length, before + 1);
  });

  it("records the version actually applied, and the summary counts what each rule did", async () => {
    const db = database.prisma;
    const v2 = await activeDeidPolicy(db, "research-export");
    const result = await deidentify(records, { policy: v2!, secrets, purpose: "随访研究", actor: "researcher.sun", db });
    assert.equal(result.use?.policyVersion, 2);
    assert.equal(result.use?.outputHash, null);
    const patients = records.filter((r) => r.model === "patient").length;
    const idNumbers = result.summary["patient.idNumber"]!;
    assert.equal(idNumbers.action, "hash");
    assert.equal(idNumbers.done + idNumbers.null, patients);
    assert.equal(result.summary["patient.name"]?.action, "drop");
    assert.equal(result.summary["record.sourceKey"]?.done, records.length);
    assert.equal(result.unusableCount, 0);
    const withCallerHash = await deidentify(records.slice(0, 3), { policy: v2!, secrets, purpose: "打包", actor: "svc.export", db, package: `0x${"ab".repeat(32)}` });
    assert.equal(withCallerHash.use?.outputHash, `0x${"ab".repeat(32)}`);
  });

  it("lists values that could not be de-identified, and takes the person key from personKeyOf when given", async () => {
    const v1 = await deidPolicyVersion(database.prisma, "research-export", 1);
    const odd: DeidRecordInput[] = [
      ...records.slice(0, 2),
      { model: "lab-result", mrn: "A-77", content: { collectedAt: "二〇二四年六月", value: 5.2 } },
      { model: "lab-result", mrn: "A-77", content: { collectedAt: "2024-06-10T08:00:00+08:00", value: 5.4 } },
    ];
    const result = await deidentify(odd, { policy: v1, secrets, purpose: "质控", actor: "qc.he", personKeyOf: (r) => String(r.mrn ?? r.personId) });
    assert.equal(result.unusableCount, 1);
    assert.deepEqual(result.unusable, [{ index: 2, member: "lab-result.collectedAt", reason: "not-a-date" }]);
    assert.deepEqual(result.records[2]?.content, { collectedAt: null, value: 5.2 });
    assert.equal(result.records[2]?.personRef, result.records[3]?.personRef);
    assert.notEqual(result.records[3]?.content?.collectedAt, "2024-06-10T08:00:00+08:00");
    assert.equal(result.use, null);
  });

  it("refuses a version edited after loading, a malformed record or a missing purpose, recording nothing", async () => {
    const db = database.prisma;
    const v1 = await deidPolicyVersion(db, "research-export", 1);
    const count = (await deidUses(db)).length;
    const edited = { ...v1, value: { ...v1.value, defaultAction: "keep" as const } };
    await assert.rejects(deidentify(records, { policy: edited, secrets, purpose: "x", actor: "y", db }), (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED"));
    const broken = [...records.slice(0, 5), { model: "patient" } as unknown as DeidRecordInput];
    await assert.rejects(deidentify(broken, { policy: v1, secrets, purpose: "x", actor: "y", db }), (e: unknown) => isPlatformError(e, "INVALID_INPUT") && e.details.index === 5);
    await assert.rejects(deidentify(records, { policy: v1, secrets, purpose: " ", actor: "y", db }), (e: unknown) => isPlatformError(e, "INVALID_INPUT") && e.details.what === "purpose");
    await assert.rejects(deidentify(records, { policy: v1, purpose: "x", actor: "y", db }), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
    await assert.rejects(deidentify(records, { policy: v1, secrets, purpose: "x", actor: "y", db, package: "abc" }), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
    assert.equal((await deidUses(db)).length, count);
  });

  it("lets a streaming caller record its use itself", async () => {
    const db = database.prisma;
    const v1 = await deidPolicyVersion(db, "research-export", 1);
    const use = await recordDeidUse(db, { policy: v1, purpose: "分批导出", actor: "svc.export", recordCount: 120_000, outputHash: `0x${"0f".repeat(32)}` });
    assert.deepEqual([use.policyVersion, use.recordCount], [1, 120_000]);
    await assert.rejects(recordDeidUse(db, { policy: v1, purpose: "x", actor: "y", recordCount: -1 }), (e: unknown) => isPlatformError(e, "INVALID_INPUT"));
    assert.equal((await deidUses(db, { policyName: "research-export", policyVersion: 1 }))[0]?.id, use.id);
  });
});
