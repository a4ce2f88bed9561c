// The quality report of a collection run (数据质量报告): per record model, how many records were seen
// and accepted, how complete each member was, how many values passed their value domains (and why
// the others did not), duplicates, and how the lab codes mapped. The report is plain JSON with
// sorted keys and rounded shares, so two runs over the same items give byte-identical reports.
import type { SourceItem } from "../adapters/types.ts";
import type { MapResult, ProblemReason } from "./result.ts";
import type { CompiledRules } from "./rules.ts";
import type { Standard } from "./standard.ts";

/** Problems about one value (as opposed to a missing member or an unmapped kind). */
const VALUE_REASONS: ReadonlySet<ProblemReason> = new Set<ProblemReason>([
  "invalid-format", "out-of-domain", "out-of-range", "invalid-checksum", "unknown-code", "code-under-review", "dictionary-unavailable",
]);

export interface MemberCompleteness {
  /** null when the tally was created without the standard and never saw the member missing. */
  readonly required: boolean | null;
  readonly present: number;
  /** present / seen; null when nothing was seen. */
  readonly share: number | null;
}

export interface ModelQuality {
  readonly model: string;
  readonly modelVersions: readonly number[];
  readonly seen: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly completeness: { readonly [member: string]: MemberCompleteness };
  /** Over the values present: how many passed their data element (representation and value domain). */
  readonly validity: { readonly checked: number; readonly valid: number; readonly share: number | null; readonly byReason: { readonly [reason: string]: number } };
  /** For models with dictionary members: how the local codes mapped. */
  readonly codeMapping?: { readonly auto: number; readonly confirmed: number; readonly review: number; readonly unknown: number; readonly coverage: number | null };
}

export interface QualityReport {
  readonly models: { readonly [model: string]: ModelQuality };
  /** Items of kinds the rules do not map. */
  readonly unmappedKinds: { readonly [kind: string]: number };
  /** Duplicates of kinds whose model is not known to the tally. */
  readonly duplicatesByKind: { readonly [kind: string]: number };
  readonly totals: {
    /** Items mapped (add) plus duplicates. */
    readonly received: number;
    readonly seen: number;
    readonly accepted: number;
    readonly quarantined: number;
    readonly duplicates: number;
    readonly acceptedShare: number | null;
    readonly duplicateShare: number | null;
    readonly byReason: { readonly [reason: string]: number };
  };
}

export interface QualityTally {
  add(result: MapResult, item: SourceItem): void;
  duplicate(item: SourceItem): void;
  report(): QualityReport;
}

export interface QualityTallyOptions {
  /** The run's rules: member definitions (required or not) and the model of each kind. */
  readonly rules?: CompiledRules;
  /** Member definitions without rules. */
  readonly standard?: Standard;
}

interface ModelState {
  readonly versions: Set<number>;
  seen: number;
  accepted: number;
  quarantined: number;
  duplicates: number;
  readonly present: Map<string, number>;
  readonly required: Map<string, boolean | null>;
  checked: number;
  invalid: number;
  readonly byReason: Map<string, number>;
  readonly codes: { auto: number; confirmed: number; review: number; unknown: number };
  hasDictionary: boolean;
}

