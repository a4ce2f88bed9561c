// /v1/records: anchoring one record and a batch (originals stored encrypted, rows written only after
// the chain accepted the anchor), an entry with its proof verified on chain, a resident's index, and
// the refusals: role, bad input, duplicates, a reverting anchor (no rows, no objects), idempotency.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getAddress } from "viem";
import { labRecord, recordIdOf } from "../../test/e2e/fixtures.ts";
import { body, countFiles, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(5);

describe("records", () => {
  let gw: TestGateway;
  let his: string;
  before(async () => {
    gw = await startTestGateway();
    his = (await gw.signInStaff("hospital-his")).token;
  });
  after(() => gw.close());

  test("an institution system anchors one record: the chain holds the entry, the gateway its original", async () => {
    const input = labRecord("single-1", RESIDENT.address);
    const res = await gw.call("POST", "/v1/records", { token: his, json: input });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<{ recordId: string; contentHash: string; pointerHash: string; txHash: string; anchoring: string }>(res);
    assert.equal(out.anchoring, "single");
    assert.match(out.txHash, /^0x[0-9a-f]{64}$/);
    const onChain = await gw.deps.chain.contracts.dataIndex.read.getRecord([INSTITUTIONS.hospital, input.recordId]);
    assert.equal(onChain.contentHash, out.contentHash);
    assert.equal(onChain.pointerHash, out.pointerHash);
    const row = await gw.deps.db.original.findUnique({ where: { institution_recordId: { institution: INSTITUTIONS.hospital, recordId: input.recordId } } });
    assert.equal(row?.residentAddress, RESIDENT.address);
    assert.equal(row?.anchoring, "single");

    const doctor = (await gw.signInStaff("hospital-doctor")).token;
    const entry = await body<{ verified: boolean; anchoring: string; txHash: string }>(
      await gw.call("GET", `/v1/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: doctor }),
    );
    assert.equal(entry.anchoring, "single");
    assert.equal(entry.verified, true);
    assert.equal(entry.txHash, out.txHash);
  });

  test("a batch is anchored under one root; each entry's proof verifies on chain and the resident sees the index", async () => {
    const records = [1, 2, 3].map((i) => labRecord(`batch-a-${i}`, RESIDENT.address));
    const res = await gw.call("POST", "/v1/records/batch", { token: his, json: { records } });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<{ batchId: string; root: string; leafCount: number; records: { recordId: string; leafIndex: number; proof: string[] }[] }>(res);
    assert.equal(out.leafCount, 3);
    assert.equal(await gw.deps.db.indexEntry.count({ where: { batchId: out.batchId } }), 3);
    const batch = await gw.deps.chain.contracts.dataIndex.read.getBatch([BigInt(out.batchId)]);
    assert.equal(batch.root, out.root);

    const auditor = (await gw.signInStaff("platform-auditor")).token;
    for (const r of out.records) {
      const entry = await body<{ verified: boolean; anchoring: string; batch: { leafIndex: number; proof: string[] } }>(
        await gw.call("GET", `/v1/records/${INSTITUTIONS.hospital}/${r.recordId}`, { token: auditor }),
      );
      assert.equal(entry.anchoring, "batch");
      assert.equal(entry.verified, true);
      assert.deepEqual(entry.batch.proof, r.proof);
    }

    await gw.syncMirror();
    const resident = await gw.signInResident(RESIDENT);
    const index = await body<{ items: { recordId: string; anchoring: string }[] }>(await gw.call("GET", "/v1/records", { token: resident.token }));
    const ids = index.items.map((i) => i.recordId);
    for (const r of records) assert.ok(ids.includes(r.recordId), "every batched record is in the resident's index");
    assert.ok(ids.includes(recordIdOf("single-1")), "the singly anchored record comes from the mirror");

    const stranger = await gw.signInResident(devAccount(6));
    const none = await body<{ items: unknown[] }>(await gw.call("GET", "/v1/records", { token: stranger.token }));
    assert.equal(none.items.length, 0);
    const other = await gw.call("GET", `/v1/records?residentRef=${records[0]!.residentRef}`, { token: stranger.token });
    assert.equal(other.status, 403);
  });

  test("refusals: a doctor may not anchor; bad input changes nothing", async () => {
    const doctor = (await gw.signInStaff("hospital-doctor")).token;
    const denied = await gw.call("POST", "/v1/records", { token: doctor, json: labRecord("denied", RESIDENT.address) });
    assert.equal(denied.status, 403);
    assert.equal((await body<{ code: string }>(denied)).code, "ROLE_REQUIRED");

    const before = await gw.deps.db.original.count();
    const unmapped = labRecord("unmapped", RESIDENT.address);
    const bad = await gw.call("POST", "/v1/records", { token: his, json: { ...unmapped, record: { ...unmapped.record, extra: 1 } } });
    assert.equal(bad.status, 400);
    assert.equal((await body<{ code: string }>(bad)).code, "INVALID_INPUT");
    const future = await gw.call("POST", "/v1/records", { token: his, json: labRecord("future", RESIDENT.address, Math.floor(Date.now() / 1000) + 7200) });
    assert.equal(future.status, 400);
    const dupInBatch = await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [labRecord("d", RESIDENT.address), labRecord("d", RESIDENT.address)] } });
    assert.equal(dupInBatch.status, 400);
    assert.equal(await gw.deps.db.original.count(), before);
  });

  test("an anchor the chain refuses leaves neither rows nor stored originals", async () => {
    // The health authority has no DATA_PROVIDER role: DataIndex refuses its anchors.
    const system = (await gw.signInStaff("authority-system")).token;
    const dir = gw.config.stores[getAddress(INSTITUTIONS.healthAuthority)]!;
    assert.equal(dir.kind, "fs");
    const filesBefore = await countFiles(dir.kind === "fs" ? dir.dir : "");
    const rowsBefore = [await gw.deps.db.original.count(), await gw.deps.db.indexEntry.count()];
    const one = await gw.call("POST", "/v1/records", { token: system, json: labRecord("authority-1", RESIDENT.address) });
    assert.equal(one.status, 502);
    assert.equal((await body<{ code: string; details: { errorName: string } }>(one)).details.errorName, "MissingRole");
    const batch = await gw.call("POST", "/v1/records/batch", { token: system, json: { records: [labRecord("authority-2", RESIDENT.address), labRecord("authority-3", RESIDENT.address)] } });
    assert.equal(batch.status, 502);
    assert.deepEqual([await gw.deps.db.original.count(), await gw.deps.db.indexEntry.count()], rowsBefore);
    assert.equal(await countFiles(dir.kind === "fs" ? dir.dir : ""), filesBefore, "the failed anchors' objects were removed");
  });

  test("a record anchored twice is a conflict; a retry with the same Idempotency-Key is applied once", async () => {
    const input = labRecord("idem-1", RESIDENT.address);
    const headers = { "idempotency-key": "records-idem-0001" };
    const first = await gw.call("POST", "/v1/records", { token: his, json: input, headers });
    assert.equal(first.status, 201);
    const again = await gw.call("POST", "/v1/records", { token: his, json: input, headers });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await body(again), await body(first));
    assert.equal(await gw.deps.db.original.count({ where: { recordId: input.recordId } }), 1);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "records.anchor", target: input.recordId, outcome: "success" } }), 1);

    const other = await gw.call("POST", "/v1/records", { token: his, json: labRecord("idem-2", RESIDENT.address), headers });
    assert.equal(other.status, 409);
    assert.equal((await body<{ code: string }>(other)).code, "IDEMPOTENCY_KEY_REUSED");
    const duplicate = await gw.call("POST", "/v1/records", { token: his, json: input });
    assert.equal(duplicate.status, 409);
    assert.equal((await body<{ code: string }>(duplicate)).code, "CONFLICT");
    assert.equal(await gw.deps.db.original.count({ where: { recordId: input.recordId } }), 1);
  });
});
