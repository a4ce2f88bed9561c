// The query fingerprint that keys perturbation: SM3 (GB/T 32905) of the canonical JSON (RFC 8785,
// sdk `fingerprint`) of the criteria, the index date and the data version(s). The same question on
// the same data gets the same fingerprint, hence the same noise (re-asking cannot average it away);
// a data refresh changes it.
import { fingerprint } from "@health-chain/sdk";
import type { Criteria } from "../criteria/schema.ts";

const DOMAIN = "health-chain/analytics/screening-query/v1";

/** Fingerprint of a query over the given institutions' data versions (code → version). */
export function queryFingerprint(criteria: Criteria, indexDate: string, dataVersions: Readonly<Record<string, string>>): string {
  // Canonical JSON sorts members, so the order institutions were listed in does not matter.
  return fingerprint({ domain: DOMAIN, criteria, indexDate, dataVersions });
}
