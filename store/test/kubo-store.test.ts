import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { IntegrityError } from "@health-chain/sdk";
import { type ContentStore, createFsStore, createKuboStore } from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";
import { type FakeKubo, startFakeKubo } from "./helpers/fake-kubo.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("Kubo store (against a Kubo RPC stand-in)", () => {
  let kubo: FakeKubo;
  let store: ContentStore;
  let root: string;
  before(async () => {
    kubo = await startFakeKubo();
    store = createKuboStore({ url: kubo.url });
    root = await mkdtemp(join(tmpdir(), "hc-kubo-store-"));
  });
  after(async () => {
    await kubo.stop();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    kubo.requests.length = 0;
    kubo.lieWithCid = undefined;
  });

  it("puts a raw sha2-256 block, pinned, and gets it back", async () => {
    const cid = await store.put(bytes("hello world"));
    assert.equal(cid, HELLO_CID);
    assert.deepEqual(kubo.blocks.get(cid), bytes("hello world"));
    assert.ok(kubo.pins.has(cid), "the block is pinned");
    assert.deepEqual(await store.get(cid), bytes("hello world"));
    assert.equal(await store.has(cid), true);
  });

  it("sends what Kubo expects: POSTs, cid-codec=raw, mhtype=sha2-256, pin=true, then pin/add; reads offline", async () => {
    const cid = await store.put(bytes("request shapes"));
    await store.get(cid);
    await store.has(cid);
    const seen = kubo.requests.map((r) => [r.method, r.command] as const);
    assert.deepEqual(seen, [
      ["POST", "block/put"],
      ["POST", "pin/add"],
      ["POST", "block/get"],
      ["POST", "block/stat"],
    ]);
    const [put, pin, get, stat] = kubo.requests;
    assert.equal(put!.query.get("cid-codec"), "raw");
    assert.equal(put!.query.get("mhtype"), "sha2-256");
    assert.equal(put!.query.get("pin"), "true");
    assert.equal(pin!.query.get("arg"), cid);
    assert.equal(get!.query.get("arg"), cid);
    assert.equal(get!.query.get("offline"), "true");
    assert.equal(stat!.query.get("offline"), "true");
  });

  it("pins a block that was already on the node unpinned", async () => {
    const data = bytes("put earlier by someone else");
    const cid = await store.put(data);
    kubo.pins.delete(cid);
    assert.equal(await store.put(data), cid);
    assert.ok(kubo.pins.has(cid));
  });

  it("answers the same CIDs as the disk store for the same bytes", async () => {
    const disk = createFsStore(join(root, "disk"));
    const samples = [new Uint8Array(0), bytes("hello world"), Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff)];
    for (const sample of samples) assert.equal(await store.put(sample), await disk.put(sample));
  });

  it("refuses a block altered on the node with an IntegrityError", async () => {
    const cid = await store.put(bytes("original on kubo"));
    kubo.blocks.set(cid, bytes("tampered on kubo"));
    const error = await rejectsWith(store.get(cid), "INTEGRITY_CHECK_FAILED", { cid, store: "kubo" });
    assert.ok(error instanceof IntegrityError);
  });

  it("refuses a node that answers another CID than the bytes have", async () => {
    kubo.lieWithCid = HELLO_CID;
    await rejectsWith(store.put(bytes("not hello world")), "INTEGRITY_CHECK_FAILED", { reason: "cid-mismatch", answered: HELLO_CID });
    assert.ok(!kubo.requests.some((r) => r.command === "pin/add"), "nothing is pinned for a refused put");
  });

  it("answers STORE_UNAVAILABLE (not-found) and has() false for a block the node lacks", async () => {
    const missing = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    assert.equal(await store.has(missing), false);
    await rejectsWith(store.get(missing), "STORE_UNAVAILABLE", { store: "kubo", reason: "not-found", cid: missing });
  });

  it("deletes by unpinning then removing the block; deleting again is not an error", async () => {
    const cid = await store.put(bytes("to delete on kubo"));
    await store.delete(cid);
    assert.ok(!kubo.pins.has(cid));
    assert.ok(!kubo.blocks.has(cid));
    assert.equal(await store.has(cid), false);
    await store.delete(cid);
    assert.deepEqual(
      kubo.requests.filter((r) => r.command === "pin/rm" || r.command === "block/rm").map((r) => r.command),
      ["pin/rm", "block/rm", "pin/rm", "block/rm"],
    );
  });

  it("refuses bad CIDs before sending anything", async () => {
    for (const cid of ["../../api/v0/shutdown", "QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4", `${HELLO_CID}&arg=x`]) {
      await rejectsWith(store.get(cid), "INVALID_INPUT", { what: "cid" });
      await rejectsWith(store.has(cid), "INVALID_INPUT", { what: "cid" });
      await rejectsWith(store.delete(cid), "INVALID_INPUT", { what: "cid" });
    }
    assert.equal(kubo.requests.length, 0);
  });

  it("answers STORE_UNAVAILABLE (unreachable) when no node listens", async () => {
    const offline = createKuboStore({ url: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 2000 });
    await rejectsWith(offline.put(bytes("x")), "STORE_UNAVAILABLE", { store: "kubo", reason: "unreachable" });
    await rejectsWith(offline.get(HELLO_CID), "STORE_UNAVAILABLE", { reason: "unreachable" });
    await rejectsWith(offline.has(HELLO_CID), "STORE_UNAVAILABLE", { reason: "unreachable" });
    await rejectsWith(offline.delete(HELLO_CID), "STORE_UNAVAILABLE", { reason: "unreachable" });
  });

  it("refuses a URL that is not one", async () => {
    await rejectsWith(() => createKuboStore({ url: "not a url" }), "INVALID_INPUT");
  });
});
