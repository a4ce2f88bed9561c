// The EIP-712 messages of ConsentRegistry, as residents' wallets, delegates and grantees sign them.
// The field lists are byte for byte the contract's *_TYPEHASH strings (sdk/test/eip712.test.ts
// parses them from the source; contracts/test/SdkAgreement.ts compares type hashes and digests
// with a deployed contract). They are viem `TypedData`, so the object `consentTypedData` returns
// goes as is to viem's `walletClient.signTypedData`, `hashTypedData`, `recoverTypedDataAddress`
// and wagmi's `signTypedData`; message types (uint64 as bigint, uint8 as number) follow from it.
//
// Ids: the id of the grant a ConsentGrant, an approving RequestAnswer or a Reshare creates is the
// EIP-712 digest of that message (`grantIdOf`), and a delegation's id is the digest of its
// Delegation message: the app knows the id before relaying, and a retried relay is recognised.
import {
  hashTypedData,
  keccak256,
  recoverTypedDataAddress,
  stringToBytes,
  type Address,
  type Hex,
  type TypedData,
  type TypedDataDefinition,
} from "viem";

/** The `name` of the ConsentRegistry signing domain. */
export const CONSENT_DOMAIN_NAME = "HealthChain ConsentRegistry";
/** The `version` of the ConsentRegistry signing domain. */
export const CONSENT_DOMAIN_VERSION = "1";

/** Field lists of every ConsentRegistry message, in the order of the contract's type strings. */
export const consentTypes = {
  ConsentGrant: [
    { name: "resident", type: "address" },
    { name: "grantee", type: "bytes32" },
    { name: "granteeKind", type: "uint8" },
    { name: "categories", type: "bytes32[]" },
    { name: "recordIds", type: "bytes32[]" },
    { name: "fields", type: "bytes32[]" },
    { name: "purposes", type: "uint8" },
    { name: "notBefore", type: "uint64" },
    { name: "notAfter", type: "uint64" },
    { name: "mayReshare", type: "bool" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ConsentNarrowing: [
    { name: "grantId", type: "bytes32" },
    { name: "removeCategories", type: "bytes32[]" },
    { name: "removeRecordIds", type: "bytes32[]" },
    { name: "removeFields", type: "bytes32[]" },
    { name: "removePurposes", type: "uint8" },
    { name: "notAfter", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ConsentRevocation: [
    { name: "grantId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  RequestAnswer: [
    { name: "requestId", type: "bytes32" },
    { name: "requestHash", type: "bytes32" },
    { name: "approve", type: "bool" },
    { name: "mode", type: "uint8" },
    { name: "notBefore", type: "uint64" },
    { name: "notAfter", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  Delegation: [
    { name: "resident", type: "address" },
    { name: "delegate", type: "address" },
    { name: "relation", type: "uint8" },
    { name: "notAfter", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  DelegationRevocation: [
    { name: "resident", type: "address" },
    { name: "delegate", type: "address" },
    { name: "delegationId", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  Reshare: [
    { name: "parentId", type: "bytes32" },
    { name: "grantee", type: "bytes32" },
    { name: "granteeKind", type: "uint8" },
    { name: "categories", type: "bytes32[]" },
    { name: "recordIds", type: "bytes32[]" },
    { name: "fields", type: "bytes32[]" },
    { name: "purposes", type: "uint8" },
    { name: "notAfter", type: "uint64" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const satisfies TypedData;

/** The name of a ConsentRegistry message type. */
export type ConsentPrimaryType = keyof typeof consentTypes;

/** Every message type, in the order above. */
export const CONSENT_PRIMARY_TYPES = Object.keys(consentTypes) as ConsentPrimaryType[];

/** The message types whose digest is the id of the grant they create. */
export type GrantCreatingType = "ConsentGrant" | "RequestAnswer" | "Reshare";

/** The value of a message of type `T` (addresses and bytes32 as hex, uint8 as number, wider as bigint). */
export type ConsentMessage<T extends ConsentPrimaryType> = TypedDataDefinition<typeof consentTypes, T>["message"];

/** The signing domain of one deployed ConsentRegistry. */
export interface ConsentDomain {
  readonly name: typeof CONSENT_DOMAIN_NAME;
  readonly version: typeof CONSENT_DOMAIN_VERSION;
  readonly chainId: number;
  readonly verifyingContract: Address;
}

/** The full typed data of one message: what a wallet signs. `types` holds the primary type only. */
export type ConsentTypedData<T extends ConsentPrimaryType> = {
  readonly domain: ConsentDomain;
  readonly types: { readonly [K in T]: (typeof consentTypes)[K] };
  readonly primaryType: T;
  readonly message: ConsentMessage<T>;
};

/** The signing domain of the ConsentRegistry at `verifyingContract` on chain `chainId`. */
export function consentDomain(chainId: number | bigint, verifyingContract: Address): ConsentDomain {
  return { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION, chainId: Number(chainId), verifyingContract };
}

/**
 * The typed data of a message, for `walletClient.signTypedData(…)`, wagmi's `signTypedData(…)`,
 * `hashTypedData(…)` or `recoverTypedDataAddress({ ...typedData, signature })`.
 */
export function consentTypedData<T extends ConsentPrimaryType>(
  primaryType: T,
  message: ConsentMessage<T>,
  domain: ConsentDomain,
): ConsentTypedData<T> {
  // Only the primary type: wallets and ethers reject types that the primary type does not use.
  const types = { [primaryType]: consentTypes[primaryType] } as ConsentTypedData<T>["types"];
  return { domain, types, primaryType, message };
}

/** The EIP-712 digest the signer signs; for a grant-creating message also the new grant's id. */
export function consentDigest<T extends ConsentPrimaryType>(
  primaryType: T,
  message: ConsentMessage<T>,
  domain: ConsentDomain,
): Hex {
  return hashTypedData(untyped(consentTypedData(primaryType, message, domain)));
}

/** The id of the grant a ConsentGrant, an approving RequestAnswer or a Reshare creates: its digest. */
export function grantIdOf<T extends GrantCreatingType>(
  primaryType: T,
  message: ConsentMessage<T>,
  domain: ConsentDomain,
): Hex {
  return consentDigest(primaryType, message, domain);
}

/** The address whose key made `signature` over a message (an EOA signature; ERC-1271 wallets differ). */
export function recoverConsentSigner<T extends ConsentPrimaryType>(
  primaryType: T,
  message: ConsentMessage<T>,
  domain: ConsentDomain,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({
    ...untyped(consentTypedData(primaryType, message, domain)),
    signature,
  });
}

/** The EIP-712 type string, e.g. "ConsentRevocation(bytes32 grantId,uint256 nonce,uint64 deadline)". */
export function consentTypeString(primaryType: ConsentPrimaryType): string {
  const fields: readonly { name: string; type: string }[] = consentTypes[primaryType];
  return `${primaryType}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** keccak256 of the type string: the contract's *_TYPEHASH constant. */
export function consentTypeHash(primaryType: ConsentPrimaryType): Hex {
  return keccak256(stringToBytes(consentTypeString(primaryType)));
}

// Inside generic functions TypeScript cannot relate `ConsentMessage<T>` to viem's conditional
// message type; callers get the precise types, the implementation passes the object through.
function untyped<T extends ConsentPrimaryType>(typedData: ConsentTypedData<T>): TypedDataDefinition {
  return typedData as unknown as TypedDataDefinition;
}
