// The session key a read is sealed with (store `createReaderSessionKey`): one per session public key
// and process, in a bounded LRU, so a session's reads pay for one SM2 encryption in all rather than
// one each (an SM2 encryption was ~0.7 ms, a quarter of a read's CPU, even to a prepared key). What
// is kept is a random 16-byte key, its SM2 ciphertext and its derived SM4/HMAC keys: no more than the
// plaintext of the reads this process already handles. A session that drops out of the LRU gets a
// new session key on its next read; the client opens either.
import { createReaderSessionKey, type ReaderSessionKey } from "@health-chain/store";
import { Lru } from "./lru.ts";

/** Sessions whose key is kept (least recently used out first); an entry is a key ring and a 228-character string. */
const READER_SESSIONS = 10_000;

const sessionKeys = new Lru<string, ReaderSessionKey>(READER_SESSIONS);

/**
 * The session key reads to `sessionPublicKeyHex` are sealed with, made (one SM2 encryption) on the
 * session's first read in this process; INVALID_KEY (from the sdk) when the key is malformed.
 */
export function readerSessionKeyOf(sessionPublicKeyHex: string): ReaderSessionKey {
  const cacheKey = sessionPublicKeyHex.toLowerCase();
  const hit = sessionKeys.get(cacheKey);
  if (hit !== undefined) return hit;
  const key = createReaderSessionKey(sessionPublicKeyHex);
  sessionKeys.set(cacheKey, key);
  return key;
}
