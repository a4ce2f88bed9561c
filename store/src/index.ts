// The public surface of @health-chain/store: the institutions' off-chain originals. See README.md.
export { type Hex, RAW_CODEC, SHA2_256_CODE, parseContentId, contentIdOf, pointerHashOf } from "./cid.ts";
export type { ContentStore } from "./content-store.ts";
export { FS_STORE_BLOCKS_DIR, createFsStore } from "./fs-store.ts";
export { type KuboStoreOptions, createKuboStore } from "./kubo-store.ts";
export {
  KEY_FILE_FORMAT,
  type InstitutionKeyring,
  type KeyEncryptionKey,
  type KeyFile,
  institutionAddress,
  createInstitutionKeyring,
  keyringFromKeyFile,
  loadKeyFile,
  generateKeyEncryptionKey,
  createDevKeyring,
} from "./keyring.ts";
export {
  type OriginalMeta,
  type StoredOriginal,
  type InstitutionStore,
  createInstitutionStore,
} from "./institution-store.ts";
export {
  READER_SEAL_ALGORITHM,
  type SealedForReader,
  type ReaderSealOptions,
  type ReaderSessionKey,
  type ReaderSessionKeyOptions,
  createReaderSessionKey,
  sealForReader,
  createReaderOpener,
  openForReader,
} from "./reader.ts";
