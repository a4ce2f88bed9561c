// Who and where a resource belongs to: the institution, the record's key in the institution's own
// system, the institution's patient number and the encounter key, read from identifiers first (they
// survive any FHIR server) and from references resolved inside the Bundle second.
import type { DiagnosticReport, Identifier, Reference, Resource } from "./r4.ts";
import { INSTITUTION_CODE_SYSTEM, RESIDENT_ID_CARD_SYSTEM, V2_0203_SYSTEM } from "./systems.ts";

/** What a resource can be read against: the other resources of its Bundle and the channel's options. */
export interface ReadContext {
  /** The institution whose channel delivered the Bundle, for resources that do not name one. */
  readonly institutionCode: string | null;
  /** Bundle.timestamp: the change time of resources without meta.lastUpdated. */
  readonly bundleTimestamp: string | null;
  /** The resource a reference points at, when it is in the same Bundle. */
  resolve(reference: Reference | undefined): Resource | undefined;
  /** The DiagnosticReport of the Bundle whose results include this Observation. */
  reportOf(observation: Resource): DiagnosticReport | undefined;
}

/** Builds the context of one Bundle's resources (entries as [fullUrl, resource]). */
export function createReadContext(
  entries: readonly (readonly [string | undefined, Resource])[], institutionCode: string | null, bundleTimestamp: string | null,
): ReadContext {
  const byReference = new Map<string, Resource>();
  for (const [fullUrl, resource] of entries) {
    if (fullUrl) byReference.set(fullUrl, resource);
    if (resource.id) byReference.set(`${resource.resourceType}/${resource.id}`, resource);
  }
  const resolve = (reference: Reference | undefined): Resource | undefined => {
    const target = reference?.reference;
    if (!target) return undefined;
    const exact = byReference.get(target);
    if (exact) return exact;
    // Absolute or versioned references: the last Type/id pair names the resource.
    const match = /([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(target);
    return match ? byReference.get(`${match[1]}/${match[2]}`) : undefined;
  };
  const reports = new Map<Resource, DiagnosticReport>();
  for (const [, resource] of entries) {
    if (resource.resourceType !== "DiagnosticReport") continue;
    for (const result of resource.result ?? []) {
      const observation = resolve(result);
      if (observation && !reports.has(observation)) reports.set(observation, resource);
    }
  }
  return { institutionCode, bundleTimestamp, resolve, reportOf: (observation) => reports.get(observation) };
}

const hasType = (identifier: Identifier, code: string) =>
  identifier.type?.coding?.some((coding) => coding.code === code && (coding.system === undefined || coding.system === V2_0203_SYSTEM)) ?? false;

/** The resident identity card number (居民身份证号) among identifiers. */
export function isResidentIdCard(identifier: Identifier): boolean {
  return identifier.system === RESIDENT_ID_CARD_SYSTEM || hasType(identifier, "NNCHN") || (identifier.system === undefined && hasType(identifier, "NI"));
}

/** The institution code an organisation reference or identifier assigner carries. */
export function institutionCodeOf(reference: Reference | undefined): string | null {
  const identifier = reference?.identifier;
  return identifier?.system === INSTITUTION_CODE_SYSTEM && identifier.value ? identifier.value : null;
}

/** The identifier that is the record's key in the institution's system. */
export function recordIdentifierOf(resource: Resource): Identifier | undefined {
  const identifiers = ("identifier" in resource && Array.isArray(resource.identifier) ? resource.identifier : []) as Identifier[];
  const candidates = identifiers.filter((identifier) => identifier.value && !isResidentIdCard(identifier));
  const assigned = candidates.filter((identifier) => institutionCodeOf(identifier.assigner) !== null);
  const pool = assigned.length > 0 ? assigned : candidates;
  if (resource.resourceType === "Patient") return pool.find((identifier) => hasType(identifier, "MR")) ?? pool[0];
  return pool.find((identifier) => identifier.use === "official" || identifier.use === "usual") ?? pool[0];
}

/** The organisation reference a resource type names its institution by, besides identifier assigners. */
function organisationOf(resource: Resource): Reference | undefined {
  switch (resource.resourceType) {
    case "Patient":
      return resource.managingOrganization;
    case "Encounter":
      return resource.serviceProvider;
    case "DocumentReference":
      return resource.custodian;
    default:
      return undefined;
  }
}

/** The originating institution: the record key's assigner, the resource's organisation, else the channel's. */
export function institutionOf(resource: Resource, context: ReadContext): string | null {
  return institutionCodeOf(recordIdentifierOf(resource)?.assigner) ?? institutionCodeOf(organisationOf(resource)) ?? context.institutionCode;
}

/** The record's key in the institution's system: its record identifier, else `Type/id` on the institution's server. */
export function sourceKeyOf(resource: Resource): string | null {
  return recordIdentifierOf(resource)?.value ?? (resource.id ? `${resource.resourceType}/${resource.id}` : null);
}

/** The institution's patient number a subject reference carries or resolves to. */
export function patientNumberOf(subject: Reference | undefined, context: ReadContext): string | null {
  const identifier = subject?.identifier;
  if (identifier?.value && !isResidentIdCard(identifier)) return identifier.value;
  const patient = context.resolve(subject);
  return patient?.resourceType === "Patient" ? sourceKeyOf(patient) : null;
}

/** The encounter key an encounter reference carries or resolves to. */
export function encounterKeyOf(encounter: Reference | undefined, context: ReadContext): string | null {
  if (encounter?.identifier?.value) return encounter.identifier.value;
  const resolved = context.resolve(encounter);
  return resolved?.resourceType === "Encounter" ? sourceKeyOf(resolved) : null;
}
