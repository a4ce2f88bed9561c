// Adapter parse throughput: parse items/s for FHIR Bundles and ORU^R01 messages.
import { syntheticRecords } from "../src/synthetic/index.ts";
import type { LabResultRecord, PatientRecord } from "../src/synthetic/records.ts";
import { fhirBundleOf, loadFhirR4Definitions, parseFhirBundle } from "../src/adapters/fhir/index.ts";
import { oruR01Of, parseOruR01 } from "../src/adapters/hl7v2/index.ts";
import os from "node:os";
const records = [...syntheticRecords({ seed: 20240101, residents: 400 })];
loadFhirR4Definitions();
const bundles: string[] = [];
for (let i = 0; i < records.length; i += 100) bundles.push(JSON.stringify(fhirBundleOf(records.slice(i, i + 100))));
const patients = new Map<string, PatientRecord>(); const visits = new Map<string, LabResultRecord[]>();
for (const r of records) {
  if (r.kind === "patient") patients.set(`${r.institutionCode}|${r.patientId}`, r);
  if (r.kind === "lab-result") { const k = `${r.institutionCode}|${r.patientId}|${r.payload.encounterKey}`; visits.set(k, [...(visits.get(k) ?? []), r]); }
}
const messages = [...visits].map(([k, labs]) => oruR01Of(patients.get(k.split("|").slice(0, 2).join("|"))!, labs));
function measure(label: string, run: () => number, rounds: number) {
  run(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) { const t = performance.now(); const n = run(); rates.push(n / ((performance.now() - t) / 1000)); }
  rates.sort((a, b) => a - b);
  console.log(`${label}: median ${Math.round(rates[rates.length >> 1]!)} items/s, best ${Math.round(rates[rates.length - 1]!)} (${rounds} rounds)`);
}
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]!.model}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log(`${records.length} records in ${bundles.length} Bundles of ≤100 records (+ DiagnosticReports); ${messages.length} ORU^R01 messages`);
measure("FHIR parseFhirBundle (validation + mapping)", () => bundles.reduce((n, b) => n + parseFhirBundle(b).items.length, 0), 5);
measure("HL7 v2 parseOruR01", () => messages.reduce((n, m) => n + parseOruR01(m).items.length, 0), 5);
