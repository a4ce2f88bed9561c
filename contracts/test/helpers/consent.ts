// EIP-712 messages of ConsentRegistry, as residents' wallets, delegates and grantees sign them
// off chain. The type definitions must stay byte-for-byte equal to the contract's *_TYPEHASH
// strings: ConsentRegistry.ts checks both the type strings and the full digests against the
// contract's views. (To move into sdk/ as the shared consent types.)
import { TypedDataEncoder, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import type { ConsentRegistry } from "../../../types/ethers-contracts/index.js";

export const CONSENT_DOMAIN_NAME = "HealthChain ConsentRegistry";
export const CONSENT_DOMAIN_VERSION = "1";

/** Field lists of every message type, in the order of the contract's type strings. */
export const ConsentTypes = {
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
} satisfies Record<string, TypedDataField[]>;

export type ConsentMessageType = keyof typeof ConsentTypes;

/** The message value of each type: the contract's own struct types (derived from its ABI). */
export interface ConsentMessages {
  ConsentGrant: ConsentRegistry.ConsentGrantStruct;
  ConsentNarrowing: ConsentRegistry.ConsentNarrowingStruct;
  ConsentRevocation: ConsentRegistry.ConsentRevocationStruct;
  RequestAnswer: ConsentRegistry.RequestAnswerStruct;
  Delegation: ConsentRegistry.DelegationStruct;
  DelegationRevocation: ConsentRegistry.DelegationRevocationStruct;
  Reshare: ConsentRegistry.ReshareStruct;
}

/** The signing domain of the ConsentRegistry at `verifyingContract` on chain `chainId`, built offline. */
export function consentDomainAt(chainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION, chainId, verifyingContract };
}

/** The signing domain a deployed ConsentRegistry publishes (EIP-5267 `eip712Domain()`). */
export async function consentDomain(registry: Pick<ConsentRegistry, "eip712Domain">): Promise<TypedDataDomain> {
  const { name, version, chainId, verifyingContract } = await registry.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/** The `types` argument for one message type (ethers wants exactly the primary type and its dependencies). */
export function typesOf(primaryType: ConsentMessageType): Record<string, TypedDataField[]> {
  return { [primaryType]: ConsentTypes[primaryType] };
}

/** The EIP-712 type string, e.g. "ConsentRevocation(bytes32 grantId,uint256 nonce,uint64 deadline)". */
export function typeString(primaryType: ConsentMessageType): string {
  return TypedDataEncoder.from(typesOf(primaryType)).encodeType(primaryType);
}

/** The EIP-712 digest the signer signs; for grants, answers and re-shares also the new grant's id. */
export function consentDigest<T extends ConsentMessageType>(
  domain: TypedDataDomain,
  primaryType: T,
  message: ConsentMessages[T],
): string {
  return TypedDataEncoder.hash(domain, typesOf(primaryType), message as Record<string, unknown>);
}

/** Signs a consent message with a wallet (eth_signTypedData_v4 for node accounts). */
export function signConsent<T extends ConsentMessageType>(
  signer: Signer,
  domain: TypedDataDomain,
  primaryType: T,
  message: ConsentMessages[T],
): Promise<string> {
  return signer.signTypedData(domain, typesOf(primaryType), message as Record<string, unknown>);
}
