// The SM2 wrap of a read's data key (store `sealForReader`'s `wrapKey`), with the session public key
// prepared once (sdk `createSm2Encryptor`: precomputed tables) in a bounded LRU. A gateway seals every
// read of a session to the same key, and the unprepared scalar multiplication k·P was ~30 % of a
// read's CPU (~6.6 ms unprepared, ~0.6 ms prepared; preparing a key costs one unprepared encryption).
// The output is the sdk's C1C3C2 format, which `openForReader` opens.
import { createSm2Encryptor, toHex, type Sm2Encryptor } from "@health-chain/sdk";
import { Lru } from "./lru.ts";

/** Session keys kept prepared (least recently used out first); a table of window 4 is ~80 KB: ≤ ~20 MB. */
const PREPARED_KEYS = 256;

const prepared = new Lru<string, Sm2Encryptor>(PREPARED_KEYS);

/** The session key's encryptor; INVALID_KEY (from the sdk) when the key is malformed. */
function encryptorOf(publicKeyHex: string): Sm2Encryptor {
  const cacheKey = publicKeyHex.toLowerCase();
  const hit = prepared.get(cacheKey);
  if (hit !== undefined) return hit;
  const encryptor = createSm2Encryptor(publicKeyHex);
  prepared.set(cacheKey, encryptor);
  return encryptor;
}

/** `sealForReader`'s `wrapKey`: SM2 C1C3C2 encryption of `dataKey` to the (prepared) session key. */
export function wrapKeyForSession(dataKey: Uint8Array, sessionPublicKeyHex: string): string {
  return toHex(encryptorOf(sessionPublicKeyHex).encrypt(dataKey, { format: "c1c3c2" }));
}
