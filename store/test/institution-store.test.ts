import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprint, IntegrityError, parseEnvelope, toBytes } from "@health-chain/sdk";
import {
  type ContentStore,
  createDevKeyring,
  createFsStore,
  createInstitutionKeyring,
  createInstitutionStore,
  createKuboStore,
  FS_STORE_BLOCKS_DIR,
  type InstitutionStore,
  pointerHashOf,
} from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";
import { type FakeKubo, startFakeKubo } from "./helpers/fake-kubo.ts";

const HOSPITAL = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const CLINIC = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";

const record = {
  recordId: "rec-310101-2025-000123",
  category: "lab-result",
  resident: { name: "张三", idNumber: "310101199001011234" },
  results: [{ test: "血糖", value: 5.6, unit: "mmol/L" }],
  sourceTime: new Date("2025-03-14T08:30:00Z"),
};
// What comes back: the canonical JSON form (Dates as ISO strings).
const recordAsStored = { ...record, sourceTime: "2025-03-14T08:30:00.000Z" };

describe("institution store", () => {
  let root: string;
  let dir: string;
  let content: ContentStore;
  let store: InstitutionStore;
  const objectPath = (cid: string) => join(dir, FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hc-institution-store-"));
    dir = join(root, "hospital");
    content = createFsStore(dir);
    store = createInstitutionStore({ institution: HOSPITAL, keyring: createDevKeyring(HOSPITAL), content });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("stores an original and gives it back", async () => {
    const stored = await store.putOriginal(record);
    assert.equal(stored.contentHash, fingerprint(record));
    assert.equal(stored.pointerHash, pointerHashOf(stored.cid));
    assert.equal(stored.keyId, "dev-1");
    assert.match(stored.wrappedDataKey, /^0x[0-9a-f]+$/);
    assert.deepEqual(await store.getOriginal(stored), recordAsStored);
    assert.deepEqual(await store.getOriginal({ cid: stored.cid, keyId: stored.keyId, wrappedDataKey: stored.wrappedDataKey }), recordAsStored);
  });

  it("puts only ciphertext in the content store", async () => {
    const stored = await store.putOriginal(record);
    const object = await readFile(objectPath(stored.cid));
    assert.equal(object.subarray(0, 2).toString("latin1"), "HC", "an sdk envelope");
    assert.equal(parseEnvelope(new Uint8Array(object)).keyId, "dek");
    const text = object.toString("latin1") + object.toString("utf8");
    for (const clear of ["310101199001011234", "rec-310101", "lab-result", "mmol", "recordId"]) {
      assert.ok(!text.includes(clear), `"${clear}" is not in the stored object`);
    }
  });

  it("uses a fresh data key per record: the same record stored twice is two different objects", async () => {
    const a = await store.putOriginal(record);
    const b = await store.putOriginal(record);
    assert.notEqual(a.cid, b.cid);
    assert.notEqual(a.wrappedDataKey, b.wrappedDataKey);
    assert.equal(a.contentHash, b.contentHash);
  });

  it("refuses an object altered in the content store (IntegrityError)", async () => {
    const stored = await store.putOriginal(record);
    const object = await readFile(objectPath(stored.cid));
    object[object.length - 40]! ^= 1;
    await writeFile(objectPath(stored.cid), object);
    const error = await rejectsWith(store.getOriginal(stored), "INTEGRITY_CHECK_FAILED");
    assert.ok(error instanceof IntegrityError);
  });

  it("refuses metadata whose content hash is not the original's", async () => {
    const stored = await store.putOriginal(record);
    const other = fingerprint({ ...record, recordId: "rec-other" });
    await rejectsWith(store.getOriginal({ ...stored, contentHash: other }), "INTEGRITY_CHECK_FAILED", { reason: "content-hash-mismatch" });
  });

  it("refuses a wrapped data key moved onto another object", async () => {
    const a = await store.putOriginal(record);
    const b = await store.putOriginal({ ...record, recordId: "rec-b" });
    await rejectsWith(store.getOriginal({ ...a, cid: b.cid, contentHash: undefined }), "INTEGRITY_CHECK_FAILED");
    await rejectsWith(store.getOriginal({ ...b, cid: a.cid }), "INTEGRITY_CHECK_FAILED");
  });

  it("binds originals to their institution: another institution's store fails even with the same key", async () => {
    const key = { keyId: "shared-1", key: "0123456789abcdef0123456789abcdef" };
    const keyringOf = (institution: string) => createInstitutionKeyring({ institution, currentKeyId: key.keyId, keys: [key] });
    const hospital = createInstitutionStore({ institution: HOSPITAL, keyring: keyringOf(HOSPITAL), content });
    const clinic = createInstitutionStore({ institution: CLINIC, keyring: keyringOf(CLINIC), content });
    const stored = await hospital.putOriginal(record);
    assert.deepEqual(await hospital.getOriginal(stored), recordAsStored);
    await rejectsWith(clinic.getOriginal(stored), "INTEGRITY_CHECK_FAILED");
  });

  it("refuses a keyring with another key under the same id (INTEGRITY_CHECK_FAILED)", async () => {
    const stored = await store.putOriginal(record);
    const impostor = createInstitutionStore({ institution: HOSPITAL, keyring: createDevKeyring(HOSPITAL, { seed: "other" }), content });
    await rejectsWith(impostor.getOriginal(stored), "INTEGRITY_CHECK_FAILED");
  });

  it("refuses a keyring without the original's key id (UNKNOWN_KEY_ID)", async () => {
    const stored = await store.putOriginal(record);
    const other = createInstitutionStore({ institution: HOSPITAL, keyring: createDevKeyring(HOSPITAL, { keyIds: ["dev-9"] }), content });
    await rejectsWith(other.getOriginal(stored), "UNKNOWN_KEY_ID", { keyId: "dev-1" });
  });

  it("refuses a keyring of another institution at creation", async () => {
    await rejectsWith(
      () => createInstitutionStore({ institution: HOSPITAL, keyring: createDevKeyring(CLINIC), content }),
      "INVALID_INPUT",
      { what: "keyring" },
    );
  });

  it("rotates: old metadata still opens, rewrap moves it to the new id without touching the object, then the old key can go", async () => {
    const rotDir = join(root, "rotation");
    const rotContent = createFsStore(rotDir);
    const k1 = { keyId: "hosp-2024q4", key: "00112233445566778899aabbccddeeff" };
    const k2 = { keyId: "hosp-2025q1", key: "ffeeddccbbaa99887766554433221100" };
    const before = createInstitutionStore({
      institution: HOSPITAL,
      keyring: createInstitutionKeyring({ institution: HOSPITAL, currentKeyId: k1.keyId, keys: [k1] }),
      content: rotContent,
    });
    const old = await before.putOriginal(record);
    assert.equal(old.keyId, k1.keyId);
    const path = join(rotDir, FS_STORE_BLOCKS_DIR, old.cid.slice(-3, -1), old.cid);
    const objectBefore = await readFile(path);
    const mtimeBefore = (await stat(path)).mtimeMs;

    const during = createInstitutionStore({
      institution: HOSPITAL,
      keyring: createInstitutionKeyring({ institution: HOSPITAL, currentKeyId: k2.keyId, keys: [k1, k2] }),
      content: rotContent,
    });
    assert.deepEqual(await during.getOriginal(old), recordAsStored, "old metadata opens while both keys are held");
    const fresh = await during.putOriginal({ ...record, recordId: "rec-new" });
    assert.equal(fresh.keyId, k2.keyId);
    const moved = await during.rewrap(old);
    assert.equal(moved.keyId, k2.keyId);
    assert.equal(parseEnvelope(toBytes(moved.wrappedDataKey)).keyId, k2.keyId);
    assert.equal(moved.cid, old.cid);
    assert.equal(moved.contentHash, old.contentHash);
    assert.deepEqual(await readFile(path), objectBefore, "the object is not rewritten");
    assert.equal((await stat(path)).mtimeMs, mtimeBefore);
    assert.deepEqual(await during.rewrap(moved), moved, "rewrapping under the current id changes nothing");

    const afterRotation = createInstitutionStore({
      institution: HOSPITAL,
      keyring: createInstitutionKeyring({ institution: HOSPITAL, currentKeyId: k2.keyId, keys: [k2] }),
      content: rotContent,
    });
    assert.deepEqual(await afterRotation.getOriginal(moved), recordAsStored, "rewrapped metadata opens without the old key");
    await rejectsWith(afterRotation.getOriginal(old), "UNKNOWN_KEY_ID", { keyId: k1.keyId });
    await rejectsWith(afterRotation.rewrap(old), "UNKNOWN_KEY_ID", { keyId: k1.keyId });
  });

  it("refuses metadata whose key id does not match its wrapped data key", async () => {
    const stored = await store.putOriginal(record);
    await rejectsWith(store.getOriginal({ ...stored, keyId: "dev-2" }), "INVALID_INPUT", { field: "keyId", reason: "does-not-match-wrapped-data-key" });
  });

  it("refuses malformed metadata before touching the store", async () => {
    const stored = await store.putOriginal(record);
    await rejectsWith(store.getOriginal({ ...stored, cid: "../../outside" }), "INVALID_INPUT", { what: "cid" });
    await rejectsWith(store.getOriginal({ ...stored, keyId: "../x" }), "INVALID_INPUT", { field: "keyId" });
    await rejectsWith(store.getOriginal({ ...stored, contentHash: "0x1234" }), "INVALID_INPUT", { field: "contentHash" });
    await rejectsWith(store.getOriginal({ ...stored, wrappedDataKey: "0xzz" }), "INVALID_HEX");
    await rejectsWith(store.getOriginal({ ...stored, wrappedDataKey: "0x0102" }), "INVALID_CIPHERTEXT");
    await rejectsWith(store.getOriginal(null as never), "INVALID_INPUT");
  });

  it("answers STORE_UNAVAILABLE for an original whose object is gone", async () => {
    const stored = await store.putOriginal(record);
    await content.delete(stored.cid);
    await rejectsWith(store.getOriginal(stored), "STORE_UNAVAILABLE", { reason: "not-found", cid: stored.cid });
  });

  it("deletes an original's object (a failed anchor), and deleting it again is no error", async () => {
    const stored = await store.putOriginal(record);
    assert.equal(await content.has(stored.cid), true);
    await store.deleteOriginal(stored.cid);
    assert.equal(await content.has(stored.cid), false);
    await store.deleteOriginal(stored.cid);
    await rejectsWith(store.getOriginal(stored), "STORE_UNAVAILABLE", { reason: "not-found", cid: stored.cid });
    await rejectsWith(store.deleteOriginal("../../etc/passwd"), "INVALID_INPUT");
  });

  it("refuses records that are not JSON objects", async () => {
    for (const bad of [null, "text", 42, [1, 2]]) {
      await rejectsWith(store.putOriginal(bad as never), "INVALID_INPUT", { what: "record" });
    }
    await rejectsWith(store.putOriginal({ value: Number.NaN }), "INVALID_RECORD");
    await rejectsWith(store.putOriginal({ value: 1n }), "INVALID_RECORD");
  });

  it("refuses an institution that is not an address", async () => {
    await rejectsWith(() => createInstitutionStore({ institution: "hospital", keyring: createDevKeyring(HOSPITAL), content }), "INVALID_INPUT", {
      what: "institution",
    });
  });

  describe("over a Kubo node", () => {
    let kubo: FakeKubo;
    before(async () => {
      kubo = await startFakeKubo();
    });
    after(async () => {
      await kubo.stop();
    });

    it("stores pinned ciphertext and opens it again", async () => {
      const onKubo = createInstitutionStore({ institution: HOSPITAL, keyring: createDevKeyring(HOSPITAL), content: createKuboStore({ url: kubo.url }) });
      const stored = await onKubo.putOriginal(record);
      assert.ok(kubo.pins.has(stored.cid));
      assert.ok(!Buffer.from(kubo.blocks.get(stored.cid)!).toString("utf8").includes("310101199001011234"));
      assert.deepEqual(await onKubo.getOriginal(stored), recordAsStored);
      kubo.blocks.get(stored.cid)![10]! ^= 1;
      await rejectsWith(onKubo.getOriginal(stored), "INTEGRITY_CHECK_FAILED");
    });
  });
});
