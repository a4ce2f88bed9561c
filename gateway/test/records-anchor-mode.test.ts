// /v1/records anchor modes (可配置化数据上链, issue 6): "encrypted-pointer" records are anchored with
// contentHash = pointerHash (SM3 of the CID of the sealed original), never their plaintext
// fingerprint, batched or single, mixed with "clear-hash" records in one batch; their proofs verify
// on chain and through the gateway's reads of entries, changes, the resident's index and provenance;
// consent-checked reads still return the fields; their changes anchor pointer hashes; the mode is
// the record's (another one is a 409 that leaves everything as it was) and an unknown one a 400.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fingerprint, toHex, type ConsentDomain, type IndexEntry, type RecordChange } from "@health-chain/sdk";
import { openForReader, pointerHashOf } from "@health-chain/store";
import { getAddress, type Hex } from "viem";
import { asGrantee, labGrant, labRecord, LAB_FIELDS, recordIdOf, signedRelay } from "../../test/e2e/fixtures.ts";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { doctorAccountOf } from "../src/routes/consent.ts";
import { body, countFiles, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(9);
const hospital = getAddress(INSTITUTIONS.hospital);
const EP = "encrypted-pointer";

type Mode = "clear-hash" | "encrypted-pointer";

interface BatchAnswer {
  batchId: string;
  root: Hex;
  records: { recordId: Hex; contentHash: Hex; pointerHash: Hex; anchorMode: Mode; leafIndex: number; proof: Hex[] }[];
}

interface EntryAnswer {
  entry: Omit<IndexEntry, "sourceTime"> & { sourceTime: number };
  anchoring: "single" | "batch";
  anchorMode: Mode;
  verified: boolean;
}

interface ChangesAnswer {
  batchId?: string;
  changes: (Omit<RecordChange, "changedAt"> & { changedAt: number; anchorMode: Mode; leafIndex?: number; proof?: Hex[] })[];
}

interface ChangesView {
  anchorMode: Mode;
  current: { contentHash: Hex; pointerHash: Hex };
  changes: { anchorMode: Mode; change: Omit<RecordChange, "changedAt"> & { changedAt: number }; verified?: boolean }[];
}

interface ErrorBody {
  code: string;
  message: string;
  messageZh: string;
  details: { reason?: string; recordIds?: string[]; modes?: { recordId: string; anchorMode: string; given: string }[]; issues?: { path: string }[] };
}

const changedAt = () => Math.floor(Date.now() / 1000) - 60;
const asEntry = (e: EntryAnswer["entry"]): IndexEntry => ({ ...e, sourceTime: BigInt(e.sourceTime) });
const asChange = (c: ChangesAnswer["changes"][number]): RecordChange => ({
  recordId: c.recordId,
  institution: c.institution,
  previousContentHash: c.previousContentHash,
  newContentHash: c.newContentHash,
  newPointerHash: c.newPointerHash,
  newResidentRef: c.newResidentRef,
  reason: c.reason,
  changedAt: BigInt(c.changedAt),
});

for (const backend of ["sqlite", "postgresql"] as const) describe(`records: anchor modes (gateway database on ${backend})`, () => {
  let gw: TestGateway;
  let pg: TestPostgres | undefined;
  let his: string;
  let auditor: string;
  let doctor: Awaited<ReturnType<TestGateway["signInStaff"]>>;
  let storeDir: string;
  const t = (tag: string) => `${backend}-${tag}`;
  const record = (tag: string, mode?: Mode) => ({ ...labRecord(t(tag), RESIDENT.address), ...(mode === undefined ? {} : { anchorMode: mode }) });
  const id = (tag: string) => recordIdOf(t(tag));

  before(async () => {
    if (backend === "postgresql") pg = await startPostgres();
    gw = await startTestGateway(pg === undefined ? {} : { databaseUrl: await pg.createDatabase("records_anchor_mode") });
    his = (await gw.signInStaff("hospital-his")).token;
    auditor = (await gw.signInStaff("platform-auditor")).token;
    doctor = await gw.signInStaff("hospital-doctor");
    const store = gw.config.stores[hospital]!;
    storeDir = store.kind === "fs" ? store.dir : "";
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

  const dataIndex = () => gw.deps.chain.contracts.dataIndex.read;
  const originalOf = (recordId: Hex) => gw.deps.db.original.findUniqueOrThrow({ where: { institution_recordId: { institution: hospital, recordId } } });
  const anchorBatch = async (records: unknown[]) => {
    const res = await gw.call("POST", "/v1/records/batch", { token: his, json: { records } });
    assert.equal(res.status, 201, await res.clone().text());
    return body<BatchAnswer>(res);
  };
  const entryOf = async (recordId: Hex, verify: "local" | "chain") => {
    const res = await gw.call("GET", `/v1/records/${hospital}/${recordId}?verify=${verify}`, { token: auditor });
    assert.equal(res.status, 200, await res.clone().text());
    return body<EntryAnswer>(res);
  };
  const changesOf = async (recordId: Hex) => {
    const res = await gw.call("GET", `/v1/records/${hospital}/${recordId}/changes?verify=chain`, { token: auditor });
    assert.equal(res.status, 200, await res.clone().text());
    return body<ChangesView>(res);
  };
  const readFields = async (recordId: Hex) => {
    const res = await gw.call("POST", `/v1/access/records/${hospital}/${recordId}`, { token: doctor.token, json: { purpose: "treatment" } });
    assert.equal(res.status, 200, await res.clone().text());
    const out = await body<{ sealed: never; context: string }>(res);
    return openForReader<Record<string, unknown>>(out.sealed, toHex(doctor.sessionKeys.privateKey), { context: out.context });
  };
  /** Everything a refused request must leave untouched: store, rows, reservations, the chain's batches and a single record's version. */
  const snapshot = async (single: Hex) => ({
    files: await countFiles(storeDir),
    originals: JSON.stringify(await gw.deps.db.original.findMany({ orderBy: { id: "asc" } })),
    entries: await gw.deps.db.indexEntry.count(),
    versions: await gw.deps.db.recordVersion.count(),
    reservations: await gw.deps.db.recordReservation.count(),
    batches: await dataIndex().batchCount(),
    singleVersion: (await dataIndex().getRecord([hospital, single])).version,
  });

  test("an encrypted-pointer batch commits to the sealed originals: DataIndex.verifyEntry holds with contentHash = pointerHash, never the fingerprint", async () => {
    const inputs = [record("ep-a", EP), record("ep-b", EP)];
    const out = await anchorBatch(inputs);
    for (const [i, r] of out.records.entries()) {
      const plain = fingerprint(inputs[i]!.record);
      assert.equal(r.anchorMode, EP);
      assert.equal(r.contentHash, r.pointerHash, "the chain's contentHash is the pointer to the sealed original");
      assert.notEqual(r.contentHash, plain, "no plaintext fingerprint is anchored");
      const row = await originalOf(r.recordId);
      assert.deepEqual([row.anchorMode, row.contentHash, pointerHashOf(row.cid)], [EP, plain, r.pointerHash], "the fingerprint stays off chain, on the Original row");
      const indexRow = await gw.deps.db.indexEntry.findFirstOrThrow({ where: { institution: hospital, recordId: r.recordId } });
      assert.deepEqual([indexRow.anchorMode, indexRow.contentHash], [EP, r.pointerHash]);

      for (const verify of ["chain", "local"] as const) {
        const view = await entryOf(r.recordId, verify);
        assert.deepEqual([view.anchoring, view.anchorMode, view.verified, view.entry.contentHash], ["batch", EP, true, r.pointerHash], `verify=${verify}`);
      }
      const entry = asEntry((await entryOf(r.recordId, "local")).entry);
      assert.equal(await dataIndex().verifyEntry([BigInt(out.batchId), entry, BigInt(r.leafIndex), r.proof]), true);
      assert.equal(
        await dataIndex().verifyEntry([BigInt(out.batchId), { ...entry, contentHash: plain }, BigInt(r.leafIndex), r.proof]),
        false,
        "the batch does not prove the fingerprint",
      );
    }
  });

  test("a mixed batch anchors each record in its own mode, the default staying clear-hash; a single record anchors in encrypted-pointer mode too", async () => {
    const inputs = [record("mix-clear-default"), record("mix-ep", EP), record("mix-clear", "clear-hash")];
    const out = await anchorBatch(inputs);
    assert.deepEqual(
      out.records.map((r) => r.anchorMode),
      ["clear-hash", EP, "clear-hash"],
    );
    for (const [i, r] of out.records.entries()) {
      const expected = r.anchorMode === EP ? r.pointerHash : fingerprint(inputs[i]!.record);
      assert.equal(r.contentHash, expected, `${r.anchorMode}: the anchored contentHash`);
      const view = await entryOf(r.recordId, "chain");
      assert.deepEqual([view.anchorMode, view.verified, view.entry.contentHash], [r.anchorMode, true, expected]);
      assert.equal((await originalOf(r.recordId)).anchorMode, r.anchorMode);
    }

    const single = record("single-ep", EP);
    const res = await gw.call("POST", "/v1/records", { token: his, json: single });
    assert.equal(res.status, 201, await res.clone().text());
    const one = await body<{ contentHash: Hex; pointerHash: Hex; anchorMode: Mode }>(res);
    assert.deepEqual([one.anchorMode, one.contentHash], [EP, one.pointerHash]);
    const onChain = await dataIndex().getRecord([hospital, single.recordId]);
    assert.deepEqual([onChain.contentHash, onChain.pointerHash], [one.pointerHash, one.pointerHash], "DataIndex stores the pointer as the content hash");
    const view = await entryOf(single.recordId, "chain");
    assert.deepEqual([view.anchoring, view.anchorMode, view.verified], ["single", EP, true]);

    // The resident's index tells each record's mode: batched from the gateway's rows, single from the mirror's entry.
    await gw.syncMirror();
    const { token } = await gw.signInResident(RESIDENT);
    const index = await body<{ items: { recordId: Hex; anchorMode: Mode; contentHash: Hex; pointerHash: Hex }[] }>(await gw.call("GET", "/v1/records", { token }));
    const byId = new Map(index.items.map((i) => [i.recordId, i]));
    for (const [recordId, mode] of [[id("mix-clear-default"), "clear-hash"], [id("mix-ep"), EP], [id("single-ep"), EP]] as const) {
      assert.equal(byId.get(recordId)?.anchorMode, mode, recordId);
      assert.equal(byId.get(recordId)?.contentHash === byId.get(recordId)?.pointerHash, mode === EP);
    }
  });

  test("a consent-checked read of an encrypted-pointer record returns the granted fields, checked against the fingerprint the store bound", async () => {
    const anchored = labRecord(t("ep-a"), RESIDENT.address).record;
    assert.deepEqual(await readFields(id("ep-a")), { diagnosis: anchored.diagnosis, result: anchored.result });
    assert.deepEqual(await readFields(id("single-ep")), { diagnosis: anchored.diagnosis, result: anchored.result });
  });

  test("changes of encrypted-pointer records anchor the versions' pointer hashes: verifyChange holds, a single record's chain state follows", async () => {
    const before = { a: await originalOf(id("ep-a")), b: await originalOf(id("ep-b")), clear: await originalOf(id("mix-clear")) };
    const newA = { ...labRecord(t("ep-a"), RESIDENT.address).record, result: "6.40" };
    const newClear = { ...labRecord(t("mix-clear"), RESIDENT.address).record, result: "5.90" };
    const res = await gw.call("POST", "/v1/records/changes/batch", {
      token: his,
      json: {
        changes: [
          { recordId: id("ep-a"), reason: "correction", changedAt: changedAt(), record: newA, fields: LAB_FIELDS, anchorMode: EP },
          { recordId: id("ep-b"), reason: "void", changedAt: changedAt() },
          { recordId: id("mix-clear"), reason: "correction", changedAt: changedAt(), record: newClear, fields: LAB_FIELDS },
        ],
      },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<ChangesAnswer>(res);
    const [a, b, clear] = out.changes as [ChangesAnswer["changes"][0], ChangesAnswer["changes"][0], ChangesAnswer["changes"][0]];
    const after = { a: await originalOf(id("ep-a")), clear: await originalOf(id("mix-clear")) };
    assert.deepEqual([a.anchorMode, b.anchorMode, clear.anchorMode], [EP, EP, "clear-hash"]);
    assert.deepEqual(
      [a.previousContentHash, a.newContentHash, a.newPointerHash],
      [pointerHashOf(before.a.cid), pointerHashOf(after.a.cid), pointerHashOf(after.a.cid)],
      "a correction replaces the anchored pointer by the new version's",
    );
    assert.notEqual(a.newContentHash, fingerprint(newA));
    assert.equal(after.a.contentHash, fingerprint(newA), "the new fingerprint stays off chain, on the Original row");
    assert.deepEqual([b.previousContentHash, b.newContentHash, b.newPointerHash], Array(3).fill(pointerHashOf(before.b.cid)), "a void keeps the current pointer");
    assert.deepEqual([clear.previousContentHash, clear.newContentHash], [before.clear.contentHash, fingerprint(newClear)], "clear-hash records change as before");
    // Each change is proven with the hashes of its record's mode, and not with the other mode's.
    const otherModeHash = new Map([
      [id("ep-a"), before.a.contentHash],
      [id("ep-b"), before.b.contentHash],
      [id("mix-clear"), pointerHashOf(before.clear.cid)],
    ]);
    for (const c of out.changes) {
      assert.equal(await dataIndex().verifyChange([BigInt(out.batchId!), asChange(c), BigInt(c.leafIndex!), c.proof!]), true, c.recordId);
      const altered = { ...asChange(c), previousContentHash: otherModeHash.get(c.recordId) as Hex };
      assert.equal(await dataIndex().verifyChange([BigInt(out.batchId!), altered, BigInt(c.leafIndex!), c.proof!]), false, c.recordId);
    }
    const view = await changesOf(id("ep-a"));
    assert.deepEqual([view.anchorMode, view.current.contentHash, view.changes[0]?.anchorMode, view.changes[0]?.verified], [EP, pointerHashOf(after.a.cid), EP, true]);
    assert.equal((await readFields(id("ep-a"))).result, "6.40");

    // The entry and its proof stay those anchored; provenance verifies every step against the chain.
    assert.equal((await entryOf(id("ep-a"), "chain")).verified, true);
    await gw.syncMirror();
    const trace = await body<{ anchorMode: Mode; steps: { kind: string; anchorMode?: Mode; verified?: boolean }[] }>(
      await gw.call("GET", `/v1/provenance/records/${hospital}/${id("ep-a")}?verify=chain`, { token: auditor }),
    );
    assert.equal(trace.anchorMode, EP);
    assert.deepEqual(
      trace.steps.filter((s) => s.kind === "anchored" || s.kind === "changed").map((s) => [s.kind, s.anchorMode, s.verified]),
      [
        ["anchored", EP, true],
        ["changed", EP, true],
      ],
    );

    // A singly anchored record: DataIndex.recordChange checks the previous pointer against its state, which follows.
    const single = await originalOf(id("single-ep"));
    const one = await gw.call("POST", `/v1/records/${hospital}/${id("single-ep")}/change`, {
      token: his,
      json: { reason: "amendment", changedAt: changedAt(), record: { ...labRecord(t("single-ep"), RESIDENT.address).record, result: "8.10" }, fields: LAB_FIELDS },
    });
    assert.equal(one.status, 201, await one.clone().text());
    const [change] = (await body<ChangesAnswer>(one)).changes;
    const moved = await originalOf(id("single-ep"));
    assert.deepEqual([change!.anchorMode, change!.previousContentHash, change!.newContentHash], [EP, pointerHashOf(single.cid), pointerHashOf(moved.cid)]);
    const onChain = await dataIndex().getRecord([hospital, id("single-ep")]);
    assert.deepEqual([onChain.version, onChain.contentHash, onChain.pointerHash], [2, pointerHashOf(moved.cid), pointerHashOf(moved.cid)]);
    assert.equal((await changesOf(id("single-ep"))).changes[0]?.verified, true);
    const entry = await entryOf(id("single-ep"), "chain");
    assert.deepEqual([entry.anchorMode, entry.verified], [EP, true]);
    assert.equal((await readFields(id("single-ep"))).result, "8.10");
  });

  test("a change in another mode than the record's is a 409 naming the record; nothing is stored, written or sent", async () => {
    const state = await snapshot(id("single-ep"));
    const fix = (tag: string) => ({ reason: "correction", changedAt: changedAt(), record: { ...labRecord(t(tag), RESIDENT.address).record, result: "1.23" }, fields: LAB_FIELDS });
    const cases: [string, Promise<Response>, Hex[], Mode][] = [
      [
        "clear-hash for an encrypted-pointer record, beside a valid change",
        gw.call("POST", "/v1/records/changes/batch", {
          token: his,
          json: { changes: [{ recordId: id("mix-clear-default"), ...fix("mix-clear-default") }, { recordId: id("ep-a"), ...fix("ep-a"), anchorMode: "clear-hash" }] },
        }),
        [id("ep-a")],
        EP,
      ],
      [
        "encrypted-pointer for a clear-hash record",
        gw.call("POST", "/v1/records/changes/batch", { token: his, json: { changes: [{ recordId: id("mix-clear-default"), reason: "void", changedAt: changedAt(), anchorMode: EP }] } }),
        [id("mix-clear-default")],
        "clear-hash",
      ],
      [
        "clear-hash for a singly anchored encrypted-pointer record",
        gw.call("POST", `/v1/records/${hospital}/${id("single-ep")}/change`, { token: his, json: { ...fix("single-ep"), anchorMode: "clear-hash" } }),
        [id("single-ep")],
        EP,
      ],
    ];
    for (const [name, pending, recordIds, recordMode] of cases) {
      const res = await pending;
      assert.equal(res.status, 409, `${name}: ${await res.clone().text()}`);
      const error = await body<ErrorBody>(res);
      assert.deepEqual([error.code, error.details.reason, error.details.recordIds], ["CONFLICT", "anchor-mode-mismatch", recordIds], name);
      assert.equal(error.details.modes?.[0]?.anchorMode, recordMode, name);
      assert.match(error.message, new RegExp(recordIds[0]!));
      assert.match(error.messageZh, /上链模式/);
    }
    assert.deepEqual(await snapshot(id("single-ep")), state, "nothing stored, written or sent");
  });

  test("an unknown anchor mode is a 400 naming the member on every route; nothing is stored, written or sent", async () => {
    const state = await snapshot(id("single-ep"));
    const fresh = record("never-anchored");
    const cases: [string, Promise<Response>, string][] = [
      ["one record", gw.call("POST", "/v1/records", { token: his, json: { ...fresh, anchorMode: "encrypted" } }), "anchorMode"],
      ["a batch", gw.call("POST", "/v1/records/batch", { token: his, json: { records: [fresh, { ...record("never-2"), anchorMode: "CLEAR-HASH" }] } }), "records.1.anchorMode"],
      [
        "a changes batch",
        gw.call("POST", "/v1/records/changes/batch", { token: his, json: { changes: [{ recordId: id("mix-clear-default"), reason: "void", changedAt: changedAt(), anchorMode: "pointer" }] } }),
        "changes.0.anchorMode",
      ],
      ["one change", gw.call("POST", `/v1/records/${hospital}/${id("single-ep")}/change`, { token: his, json: { reason: "void", changedAt: changedAt(), anchorMode: 1 } }), "anchorMode"],
    ];
    for (const [name, pending, path] of cases) {
      const res = await pending;
      assert.equal(res.status, 400, `${name}: ${await res.clone().text()}`);
      const error = await body<ErrorBody>(res);
      assert.equal(error.code, "INVALID_INPUT", name);
      assert.ok(error.message.includes(path) && error.messageZh.includes(path) && /[\u4e00-\u9fff]/.test(error.messageZh), `${name}: names ${path}, in English and Chinese`);
    }
    assert.deepEqual(await snapshot(id("single-ep")), state, "nothing stored, written or sent");
    assert.equal(await gw.deps.db.original.count({ where: { recordId: fresh.recordId } }), 0);
  });
});
