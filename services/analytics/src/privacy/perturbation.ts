// Deterministic, bounded noise for the `perturb` mode. The noise of a cell is derived from
// HMAC-SM3 (GM/T 0042-2015) under the platform's secret of the query's fingerprint and the cell's
// identity, so asking the same query again returns the same noise: re-asking cannot average it away
// (the idea of the ABS TableBuilder "cell key" method, keyed here by query rather than by records).
import { hmacSm3, utf8, type BytesLike } from "@health-chain/sdk";
import { invalidPrivacyInput } from "./invalid.ts";

/** What the noise of a perturbed result is keyed by. */
export interface PerturbationContext {
  /** The platform's secret for perturbation (never the researcher's). */
  readonly key: BytesLike;
  /**
   * The fingerprint of the query: it must cover the criteria AND the version of the data they ran
   * on, so that the same question on the same data always gets the same noise.
   */
  readonly queryFingerprint: string;
}

const DOMAIN = "health-chain/analytics/perturb/v1";

/**
 * The noise of one cell: an integer uniform on [−maxNoise, +maxNoise], from the first 4 bytes of the
 * HMAC read as an unsigned big-endian integer, modulo 2·maxNoise+1 (bias below (2·maxNoise+1)/2³²).
 */
export function perturbationNoise(context: PerturbationContext, cell: string, maxNoise: number): number {
  if (typeof context?.queryFingerprint !== "string" || context.queryFingerprint.length === 0) {
    throw invalidPrivacyInput(
      { what: "queryFingerprint" },
      "Perturbation needs the query's fingerprint: the same query must always get the same noise.",
      "扰动需要查询指纹：同一查询必须始终得到相同的扰动。",
    );
  }
  // JSON of an array of strings is unambiguous: no two (fingerprint, cell) pairs share a message.
  const mac = hmacSm3(context.key, utf8(JSON.stringify([DOMAIN, context.queryFingerprint, cell])));
  const word = new DataView(mac.buffer, mac.byteOffset, 4).getUint32(0, false);
  return (word % (2 * maxNoise + 1)) - maxNoise;
}
