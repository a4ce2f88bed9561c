// /v1/records under concurrency: two anchors naming the same record id at the same time. The record
// ids are reserved before anything is stored or sent, so exactly one request anchors; the other
// gets 409 CONFLICT naming the contested ids, and leaves nothing behind: no second batch on chain,
// no rows, no ciphertext in the store, no reservation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getAddress, type Hex } from "viem";
import { labRecord, recordIdOf } from "../../test/e2e/fixtures.ts";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { toHttpError } from "../src/errors.ts";
import { body, countFiles, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(5);

for (const backend of ["sqlite", "postgresql"] as const) describe(`records: concurrent anchors of the same record id (gateway database on ${backend})`, () => {
  let gw: TestGateway;
  let pg: TestPostgres | undefined;
  let his: string;
  let storeDir: string;
  const hospital = getAddress(INSTITUTIONS.hospital);

  before(async () => {
    if (backend === "postgresql") pg = await startPostgres();
    gw = await startTestGateway(pg === undefined ? {} : { databaseUrl: await pg.createDatabase("records_race") });
    his = (await gw.signInStaff("hospital-his")).token;
    const store = gw.config.stores[hospital]!;
    assert.equal(store.kind, "fs");
    storeDir = store.kind === "fs" ? store.dir : "";
  });
  after(async () => {
    await gw?.close();
    await pg?.stop();
  });

  const rowsOf = async (tag: string) => {
    const recordId = recordIdOf(tag);
    return {
      originals: await gw.deps.db.original.count({ where: { institution: hospital, recordId } }),
      entries: await gw.deps.db.indexEntry.count({ where: { institution: hospital, recordId } }),
    };
  };
  const batchCount = () => gw.deps.chain.contracts.dataIndex.read.batchCount();
  const reservations = () => gw.deps.db.recordReservation.count();

  test("two overlapping batches: one 201, one 409 naming the overlap; the loser leaves nothing", async (t) => {
    const batchesBefore = await batchCount();
    const filesBefore = await countFiles(storeDir);
    const a = [labRecord("ov-1", RESIDENT.address), labRecord("ov-2", RESIDENT.address)];
    const b = [labRecord("ov-2", RESIDENT.address), labRecord("ov-3", RESIDENT.address)];
    const [ra, rb] = await Promise.all([
      gw.call("POST", "/v1/records/batch", { token: his, json: { records: a }, headers: { "idempotency-key": "race-batch-a-0001" } }),
      gw.call("POST", "/v1/records/batch", { token: his, json: { records: b }, headers: { "idempotency-key": "race-batch-b-0001" } }),
    ]);
    const statuses = [ra.status, rb.status];
    const texts = [await ra.text(), await rb.text()];
    assert.deepEqual([...statuses].sort(), [201, 409], `answers: ${texts.join(" | ")}`);
    const winnerIsA = ra.status === 201;
    const loser = JSON.parse(winnerIsA ? texts[1]! : texts[0]!) as { code: string; details: { recordIds: string[] } };
    assert.equal(loser.code, "CONFLICT");
    assert.deepEqual(loser.details.recordIds, [recordIdOf("ov-2")]);

    // exactly one batch on chain, two objects in the store, the winner's rows, none of the loser's
    assert.equal(await batchCount(), batchesBefore + 1n, "one anchorBatch only");
    assert.equal(await countFiles(storeDir), filesBefore + 2, "only the winner's ciphertexts are stored");
    const onlyLoser = winnerIsA ? "ov-3" : "ov-1";
    const onlyWinner = winnerIsA ? "ov-1" : "ov-3";
    assert.deepEqual(await rowsOf("ov-2"), { originals: 1, entries: 1 });
    assert.deepEqual(await rowsOf(onlyWinner), { originals: 1, entries: 1 });
    assert.deepEqual(await rowsOf(onlyLoser), { originals: 0, entries: 0 });
    assert.equal(await reservations(), 0, "no reservation is left");
    t.diagnostic(
      `batches +${await batchCount() - batchesBefore}, files +${(await countFiles(storeDir)) - filesBefore}, ` +
        `rows ov-1 ${JSON.stringify(await rowsOf("ov-1"))} ov-2 ${JSON.stringify(await rowsOf("ov-2"))} ov-3 ${JSON.stringify(await rowsOf("ov-3"))}, reservations ${await reservations()}`,
    );
    // the loser's idempotency claim is gone (it may be retried) and its failure audited once
    assert.equal(await gw.deps.db.idempotencyKey.count({ where: { key: winnerIsA ? "race-batch-b-0001" : "race-batch-a-0001" } }), 0);

    // the loser's own record can be anchored afterwards, and is then the only new batch
    const retry = await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [labRecord(onlyLoser, RESIDENT.address)] } });
    assert.equal(retry.status, 201, await retry.clone().text());
    assert.equal(await batchCount(), batchesBefore + 2n);
    assert.deepEqual(await rowsOf(onlyLoser), { originals: 1, entries: 1 });
    assert.equal(await countFiles(storeDir), filesBefore + 3);
  });

  test("a single anchor racing a batch with the same record id: one wins, the other is a 409 that left nothing", async () => {
    const batchesBefore = await batchCount();
    const filesBefore = await countFiles(storeDir);
    const single = labRecord("race-s1", RESIDENT.address);
    const [rs, rb] = await Promise.all([
      gw.call("POST", "/v1/records", { token: his, json: single }),
      gw.call("POST", "/v1/records/batch", { token: his, json: { records: [labRecord("race-s1", RESIDENT.address), labRecord("race-s2", RESIDENT.address)] } }),
    ]);
    const texts = [await rs.text(), await rb.text()];
    assert.deepEqual([rs.status, rb.status].sort(), [201, 409], `answers: ${texts.join(" | ")}`);
    const loser = JSON.parse(rs.status === 409 ? texts[0]! : texts[1]!) as { code: string; details: { recordIds: string[] } };
    assert.equal(loser.code, "CONFLICT");
    assert.deepEqual(loser.details.recordIds, [recordIdOf("race-s1")]);

    const onChain = await gw.deps.chain.contracts.dataIndex.read.getRecord([hospital, recordIdOf("race-s1") as Hex]);
    if (rs.status === 201) {
      assert.notEqual(BigInt(onChain.institution), 0n, "the single anchor is on chain");
      assert.equal(await batchCount(), batchesBefore, "the batch was never sent");
      assert.equal(await countFiles(storeDir), filesBefore + 1);
      assert.deepEqual(await rowsOf("race-s1"), { originals: 1, entries: 0 });
      assert.deepEqual(await rowsOf("race-s2"), { originals: 0, entries: 0 });
    } else {
      assert.equal(BigInt(onChain.institution), 0n, "the single anchor was never sent");
      assert.equal(await batchCount(), batchesBefore + 1n);
      assert.equal(await countFiles(storeDir), filesBefore + 2);
      assert.deepEqual(await rowsOf("race-s1"), { originals: 1, entries: 1 });
      assert.deepEqual(await rowsOf("race-s2"), { originals: 1, entries: 1 });
    }
    assert.equal(await reservations(), 0);
  });
  test("a reservation left by a dead process blocks while its lease runs and is taken over after it (its object removed)", async () => {
    const store = gw.deps.stores.get(hospital)!;
    const filesBefore = await countFiles(storeDir);
    const dead = await store.putOriginal({ left: "by a process that died" });
    const recordId = recordIdOf("dead-1");
    await gw.deps.db.recordReservation.create({
      data: { institution: hospital, recordId, holder: "dead-process", anchoring: "batch", cid: dead.cid, expiresAt: new Date(Date.now() + 60_000) },
    });
    const blocked = await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [labRecord("dead-1", RESIDENT.address)] } });
    assert.equal(blocked.status, 409);
    const refusal = await body<{ code: string; details: { reason: string; recordIds: string[] } }>(blocked);
    assert.deepEqual([refusal.code, refusal.details.reason, refusal.details.recordIds], ["CONFLICT", "record-being-anchored", [recordId]]);
    assert.equal(await countFiles(storeDir), filesBefore + 1, "nothing stored for the refused request");

    await gw.deps.db.recordReservation.update({ where: { institution_recordId: { institution: hospital, recordId } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const batchesBefore = await batchCount();
    const taken = await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [labRecord("dead-1", RESIDENT.address)] } });
    assert.equal(taken.status, 201, await taken.clone().text());
    assert.equal(await batchCount(), batchesBefore + 1n);
    assert.deepEqual(await rowsOf("dead-1"), { originals: 1, entries: 1 });
    assert.equal(await countFiles(storeDir), filesBefore + 1, "the dead holder's object was removed, the new one stored");
    assert.equal(await reservations(), 0);
  });

  test("an expired reservation whose batch reached the chain is not taken over: the ids stay reserved (409 anchored-unrecorded)", async () => {
    const root = `0x${"5a".repeat(32)}` as Hex;
    await gw.deps.chain.send(hospital, "DataIndex", "anchorBatch", [0, root, 1]);
    const recordId = recordIdOf("dead-2");
    await gw.deps.db.recordReservation.create({
      data: { institution: hospital, recordId, holder: "dead-process-2", anchoring: "batch", root, expiresAt: new Date(Date.now() - 1000) },
    });
    const batchesBefore = await batchCount();
    const filesBefore = await countFiles(storeDir);
    const res = await gw.call("POST", "/v1/records", { token: his, json: labRecord("dead-2", RESIDENT.address) });
    assert.equal(res.status, 409);
    const refusal = await body<{ code: string; details: { reason: string; recordIds: string[] } }>(res);
    assert.deepEqual([refusal.code, refusal.details.reason, refusal.details.recordIds], ["CONFLICT", "anchored-unrecorded", [recordId]]);
    assert.equal(await batchCount(), batchesBefore);
    assert.equal(await countFiles(storeDir), filesBefore);
    assert.deepEqual(await rowsOf("dead-2"), { originals: 0, entries: 0 });
    assert.equal(await gw.deps.db.recordReservation.count({ where: { recordId } }), 1, "kept for an operator");
    await gw.deps.db.recordReservation.deleteMany({ where: { recordId } });
  });

  test("an anchor the chain refuses releases its reservation", async () => {
    const system = (await gw.signInStaff("authority-system")).token;
    const one = await gw.call("POST", "/v1/records", { token: system, json: labRecord("refused-1", RESIDENT.address) });
    assert.equal(one.status, 502);
    const batch = await gw.call("POST", "/v1/records/batch", { token: system, json: { records: [labRecord("refused-2", RESIDENT.address)] } });
    assert.equal(batch.status, 502);
    assert.equal(await reservations(), 0);
  });

  test("a unique-key violation the routes did not foresee maps to 409 CONFLICT, not 500", () => {
    const error = toHttpError(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }));
    assert.equal(error.code, "CONFLICT");
    assert.equal(error.httpStatus, 409);
  });
});
