// /v1/records changes (变更记录): a changes batch over batch-anchored records (DataIndex.anchorBatch,
// kind 1) and one change of a singly anchored record (DataIndex.recordChange). Each change's proof
// verifies on chain and locally; consent-checked reads return the new version while the earlier
// version's rows, proof and ciphertext remain; an identity merge moves the record to the surviving
// resident; a void ends it. Every refusal is typed, bilingual, and leaves the store, the rows and
// the chain as they were — a send that fails too.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BATCH_KINDS, changeItem, platformError, toHex, verifyChangeInBatch, verifyMerkleProof, type ConsentDomain, type RecordChange } from "@health-chain/sdk";
import { openForReader } from "@health-chain/store";
import { getAddress, type Address, type Hex } from "viem";
import { asGrantee, labGrant, labRecord, LAB_FIELDS, recordIdOf, residentRefOf, signedRelay } from "../../test/e2e/fixtures.ts";
import type { ChainAccess } from "../src/chain.ts";
import { doctorAccountOf } from "../src/routes/consent.ts";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { body, countFiles, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(7);
const SURVIVOR = devAccount(8);
const hospital = getAddress(INSTITUTIONS.hospital);
const authority = getAddress(INSTITUTIONS.healthAuthority);

interface Anchored {
  anchoring: "single" | "batch";
  batchId?: string;
  root?: Hex;
  leafCount?: number;
  txHash: Hex;
  changes: (Omit<RecordChange, "changedAt"> & { changedAt: number; version: number; reasonName: string; leafIndex?: number; proof?: Hex[] })[];
}

interface Changes {
  anchoring: string;
  version: number;
  voided: boolean;
  current: { contentHash: Hex; pointerHash: Hex; residentRef: Hex };
  changes: {
    version: number;
    reason: string;
    change: Omit<RecordChange, "changedAt"> & { changedAt: number };
    batch?: { batchId: string; root: Hex; leafCount: number | null; leafIndex: number; proof: Hex[] };
    verified?: boolean;
  }[];
}

interface ErrorBody {
  code: string;
  message: string;
  messageZh: string;
  details: { reason?: string; recordIds?: string[]; what?: string; index?: number };
}

const changedAt = () => Math.floor(Date.now() / 1000) - 60;
const corrected = (tag: string, result: string) => ({ ...labRecord(tag, RESIDENT.address).record, result });
const asChange = (c: { institution: Address; changedAt: number } & Omit<RecordChange, "institution" | "changedAt">): RecordChange => ({
  ...c,
  changedAt: BigInt(c.changedAt),
});

for (const backend of ["sqlite", "postgresql"] as const) describe(`records: changes (gateway database on ${backend})`, () => {
  let gw: TestGateway;
  let pg: TestPostgres | undefined;
  let his: string;
  let auditor: string;
  let doctor: Awaited<ReturnType<TestGateway["signInStaff"]>>;
  let storeDir: string;
  const tags = ["chg-a", "chg-b", "chg-c", "chg-d", "chg-e"];
  const [A, B, C, D, E] = tags.map(recordIdOf) as [Hex, Hex, Hex, Hex, Hex];
  const SINGLE = recordIdOf("chg-single");

  before(async () => {
    if (backend === "postgresql") pg = await startPostgres();
    gw = await startTestGateway(pg === undefined ? {} : { databaseUrl: await pg.createDatabase("records_changes") });
    his = (await gw.signInStaff("hospital-his")).token;
    auditor = (await gw.signInStaff("platform-auditor")).token;
    doctor = await gw.signInStaff("hospital-doctor");
    const store = gw.config.stores[hospital]!;
    assert.equal(store.kind, "fs");
    storeDir = store.kind === "fs" ? store.dir : "";
    const batch = await gw.call("POST", "/v1/records/batch", { token: his, json: { records: tags.map((t) => labRecord(t, RESIDENT.address)) } });
    assert.equal(batch.status, 201, await batch.clone().text());
    const single = await gw.call("POST", "/v1/records", { token: his, json: labRecord("chg-single", RESIDENT.address) });
    assert.equal(single.status, 201, await single.clone().text());
    // The resident grants the doctor the lab reports' diagnosis and result, for treatment.
    const domain: ConsentDomain = gw.deps.chain.contracts.consentDomain;
    const resident = await gw.signInResident(RESIDENT);
    const now = BigInt(Math.floor(Date.now() / 1000));
    const grant = labGrant(RESIDENT.address, asGrantee(doctorAccountOf(hospital, "hospital-doctor")), 1, [LAB_FIELDS.diagnosis, LAB_FIELDS.result], now);
    assert.equal((await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentGrant", grant, domain) })).status, 201);
  });
  after(async () => {
    await gw?.close();
    await pg?.stop();
  });

  const originalOf = (recordId: Hex, institution: Address = hospital) =>
    gw.deps.db.original.findUniqueOrThrow({ where: { institution_recordId: { institution, recordId } } });
  const read = (recordId: Hex) => gw.call("POST", `/v1/access/records/${hospital}/${recordId}`, { token: doctor.token, json: { purpose: "treatment" } });
  const readFields = async (recordId: Hex) => {
    const res = await read(recordId);
    assert.equal(res.status, 200, await res.clone().text());
    const out = await body<{ sealed: never; context: string }>(res);
    return openForReader<Record<string, unknown>>(out.sealed, toHex(doctor.sessionKeys.privateKey), { context: out.context });
  };
  const changesOf = async (recordId: Hex, verify?: "local" | "chain") => {
    const res = await gw.call("GET", `/v1/records/${hospital}/${recordId}/changes${verify ? `?verify=${verify}` : ""}`, { token: auditor });
    assert.equal(res.status, 200, await res.clone().text());
    return body<Changes>(res);
  };
  const postBatch = (changes: unknown[], token = his) => gw.call("POST", "/v1/records/changes/batch", { token, json: { changes } });
  /** Everything a refused or failed request must leave untouched. */
  const snapshot = async () => ({
    files: await countFiles(storeDir),
    originals: JSON.stringify(await gw.deps.db.original.findMany({ orderBy: { id: "asc" } })),
    versions: await gw.deps.db.recordVersion.count(),
    reservations: await gw.deps.db.recordReservation.count(),
    batches: await gw.deps.chain.contracts.dataIndex.read.batchCount(),
  });

  test("a changes batch is anchored under one root: each proof verifies on chain and locally, reads return the new content, the earlier version stays", async () => {
    const before = { a: await originalOf(A), c: await originalOf(C), files: await countFiles(storeDir) };
    const newA = corrected("chg-a", "6.10");
    const newB = { ...labRecord("chg-b", RESIDENT.address).record, note: "HbA1c added late" };
    const res = await postBatch([
      { recordId: A, reason: "correction", changedAt: changedAt(), record: newA, fields: LAB_FIELDS },
      { recordId: B, reason: "late-result", changedAt: changedAt(), record: newB, fields: { ...LAB_FIELDS, note: `0x${"0e".repeat(32)}` } },
      { recordId: C, reason: "identity-merge", changedAt: changedAt(), newResidentRef: residentRefOf(SURVIVOR.address), resident: SURVIVOR.address },
    ]);
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<Anchored>(res);
    assert.equal(out.anchoring, "batch");
    assert.equal(out.leafCount, 3);
    assert.deepEqual(
      out.changes.map((c) => [c.recordId, c.version, c.reasonName, c.leafIndex]),
      [
        [A, 2, "correction", 0],
        [B, 2, "late-result", 1],
        [C, 2, "identity-merge", 2],
      ],
    );
    assert.equal(await countFiles(storeDir), before.files + 2, "two new versions stored; the merge stores nothing");

    // On chain: a changes batch of the hospital with this root; every change proven there, by the
    // contract and by the sdk's local answer; an altered change is not.
    const onChain = await gw.deps.chain.contracts.dataIndex.read.getBatch([BigInt(out.batchId!)]);
    assert.equal(onChain.root, out.root);
    assert.equal(Number(onChain.kind), BATCH_KINDS.changes.code);
    assert.equal(getAddress(onChain.institution), hospital);
    for (const c of out.changes) {
      const change = asChange(c);
      assert.equal(await gw.deps.chain.contracts.dataIndex.read.verifyChange([BigInt(out.batchId!), change, BigInt(c.leafIndex!), c.proof!]), true);
      assert.equal(verifyMerkleProof(onChain.root, onChain.leafCount, changeItem(change), c.leafIndex!, c.proof!), true);
      assert.equal(verifyChangeInBatch(onChain, change, c.leafIndex!, c.proof!), true);
      const altered = { ...change, changedAt: change.changedAt + 1n };
      assert.equal(await gw.deps.chain.contracts.dataIndex.read.verifyChange([BigInt(out.batchId!), altered, BigInt(c.leafIndex!), c.proof!]), false);
    }
    const [a, , merge] = out.changes as [Anchored["changes"][0], Anchored["changes"][0], Anchored["changes"][0]];
    assert.equal(a.previousContentHash, before.a.contentHash, "the change replaces the anchored fingerprint");
    assert.notEqual(a.newContentHash, before.a.contentHash);
    assert.equal(merge.newContentHash, before.c.contentHash, "a merge keeps the content");
    assert.equal(merge.newResidentRef, residentRefOf(SURVIVOR.address));
    assert.equal(a.newResidentRef, `0x${"00".repeat(32)}`);

    // The gateway's answer per change, verified both ways.
    for (const verify of ["chain", "local", undefined] as const) {
      const view = await changesOf(A, verify);
      assert.equal(view.version, 2);
      assert.equal(view.changes.length, 1);
      assert.equal(view.changes[0]!.verified, true, `verify=${String(verify)}`);
      assert.deepEqual(view.changes[0]!.batch?.proof, a.proof);
      assert.equal(view.changes[0]!.batch?.leafCount, 3);
    }

    // Reads return the new version; the anchored entry, its proof and the earlier ciphertext remain.
    assert.deepEqual(await readFields(A), { diagnosis: newA.diagnosis, result: "6.10" });
    const entry = await body<{ verified: boolean; entry: { contentHash: Hex } }>(await gw.call("GET", `/v1/records/${hospital}/${A}?verify=chain`, { token: auditor }));
    assert.equal(entry.verified, true);
    assert.equal(entry.entry.contentHash, before.a.contentHash);
    const row = await gw.deps.db.recordVersion.findUniqueOrThrow({ where: { institution_recordId_version: { institution: hospital, recordId: A, version: 2 } } });
    assert.equal(row.previousCid, before.a.cid);
    const earlier = await gw.deps.stores.get(hospital)!.getOriginal({
      cid: row.previousCid,
      keyId: row.previousKeyId,
      wrappedDataKey: row.previousWrappedDataKey,
      contentHash: row.previousContentHash,
    });
    assert.deepEqual(earlier, labRecord("chg-a", RESIDENT.address).record);
    assert.equal((await originalOf(B)).fieldsSchemaJson.includes("note"), true, "the new version's field map is the one read");

    // The merge moved the record to the surviving resident: the first resident's grant no longer reads it.
    const merged = await originalOf(C);
    assert.deepEqual([merged.residentRef, merged.residentAddress, merged.contentHash, merged.cid], [residentRefOf(SURVIVOR.address), SURVIVOR.address, before.c.contentHash, before.c.cid]);
    assert.equal((await read(C)).status, 403);
  });

  test("a second change of a record replaces the first one's fingerprint; both stay proven", async () => {
    const first = await originalOf(A);
    const json = { changes: [{ recordId: A, reason: "amendment", changedAt: changedAt(), record: corrected("chg-a", "6.20"), fields: LAB_FIELDS }] };
    const headers = { "idempotency-key": `changes-idem-${backend}` };
    const res = await gw.call("POST", "/v1/records/changes/batch", { token: his, json, headers });
    assert.equal(res.status, 201, await res.clone().text());
    const answer = await body<Anchored>(res);
    const [change] = answer.changes;
    // A retry with the same Idempotency-Key gets the same answer and changes nothing more.
    const retry = await gw.call("POST", "/v1/records/changes/batch", { token: his, json, headers });
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await body(retry), answer);
    assert.equal(await gw.deps.db.recordVersion.count({ where: { recordId: A } }), 2);
    assert.equal(change!.previousContentHash, first.contentHash);
    assert.equal(change!.version, 3);
    const view = await changesOf(A, "chain");
    assert.deepEqual(view.changes.map((c) => [c.version, c.reason, c.verified]), [
      [2, "correction", true],
      [3, "amendment", true],
    ]);
    assert.equal(view.current.contentHash, change!.newContentHash);
    assert.equal((await readFields(A)).result, "6.20");
  });

  test("refusals are typed, bilingual and name the records; they store, write and send nothing", async () => {
    const eqa = (await gw.signInStaff("eqa-system")).token;
    const state = await snapshot();
    const current = labRecord("chg-d", RESIDENT.address).record;
    const ok = { recordId: D, reason: "correction", changedAt: changedAt(), record: corrected("chg-d", "9.90"), fields: LAB_FIELDS };
    const cases: [string, Promise<Response>, number, string, string | undefined][] = [
      ["unknown record (with a valid change beside it)", postBatch([ok, { ...ok, recordId: recordIdOf("never-anchored") }]), 404, "NOT_FOUND", "unknown-record"],
      ["another institution's record", postBatch([ok], eqa), 404, "NOT_FOUND", "unknown-record"],
      [
        "another institution's record by path",
        gw.call("POST", `/v1/records/${hospital}/${D}/change`, { token: eqa, json: { reason: "void", changedAt: changedAt() } }),
        403,
        "FORBIDDEN",
        "not-own-institution",
      ],
      ["content equal to the current version", postBatch([{ ...ok, record: current }]), 409, "CONFLICT", "content-unchanged"],
      ["an unknown reason", postBatch([{ ...ok, reason: "typo" }]), 400, "INVALID_INPUT", undefined],
      ["newResidentRef on a correction", postBatch([{ ...ok, newResidentRef: residentRefOf(SURVIVOR.address) }]), 400, "INVALID_INPUT", undefined],
      ["an identity-merge without newResidentRef", postBatch([{ recordId: D, reason: "identity-merge", changedAt: changedAt() }]), 400, "INVALID_INPUT", undefined],
      [
        "an identity-merge into the current resident",
        postBatch([{ recordId: D, reason: "identity-merge", changedAt: changedAt(), newResidentRef: residentRefOf(RESIDENT.address) }]),
        409,
        "CONFLICT",
        "resident-ref-unchanged",
      ],
      ["a void carrying content", postBatch([{ ...ok, reason: "void" }]), 400, "INVALID_INPUT", undefined],
      ["a correction without content", postBatch([{ recordId: D, reason: "correction", changedAt: changedAt() }]), 400, "INVALID_INPUT", undefined],
      ["a member without a field id", postBatch([{ ...ok, fields: { diagnosis: LAB_FIELDS.diagnosis } }]), 400, "INVALID_INPUT", undefined],
      ["a change time in the future", postBatch([{ ...ok, changedAt: Math.floor(Date.now() / 1000) + 7200 }]), 400, "INVALID_INPUT", undefined],
      ["the same record twice in a batch", postBatch([ok, { ...ok, reason: "amendment" }]), 400, "INVALID_INPUT", undefined],
      ["a singly anchored record in a batch", postBatch([{ ...ok, recordId: SINGLE }]), 409, "CONFLICT", "singly-anchored"],
    ];
    for (const [name, pending, status, code, reason] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `${name}: ${await res.clone().text()}`);
      const error = await body<ErrorBody>(res);
      assert.equal(error.code, code, name);
      assert.ok(error.message.length > 0 && /[\u4e00-\u9fff]/.test(error.messageZh), `${name}: an English and a Chinese message`);
      if (reason !== undefined) assert.equal(error.details.reason, reason, name);
    }
    const named = await body<ErrorBody>(await postBatch([ok, { ...ok, recordId: recordIdOf("never-anchored") }]));
    assert.deepEqual(named.details.recordIds, [recordIdOf("never-anchored")], "the refusal names exactly the unknown record");
    assert.match(named.message, new RegExp(recordIdOf("never-anchored")));
    const twice = await body<ErrorBody>(await postBatch([ok, { ...ok, reason: "amendment" }]));
    assert.deepEqual((twice.details as { recordIds?: string[] }).recordIds, [D]);
    assert.deepEqual(await snapshot(), state, "nothing stored, written or sent");
  });

  test("a send that fails leaves nothing behind, and the change can be sent again", async () => {
    const state = await snapshot();
    const chain = gw.deps.chain as { send: ChainAccess["send"] };
    const realSend = chain.send;
    let attempts = 0;
    chain.send = (async () => {
      attempts++;
      throw platformError("CHAIN_UNAVAILABLE", { details: { simulated: true } });
    }) as ChainAccess["send"];
    const change = { recordId: D, reason: "correction", changedAt: changedAt(), record: corrected("chg-d", "5.50"), fields: LAB_FIELDS };
    try {
      const res = await postBatch([change]);
      assert.equal(res.status, 502, await res.clone().text());
      assert.equal((await body<ErrorBody>(res)).code, "CHAIN_UNAVAILABLE");
    } finally {
      chain.send = realSend;
    }
    assert.equal(attempts, 1, "the failure happened at the send, after the original was stored");
    assert.deepEqual(await snapshot(), state, "the stored original and the reservation are gone; no rows");

    // The chain refusing in simulation stores nothing either (the health authority holds no DATA_PROVIDER role).
    const authorityStore = gw.deps.stores.get(authority)!;
    const kept = await authorityStore.putOriginal(labRecord("chg-authority", RESIDENT.address).record);
    const record = labRecord("chg-authority", RESIDENT.address);
    await gw.deps.db.original.create({
      data: {
        institution: authority,
        recordId: record.recordId,
        cid: kept.cid,
        keyId: kept.keyId,
        wrappedDataKey: kept.wrappedDataKey,
        fieldsSchemaJson: JSON.stringify(LAB_FIELDS),
        contentHash: kept.contentHash,
        residentRef: record.residentRef,
        residentAddress: RESIDENT.address,
        category: record.category,
        anchoring: "batch",
        txHash: `0x${"00".repeat(32)}`,
        blockNumber: 0,
      },
    });
    const authorityDir = gw.config.stores[authority]!;
    const authorityFiles = await countFiles(authorityDir.kind === "fs" ? authorityDir.dir : "");
    const system = (await gw.signInStaff("authority-system")).token;
    const refused = await postBatch([{ ...change, recordId: record.recordId }], system);
    assert.equal(refused.status, 502);
    assert.equal((await body<{ details: { errorName: string } }>(refused)).details.errorName, "MissingRole");
    assert.equal(await countFiles(authorityDir.kind === "fs" ? authorityDir.dir : ""), authorityFiles);
    assert.equal(await gw.deps.db.recordVersion.count({ where: { institution: authority } }), 0);
    assert.equal(await gw.deps.db.recordReservation.count(), 0);

    const again = await postBatch([change]);
    assert.equal(again.status, 201, await again.clone().text());
    assert.equal((await originalOf(D)).version, 2);
  });

  test("two changes of one record at once: one is anchored, the other is a 409 naming it that left nothing behind", async () => {
    const state = await snapshot();
    const [first, second] = await Promise.all(
      ["7.10", "7.20"].map((result) => postBatch([{ recordId: D, reason: "correction", changedAt: changedAt(), record: corrected("chg-d", result), fields: LAB_FIELDS }])),
    );
    const texts = [await first!.text(), await second!.text()];
    assert.deepEqual([first!.status, second!.status].sort(), [201, 409], texts.join(" | "));
    const loser = JSON.parse(first!.status === 409 ? texts[0]! : texts[1]!) as ErrorBody;
    assert.equal(loser.code, "CONFLICT");
    assert.deepEqual(loser.details.recordIds, [D]);
    const after = await snapshot();
    assert.deepEqual([after.files, after.versions, after.batches, after.reservations], [state.files + 1, state.versions + 1, state.batches + 1n, 0]);
    assert.equal((await originalOf(D)).version, 3);
  });

  test("a singly anchored record changes through DataIndex.recordChange; the chain's record follows", async () => {
    const before = await originalOf(SINGLE);
    const res = await gw.call("POST", `/v1/records/${hospital}/${SINGLE}/change`, {
      token: his,
      json: { reason: "correction", changedAt: changedAt(), record: corrected("chg-single", "4.40"), fields: LAB_FIELDS },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<Anchored>(res);
    assert.equal(out.anchoring, "single");
    assert.equal(out.batchId, undefined);
    const onChain = await gw.deps.chain.contracts.dataIndex.read.getRecord([hospital, SINGLE]);
    assert.deepEqual([onChain.version, onChain.contentHash, onChain.pointerHash], [2, out.changes[0]!.newContentHash, out.changes[0]!.newPointerHash]);
    assert.equal(out.changes[0]!.previousContentHash, before.contentHash);
    const view = await changesOf(SINGLE, "chain");
    assert.equal(view.anchoring, "single");
    assert.equal(view.changes[0]!.verified, true, "the transaction emitted exactly this RecordChanged");
    assert.equal((await readFields(SINGLE)).result, "4.40");

    // The same route on a batch-anchored record anchors a changes batch of one.
    const one = await gw.call("POST", `/v1/records/${hospital}/${E}/change`, {
      token: his,
      json: { reason: "other", changedAt: changedAt(), record: corrected("chg-e", "3.30"), fields: LAB_FIELDS },
    });
    assert.equal(one.status, 201, await one.clone().text());
    const batchOfOne = await body<Anchored>(one);
    assert.deepEqual([batchOfOne.anchoring, batchOfOne.leafCount], ["batch", 1]);
    assert.equal((await changesOf(E, "chain")).changes[0]!.verified, true);
  });

  test("a void ends the record: reads answer NOT_FOUND (voided), further changes CONFLICT, its trace keeps every step", async () => {
    for (const recordId of [B, SINGLE]) {
      const path = recordId === SINGLE ? `/v1/records/${hospital}/${SINGLE}/change` : "/v1/records/changes/batch";
      const voiding = { reason: "void", changedAt: changedAt() };
      const res = await gw.call("POST", path, { token: his, json: recordId === SINGLE ? voiding : { changes: [{ recordId, ...voiding }] } });
      assert.equal(res.status, 201, await res.clone().text());
      const refused = await read(recordId);
      assert.equal(refused.status, 404);
      const error = await body<ErrorBody>(refused);
      assert.deepEqual([error.code, error.details.reason], ["NOT_FOUND", "voided"]);
      assert.match(error.messageZh, /作废/);
      const again = await postBatch([{ recordId, reason: "correction", changedAt: changedAt(), record: corrected("x", "1.00"), fields: LAB_FIELDS }]);
      assert.equal(again.status, 409);
      assert.equal((await body<ErrorBody>(again)).details.reason, "record-voided");
      const view = await changesOf(recordId, "chain");
      assert.equal(view.voided, true);
      assert.ok(view.changes.every((c) => c.verified === true));
    }
    assert.equal((await gw.deps.chain.contracts.dataIndex.read.getRecord([hospital, SINGLE])).voided, true);

    await gw.syncMirror();
    const trace = await body<{ steps: { kind: string; reason?: string; verified?: boolean; proof?: Hex[]; batch?: { proof: Hex[]; leafCount: number | null } }[] }>(
      await gw.call("GET", `/v1/provenance/records/${hospital}/${B}?verify=chain`, { token: auditor }),
    );
    const changed = trace.steps.filter((s) => s.kind === "changed");
    assert.deepEqual(changed.map((s) => [s.reason, s.verified]), [
      ["late-result", true],
      ["void", true],
    ]);
    // The late result was one of three in its batch (a proof of two siblings), the void alone in its own (no sibling).
    assert.deepEqual(changed.map((s) => [s.batch?.leafCount, s.batch?.proof.length]), [
      [3, 2],
      [1, 0],
    ]);
    const local = await body<{ steps: { kind: string; verified?: boolean }[] }>(await gw.call("GET", `/v1/provenance/records/${hospital}/${B}?verify=true`, { token: auditor }));
    assert.ok(local.steps.filter((s) => s.kind === "changed").every((s) => s.verified === true));
    // A singly anchored record's changes appear once (the mirror's events and the gateway's rows are one change).
    const single = await body<{ steps: { kind: string }[] }>(await gw.call("GET", `/v1/provenance/records/${hospital}/${SINGLE}`, { token: auditor }));
    assert.equal(single.steps.filter((s) => s.kind === "changed").length, 2);
  });

  test("a resident's index follows the changes: current versions, voids, and a merged record under the surviving resident only", async () => {
    type Item = { recordId: Hex; residentRef: Hex; anchoring: string; version?: number; voided?: boolean; current?: { contentHash: Hex; residentRef: Hex } };
    const listOf = async (account: typeof RESIDENT) => {
      const { token } = await gw.signInResident(account);
      const res = await gw.call("GET", "/v1/records", { token });
      assert.equal(res.status, 200, await res.clone().text());
      return new Map((await body<{ items: Item[] }>(res)).items.map((i) => [i.recordId, i]));
    };
    await gw.syncMirror();
    const mine = await listOf(RESIDENT);
    assert.equal(mine.has(C), false, "merged away from the first resident");
    assert.deepEqual([mine.get(A)?.version, mine.get(A)?.current?.contentHash], [3, (await originalOf(A)).contentHash]);
    assert.deepEqual([mine.get(B)?.voided, mine.get(SINGLE)?.voided], [true, true]);
    assert.equal(mine.get(D)?.version, 3);
    assert.equal(mine.get(E)?.version, 2);
    const survivor = await listOf(SURVIVOR);
    assert.deepEqual([...survivor.keys()], [C]);
    const merged = survivor.get(C)!;
    assert.equal(merged.residentRef, residentRefOf(RESIDENT.address), "the entry stays as anchored, so its proof holds");
    assert.equal(merged.current?.residentRef, residentRefOf(SURVIVOR.address));
  });
});
