// Residents' research consent, asked on chain (through the port) at export time, field by field. A
// member whose field is not allowed is removed BEFORE de-identification: a withheld value never reaches
// any transformation. Everything removed is counted, so nothing is trimmed silently.
import { platformError } from "@health-chain/sdk";
import type { Address, Hex } from "viem";
import { invalidExportInput, isAddressText, isBytes32, isPlainObject } from "./invalid.ts";
import type { ExportSettings } from "./options.ts";
import type { ConsentCheckAnswer, ConsentCheckItem, ConsentPort, ExportAccess, ExportConsentReport, ExportSourceRecord } from "./types.ts";

/** Records per call to the consent port (the gateway's checkAccessFields batch limit). */
export const CONSENT_BATCH_SIZE = 200;

const NO_GRANT = `0x${"0".repeat(64)}`;

/** A record reduced to its allowed members. */
export interface ConsentedRecord {
  /** Lower case. */
  readonly residentRef: string;
  readonly model: string;
  readonly institution: string;
  readonly sourceKey: string;
  readonly content: Readonly<Record<string, unknown>>;
}

export interface ConsentedResident {
  readonly residentRef: Hex;
  readonly resident: Address;
  /** Lower-case grant ids that allowed a field of an included record. */
  readonly grantIds: Set<string>;
}

export interface ConsentOutcome {
  readonly records: readonly ConsentedRecord[];
  /** Per included record, the fields read and the grants that allowed them (the access evidence). */
  readonly accessed: readonly ExportAccess[];
  /** Residents with at least one included record, by lower-case residentRef. */
  readonly residents: ReadonlyMap<string, ConsentedResident>;
  readonly report: ExportConsentReport;
}

function checkSourceRecord(record: unknown, index: number, cohort: ReadonlySet<string>): asserts record is ExportSourceRecord {
  const refuse = (reason: string, en: string, zh: string) =>
    invalidExportInput({ what: "records", index, reason }, `Record ${index} ${en}.`, `第 ${index} 条记录${zh}。`);
  if (!isPlainObject(record)) throw refuse("shape", "is not an object", "不是对象");
  const r = record as Partial<Record<keyof ExportSourceRecord, unknown>>;
  if (typeof r.institution !== "string" || r.institution === "") throw refuse("institution", "has no institution code", "缺少机构编码");
  if (!isBytes32(r.recordId)) throw refuse("recordId", "has no bytes32 record id", "缺少 bytes32 记录标识");
  if (!isBytes32(r.residentRef)) throw refuse("residentRef", "has no bytes32 residentRef", "缺少 bytes32 居民引用");
  if (!isAddressText(r.resident)) throw refuse("resident", "has no resident wallet address", "缺少居民钱包地址");
  if (!isBytes32(r.category)) throw refuse("category", "has no bytes32 category id", "缺少 bytes32 类别标识");
  if (typeof r.model !== "string" || r.model === "") throw refuse("model", "has no standard model", "缺少标准模型");
  if (typeof r.sourceKey !== "string" || r.sourceKey === "") throw refuse("sourceKey", "has no source key", "缺少来源键");
  if (!isPlainObject(r.content)) throw refuse("content", "has no content object", "缺少内容对象");
  if (!isPlainObject(r.fields) || !Object.values(r.fields).every(isBytes32)) {
    throw refuse("fields", "must map members to bytes32 consent field ids", "的字段映射必须是成员到 bytes32 授权字段标识");
  }
  if (!cohort.has(r.residentRef.toLowerCase())) {
    throw refuse("not-in-cohort", "belongs to a resident outside the cohort (pass only the screened cohort's records)", "属于队列之外的居民（只应传入筛选队列的记录）");
  }
}

function badAnswer(reason: string, batch: number): Error {
  return platformError("INTERNAL", {
    details: { what: "consent answer", batch, reason },
    message: `The consent port answered batch ${batch} malformed (${reason}): one answer per record, one allowed flag and one grant id per field asked.`,
    messageZh: `授权查询端口对第 ${batch} 批的回答格式不符（${reason}）：每条记录一个回答，每个所询字段一个许可标志和一个授权标识。`,
  });
}

