// An institution's identity (registration) as the matcher holds it in memory: the stored row with
// its comparable forms. Created from a database row or from a new registration.
import type { EmpiSex, NormalizedRegistration } from "./registration.ts";
import { normalizePersonName } from "./registration.ts";

export type LinkMethod = "deterministic" | "probabilistic" | "new" | "manual";

export interface MatchIdentity {
  /** The database id; null until a new identity is written. */
  id: number | null;
  readonly institution: string;
  readonly patientId: string;
  personId: string;
  /** As sent (trimmed). */
  name: string;
  /** Comparable form of `name`. */
  nameKey: string;
  sex: EmpiSex;
  birthDate: string;
  idNumber: string | null;
  phone: string | null;
  address: string | null;
  idKey: string | null;
  idConsistent: boolean;
  birthKey: string;
  phoneKey: string | null;
  linkMethod: LinkMethod;
  linkScore: number | null;
}

/** The columns of EmpiIdentity the matcher reads. */
export const IDENTITY_SELECT = {
  id: true, institution: true, patientId: true, personId: true, name: true, sex: true, birthDate: true, idNumber: true,
  phone: true, address: true, idKey: true, birthKey: true, phoneKey: true, linkMethod: true, linkScore: true,
} as const;

export interface IdentityRow {
  id: number;
  institution: string;
  patientId: string;
  personId: string;
  name: string;
  sex: string;
  birthDate: string;
  idNumber: string | null;
  phone: string | null;
  address: string | null;
  idKey: string | null;
  birthKey: string;
  phoneKey: string | null;
  linkMethod: string;
  linkScore: number | null;
}

export const identityKey = (institution: string, patientId: string) => `${institution}\u0000${patientId}`;

/** Whether a valid ID number's encoded birth date and sex agree with the registration's. */
export function idAgreesWith(idKey: string, birthDate: string, sex: EmpiSex): boolean {
  const encodedBirth = `${idKey.slice(6, 10)}-${idKey.slice(10, 12)}-${idKey.slice(12, 14)}`;
  const encodedSex = (idKey.charCodeAt(16) - 48) % 2 === 1 ? "male" : "female";
  return encodedBirth === birthDate && (sex === "unknown" || encodedSex === sex);
}

export function identityOfRow(row: IdentityRow): MatchIdentity {
  const sex = row.sex as EmpiSex;
  return {
    ...row,
    sex,
    nameKey: normalizePersonName(row.name),
    idConsistent: row.idKey !== null && idAgreesWith(row.idKey, row.birthDate, sex),
    linkMethod: row.linkMethod as LinkMethod,
  };
}

export function identityOfRegistration(
  registration: NormalizedRegistration, rawName: string, personId: string, linkMethod: LinkMethod, linkScore: number | null,
): MatchIdentity {
  return {
    id: null,
    institution: registration.institution,
    patientId: registration.patientId,
    personId,
    linkMethod,
    linkScore,
    ...demographicsOf(registration, rawName),
  };
}

/** The fields a re-sent registration may change. */
export function demographicsOf(registration: NormalizedRegistration, rawName: string) {
  return {
    name: rawName.normalize("NFKC").trim(),
    nameKey: registration.name,
    sex: registration.sex,
    birthDate: registration.birthDate,
    idNumber: registration.idNumber,
    phone: registration.phone,
    address: registration.address,
    idKey: registration.idKey,
    idConsistent: registration.idConsistent,
    birthKey: registration.birthKey,
    phoneKey: registration.phoneKey,
  };
}

export type Demographics = ReturnType<typeof demographicsOf>;

/** The stored fields of a registration that differ from the identity's. */
export function changedFields(identity: MatchIdentity, next: Demographics): (keyof Demographics)[] {
  const stored: (keyof Demographics)[] = ["name", "sex", "birthDate", "idNumber", "phone", "address"];
  return stored.filter((field) => identity[field] !== next[field]);
}
