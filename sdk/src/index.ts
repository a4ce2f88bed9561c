// The public surface of the sdk: everything a component may import is re-exported here, by name,
// so that internals (scratch buffers, test hooks) stay internal. docs/SDK.md describes each group.

// Errors: one hierarchy with stable codes and bilingual messages.
export * from "./errors.ts";

// Bytes.
export { type BytesLike, toBytes, toHex, utf8, concatBytes, constantTimeEqual } from "./bytes.ts";

// SM3 (GB/T 32905): hash and HMAC; node:crypto on Node, pure JavaScript in the browser.
export { SM3_DIGEST_LENGTH, SM3_IMPLEMENTATION, sm3, sm3Hex, sm3Utf8, hmacSm3, hmacSm3Hex } from "./sm3.ts";

// SM4 (GB/T 32907): block modes and the versioned, authenticated envelope with rotating key ids.
export {
  SM4_KEY_LENGTH,
  SM4_BLOCK_LENGTH,
  SM4_IMPLEMENTATION,
  sm4EncryptEcb,
  sm4DecryptEcb,
  sm4Ctr,
  sm4EncryptCbc,
  sm4DecryptCbc,
  ENVELOPE_VERSION,
  ENVELOPE_ALGORITHM_SM4_CTR_HMAC_SM3,
  ENVELOPE_IV_LENGTH,
  ENVELOPE_TAG_LENGTH,
  KEY_ID_PATTERN,
  type EnvelopeKeys,
  deriveEnvelopeKeys,
  type KeyRingEntry,
  type KeyRing,
  createKeyRing,
  type EnvelopeParts,
  type EnvelopeOptions,
  parseEnvelope,
  sealEnvelope,
  openEnvelope,
  resealEnvelope,
  envelopeToText,
  envelopeFromText,
} from "./sm4.ts";

// SM2 (GM/T 0003, GB/T 32918): keys and encodings, signatures with the user id, encryption.
export {
  SM2_DEFAULT_USER_ID,
  MAX_PEM_LENGTH,
  type Sm2KeyPair,
  type Sm2Message,
  type Sm2SignatureFormat,
  type Sm2CiphertextFormat,
  type Sm2UserId,
  type Sm2UserIdOptions,
  type Sm2SignOptions,
  type Sm2VerifyOptions,
  type Sm2CipherOptions,
  type Sm2Signer,
  type Sm2Verifier,
  type Sm2Encryptor,
  generateSm2KeyPair,
  deriveSm2PublicKey,
  validateSm2PrivateKey,
  validateSm2PublicKey,
  sm2PrivateKeyFromDer,
  sm2PublicKeyFromDer,
  sm2PrivateKeyToDer,
  sm2PublicKeyToDer,
  sm2PrivateKeyFromPem,
  sm2PublicKeyFromPem,
  sm2PrivateKeyToPem,
  sm2PublicKeyToPem,
  computeSm2Z,
  hashSm2Message,
  signSm2,
  verifySm2,
  signSm2Digest,
  verifySm2Digest,
  createSm2Signer,
  createSm2Verifier,
  createSm2Encryptor,
  sm2SignatureToRaw,
  sm2SignatureToDer,
  encryptSm2,
  decryptSm2,
  convertSm2Ciphertext,
} from "./sm2.ts";

// Canonical record fingerprints (docs/FINGERPRINT.md).
export { FINGERPRINT_DOMAIN, MAX_RECORD_DEPTH, canonicalize, canonicalBytes, fingerprint } from "./fingerprint.ts";

// Merkle batches (docs/MERKLE.md), as DataIndex and AuditTrail verify them.
export {
  MERKLE_MAX_DEPTH,
  MERKLE_MAX_LEAVES,
  type MerkleBatch,
  buildBatch,
  merkleRoot,
  merkleProof,
  merkleLeaf,
  merkleNode,
  verifyMerkleProof,
  type IndexEntry,
  type RecordChange,
  entryItem,
  changeItem,
  type DataIndexBatch,
  type AnchoredDataIndexBatch,
  buildEntryBatch,
  buildChangeBatch,
  verifyEntryInBatch,
  verifyChangeInBatch,
} from "./merkle.ts";

// EIP-712 consent messages of ConsentRegistry.
export {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  consentTypes,
  type ConsentPrimaryType,
  CONSENT_PRIMARY_TYPES,
  type GrantCreatingType,
  type ConsentMessage,
  type ConsentDomain,
  type ConsentTypedData,
  consentDomain,
  consentTypedData,
  consentDigest,
  grantIdOf,
  recoverConsentSigner,
  consentTypeString,
  consentTypeHash,
} from "./eip712.ts";

// The contracts' codes, with Chinese and English labels.
export * from "./codes.ts";

// Contract bindings generated from the compiled ABIs, deployments and the typed client.
export {
  consortiumRegistryAbi,
  consentRegistryAbi,
  dataIndexAbi,
  certificateRegistryAbi,
  auditTrailAbi,
} from "./generated/abis.ts";
export {
  CONTRACT_NAMES,
  type ContractName,
  type DeployedContract,
  type Deployments,
  type DeploymentProblem,
  type LoadDeploymentsOptions,
  parseDeployments,
  loadDeployments,
} from "./deployments.ts";
export {
  HEALTH_CHAIN_ABIS,
  type HealthChainClient,
  type HealthChainContract,
  type HealthChainClientOptions,
  type HealthChainKeyedClient,
  createHealthChainClient,
  toPlatformError,
} from "./client.ts";

// LOINC codes: shape and check digit.
export { LOINC_PATTERN, isValidLoinc, loincCheckDigit } from "./loinc.ts";
export * from "./csv.ts";
