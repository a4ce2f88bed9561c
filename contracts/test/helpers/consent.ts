// EIP-712 messages of ConsentRegistry, signed with ethers signers in the contract tests. The type
// definitions are the sdk's (`consentTypes`); ethers' own encoder hashes them here, so
// ConsentRegistry.ts checks the sdk's types against the contract's *_TYPEHASH constants and digest
// views with an implementation independent of the sdk's viem-based one.
import {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  CONSENT_PRIMARY_TYPES,
  consentTypes,
  type ConsentPrimaryType,
} from "@health-chain/sdk";
import { TypedDataEncoder, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import type { ConsentRegistry } from "../../../types/ethers-contracts/index.js";

export { CONSENT_DOMAIN_NAME, CONSENT_DOMAIN_VERSION };

export type ConsentMessageType = ConsentPrimaryType;

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
  return { [primaryType]: consentTypes[primaryType].map((field) => ({ ...field })) };
}

/** The sdk's field lists as ethers takes them (mutable copies), for scripts that sign with ethers signers. */
export const ConsentTypes = Object.fromEntries(
  CONSENT_PRIMARY_TYPES.map((type) => [type, typesOf(type)[type]!]),
) as Record<ConsentMessageType, TypedDataField[]>;

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
