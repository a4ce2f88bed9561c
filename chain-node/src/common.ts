// The chain's rules for ethereumjs: a custom chain id on a fixed hardfork, and native secp256k1
// signature recovery (the JavaScript one costs ~1.4 ms per transaction here; libsecp256k1 ~65 µs).
import { createCustomCommon, Hardfork, Mainnet, type Common } from "@ethereumjs/common";
import secp256k1 from "secp256k1";

/** The hardforks the node can run; Shanghai is the default (see docs/CHAIN-NODE.md). */
export const SUPPORTED_HARDFORKS = ["london", "paris", "shanghai"] as const;
export type SupportedHardfork = (typeof SUPPORTED_HARDFORKS)[number];

function leftPad32(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 32) return bytes;
  if (bytes.length > 32) throw new Error("signature component longer than 32 bytes");
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

/** ethereumjs' ecrecover contract: returns the 64-byte public key (without the 0x04 prefix). */
function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  // Typed transactions carry the y-parity (0/1); legacy ones 27/28 or EIP-155's chainId*2+35/36.
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (2n * chainId + 35n);
  if (recovery !== 0n && recovery !== 1n) throw new Error("invalid signature v value");
  const signature = new Uint8Array(64);
  signature.set(leftPad32(r), 0);
  signature.set(leftPad32(s), 32);
  return secp256k1.ecdsaRecover(signature, Number(recovery), msgHash, false).subarray(1);
}

export function createChainCommon(chainId: bigint, hardfork: SupportedHardfork): Common {
  const fork = { london: Hardfork.London, paris: Hardfork.Paris, shanghai: Hardfork.Shanghai }[hardfork];
  return createCustomCommon({ chainId: Number(chainId), name: "health-chain" }, Mainnet, { hardfork: fork, customCrypto: { ecrecover } });
}

/** A recoverable secp256k1 signature (r ‖ s ‖ v with v in {0, 1}) of a 32-byte digest. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recid } = secp256k1.ecdsaSign(digest, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = recid;
  return out;
}

/** The uncompressed public key (64 bytes, no prefix) that made `signature` over `digest`. */
export function recoverSigner(digest: Uint8Array, signature: Uint8Array): Uint8Array {
  return secp256k1.ecdsaRecover(signature.subarray(0, 64), signature[64]!, digest, false).subarray(1);
}

export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  if (!secp256k1.privateKeyVerify(privateKey)) throw new Error("not a valid secp256k1 private key");
  return secp256k1.publicKeyCreate(privateKey, false).subarray(1);
}
