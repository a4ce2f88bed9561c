// What the collection pipeline needs from the other parts of the service, as narrow interfaces: the
// standard-model mapping (../model), the master patient index (../empi), the residents' wallets, and
// the quality tally. The service wires the real ones (service.ts); tests can wire the same ones.
import type { Address } from "viem";
import type { SourceItem, SourceValue } from "../adapters/types.ts";
import type { HisTx } from "../db.ts";

/** A record in the standard model (what ../model's mapToStandard makes). */
export interface StandardRecord {
  readonly model: string;
  readonly modelVersion: number;
  /** The category name; the on-chain category id is keccak256("category:" + category). */
  readonly category: string;
  readonly content: { readonly [member: string]: SourceValue };
  /** Member → consent field name; the field id is keccak256("field:" + name). */
  readonly fields: { readonly [member: string]: string };
}

/** Why an item could not be taken in. */
export interface Problem {
  readonly stage: string;
  readonly reason: string;
  readonly member?: string;
  readonly message: string;
  readonly messageZh: string;
  readonly [more: string]: unknown;
}

export type MapResult = { readonly ok: true; readonly record: StandardRecord } | { readonly ok: false; readonly problems: readonly Problem[] };

/** Maps a source item to the standard model. */
export type MapItem = (item: SourceItem) => MapResult;

/** A patient registration as the EMPI takes it. */
export interface Registration {
  readonly institution: string;
  readonly patientId: string;
  readonly name: string;
  readonly sex: string;
  readonly birthDate: string;
  readonly idNumber: string | null;
  readonly phone: string | null;
  readonly address: string | null;
}

/** The master patient index, as the pipeline uses it. */
export interface ResidentLinker {
  /** Links registrations (in order) and returns each one's person. */
  linkMany(tx: HisTx, registrations: readonly Registration[], actor: string): Promise<readonly string[]>;
  /** The person of each (institution, patientId), following merges; null when never registered. */
  personsOf(tx: HisTx, keys: readonly { institution: string; patientId: string }[]): Promise<readonly (string | null)[]>;
}

/** Where a resident's wallet is found (the account-opening service in production). */
export interface ResidentDirectory {
  walletOf(personId: string): Address;
}

/** Counts a run's quality figures (../model's tally). */
export interface QualityTally {
  add(result: MapResult, item: SourceItem): void;
  duplicate(item: SourceItem): void;
  report(): unknown;
}
