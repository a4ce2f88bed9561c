// The one interface both back ends answer to: an object store addressed by the CID of its bytes.
// The stores know nothing of records or keys; they only ever see ciphertext (institution-store.ts).

/** A content-addressed object store (local disk or a Kubo node). */
export interface ContentStore {
  /** Stores bytes and answers their CID (CIDv1, raw, sha2-256, base32 text); the same bytes, the same CID. */
  put(bytes: Uint8Array): Promise<string>;
  /**
   * The bytes of a CID, checked against it: altered bytes → INTEGRITY_CHECK_FAILED, never wrong bytes;
   * an object the store does not hold, or a store that cannot be reached → STORE_UNAVAILABLE.
   */
  get(cid: string): Promise<Uint8Array>;
  /** Whether the store holds the object (not checked against the CID: `get` does that). */
  has(cid: string): Promise<boolean>;
  /** Removes the object; removing one that is not there is not an error. */
  delete(cid: string): Promise<void>;
}
