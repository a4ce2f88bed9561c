import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { sm3Utf8, toHex } from "@health-chain/sdk";
import { contentIdOf, parseContentId, pointerHashOf } from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";

// RFC 4648 base32, lower case, no padding: written out here so the CID is checked independently of multiformats.
function base32(bytes: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
  return out;
}

const HELLO = new TextEncoder().encode("hello world");
// What `printf 'hello world' | ipfs block put` answers on Kubo (CIDv1, raw, sha2-256).
const HELLO_CID = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

describe("content ids", () => {
  it("are CIDv1 raw sha2-256 in base32, as Kubo's block put gives them", async () => {
    const cid = (await contentIdOf(HELLO)).toString();
    assert.equal(cid, HELLO_CID);
    const digest = createHash("sha256").update(HELLO).digest();
    assert.equal(cid, `b${base32(new Uint8Array([0x01, 0x55, 0x12, 0x20, ...digest]))}`);
  });

  it("gives the pointer hash as SM3 of the CID text, bytes32 hex", () => {
    const pointer = pointerHashOf(HELLO_CID);
    assert.match(pointer, /^0x[0-9a-f]{64}$/);
    assert.equal(pointer, toHex(sm3Utf8(HELLO_CID)));
  });

  it("accepts its own canonical form", () => {
    assert.equal(parseContentId(HELLO_CID).toString(), HELLO_CID);
  });

  const refused: [string, unknown, string][] = [
    ["a number", 42, "not-a-string"],
    ["null", null, "not-a-string"],
    ["an empty string", "", "length"],
    ["a very long string", `b${"a".repeat(500)}`, "length"],
    ["a relative path", "../../etc/passwd", "unparsable"],
    ["a path with the CID inside", `../${HELLO_CID}`, "unparsable"],
    ["a CID with a path after it", `${HELLO_CID}/../../x`, "unparsable"],
    ["a CIDv0", "QmaozNR7DZHQK1ZcU9p7QdrshMvXqWK6gpu5rmrkPdT3L4", "unparsable"],
    ["a dag-pb CIDv1", "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "codec"],
    ["an upper-case CID", HELLO_CID.toUpperCase(), "unparsable"],
    ["a base58 spelling of the same CID", "zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn", "unparsable"],
    ["an identity-hash CID", "bafkqaddimvwgy3zao5xxe3debi", "hash"],
  ];
  for (const [what, value, reason] of refused) {
    it(`refuses ${what} (INVALID_INPUT, ${reason})`, async () => {
      await rejectsWith(() => parseContentId(value), "INVALID_INPUT", { reason });
    });
  }

  it("refuses to make a pointer hash of a non-canonical CID", async () => {
    await rejectsWith(() => pointerHashOf(` ${HELLO_CID}`), "INVALID_INPUT");
  });
});
