import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IntegrityError } from "@health-chain/sdk";
import { type ContentStore, createFsStore, FS_STORE_BLOCKS_DIR } from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

/** Every file under a directory, relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

describe("disk store", () => {
  let root: string;
  let dir: string;
  let store: ContentStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hc-fs-store-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const fresh = async () => {
    dir = await mkdtemp(join(root, "s-"));
    store = createFsStore(dir);
  };

  it("stores bytes under their CID and gives them back", async () => {
    await fresh();
    const cid = await store.put(bytes("hello world"));
    assert.equal(cid, HELLO_CID);
    assert.deepEqual(await store.get(cid), bytes("hello world"));
    assert.equal(await store.has(cid), true);
  });

  it("lays objects out as blocks/<next-to-last two characters>/<cid>, with no temp files left", async () => {
    await fresh();
    const cid = await store.put(bytes("hello world"));
    assert.deepEqual(await filesUnder(dir), [join(FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid)]);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid))), bytes("hello world"));
  });

  it("stores empty and binary objects", async () => {
    await fresh();
    const binary = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xff);
    for (const data of [new Uint8Array(0), binary]) {
      const cid = await store.put(data);
      assert.deepEqual(await store.get(cid), data);
    }
  });

  it("answers the same CID for the same bytes, different CIDs for different bytes", async () => {
    await fresh();
    const a = await store.put(bytes("record A"));
    assert.equal(await store.put(bytes("record A")), a);
    assert.notEqual(await store.put(bytes("record B")), a);
  });

  it("refuses a file altered on disk with an IntegrityError, never returning its bytes", async () => {
    await fresh();
    const cid = await store.put(bytes("original bytes"));
    await writeFile(join(dir, FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid), bytes("tampered bytes"));
    const error = await rejectsWith(store.get(cid), "INTEGRITY_CHECK_FAILED", { cid, store: "disk", reason: "content-mismatch" });
    assert.ok(error instanceof IntegrityError);
    assert.ok(!JSON.stringify(error).includes("tampered"));
  });

  it("repairs an altered file when the same bytes are put again", async () => {
    await fresh();
    const cid = await store.put(bytes("original bytes"));
    await writeFile(join(dir, FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid), bytes("tampered bytes"));
    assert.equal(await store.put(bytes("original bytes")), cid);
    assert.deepEqual(await store.get(cid), bytes("original bytes"));
  });

  it("answers STORE_UNAVAILABLE (not-found) for an object it does not hold", async () => {
    await fresh();
    assert.equal(await store.has(HELLO_CID), false);
    await rejectsWith(store.get(HELLO_CID), "STORE_UNAVAILABLE", { reason: "not-found", cid: HELLO_CID });
  });

  it("deletes objects, and deleting a missing one is not an error", async () => {
    await fresh();
    const cid = await store.put(bytes("to delete"));
    await store.delete(cid);
    assert.equal(await store.has(cid), false);
    await rejectsWith(store.get(cid), "STORE_UNAVAILABLE", { reason: "not-found" });
    await store.delete(cid);
  });

  it("refuses bad CIDs and path traversal before touching the disk", async () => {
    await fresh();
    // A file a traversal would reach: it must never be read, found or deleted.
    const outside = join(dir, "outside");
    await writeFile(outside, bytes("secret"));
    const attempts = ["../outside", "../../outside", `${HELLO_CID}/../../../outside`, "/etc/passwd", "blocks/../outside", HELLO_CID.toUpperCase()];
    for (const cid of attempts) {
      await rejectsWith(store.get(cid), "INVALID_INPUT", { what: "cid" });
      await rejectsWith(store.has(cid), "INVALID_INPUT", { what: "cid" });
      await rejectsWith(store.delete(cid), "INVALID_INPUT", { what: "cid" });
    }
    assert.deepEqual(await readFile(outside, "utf8"), "secret");
    assert.deepEqual(await filesUnder(dir), ["outside"]);
  });

  it("refuses to store what is not bytes", async () => {
    await fresh();
    await rejectsWith(store.put("hello" as unknown as Uint8Array), "INVALID_INPUT", { what: "object bytes" });
  });

  it("keeps concurrent puts of the same content safe: one whole file, no temp files", async () => {
    await fresh();
    const data = Uint8Array.from({ length: 256 * 1024 }, (_, i) => (i * 31) & 0xff);
    const cids = await Promise.all(Array.from({ length: 40 }, () => store.put(data)));
    assert.equal(new Set(cids).size, 1);
    const cid = cids[0]!;
    assert.deepEqual(await filesUnder(dir), [join(FS_STORE_BLOCKS_DIR, cid.slice(-3, -1), cid)]);
    assert.deepEqual(await store.get(cid), data);
  });

  it("keeps concurrent puts of different contents apart", async () => {
    await fresh();
    const items = Array.from({ length: 60 }, (_, i) => bytes(`object ${i}`));
    const cids = await Promise.all(items.map((item) => store.put(item)));
    assert.equal(new Set(cids).size, items.length);
    for (const [i, cid] of cids.entries()) assert.deepEqual(await store.get(cid), items[i]);
    assert.equal((await filesUnder(dir)).length, items.length);
  });

  it("answers STORE_UNAVAILABLE (io) when the directory cannot be written", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a directory");
    const broken = createFsStore(file);
    await rejectsWith(broken.put(bytes("x")), "STORE_UNAVAILABLE", { store: "disk", reason: "io" });
  });
});
