// The on-chain identifiers of collected records: opaque 32-byte ids that reveal nothing personal.
//   recordId     keccak256("record:" + institution code + ":" + model + ":" + sourceKey)
//                (the institution's own key of the record; stable across corrections)
//   residentRef  HMAC-SM3(resident salt, "resident:" + EMPI person id): salted, so the chain's
//                references cannot be joined to anything without the platform's secret
//   category     keccak256("category:" + category name), field keccak256("field:" + field name)
//                (the convention the consent registry's scopes use)
import { hmacSm3Hex, platformError, utf8 } from "@health-chain/sdk";
import { keccak256, stringToBytes, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import type { ResidentDirectory } from "./ports.ts";

export const recordIdOf = (institution: string, model: string, sourceKey: string): Hex =>
  keccak256(stringToBytes(`record:${institution}:${model}:${sourceKey}`));

/** Memoised: a platform has a few dozen categories and a few hundred fields, each hashed once. */
function memoised(prefix: string): (name: string) => Hex {
  const ids = new Map<string, Hex>();
  return (name) => {
    let id = ids.get(name);
    if (id === undefined) {
      id = keccak256(stringToBytes(`${prefix}:${name}`));
      if (ids.size > 10_000) ids.clear();
      ids.set(name, id);
    }
    return id;
  };
}

export const categoryIdOf: (category: string) => Hex = memoised("category");

export const fieldIdOf: (field: string) => Hex = memoised("field");

/** A salt of at least 16 bytes, as hex or text. */
export function checkSalt(salt: string, what: string): Uint8Array {
  const bytes = /^0x[0-9a-fA-F]*$/.test(salt) && salt.length % 2 === 0 ? Uint8Array.from(Buffer.from(salt.slice(2), "hex")) : utf8(salt);
  if (bytes.length < 16) {
    throw platformError("INVALID_INPUT", {
      message: `The ${what} must be at least 16 bytes long.`,
      messageZh: `${what} 至少需要 16 字节。`,
      details: { what },
    });
  }
  return bytes;
}

/** residentRef of EMPI persons under one salt. */
export function residentRefs(salt: string): (personId: string) => Hex {
  const key = checkSalt(salt, "resident salt");
  return (personId) => hmacSm3Hex(key, utf8(`resident:${personId}`));
}

/**
 * Demonstration wallets: each person's wallet key derived from a secret (HMAC-SM3 of the person id),
 * as the seeded demo accounts are. Production wires the account-opening service's directory, where
 * the resident generated the key; this one is for the synthetic district only.
 */
export function derivedDirectory(secret: string): ResidentDirectory & { privateKeyOf(personId: string): Hex } {
  const key = checkSalt(secret, "wallet secret");
  const cache = new Map<string, Address>();
  const privateKeyOf = (personId: string): Hex => hmacSm3Hex(key, utf8(`wallet:${personId}`));
  return {
    privateKeyOf,
    walletOf(personId) {
      let wallet = cache.get(personId);
      if (wallet === undefined) {
        wallet = privateKeyToAddress(privateKeyOf(personId));
        if (cache.size > 100_000) cache.clear();
        cache.set(personId, wallet);
      }
      return wallet;
    },
  };
}
