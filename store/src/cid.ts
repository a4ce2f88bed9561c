// Content ids of stored originals: CIDv1, raw codec, sha2-256, as base32 text ("bafkrei…"). That is
// exactly what Kubo's `block put` answers with its defaults, so an object put here and the same bytes
// put on an IPFS node have one CID. The CID text is checked before it reaches a path or a URL.
import { platformError, sm3Hex, utf8 } from "@health-chain/sdk";
import { base32 } from "multiformats/bases/base32";
import { equals } from "multiformats/bytes";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

/** The multicodec of the objects: raw bytes (0x55). */
export const RAW_CODEC = raw.code;
/** The multihash of the objects: sha2-256 (0x12). */
export const SHA2_256_CODE = sha256.code;
/** 0x-prefixed lower-case hex. */
export type Hex = `0x${string}`;
/** The longest text a CID of ours can have; longer input is refused before it is parsed. */
const MAX_CID_TEXT = 128;

function badCid(reason: string, details: Record<string, unknown>, en: string, zh: string): Error {
  return platformError("INVALID_INPUT", {
    details: { what: "cid", reason, ...details },
    message: en,
    messageZh: zh,
  });
}

/**
 * Parses and checks a content id: a string, canonical base32 CIDv1 ("bafkrei…"), raw codec, sha2-256.
 * Anything else → INVALID_INPUT (reason: not-a-string, length, unparsable, not-canonical, version,
 * codec, hash). Only its length is echoed, never the text: it may have come from a path or a header.
 */
export function parseContentId(cid: unknown): CID {
  if (typeof cid !== "string") {
    throw badCid(
      "not-a-string",
      { type: cid === null ? "null" : typeof cid },
      "A content id (CID) is a string.",
      "内容标识（CID）应为字符串。",
    );
  }
  if (cid.length === 0 || cid.length > MAX_CID_TEXT) {
    throw badCid("length", { length: cid.length }, "This is not a content id: wrong length.", "这不是内容标识：长度错误。");
  }
  let parsed: CID;
  try {
    parsed = CID.parse(cid, base32);
  } catch {
    throw badCid(
      "unparsable",
      { length: cid.length },
      "This is not a content id: it does not parse as a base32 CIDv1 (bafk…).",
      "这不是内容标识：无法解析为 base32 CIDv1（bafk…）。",
    );
  }
  if (parsed.version !== 1) {
    throw badCid("version", { version: parsed.version }, "Only CIDv1 content ids are stored.", "只存储 CIDv1 内容标识。");
  }
  if (parsed.code !== RAW_CODEC) {
    throw badCid("codec", { codec: parsed.code }, "Only raw-codec content ids are stored.", "只存储 raw 编码的内容标识。");
  }
  if (parsed.multihash.code !== SHA2_256_CODE || parsed.multihash.digest.length !== 32) {
    throw badCid("hash", { hash: parsed.multihash.code }, "Only sha2-256 content ids are stored.", "只存储 sha2-256 内容标识。");
  }
  // One object, one spelling: upper case or another multibase would make two paths for one object.
  if (parsed.toString() !== cid) {
    throw badCid(
      "not-canonical",
      { length: cid.length },
      "The content id is not in its canonical form (lower-case base32, bafk…).",
      "内容标识不是规范形式（小写 base32，bafk…）。",
    );
  }
  return parsed;
}

/** The CID of bytes: CIDv1, raw, sha2-256 (what Kubo's `block put` gives with its defaults). */
export async function contentIdOf(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(RAW_CODEC, await sha256.digest(bytes));
}

/**
 * The pointer anchored on chain for an original: SM3 of the UTF-8 CID text, as 0x bytes32. The CID
 * itself (and any path) stays off chain; the pointer proves which object the institution holds.
 */
export function pointerHashOf(cid: string): Hex {
  return sm3Hex(utf8(parseContentId(cid).toString()));
}

/** Which back end: the local disk store or a Kubo node. */
export type StoreKind = "disk" | "kubo";

/** The back ends' names in messages, English and Chinese. */
export const STORE_NAMES: Readonly<Record<StoreKind, readonly [string, string]>> = {
  disk: ["local disk store", "本地磁盘存储"],
  kubo: ["Kubo node", "Kubo 节点"],
};

/**
 * Checks bytes against the CID they were fetched by: their sha2-256 must be the CID's digest, else
 * INTEGRITY_CHECK_FAILED (the object was altered at rest or in transit). `where` names the store.
 */
export async function checkContent(cid: CID, bytes: Uint8Array, where: StoreKind): Promise<Uint8Array> {
  const [en, zh] = STORE_NAMES[where];
  const actual = await sha256.digest(bytes);
  if (!equals(actual.digest, cid.multihash.digest)) {
    throw platformError("INTEGRITY_CHECK_FAILED", {
      details: { what: "stored object", cid: cid.toString(), store: where, length: bytes.length, reason: "content-mismatch" },
      message: `The object ${cid.toString()} read from the ${en} does not match its content id: it was altered. Its bytes were not used.`,
      messageZh: `从${zh}读取的对象 ${cid.toString()} 与其内容标识不符：对象已被篡改，其内容未被使用。`,
    });
  }
  return bytes;
}
