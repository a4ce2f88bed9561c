// End to end, issue 6: a synthetic regional-platform database (SQL intermediate tables) → the
// collection service (map, link, fingerprint) → the gateway (encrypted originals in the
// institution's store, anchors relayed to the chain) → every record and every change record
// verified on chain by its inclusion proof (DataIndex.verifyEntry / verifyChange), called here
// directly on the chain node, and each on-chain fingerprint recomputed from the collected content.
// Also: an anchoring pass that dies after the gateway accepted its batch is settled without
// anchoring anything twice.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { dataIndexAbi, fingerprint, generateSm2KeyPair, toHex, type Sm2KeyPair } from "@health-chain/sdk";
import { pino } from "pino";
import type { Address, Hex } from "viem";
import { parseConfig } from "../../gateway/src/config.ts";
import { startGateway, type RunningGateway } from "../../gateway/src/server.ts";
import { openMirrorDatabase, type MirrorDatabase } from "../../mirror/src/database.ts";
import { createIndexer, type Indexer } from "../../mirror/src/indexer.ts";
import { writeIntermediateTables } from "../../services/his/src/adapters/sql/index.ts";
import { createGatewayAnchorer, type Anchorer } from "../../services/his/src/anchoring/index.ts";
import { derivedDirectory } from "../../services/his/src/collection/index.ts";
import { openHisService, type HisService } from "../../services/his/src/service.ts";
import { syntheticRecords, type SyntheticRecord } from "../../services/his/src/synthetic/index.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../helpers/chain.ts";
import { reviewCodesAndReplay as reviewCodes } from "./his-fixtures.ts";

const HOSPITAL = devAccount(DEV.hospital).address;
const PLATFORM = devAccount(DEV.platform).address;
const TOMORROW = () => new Date(Date.now() + 86_400_000);

