// Maps one source item to the standard model: the item's kind picks the compiled rules of a record
// model; each member is read, transformed and checked against its data element (representation and
// value domain). Every problem of the item is reported, not only the first, so that one visit to
// the quarantine fixes the item.
import { platformError } from "@health-chain/sdk";
import type { SourceItem, SourceValue } from "../adapters/types.ts";
import type { CodeMapper } from "../mapping/index.ts";
import type { MapNote, MapResult, Problem } from "./result.ts";
import { type CompiledKind, type CompiledMember, type CompiledRules, compileRules } from "./rules.ts";
import type { MappingRules } from "./schema.ts";
import type { Standard, ValueFailure } from "./standard.ts";
import { ABSENT, isFailure, type TransformFailure } from "./transforms.ts";

export interface MapContext {
  readonly standard: Standard;
  /** Compiled rules (compileRules), or rules as JSON, compiled on first use and cached. */
  readonly rules: CompiledRules | MappingRules;
  /** Needed for dictionary members (lab codes → LOINC). */
  readonly codeMapper?: CodeMapper;
}

const compiledOf = new WeakMap<object, CompiledRules>();

function isCompiled(rules: CompiledRules | MappingRules): rules is CompiledRules {
  return (rules as CompiledRules).kinds instanceof Map;
}

/** The compiled form of the context's rules, checked to belong to the context's standard. */
export function compiledRules(context: MapContext): CompiledRules {
  let compiled: CompiledRules | undefined = isCompiled(context.rules) ? context.rules : compiledOf.get(context.rules);
  if (compiled === undefined) {
    compiled = compileRules(context.standard, context.rules);
    compiledOf.set(context.rules, compiled);
  }
  if (compiled.standard !== context.standard) {
    throw platformError("INVALID_INPUT", {
      message: `The mapping rules of "${compiled.source}" were compiled against another standard; compile them against the one in use.`,
      messageZh: `数据源“${compiled.source}”的映射规则是针对另一版数据标准编译的，请针对当前标准重新编译。`,
      details: { source: compiled.source },
    });
  }
  return compiled;
}

const describe = (member: CompiledMember) => ({
  en: `member "${member.name}" (${member.element.id} ${member.element.nameEn})`,
  zh: `成员“${member.name}”（${member.element.id} ${member.element.nameZh}）`,
});

function transformProblem(member: CompiledMember, failure: TransformFailure): Problem {
  const { en, zh } = describe(member);
  return {
    stage: failure.stage,
    reason: failure.reason,
    member: member.name,
    element: member.element.id,
    ...(failure.value === undefined ? {} : { value: failure.value }),
    message: `${en}: ${failure.en}.`,
    messageZh: `${zh}：${failure.zh}。`,
    ...(failure.details === undefined ? {} : { details: failure.details }),
  };
}

/** Maps a source item to a standard record, or gives every problem that keeps it out. */
export function mapToStandard(item: SourceItem, context: MapContext): MapResult {
  const compiled = compiledRules(context);
  const kind = compiled.kinds.get(item.kind);
  if (kind === undefined) {
    return {
      ok: false,
      problems: [{
        stage: "map",
        reason: "unmapped-kind",
        value: item.kind,
        message: `The mapping rules of source "${compiled.source}" do not map records of kind ${item.kind}.`,
        messageZh: `数据源“${compiled.source}”的映射规则未定义 ${item.kind} 类记录的映射。`,
      }],
    };
  }
  return mapKind(item, kind, context.codeMapper);
}

function mapKind(item: SourceItem, kind: CompiledKind, codeMapper: CodeMapper | undefined): MapResult {
  const notes: MapNote[] = [];
  const env = { codeMapper, notes };
  const content: Record<string, SourceValue> = {};
  const fields: Record<string, string> = {};
  let problems: Problem[] | null = null;
  const present: string[] = [];

  for (const member of kind.members) {
    const outcome = member.transform === null ? ABSENT : member.transform(item, env);
    if (outcome === ABSENT) {
      if (member.required) {
        const { en, zh } = describe(member);
        (problems ??= []).push({
          stage: "validate", reason: "missing-required", member: member.name, element: member.element.id,
          message: `${en} is required and the source left it empty.`,
          messageZh: `${zh}为必填项，数据源未提供。`,
        });
      } else notes.push({ kind: "absent-optional", member: member.name });
      continue;
    }
    // The source gave a value, valid or not: it counts for completeness.
    present.push(member.name);
    if (isFailure(outcome)) {
      (problems ??= []).push(transformProblem(member, outcome));
      continue;
    }
    let failure: ValueFailure | null = null;
    let bad = outcome;
    if (member.many) {
      for (const value of outcome as readonly SourceValue[]) {
        failure = member.check(value);
        if (failure !== null) {
          bad = value;
          break;
        }
      }
    } else failure = member.check(outcome);
    if (failure !== null) {
      const { en, zh } = describe(member);
      (problems ??= []).push({
        stage: "validate", reason: failure.reason, member: member.name, element: member.element.id, value: bad,
        message: `${en}: ${failure.en}.`,
        messageZh: `${zh}：${failure.zh}。`,
      });
      continue;
    }
    content[member.name] = outcome;
    fields[member.name] = member.field;
  }

  const model = kind.model;
  if (problems !== null) return { ok: false, problems, model: model.id, modelVersion: model.version, present };
  return { ok: true, record: { model: model.id, modelVersion: model.version, category: model.category, content, fields }, notes };
}
