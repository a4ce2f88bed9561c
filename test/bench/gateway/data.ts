// The benchmark's data set: residents with wallet keys, their records at the dev hospital, and the
// consent grants they sign. Everything is derived from indexes (keccak256 of a label), so a run is
// reproducible and nothing is stored besides what goes through the gateway.
import { keccak256, stringToBytes, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

const id = (label: string): Hex => keccak256(stringToBytes(label));

/** Record categories (ids as the standard model would define them). */
export const CATEGORIES = ["LAB_REPORT", "OUTPATIENT_VISIT", "IMAGING_REPORT", "PRESCRIPTION", "DISCHARGE_SUMMARY"].map((name) => ({
  name,
  id: id(`category:${name}`),
}));

/** The members of every record, each with its field id. */
export const FIELD_NAMES = ["diagnosis", "labResults", "medications", "vitals", "notes"] as const;
export const FIELD_IDS: Readonly<Record<(typeof FIELD_NAMES)[number], Hex>> = Object.fromEntries(
  FIELD_NAMES.map((name) => [name, id(`field:${name}`)]),
) as Record<(typeof FIELD_NAMES)[number], Hex>;

/** The two fields residents grant the doctor. */
export const GRANTED_FIELDS = ["diagnosis", "labResults"] as const;

/** A resident's wallet key (generated: consents are relayed, so residents need no chain account). */
export function residentKey(index: number): Hex {
  return id(`health-chain gateway bench: resident ${index}`);
}

const accounts = new Map<number, PrivateKeyAccount>();
export function residentAccount(index: number): PrivateKeyAccount {
  let account = accounts.get(index);
  if (!account) {
    account = privateKeyToAccount(residentKey(index));
    accounts.set(index, account);
  }
  return account;
}

/** The hospital's salted reference of a resident (one per resident and institution). */
export function residentRefOf(institution: Address, index: number): Hex {
  return id(`health-chain gateway bench: salt of ${institution.toLowerCase()} / resident ${index}`);
}

export function recordIdOf(index: number): Hex {
  return id(`health-chain gateway bench: record ${index}`);
}

/**
 * Record `index` belongs to resident `index % residents`, so a resident's records (≈ records /
 * residents of them) are spread over batches, as visits are over time.
 */
export function residentOfRecord(index: number, residents: number): number {
  return index % residents;
}

export function categoryOfRecord(index: number): (typeof CATEGORIES)[number] {
  return CATEGORIES[Math.floor(index / 7) % CATEGORIES.length]!;
}

/** The record body the hospital's system sends (≈ 600 bytes of JSON), with its field map. */
export function recordInput(index: number, options: { residents: number; institution: Address; sourceTime: number }) {
  const resident = residentOfRecord(index, options.residents);
  const category = categoryOfRecord(index);
  return {
    recordId: recordIdOf(index),
    residentRef: residentRefOf(options.institution, resident),
    resident: residentAccount(resident).address,
    category: category.id,
    schemaVersion: 1,
    sourceTime: options.sourceTime,
    fields: { ...FIELD_IDS },
    record: {
      diagnosis: { code: `J${(index % 90) + 10}.${index % 10}`, system: "ICD-10", text: "Acute upper respiratory infection" },
      labResults: [
        { test: "WBC", value: 4 + (index % 70) / 10, unit: "10^9/L", range: "3.5-9.5" },
        { test: "CRP", value: (index % 200) / 10, unit: "mg/L", range: "0-10" },
        { test: "HGB", value: 110 + (index % 60), unit: "g/L", range: "115-150" },
      ],
      medications: [{ name: "Amoxicillin", dose: "500 mg", frequency: "tid", days: 5 + (index % 3) }],
      vitals: { temperature: 36 + (index % 30) / 10, pulse: 60 + (index % 40), bp: `${110 + (index % 30)}/${70 + (index % 20)}` },
      notes: `Record ${index} of the benchmark (${category.name}); follow up in ${1 + (index % 4)} weeks.`,
    },
  };
}