function checkAnswers(answers: unknown, items: readonly ConsentCheckItem[], batch: number): asserts answers is readonly ConsentCheckAnswer[] {
  if (!Array.isArray(answers) || answers.length !== items.length) throw badAnswer("answer count", batch);
  answers.forEach((answer: Partial<ConsentCheckAnswer> | null, i) => {
    const size = items[i]!.fields.length;
    const { allowed, grantIds } = answer ?? {};
    if (!Array.isArray(allowed) || allowed.length !== size || !allowed.every((flag) => typeof flag === "boolean")) throw badAnswer("allowed", batch);
    if (!Array.isArray(grantIds) || grantIds.length !== size || !grantIds.every(isBytes32)) throw badAnswer("grantIds", batch);
  });
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The lower-case consent field of a member; own properties only ("toString" is no field). */
function fieldOf(record: ExportSourceRecord, member: string): string | undefined {
  return Object.hasOwn(record.fields, member) ? record.fields[member]!.toLowerCase() : undefined;
}

/** The running state of one export's consent pass. */
class ConsentPass {
  readonly records: ConsentedRecord[] = [];
  readonly accessed: ExportAccess[] = [];
  readonly residents = new Map<string, ConsentedResident>();
  /** Wallet of every resident seen, to refuse a residentRef given with two wallets. */
  readonly wallets = new Map<string, string>();
  readonly recordIds = new Set<string>();
  readonly fieldsWithheld: Record<string, number> = {};
  readonly membersWithoutField: Record<string, number> = {};
  considered = 0;
  leftOut = 0;
  batches = 0;

  admit(record: ExportSourceRecord, index: number): void {
    const id = record.recordId.toLowerCase();
    const ref = record.residentRef.toLowerCase();
    if (this.recordIds.has(id)) {
      throw invalidExportInput({ what: "records", index, reason: "duplicate-record" }, `Record ${index} repeats a record id.`, `第 ${index} 条记录的记录标识重复。`);
    }
    const wallet = this.wallets.get(ref);
    if (wallet !== undefined && wallet !== record.resident.toLowerCase()) {
      throw invalidExportInput(
        { what: "records", index, reason: "resident-mismatch" },
        `Record ${index} gives its resident another wallet than an earlier record of the same residentRef.`,
        `第 ${index} 条记录的居民钱包与同一居民引用的先前记录不一致。`,
      );
    }
    this.recordIds.add(id);
    this.wallets.set(ref, record.resident.toLowerCase());
    this.considered++;
  }

  /** The distinct fields a record's members need, in member order. */
  question(record: ExportSourceRecord): ConsentCheckItem {
    const fields = new Set<Hex>();
    for (const member of Object.keys(record.content)) {
      const field = fieldOf(record, member);
      if (field !== undefined && record.content[member] !== undefined) fields.add(field as Hex);
    }
    return { resident: record.resident, recordId: record.recordId, category: record.category, fields: [...fields] };
  }

  apply(record: ExportSourceRecord, item: ConsentCheckItem, answer: ConsentCheckAnswer): void {
    const grantOf = new Map<string, string | null>(item.fields.map((field, i) => [field, answer.allowed[i] ? answer.grantIds[i]!.toLowerCase() : null]));
    const kept: [string, unknown][] = [];
    const grants = new Set<string>();
    for (const [member, value] of Object.entries(record.content)) {
      if (value === undefined) continue;
      const field = fieldOf(record, member);
      if (field === undefined) {
        increment(this.membersWithoutField, `${record.model}.${member}`);
        continue;
      }
      const grant = grantOf.get(field) ?? null;
      if (grant === null) {
        increment(this.fieldsWithheld, `${record.model}.${member}`);
        continue;
      }
      kept.push([member, value]);
      if (grant !== NO_GRANT) grants.add(grant);
    }
    if (kept.length === 0) {
      this.leftOut++;
      return;
    }
    const ref = record.residentRef.toLowerCase();
    let resident = this.residents.get(ref);
    if (resident === undefined) {
      resident = { residentRef: ref as Hex, resident: record.resident, grantIds: new Set() };
      this.residents.set(ref, resident);
    }
    for (const grant of grants) resident.grantIds.add(grant);
    this.accessed.push({
      recordId: record.recordId.toLowerCase() as Hex,
      residentRef: ref as Hex,
      resident: record.resident,
      fields: [...new Set(kept.map(([member]) => fieldOf(record, member)!))].sort() as Hex[],
      grantIds: [...grants].sort() as Hex[],
    });
    // Object.fromEntries makes own data properties, so a member named "__proto__" stays a member.
    this.records.push({ residentRef: ref, model: record.model, institution: record.institution, sourceKey: record.sourceKey, content: Object.fromEntries(kept) });
  }
}

async function askBatch(pass: ConsentPass, batch: readonly ExportSourceRecord[], port: ConsentPort, settings: ExportSettings): Promise<void> {
  const items = batch.map((record) => pass.question(record));
  pass.batches++;
  const answers = await port.check(settings.project.id, items, new Date(settings.at.getTime()));
  checkAnswers(answers, items, pass.batches);
  batch.forEach((record, i) => pass.apply(record, items[i]!, answers[i]!));
}

/**
 * Reads the records (array or stream), checks each, and asks the port about them in batches of at
 * most {@link CONSENT_BATCH_SIZE}; returns the records reduced to their allowed members.
 */
export async function checkResearchConsent(
  source: Iterable<ExportSourceRecord> | AsyncIterable<ExportSourceRecord>,
  port: ConsentPort,
  settings: ExportSettings,
): Promise<ConsentOutcome> {
  const pass = new ConsentPass();
  let batch: ExportSourceRecord[] = [];
  let index = 0;
  for await (const record of source) {
    checkSourceRecord(record, index, settings.cohort);
    pass.admit(record, index++);
    batch.push(record);
    if (batch.length === CONSENT_BATCH_SIZE) {
      await askBatch(pass, batch, port, settings);
      batch = [];
    }
  }
  if (batch.length > 0) await askBatch(pass, batch, port, settings);
  const withRecords = pass.wallets.size;
  return {
    records: pass.records,
    accessed: pass.accessed,
    residents: pass.residents,
    report: {
      batches: pass.batches,
      residentsInCohort: settings.cohort.size,
      residentsWithoutRecords: settings.cohort.size - withRecords,
      residentsExcluded: withRecords - pass.residents.size,
      residentsIncluded: pass.residents.size,
      recordsConsidered: pass.considered,
      recordsIncluded: pass.records.length,
      recordsLeftOut: pass.leftOut,
      fieldsWithheld: pass.fieldsWithheld,
      membersWithoutField: pass.membersWithoutField,
    },
  };
}
