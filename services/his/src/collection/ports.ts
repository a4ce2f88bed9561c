// What the collection pipeline needs from the other parts of the service, as narrow interfaces: the
// standard-model mapping (../model), the master patient index (../empi), the residents' wallets, and
// the quality tally. The service wires the real ones (service.ts); tests can wire the same ones.
import type { Address } from "viem";
import type { SourceItem } from "../adapters/types.ts";
import type { MapResult } from "../model/index.ts";
import type { PatientKey } from "../empi/empi.ts";
import type { EmpiRegistration } from "../empi/registration.ts";
import type { HisTx } from "../db.ts";

export type { MapResult, QualityTally, StandardRecord } from "../model/index.ts";

/** Maps a source item to the standard model. */
export type MapItem = (item: SourceItem) => MapResult;

/** The master patient index, as the pipeline uses it. */
export interface ResidentLinker {
  /** Links registrations (in order) and returns each one's person. */
  linkMany(tx: HisTx, registrations: readonly EmpiRegistration[], actor: string): Promise<readonly string[]>;
  /** The person of each (institution, patientId), following merges; null when never registered. */
  personsOf(tx: HisTx, keys: readonly PatientKey[]): Promise<readonly (string | null)[]>;
}

/** Where a resident's wallet is found (the account-opening service in production). */
export interface ResidentDirectory {
  walletOf(personId: string): Address;
}
