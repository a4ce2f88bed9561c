// The SM2 wrap of a read's data key (store `sealForReader`'s `wrapKey`), with the session public key
// prepared once: a precomputed multiplication table per key, in a bounded LRU. A gateway seals every
// read of a session to the same key, and the unprepared scalar multiplication k·P was ~30 % of a
// read's CPU (sdk encryptSm2 ~6.6 ms; prepared ~0.6 ms; preparing a key ~5 ms, once per session).
// The output is byte-for-byte the format of the sdk's `encryptSm2(…, { format: "c1c3c2" })`:
// C1 = 04‖x1‖y1, C3 = SM3(x2‖M‖y2), C2 = M ⊕ KDF(x2‖y2), 0x hex; `openForReader` opens it.
import { toHex, validateSm2PublicKey } from "@health-chain/sdk";
import { sm2 } from "sm-crypto-v2";
import { Lru } from "./lru.ts";

/** Session keys kept prepared (least recently used out first). A table of window 4 is ~80 KB: ≤ ~20 MB. */
const PREPARED_KEYS = 256;
/** Window of the tables: preparing costs less than one unprepared encryption. */
const PREPARED_WINDOW = 4;

type PreparedKey = ReturnType<typeof sm2.precomputePublicKey>;
const prepared = new Lru<string, PreparedKey>(PREPARED_KEYS);

/** The session key as a prepared point; checked by the sdk first (INVALID_KEY when malformed). */
export function preparedSessionKey(publicKeyHex: string): PreparedKey {
  const cacheKey = publicKeyHex.toLowerCase();
  const hit = prepared.get(cacheKey);
  if (hit !== undefined) return hit;
  const point = sm2.precomputePublicKey(toHex(validateSm2PublicKey(publicKeyHex), false), PREPARED_WINDOW);
  prepared.set(cacheKey, point);
  return point;
}

/** `sealForReader`'s `wrapKey`: SM2 C1C3C2 encryption of `dataKey` to the (prepared) session key. */
export function wrapKeyForSession(dataKey: Uint8Array, sessionPublicKeyHex: string): string {
  const key = preparedSessionKey(sessionPublicKeyHex);
  // sm-crypto-v2 copies the message, draws a fresh k per call, and writes C1 as x1‖y1 (no 04).
  const hex = sm2.doEncrypt(dataKey, key, 1);
  if (hex.length !== 128 + 64 + dataKey.length * 2) throw new Error(`SM2 wrap of unexpected length ${hex.length}`);
  return `0x04${hex}`;
}
