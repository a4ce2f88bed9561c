// Record models and mapping rules as versioned configuration (config/versions.ts): a record model is
// published as a self-contained bundle (the model with the data elements and value domains it uses),
// so that a published version keeps its meaning whatever happens to the files later; its version in
// the store equals the model's `version`, which is the records' schemaVersion on chain.
import { canonicalize, fingerprint, platformError } from "@health-chain/sdk";
import type { HisDb } from "../db.ts";
import { activateConfig, activeConfig, configHistory, type ConfigVersionOf, publishConfig } from "../config/versions.ts";
import { type CompiledRules, compileRules } from "./rules.ts";
import type { DataElement, MappingRules, RecordModel, ValueDomain } from "./schema.ts";
import { type Standard, validateStandard } from "./standard.ts";

/** A record model with every data element and value domain it references. */
export interface ModelBundle {
  readonly model: RecordModel;
  readonly elements: readonly DataElement[];
  readonly domains: readonly ValueDomain[];
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The bundle of one model of a standard (elements and domains sorted by id). */
export function modelBundle(standard: Standard, modelId: string): ModelBundle {
  const model = standard.models.get(modelId);
  if (model === undefined) {
    throw platformError("NOT_FOUND", {
      message: `The standard has no record model "${modelId}"; it has ${[...standard.models.keys()].join(", ")}.`,
      messageZh: `数据标准中没有记录模型“${modelId}”。`,
      details: { modelId },
    });
  }
  const elements = [...new Set(model.members.map((m) => m.element))].map((id) => standard.elements.get(id)!);
  const domainIds = new Set(elements.flatMap((e) => (e.domain === null ? [] : [e.domain])));
  const domains = [...domainIds].map((id) => standard.domains.get(id)!);
  return { model, elements: elements.sort(byId), domains: domains.sort(byId) };
}

/** Checks a bundle (as stored) and gives it back; throws INVALID_INPUT naming the bad entries. */
export function validateModelBundle(value: unknown): ModelBundle {
  const bundle = value as Partial<ModelBundle> | null;
  const standard = validateStandard({ elements: bundle?.elements, domains: bundle?.domains, models: [bundle?.model] });
  const model = standard.config.models[0]!;
  return { model, elements: standard.config.elements, domains: standard.config.domains };
}

/** One standard from several bundles; an element or domain id defined differently in two bundles is a conflict. */
export function standardOfBundles(bundles: readonly ModelBundle[]): Standard {
  const elements = new Map<string, { entry: DataElement; model: string; text: string }>();
  const domains = new Map<string, { entry: ValueDomain; model: string; text: string }>();
  const merge = <T extends { id: string }>(into: Map<string, { entry: T; model: string; text: string }>, entry: T, model: string) => {
    const text = canonicalize(entry);
    const earlier = into.get(entry.id);
    if (earlier === undefined) into.set(entry.id, { entry, model, text });
    else if (earlier.text !== text) {
      throw platformError("CONFLICT", {
        message: `${entry.id} is defined differently by record models ${earlier.model} and ${model}; a changed definition needs a new identifier (the version suffix of a DE identifier).`,
        messageZh: `记录模型 ${earlier.model} 与 ${model} 对 ${entry.id} 的定义不同；定义变更须使用新的标识符（数据元标识符的版本号）。`,
        details: { id: entry.id, models: [earlier.model, model] },
      });
    }
  };
  for (const bundle of bundles) {
    for (const element of bundle.elements) merge(elements, element, bundle.model.id);
    for (const domain of bundle.domains) merge(domains, domain, bundle.model.id);
  }
  return validateStandard({
    elements: [...elements.values()].map((e) => e.entry),
    domains: [...domains.values()].map((d) => d.entry),
    models: bundles.map((b) => b.model),
  });
}

export interface PublishInput {
  readonly actor: string;
  readonly note?: string;
  /** Default true. */
  readonly activate?: boolean;
}

/**
 * Publishes a model of the standard as the next version of ("record-model", model id). The model's
 * `version` must be that next version (1 for the first), so that the store's version and the
 * records' schemaVersion never disagree; publishing what is already active changes nothing.
 */
export async function publishModel(db: HisDb, standard: Standard, modelId: string, input: PublishInput): Promise<ConfigVersionOf<ModelBundle>> {
  const bundle = modelBundle(standard, modelId);
  const history = await configHistory<ModelBundle>(db, "record-model", modelId);
  const hash = fingerprint(bundle);
  const active = history.find((v) => v.active);
  if (active?.hash !== hash) {
    const same = history.find((v) => v.version === bundle.model.version);
    const next = (history[0]?.version ?? 0) + 1;
    if (same !== undefined) {
      throw platformError("CONFLICT", {
        message: same.hash === hash
          ? `Version ${same.version} of record model ${modelId} is already published with this content; activate it instead.`
          : `Version ${same.version} of record model ${modelId} is already published with other content; a changed model needs version ${next}.`,
        messageZh: same.hash === hash
          ? `记录模型 ${modelId} 第 ${same.version} 版已以相同内容发布，请改为启用该版本。`
          : `记录模型 ${modelId} 第 ${same.version} 版已以不同内容发布；模型变更须使用第 ${next} 版。`,
        details: { modelId, version: same.version, next },
      });
    }
    if (bundle.model.version !== next) {
      throw platformError("CONFLICT", {
        message: `Record model ${modelId} says version ${bundle.model.version}; the next version to publish is ${next}.`,
        messageZh: `记录模型 ${modelId} 的版本号为 ${bundle.model.version}，下一个可发布的版本为第 ${next} 版。`,
        details: { modelId, version: bundle.model.version, next },
      });
    }
  }
  return publishConfig(db, {
    kind: "record-model", name: modelId, value: bundle, actor: input.actor, validate: (value) => void validateModelBundle(value),
    ...(input.note === undefined ? {} : { note: input.note }),
    ...(input.activate === undefined ? {} : { activate: input.activate }),
  });
}

/** Makes a published version of a model the active one again (a rollback is a re-activation). */
export async function activateModelVersion(db: HisDb, modelId: string, version: number): Promise<ConfigVersionOf<ModelBundle>> {
  const activated = await activateConfig(db, "record-model", modelId, version);
  return { ...activated, value: validateModelBundle(activated.value) };
}

/** The standard made of the active version of every published record model (null when none is published). */
export async function loadPublishedStandard(db: HisDb): Promise<Standard | null> {
  const rows = await db.configVersion.findMany({ where: { kind: "record-model", active: true }, select: { name: true }, orderBy: { name: "asc" } });
  const bundles: ModelBundle[] = [];
  for (const { name } of rows) {
    const version = await activeConfig<unknown>(db, "record-model", name);
    if (version !== null) bundles.push(validateModelBundle(version.value));
  }
  return bundles.length === 0 ? null : standardOfBundles(bundles);
}

/** Publishes a source's mapping rules (name: the source), after compiling them against the standard. */
export async function publishMappingRules(db: HisDb, standard: Standard, rules: MappingRules, input: PublishInput): Promise<ConfigVersionOf<MappingRules>> {
  return publishConfig(db, {
    kind: "mapping-rules", name: rules.source, value: rules, actor: input.actor, validate: (value) => void compileRules(standard, value),
    ...(input.note === undefined ? {} : { note: input.note }),
    ...(input.activate === undefined ? {} : { activate: input.activate }),
  });
}

/** The active rules of a source compiled against the standard, with the version used (null when none is published). */
export async function activeMappingRules(db: HisDb, standard: Standard, source: string): Promise<{ rules: CompiledRules; version: number; hash: string } | null> {
  const version = await activeConfig<unknown>(db, "mapping-rules", source);
  return version === null ? null : { rules: compileRules(standard, version.value), version: version.version, hash: version.hash };
}