describe("T+1 collection from a regional-platform database to verified on-chain inclusion proofs", () => {
  let chain: TestChain;
  let dir: string;
  let mirrorDb: MirrorDatabase;
  let indexer: Indexer;
  let indexing: Promise<void>;
  let gateway: RunningGateway;
  let his: HisService;
  let anchorer: Anchorer;
  let sourceUrl: string;
  let records: SyntheticRecord[];
  const hisKey: Sm2KeyPair = generateSm2KeyPair();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "e2e-his-"));
    chain = await startTestChain();
    const mirrorUrl = `file:${join(dir, "mirror.db")}`;
    mirrorDb = await openMirrorDatabase(mirrorUrl);
    indexer = createIndexer({ prisma: mirrorDb.prisma, client: chain.publicClient, deployments: chain.deployments, pollIntervalMs: 50 });
    indexing = indexer.run();
    const config = parseConfig(
      {
        mode: "dev",
        listen: { host: "127.0.0.1", port: 0 },
        databaseUrl: `file:${join(dir, "gateway.db")}`,
        mirrorDatabaseUrl: mirrorUrl,
        chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
        auth: { tokenSecret: "end-to-end secret of at least 32 bytes", domain: "gateway.test", uri: "https://gateway.test" },
        audit: { batchIntervalMs: 500 },
        institutions: [
          { address: HOSPITAL, name: "District People's Hospital", key: { devIndex: DEV.hospital } },
          { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
        ],
        relayer: PLATFORM,
        staff: [{ id: "hospital-his", name: "HIS 前置机", institution: HOSPITAL, roles: ["institution-system"], sm2PublicKey: toHex(hisKey.publicKey) }],
        stores: { [HOSPITAL]: { kind: "fs", dir: join(dir, "store-hospital") } },
        rbacFile: resolve(import.meta.dirname, "../../gateway/config/rbac.json"),
        logLevel: "silent",
      },
      { baseDir: dir, source: "e2e-his" },
    );
    gateway = await startGateway(config, { log: pino({ level: "silent" }) });
    anchorer = createGatewayAnchorer({ baseUrl: gateway.url, staffId: "hospital-his", privateKey: toHex(hisKey.privateKey) });
    his = await openHisService({
      databaseUrl: `file:${join(dir, "his.db")}`,
      residentSalt: "e2e resident salt, at least 16 bytes",
      directory: derivedDirectory("e2e wallet secret, at least 16 bytes"),
      anchorer,
      // Collected today, anchored by the T+1 run "tomorrow" at 02:00.
      now: TOMORROW,
    });
    records = [...syntheticRecords({ seed: 2026, residents: 40, from: "2026-09-01", days: 30 })];
    sourceUrl = `file:${join(dir, "platform.db")}`;
  });

  after(async () => {
    await his?.close();
    await gateway?.close(1000);
    await indexer?.stop();
    await indexing?.catch(() => undefined);
    await mirrorDb?.close();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const reviewCodesAndReplay = (taskId: string, sent: readonly SyntheticRecord[] = records) => reviewCodes(his, taskId, sent);

  async function verifyEntryOnChain(recordId: string): Promise<void> {
    const res = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${recordId}`, { headers: { authorization: `Bearer ${await tokenOf()}` } });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { entry: { institution: Address; recordId: Hex; residentRef: Hex; category: Hex; contentHash: Hex; schemaVersion: number; pointerHash: Hex; sourceTime: number }; batch: { batchId: string; leafIndex: number; proof: Hex[] } };
    const entry = { ...body.entry, sourceTime: BigInt(body.entry.sourceTime) };
    const ok = await chain.publicClient.readContract({
      address: chain.deployments.contracts.DataIndex.address,
      abi: dataIndexAbi,
      functionName: "verifyEntry",
      args: [BigInt(body.batch.batchId), entry, BigInt(body.batch.leafIndex), body.batch.proof],
    });
    assert.equal(ok, true, `record ${recordId} is in its batch on chain`);
    const row = await his.db.prisma.collectedRecord.findUniqueOrThrow({ where: { recordId } });
    if (row.model === "patient") {
      // Registrations are anchored in encrypted-pointer mode: the chain commits to the encrypted original only.
      assert.equal(body.entry.contentHash, body.entry.pointerHash);
      assert.notEqual(body.entry.contentHash, fingerprint(JSON.parse(row.contentJson)));
    } else if (row.version === 1) {
      assert.equal(body.entry.contentHash, fingerprint(JSON.parse(row.contentJson)), "the chain holds the fingerprint of the collected content");
    }
    assert.equal(body.entry.residentRef, row.residentRef);
  }

  let token: string | undefined;
  async function tokenOf(): Promise<string> {
    if (token) return token;
    const { signInWithSm2 } = await import("../../gateway/src/client.ts");
    token = (await signInWithSm2({ baseUrl: gateway.url, staffId: "hospital-his", privateKey: toHex(hisKey.privateKey) })).token;
    return token;
  }

  test("day 1: every collected record is anchored in a T+1 batch and proven on chain", async () => {
    const cut = Math.floor(records.length * 0.7);
    await writeIntermediateTables(sourceUrl, records.slice(0, cut));
    await his.saveTask({ id: "regional-t1", name: "区域平台 T+1", source: { format: "sql", url: sourceUrl }, schedule: "0 1 * * *", pageSize: 200 }, "e2e");
    const run = await his.runTask("regional-t1");
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    await reviewCodesAndReplay("regional-t1");
    const pending = await his.db.prisma.collectedRecord.count({ where: { anchorState: "pending" } });
    assert.ok(pending > 100);

    const nightly = await his.anchor({ nightly: true });
    assert.equal(nightly.failedBatches, 0, JSON.stringify(await his.db.prisma.anchorBatch.findMany({ where: { state: { not: "anchored" } } })));
    assert.equal(nightly.records, pending);
    assert.equal(await his.db.prisma.collectedRecord.count({ where: { anchorState: { not: "anchored" } } }), 0);
    for (const { recordId } of await his.db.prisma.collectedRecord.findMany({ select: { recordId: true } })) await verifyEntryOnChain(recordId);
  });

  test("day 2: the increment's corrections of anchored records become change records, anchored and proven on chain", async () => {
    const cut = Math.floor(records.length * 0.7);
    const later = records.slice(cut);
    // The platform also re-sends corrected lab values of day-1 records (迟发更正).
    const day1Labs = records.slice(0, cut).filter((r) => r.kind === "lab-result" && r.truth.duplicateOf === null).slice(0, 25);
    const corrections = day1Labs.map((r, i) => ({
      ...r,
      recordId: `${r.recordId}-c`,
      status: "corrected" as const,
      corrects: r.recordId,
      changedAt: "2026-10-02T09:00:00+08:00",
      payload: { ...(r.payload as object), value: Math.round(((r.payload as { value: number }).value + 0.1 + i / 100) * 100) / 100 },
    })) as SyntheticRecord[];
    await writeIntermediateTables(sourceUrl, [...later, ...corrections]);
    const run = await his.runTask("regional-t1");
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    await reviewCodesAndReplay("regional-t1");
    const changes = await his.db.prisma.recordChange.findMany({ where: { anchorState: "pending" } });
    const anchoredIds = new Set((await his.db.prisma.collectedRecord.findMany({ where: { anchorState: "anchored" }, select: { recordId: true } })).map((r) => r.recordId));
    assert.ok(changes.length >= 25, `${changes.length} change records`);
    assert.ok(changes.every((c) => anchoredIds.has(c.recordId)), "change records are made for anchored records only");

    const nightly = await his.anchor({ nightly: true });
    assert.equal(nightly.failedBatches, 0);
    assert.ok(nightly.changes >= changes.length);
    assert.equal(await his.db.prisma.recordChange.count({ where: { anchorState: { not: "anchored" } } }), 0);
    assert.equal(await his.db.prisma.collectedRecord.count({ where: { anchorState: { not: "anchored" } } }), 0);

    const headers = { authorization: `Bearer ${await tokenOf()}` };
    for (const change of changes) {
      const res = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${change.recordId}/changes`, { headers });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { version: number; changes: { version: number; change: { recordId: Hex; institution: Address; previousContentHash: Hex; newContentHash: Hex; newPointerHash: Hex; newResidentRef: Hex; reason: number; changedAt: number }; batch: { batchId: string; leafIndex: number; proof: Hex[] } }[] };
      const anchored = body.changes.find((c) => c.version === change.version)!;
      assert.ok(anchored, `version ${change.version} of ${change.recordId}`);
      assert.equal(anchored.change.previousContentHash, change.previousContentHash);
      assert.equal(anchored.change.newContentHash, fingerprint(JSON.parse(change.contentJson)));
      const ok = await chain.publicClient.readContract({
        address: chain.deployments.contracts.DataIndex.address,
        abi: dataIndexAbi,
        functionName: "verifyChange",
        args: [BigInt(anchored.batch.batchId), { ...anchored.change, changedAt: BigInt(anchored.change.changedAt) }, BigInt(anchored.batch.leafIndex), anchored.batch.proof],
      });
      assert.equal(ok, true, `change ${change.recordId} v${change.version} is in its batch on chain`);
    }
    // Every record of day 2 is proven as well.
    for (const { recordId } of await his.db.prisma.collectedRecord.findMany({ where: { version: 1 }, select: { recordId: true } })) await verifyEntryOnChain(recordId);
  });

  test("merging two residents moves their anchored records with identity-merge change records proven on chain; unmerging moves them back", async () => {
    const persons = await his.db.prisma.collectedRecord.groupBy({ by: ["personId"], where: { anchorState: "anchored" }, _count: true, orderBy: { personId: "asc" }, take: 2 });
    const [survivor, merged] = persons.map((p) => p.personId) as [string, string];
    const movedIds = (await his.db.prisma.collectedRecord.findMany({ where: { personId: merged }, select: { recordId: true } })).map((r) => r.recordId);
    const survivorRef = (await his.db.prisma.collectedRecord.findFirstOrThrow({ where: { personId: survivor } })).residentRef;
    const mergedRef = (await his.db.prisma.collectedRecord.findFirstOrThrow({ where: { personId: merged } })).residentRef;
    await his.empi.merge(survivor, merged, "主索引管理员", "same resident registered twice");
    const reconciled = await his.reconcileIdentities();
    assert.equal(reconciled.changes, movedIds.length);
    // An operator anchors the moves now rather than in tonight's T+1 run.
    const anchored = await his.anchor({ nightly: true, upTo: new Date(Date.now() + 2 * 86_400_000) });
    assert.equal(anchored.failedBatches, 0, JSON.stringify(await his.db.prisma.anchorBatch.findMany({ where: { state: "failed" } })));
    assert.equal(anchored.changes, movedIds.length);

    const headers = { authorization: `Bearer ${await tokenOf()}` };
    const proveMove = async (recordId: string, toRef: string) => {
      const res = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${recordId}/changes?verify=chain`, { headers });
      const body = (await res.json()) as { current: { residentRef: Hex }; changes: { reason: string; verified?: boolean; change: { newResidentRef: Hex } }[] };
      const last = body.changes.at(-1)!;
      assert.equal(last.reason, "identity-merge");
      assert.equal(last.change.newResidentRef, toRef);
      assert.equal(last.verified, true, "DataIndex.verifyChange holds for the move");
      assert.equal(body.current.residentRef, toRef);
    };
    for (const recordId of movedIds) await proveMove(recordId, survivorRef);

    await his.empi.unmerge(merged, "主索引管理员", "two residents after all");
    const back = await his.reconcileIdentities();
    assert.equal(back.changes, movedIds.length);
    assert.equal((await his.anchor({ nightly: true, upTo: new Date(Date.now() + 2 * 86_400_000) })).changes, movedIds.length);
    for (const recordId of movedIds) await proveMove(recordId, mergedRef);
    const rows = await his.db.prisma.collectedRecord.findMany({ where: { recordId: { in: movedIds } } });
    assert.ok(rows.every((r) => r.personId === merged && r.residentRef === mergedRef));
  });

  const FAR = () => new Date(Date.now() + 3 * 86_400_000);
  const anchorNow = () => his.anchor({ nightly: true, upTo: FAR() });

  /** A correction of a collected record, as the source re-sends it (optionally under another patient). */
  function correctionOf(record: SyntheticRecord, change: Record<string, unknown>, at: string, patientId = record.patientId): SyntheticRecord {
    return { ...record, recordId: `${record.recordId}-fix-${at}`, status: "corrected", corrects: record.recordId, changedAt: at, patientId, payload: { ...(record.payload as object), ...change } } as unknown as SyntheticRecord;
  }

  async function changesOf(recordId: string) {
    const res = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${recordId}/changes?verify=chain`, { headers: { authorization: `Bearer ${await tokenOf()}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { anchoring: string; current: { residentRef: Hex }; changes: { reason: string; verified?: boolean; change: { previousContentHash: Hex; newContentHash: Hex; newResidentRef: Hex } }[] };
  }

  test("a correction collected while its record's batch is in flight becomes a change record of what was sent, anchored and proven", async () => {
    const fresh = [...syntheticRecords({ seed: 2028, residents: 2, from: "2026-10-12", days: 3 })];
    await writeIntermediateTables(sourceUrl, fresh);
    assert.equal((await his.runTask("regional-t1")).status, "succeeded");
    await reviewCodesAndReplay("regional-t1", fresh);
    const lab = fresh.find((r) => r.kind === "lab-result" && r.truth.duplicateOf === null)!;
    const row = await his.db.prisma.collectedRecord.findFirstOrThrow({ where: { institution: lab.institutionCode, sourceKey: lab.sourceKey } });
    assert.equal(row.anchorState, "pending");
    await writeIntermediateTables(sourceUrl, [correctionOf(lab, { value: 99.9 }, "2026-10-20T10:00:00+08:00")]);

    // The correction is collected while the gateway is anchoring the batch that holds the record.
    const racing: Anchorer = {
      ...anchorer,
      anchorRecords: async (sent, mode) => {
        if (sent.some((r) => r.recordId === row.recordId)) assert.equal((await his.runTask("regional-t1")).changes, 1);
        return anchorer.anchorRecords(sent, mode);
      },
    };
    const { anchorDue } = await import("../../services/his/src/anchoring/anchor.ts");
    const active = await his.db.prisma.configVersion.findFirstOrThrow({ where: { kind: "anchoring", active: true } });
    const context = { db: his.db.prisma, anchorer: racing, policy: { value: JSON.parse(active.json), version: active.version, hash: active.hash }, directory: derivedDirectory("e2e wallet secret, at least 16 bytes"), now: TOMORROW };
    assert.equal((await anchorDue(context, { nightly: true, upTo: FAR() })).failedBatches, 0);
    const after = await his.db.prisma.collectedRecord.findUniqueOrThrow({ where: { recordId: row.recordId } });
    assert.equal(after.anchorState, "anchored");
    // The same pass anchored the change record that settling the batch wrote.
    const made = await his.db.prisma.recordChange.findMany({ where: { recordId: row.recordId } });
    assert.equal(made.length, 1, "the chain holds what was sent: the new content needs a change record");
    assert.equal(made[0]!.previousContentHash, row.contentHash);
    assert.equal(made[0]!.newContentHash, after.contentHash);
    assert.equal(made[0]!.anchorState, "anchored");
    assert.equal(after.version, 2);
    const proof = await changesOf(row.recordId);
    assert.equal(proof.changes.at(-1)!.change.newContentHash, after.contentHash);
    assert.equal(proof.changes.at(-1)!.verified, true);
  });

  test("a result the source moves to another patient follows them on chain: a correction, then an identity change to the new resident", async () => {
    // A lab result of an institution where another resident is registered too.
    let lab: SyntheticRecord | undefined;
    let row: Awaited<ReturnType<typeof his.db.prisma.collectedRecord.findFirstOrThrow>> | undefined;
    let other: Awaited<ReturnType<typeof his.db.prisma.empiIdentity.findFirst>> = null;
    for (const candidate of records.filter((r) => r.kind === "lab-result" && r.truth.duplicateOf === null && r.status === "final")) {
      const found = await his.db.prisma.collectedRecord.findFirst({ where: { institution: candidate.institutionCode, sourceKey: candidate.sourceKey, anchorState: "anchored", version: 1 } });
      if (!found) continue;
      other = await his.db.prisma.empiIdentity.findFirst({ where: { institution: candidate.institutionCode, personId: { not: found.personId } } });
      if (other) {
        [lab, row] = [candidate, found];
        break;
      }
    }
    assert.ok(lab && row && other, "a lab result and another resident of its institution");
    await writeIntermediateTables(sourceUrl, [correctionOf(lab, { value: 42.42 }, "2026-10-15T09:00:00+08:00", other.patientId)]);
    const run = await his.runTask("regional-t1");
    assert.equal(run.changes, 1);
    const moved = await his.db.prisma.collectedRecord.findUniqueOrThrow({ where: { recordId: row.recordId } });
    assert.equal(moved.personId, other.personId, "the record belongs to the other patient's resident now");
    assert.notEqual(moved.residentRef, row.residentRef);
    const changes = await his.db.prisma.recordChange.findMany({ where: { recordId: row.recordId, anchorState: "pending" }, orderBy: { version: "asc" } });
    assert.deepEqual(changes.map((c) => c.reason), ["correction", "identity-merge"]);

    assert.equal((await anchorNow()).failedBatches, 0);
    const proof = await changesOf(row.recordId);
    assert.equal(proof.current.residentRef, moved.residentRef, "the gateway's record moved to the new resident");
    assert.deepEqual(proof.changes.slice(-2).map((c) => [c.reason, c.verified]), [["correction", true], ["identity-merge", true]]);
  });

  test("a singly anchored record (per-record cadence) changes through DataIndex.recordChange, not a changes batch", async () => {
    const { publishConfig } = await import("../../services/his/src/config/versions.ts");
    const { DEFAULT_ANCHORING_POLICY } = await import("../../services/his/src/anchoring/policy.ts");
    await publishConfig(his.db.prisma, {
      kind: "anchoring",
      name: "default",
      value: { ...DEFAULT_ANCHORING_POLICY, models: { ...DEFAULT_ANCHORING_POLICY.models, encounter: { anchor: true, mode: "clear-hash", cadence: { kind: "per-record" } } } },
      actor: "e2e",
    });
    const fresh = [...syntheticRecords({ seed: 2029, residents: 1, from: "2026-10-16", days: 2 })];
    await writeIntermediateTables(sourceUrl, fresh);
    assert.equal((await his.runTask("regional-t1")).status, "succeeded");
    await reviewCodesAndReplay("regional-t1", fresh);
    assert.equal((await his.anchor()).failedBatches, 0, "per-record models are anchored at once");
    const encounter = fresh.find((r) => r.kind === "encounter")!;
    const row = await his.db.prisma.collectedRecord.findFirstOrThrow({ where: { institution: encounter.institutionCode, sourceKey: encounter.sourceKey } });
    assert.equal(row.anchorState, "anchored");
    assert.equal((await changesOf(row.recordId)).anchoring, "single");

    await writeIntermediateTables(sourceUrl, [correctionOf(encounter, { department: "全科医学科" }, "2026-10-25T16:00:00+08:00")]);
    assert.equal((await his.runTask("regional-t1")).changes, 1);
    const anchored = await anchorNow();
    assert.equal(anchored.failedBatches, 0);
    const proof = await changesOf(row.recordId);
    assert.equal(proof.changes.at(-1)!.reason, "correction");
    assert.equal(proof.changes.at(-1)!.verified, true, "the transaction emitted exactly this RecordChanged");
    await publishConfig(his.db.prisma, { kind: "anchoring", name: "default", value: DEFAULT_ANCHORING_POLICY, actor: "e2e", note: "back to the default" });
  });

  test("an anchoring pass that dies after the gateway accepted its batch is settled without anchoring twice", async () => {
    const extra = [...syntheticRecords({ seed: 2027, residents: 3, from: "2026-10-10", days: 5 })];
    await writeIntermediateTables(sourceUrl, extra);
    assert.equal((await his.runTask("regional-t1")).status, "succeeded");
    await reviewCodesAndReplay("regional-t1", extra);
    const pending = await his.db.prisma.collectedRecord.count({ where: { anchorState: "pending" } });
    assert.ok(pending > 0);
    const batchesBefore = await chain.publicClient.readContract({ address: chain.deployments.contracts.DataIndex.address, abi: dataIndexAbi, functionName: "batchCount" });

    // The process dies between the gateway's answer and settling the batch.
    const dying: Anchorer = {
      ...anchorer,
      anchorRecords: async (records, mode) => {
        await anchorer.anchorRecords(records, mode);
        throw Object.assign(new Error("the service was killed after sending"), { code: "KILLED" });
      },
      anchoredState: () => Promise.reject(new Error("the service is down")),
    };
    const { anchorDue } = await import("../../services/his/src/anchoring/anchor.ts");
    const policy = await his.db.prisma.configVersion.findFirstOrThrow({ where: { kind: "anchoring", active: true } });
    const context = { db: his.db.prisma, anchorer: dying, policy: { value: JSON.parse(policy.json), version: policy.version, hash: policy.hash }, directory: derivedDirectory("e2e wallet secret, at least 16 bytes"), now: TOMORROW };
    await anchorDue(context, { nightly: true });
    assert.equal(await his.db.prisma.anchorBatch.count({ where: { state: "sending" } }), 1, "the batch stays in flight");

    // The restarted service asks the gateway, marks what it anchored, and does not send it again.
    const inFlight = await his.db.prisma.collectedRecord.count({ where: { anchorState: "pending", anchorBatchId: { not: null } } });
    assert.ok(inFlight > 0);
    const recovered = await his.anchor({ nightly: true });
    assert.equal(recovered.recovered, 1);
    assert.equal(recovered.failedBatches, 0);
    assert.equal(recovered.records, pending - inFlight, "the in-flight records are not sent again; the rest are");
    assert.equal(await his.db.prisma.collectedRecord.count({ where: { anchorState: { not: "anchored" } } }), 0);
    const batchesAfter = await chain.publicClient.readContract({ address: chain.deployments.contracts.DataIndex.address, abi: dataIndexAbi, functionName: "batchCount" });
    assert.equal(batchesAfter, batchesBefore + 1n + BigInt(recovered.batches), "one anchoring transaction for the in-flight records, not two");
  });
});
