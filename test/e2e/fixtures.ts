// Test data of the data path (records, consent, reads), shared by the gateway's route tests and the
// end-to-end test: opaque ids the way the standard model makes them, records with a field map, and
// residents' EIP-712 signatures in the JSON form the gateway takes.
import { consentTypedData, PURPOSES, type ConsentDomain, type ConsentMessage, type ConsentPrimaryType } from "@health-chain/sdk";
import { keccak256, pad, stringToBytes, type Address, type Hex } from "viem";
import type { HDAccount } from "viem/accounts";

export const fieldId = (name: string): Hex => keccak256(stringToBytes(`field:${name}`));
export const categoryId = (name: string): Hex => keccak256(stringToBytes(`category:${name}`));
export const recordIdOf = (tag: string): Hex => keccak256(stringToBytes(`record:${tag}`));
/** A salted resident reference (the salt stays with the institution; here a fixed test salt). */
export const residentRefOf = (wallet: Address, salt = "test-salt"): Hex => keccak256(stringToBytes(`resident:${salt}:${wallet.toLowerCase()}`));
export const asGrantee = (account: Address): Hex => pad(account.toLowerCase() as Hex, { size: 32 });

export const LAB = categoryId("LAB_REPORT");
export const LAB_FIELDS = {
  diagnosis: fieldId("diagnosis"),
  result: fieldId("lab.result.value"),
  unit: fieldId("lab.result.unit"),
  homeAddress: fieldId("home-address"),
} as const;

/** A lab report of `resident` in the body form of POST /v1/records. */
export function labRecord(tag: string, resident: Address, sourceTime = Math.floor(Date.now() / 1000) - 3600) {
  return {
    recordId: recordIdOf(tag),
    residentRef: residentRefOf(resident),
    resident,
    category: LAB,
    schemaVersion: 1,
    sourceTime,
    fields: LAB_FIELDS,
    record: {
      diagnosis: "E11.9 type 2 diabetes mellitus",
      result: "7.80",
      unit: "mmol/L",
      homeAddress: `Room ${tag}, 1 Example Road`,
    },
  };
}

/** A message with its uints as decimal strings (bigint does not go into JSON). */
export function jsonMessage(message: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(message, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;
}

/** Signs a consent message with a wallet and gives the relay body { message, signer, signature }. */
export async function signedRelay<T extends ConsentPrimaryType>(account: HDAccount, primaryType: T, message: ConsentMessage<T>, domain: ConsentDomain) {
  const typed = consentTypedData(primaryType, message, domain);
  const signature = await account.signTypedData(typed as unknown as Parameters<HDAccount["signTypedData"]>[0]);
  return { message: jsonMessage(message), signer: account.address, signature };
}

let nonce = BigInt(Date.now()) * 1000n;
/** A fresh unordered nonce. */
export const nextNonce = (): bigint => ++nonce;

/** A resident's grant of lab-report `fields` to `grantee`, for treatment, from a minute before `now` for one day. */
export function labGrant(resident: Address, grantee: Hex, granteeKind: number, fields: Hex[], now: bigint) {
  return {
    resident,
    grantee,
    granteeKind,
    categories: [LAB],
    recordIds: [] as Hex[],
    fields,
    purposes: PURPOSES.treatment.mask,
    notBefore: now - 60n,
    notAfter: now + 86400n,
    mayReshare: false,
    nonce: nextNonce(),
    deadline: now + 3600n,
  };
}