const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);
const share = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** An object with its keys in code-point order (JSON.stringify then writes them in that order). */
function sorted<V>(entries: Iterable<readonly [string, V]>): { [key: string]: V } {
  const out: { [key: string]: V } = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

export function createQualityTally(options: QualityTallyOptions = {}): QualityTally {
  const standard = options.rules?.standard ?? options.standard;
  const modelOfKind = new Map<string, string>();
  for (const [kind, compiled] of options.rules?.kinds ?? []) modelOfKind.set(kind, compiled.model.id);
  const models = new Map<string, ModelState>();
  const unmappedKinds = new Map<string, number>();
  const duplicatesByKind = new Map<string, number>();
  const totalReasons = new Map<string, number>();

  const stateOf = (model: string): ModelState => {
    let state = models.get(model);
    if (state === undefined) {
      const definition = standard?.models.get(model);
      state = {
        versions: new Set(), seen: 0, accepted: 0, quarantined: 0, duplicates: 0,
        present: new Map(), required: new Map(), checked: 0, invalid: 0, byReason: new Map(),
        codes: { auto: 0, confirmed: 0, review: 0, unknown: 0 },
        hasDictionary: false,
      };
      for (const member of definition?.members ?? []) {
        state.present.set(member.name, 0);
        state.required.set(member.name, member.required);
        const domain = standard?.elements.get(member.element)?.domain;
        if (domain != null && standard?.domains.get(domain)?.kind === "dictionary") state.hasDictionary = true;
      }
      models.set(model, state);
    }
    return state;
  };

  const known = (state: ModelState, member: string, required: boolean | null) => {
    if (!state.present.has(member)) state.present.set(member, 0);
    if (state.required.get(member) == null) state.required.set(member, required);
  };

  return {
    add(result, item) {
      if (result.ok) {
        const { record, notes } = result;
        modelOfKind.set(item.kind, record.model);
        const state = stateOf(record.model);
        state.versions.add(record.modelVersion);
        state.seen++;
        state.accepted++;
        for (const member of Object.keys(record.content)) {
          known(state, member, null);
          bump(state.present, member);
          state.checked++;
        }
        for (const note of notes) {
          if (note.kind === "absent-optional") known(state, note.member, false);
          else {
            state.hasDictionary = true;
            state.codes[note.status]++;
          }
        }
        return;
      }
      for (const problem of result.problems) bump(totalReasons, problem.reason);
      if (result.model === undefined) {
        bump(unmappedKinds, item.kind);
        return;
      }
      modelOfKind.set(item.kind, result.model);
      const state = stateOf(result.model);
      if (result.modelVersion !== undefined) state.versions.add(result.modelVersion);
      state.seen++;
      state.quarantined++;
      for (const member of result.present ?? []) {
        known(state, member, null);
        bump(state.present, member);
        state.checked++;
      }
      const invalidMembers = new Set<string>();
      for (const problem of result.problems) {
        bump(state.byReason, problem.reason);
        if (problem.member === undefined) continue;
        if (problem.reason === "missing-required") known(state, problem.member, true);
        else if (VALUE_REASONS.has(problem.reason)) invalidMembers.add(problem.member);
        if (problem.reason === "code-under-review") {
          state.hasDictionary = true;
          state.codes.review++;
        } else if (problem.reason === "unknown-code") {
          state.hasDictionary = true;
          state.codes.unknown++;
        }
      }
      state.invalid += invalidMembers.size;
    },

    duplicate(item) {
      const model = modelOfKind.get(item.kind);
      if (model === undefined) bump(duplicatesByKind, item.kind);
      else stateOf(model).duplicates++;
    },

    report() {
      let seen = 0;
      let accepted = 0;
      let quarantined = 0;
      let duplicates = [...duplicatesByKind.values()].reduce((a, b) => a + b, 0);
      const reportModels: [string, ModelQuality][] = [];
      for (const [model, state] of models) {
        seen += state.seen;
        accepted += state.accepted;
        quarantined += state.quarantined;
        duplicates += state.duplicates;
        const { auto, confirmed, review, unknown } = state.codes;
        reportModels.push([model, sorted(Object.entries({
          model,
          modelVersions: [...state.versions].sort((a, b) => a - b),
          seen: state.seen,
          accepted: state.accepted,
          quarantined: state.quarantined,
          duplicates: state.duplicates,
          completeness: sorted([...state.present].map(([member, present]) => [member, sorted(Object.entries({
            required: state.required.get(member) ?? null,
            present,
            share: share(present, state.seen),
          }))] as const)),
          validity: sorted(Object.entries({
            checked: state.checked,
            valid: state.checked - state.invalid,
            share: share(state.checked - state.invalid, state.checked),
            byReason: sorted(state.byReason),
          })),
          ...(state.hasDictionary
            ? { codeMapping: sorted(Object.entries({ auto, confirmed, review, unknown, coverage: share(auto + confirmed, auto + confirmed + review + unknown) })) }
            : {}),
        })) as unknown as ModelQuality]);
      }
      seen += [...unmappedKinds.values()].reduce((a, b) => a + b, 0);
      quarantined += [...unmappedKinds.values()].reduce((a, b) => a + b, 0);
      const received = seen + duplicates;
      return sorted(Object.entries({
        models: sorted(reportModels),
        unmappedKinds: sorted(unmappedKinds),
        duplicatesByKind: sorted(duplicatesByKind),
        totals: sorted(Object.entries({
          received, seen, accepted, quarantined, duplicates,
          acceptedShare: share(accepted, seen),
          duplicateShare: share(duplicates, received),
          byReason: sorted(totalReasons),
        })),
      })) as unknown as QualityReport;
    },
  };
}
