import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openEnvelope, sealEnvelope, utf8 } from "@health-chain/sdk";
import {
  createDevKeyring,
  createInstitutionKeyring,
  generateKeyEncryptionKey,
  KEY_FILE_FORMAT,
  keyringFromKeyFile,
  loadKeyFile,
} from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";

const HOSPITAL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const KEY_A = "00112233445566778899aabbccddeeff";
const KEY_B = "ffeeddccbbaa99887766554433221100";

const keyFile = (overrides: Record<string, unknown> = {}) => ({
  format: KEY_FILE_FORMAT,
  institution: HOSPITAL,
  currentKeyId: "hosp-2025q1",
  keys: [
    { keyId: "hosp-2024q4", key: KEY_A },
    { keyId: "hosp-2025q1", key: `0x${KEY_B}` },
  ],
  ...overrides,
});

describe("institution keyrings", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hc-keyring-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a key file: institution in lower case, current id, every id, no key material visible", async () => {
    const path = join(dir, "keys.json");
    await writeFile(path, JSON.stringify(keyFile()), { mode: 0o600 });
    const keyring = await loadKeyFile(path);
    assert.equal(keyring.institution, HOSPITAL.toLowerCase());
    assert.equal(keyring.currentKeyId, "hosp-2025q1");
    assert.deepEqual(keyring.keyIds, ["hosp-2024q4", "hosp-2025q1"]);
    const shown = JSON.stringify(keyring);
    assert.ok(!shown.includes(KEY_A) && !shown.includes(KEY_B), "keys never appear in the keyring's JSON");
  });

  it("holds the keys the file gives: an envelope sealed under the file's key opens with an equal ring", () => {
    const fromFile = keyringFromKeyFile(keyFile());
    const same = createInstitutionKeyring({ institution: HOSPITAL, currentKeyId: "hosp-2025q1", keys: [{ keyId: "hosp-2025q1", key: KEY_B }] });
    const sealed = sealEnvelope(fromFile.ring, utf8("x"));
    assert.deepEqual(openEnvelope(same.ring, sealed), utf8("x"));
  });

  const badFiles: [string, Record<string, unknown>, string][] = [
    ["another format", { format: "something/else" }, "format"],
    ["an institution that is not an address", { institution: "hospital-1" }, "institution"],
    ["a malformed key id", { keys: [{ keyId: "../etc", key: KEY_A }], currentKeyId: "../etc" }, "keys.0.keyId"],
    ["a key of the wrong length", { keys: [{ keyId: "hosp-2025q1", key: "abcd" }] }, "keys.0.key"],
    ["no keys", { keys: [] }, "keys"],
    ["an unknown member", { comment: "x" }, ""],
  ];
  for (const [what, overrides, path] of badFiles) {
    it(`refuses a key file with ${what} (INVALID_INPUT naming the path, never the value)`, async () => {
      const error = await rejectsWith(() => keyringFromKeyFile(keyFile(overrides)), "INVALID_INPUT", { what: "key file" });
      const issues = error.details.issues as { path: string }[];
      assert.ok(issues.some((issue) => issue.path === path), `issues ${JSON.stringify(issues)} name ${path}`);
      assert.ok(!JSON.stringify(error).includes(KEY_A) && !JSON.stringify(error).includes(KEY_B));
    });
  }

  it("refuses a current key id the file does not hold (UNKNOWN_KEY_ID)", async () => {
    await rejectsWith(() => keyringFromKeyFile(keyFile({ currentKeyId: "hosp-2026q1" })), "UNKNOWN_KEY_ID", { keyId: "hosp-2026q1" });
  });

  it("refuses duplicate key ids", async () => {
    const keys = [
      { keyId: "k1", key: KEY_A },
      { keyId: "k1", key: KEY_B },
    ];
    await rejectsWith(() => keyringFromKeyFile(keyFile({ keys, currentKeyId: "k1" })), "INVALID_INPUT", { reason: "duplicate-key-id" });
  });

  it("refuses a file that is not JSON without quoting it, and a missing file", async () => {
    const path = join(dir, "broken.json");
    await writeFile(path, `{"keys":[{"key":"${KEY_A}"`);
    const error = await rejectsWith(loadKeyFile(path), "INVALID_INPUT", { reason: "not-json" });
    assert.ok(!JSON.stringify(error).includes(KEY_A) && !error.message.includes(KEY_A));
    await rejectsWith(loadKeyFile(join(dir, "missing.json")), "INVALID_INPUT", { reason: "unreadable" });
  });

  it("makes deterministic development keyrings, different per institution and seed", () => {
    const sealed = sealEnvelope(createDevKeyring(HOSPITAL).ring, utf8("dev"));
    assert.deepEqual(openEnvelope(createDevKeyring(HOSPITAL).ring, sealed), utf8("dev"));
    const other = createDevKeyring("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    assert.throws(() => openEnvelope(other.ring, sealed), { code: "INTEGRITY_CHECK_FAILED" });
    assert.throws(() => openEnvelope(createDevKeyring(HOSPITAL, { seed: "other" }).ring, sealed), { code: "INTEGRITY_CHECK_FAILED" });
    const rotated = createDevKeyring(HOSPITAL, { keyIds: ["dev-1", "dev-2"] });
    assert.equal(rotated.currentKeyId, "dev-2");
  });

  it("generates random 16-byte keys as hex", () => {
    const a = generateKeyEncryptionKey();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(generateKeyEncryptionKey(), a);
  });
});
