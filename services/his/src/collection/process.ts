// Takes one page of source items in: map to the standard model, link to the resident, fingerprint,
// and record the outcome of every item — in ONE transaction with the source cursor, so that a run
// that stops anywhere resumes at a page boundary and an item is never processed twice.
//
// Per item, in order:
//   already received (same task, same item key)      skipped: a resumed page or a resent message
//   the adapter could not read it                    quarantined (stage "parse")
//   mapping or validation problems                   quarantined (stage "map" / "validate" / "code")
//   its patient was never registered                 quarantined (stage "link"), re-playable later
//   new record                                       a pending CollectedRecord
//   same content as the record's current version     a duplicate (counted, nothing else)
//   new content, record not yet anchored             the pending content is replaced
//   new content, record anchored                     a RecordChange (变更记录), anchored in the change run
import { fingerprint } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { RejectedItem, SourceItem, SourceValue } from "../adapters/types.ts";
import type { HisDb, HisTx } from "../db.ts";
import type { Prisma } from "../generated/sqlite/client.ts";
import { queueCodeReview } from "./code-reviews.ts";
import { recordIdOf } from "./ids.ts";
import type { EmpiRegistration } from "../empi/registration.ts";
import type { MapItem, MapResult, QualityTally, ResidentLinker, StandardRecord } from "./ports.ts";

/** Why an item is held: a problem of the model (map, validate, code) or of linking it to its resident. */
export interface Problem {
  readonly stage: string;
  readonly reason: string;
  readonly member?: string;
  readonly message: string;
  readonly messageZh: string;
  readonly details?: unknown;
}

export interface PipelineContext {
  readonly now?: () => Date;
  readonly db: HisDb;
  readonly mapItem: MapItem;
  readonly linker: ResidentLinker;
  readonly residentRefOf: (personId: string) => Hex;
}

export interface PageCounts {
  read: number;
  accepted: number;
  duplicates: number;
  changes: number;
  quarantined: number;
  /** Items already received before (a resumed page, a resent message): not processed again. */
  skipped: number;
}

export const emptyCounts = (): PageCounts => ({ read: 0, accepted: 0, duplicates: 0, changes: 0, quarantined: 0, skipped: 0 });

export function addCounts(into: PageCounts, more: PageCounts): void {
  for (const key of Object.keys(into) as (keyof PageCounts)[]) into[key] += more[key];
}

export interface PageInput {
  readonly taskId: string;
  readonly runId: number;
  readonly items: readonly SourceItem[];
  readonly rejected: readonly RejectedItem[];
  /** Replaying quarantined items: their earlier "quarantined" outcome does not make them skipped. */
  readonly replay?: boolean;
  /** Written in the same transaction (the cursor, the run's counters). */
  readonly alsoWrite?: (tx: HisTx, counts: PageCounts) => Promise<void>;
  readonly tally?: QualityTally;
}

/** The outcome of one item, in page order (replays and tests read it). */
export interface ItemOutcome {
  readonly itemKey: string;
  readonly outcome: "new" | "duplicate" | "stale" | "change" | "quarantined" | "skipped";
  readonly recordId?: Hex;
  readonly problems?: readonly Problem[];
}

const CHUNK = 500;

/**
 * Each member's consent field name: "<the model's consent field>:<member>". The gateway reads and
 * proves field by field, one field id per member; the part before ":" is the group the record
 * model puts the member in (identity.name, lab.result.value …), which the apps present together.
 */
export function consentFieldsOf(fields: { readonly [member: string]: string }): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([member, field]) => [member, `${field}:${member}`]));
}

async function inChunks<T>(keys: readonly string[], find: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await find(keys.slice(i, i + CHUNK))));
  return out;
}

const text = (value: SourceValue | undefined): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

/** The registration the EMPI links: the standard record's members (codes and dates normalised by the model). */
function registrationOf(item: SourceItem, record: StandardRecord): EmpiRegistration {
  const f = { ...item.fields, ...record.content };
  return {
    institution: item.institutionCode,
    patientId: item.patientId,
    name: text(f.name) ?? "",
    sex: text(f.sex) ?? "",
    birthDate: text(f.birthDate) ?? "",
    idNumber: text(f.idNumber),
    phone: text(f.phone),
    address: text(f.address),
  };
}

interface Quarantine {
  itemKey: string;
  format: string;
  stage: string;
  reason: string;
  message: string;
  messageZh: string;
  details: unknown;
  raw: string;
  item: SourceItem | null;
}

function quarantineOfProblems(item: SourceItem, problems: readonly Problem[]): Quarantine {
  const first = problems[0]!;
  return {
    itemKey: item.itemKey,
    format: item.format,
    stage: first.stage,
    reason: first.reason,
    message: problems.map((p) => p.message).join(" "),
    messageZh: problems.map((p) => p.messageZh).join(""),
    details: { problems },
    raw: item.raw,
    item,
  };
}

function quarantineOfRejected(r: RejectedItem): Quarantine {
  return { itemKey: r.itemKey, format: r.format, stage: "parse", reason: r.reason, message: r.message, messageZh: r.messageZh, details: r.details ?? null, raw: r.raw, item: null };
}

async function writeQuarantine(tx: HisTx, taskId: string, runId: number, q: Quarantine): Promise<void> {
  const data = {
    runId,
    format: q.format,
    stage: q.stage,
    reason: q.reason,
    message: q.message,
    messageZh: q.messageZh,
    detailsJson: q.details === null ? null : JSON.stringify(q.details),
    raw: q.raw,
    itemJson: q.item === null ? null : JSON.stringify(q.item),
    status: "open",
  };
  await tx.quarantineItem.upsert({
    where: { taskId_itemKey: { taskId, itemKey: q.itemKey } },
    create: { taskId, itemKey: q.itemKey, ...data },
    update: { ...data, attempts: { increment: 1 }, resolvedBy: null, resolvedAt: null },
  });
}

/** How far a source's clock may run ahead (DataIndex.MAX_CLOCK_SKEW): a later time is the source's error. */
export const MAX_SOURCE_CLOCK_SKEW_MS = 15 * 60_000;

const inTheFuture = (item: SourceItem, now: Date): Problem => ({
  stage: "validate",
  reason: "in-the-future",
  member: "changedAt",
  message: `The record's time ${item.changedAt} is later than now (${now.toISOString()}): the source's clock or data is wrong.`,
  messageZh: `记录时间 ${item.changedAt} 晚于当前时间（${now.toISOString()}）：数据源的时钟或数据有误。`,
});

const unknownPatient = (item: SourceItem): Problem => ({
  stage: "link",
  reason: "unknown-patient",
  member: "patientId",
  message: `Patient ${item.patientId} of ${item.institutionCode} has no registration yet; replay this item once it arrives.`,
  messageZh: `${item.institutionCode} 的患者 ${item.patientId} 尚无登记信息；登记到达后可重放本条。`,
});

/** Seconds since the epoch of an ISO 8601 time (the source's changedAt). */
function dateOf(iso: string): Date {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? new Date(0) : date;
}

interface Accepted {
  item: SourceItem;
  record: StandardRecord;
  recordId: Hex;
  contentHash: Hex;
  contentJson: string;
}

interface RecordUpdate {
  contentHash?: string;
  contentJson?: string;
  version?: number;
  modelVersion?: number;
  contentAt?: Date;
  personId?: string;
  patientId?: string;
  residentRef?: string;
  anchorState?: string;
  anchorBatchId?: number | null;
}

/**
 * Writes the new content of stored records: a page of corrections is a few statements (the rows
 * read, deleted and created again in the transaction) rather than one update per record.
 */
async function rewriteRecords(tx: HisTx, updates: ReadonlyMap<string, RecordUpdate>): Promise<void> {
  if (updates.size === 0) return;
  const ids = [...updates.keys()];
  const rows = await inChunks(ids, (chunk) => tx.collectedRecord.findMany({ where: { recordId: { in: chunk } } }));
  for (let i = 0; i < ids.length; i += CHUNK) await tx.collectedRecord.deleteMany({ where: { recordId: { in: ids.slice(i, i + CHUNK) } } });
  await tx.collectedRecord.createMany({ data: rows.map((row) => ({ ...row, ...updates.get(row.recordId), updatedAt: new Date() })) });
}

/** Processes one page; returns its counts and each item's outcome. */
export async function processPage(ctx: PipelineContext, page: PageInput): Promise<{ counts: PageCounts; outcomes: ItemOutcome[] }> {
  // Mapping and fingerprints need no database: done before the transaction takes the write turn.
  const mapped: { item: SourceItem; result: MapResult; hash?: Hex; json?: string }[] = page.items.map((item) => {
    const result = ctx.mapItem(item);
    if (!result.ok) return { item, result };
    return { item, result, hash: fingerprint(result.record.content as never), json: JSON.stringify(result.record.content) };
  });

  return ctx.db.$transaction(async (tx) => {
    const counts = emptyCounts();
    const outcomes: ItemOutcome[] = [];
    const keys = [...page.items.map((i) => i.itemKey), ...page.rejected.map((r) => r.itemKey)];
    const known = await inChunks(keys, (chunk) => tx.receivedItem.findMany({ where: { taskId: page.taskId, itemKey: { in: chunk } }, select: { itemKey: true, outcome: true } }));
    const before = new Map(known.map((k) => [k.itemKey, k.outcome]));
    const seen = new Map(before);
    const isSkipped = (key: string) => seen.has(key) && !(page.replay === true && seen.get(key) === "quarantined");
    const received: { itemKey: string; outcome: string; recordId: string | null }[] = [];
    const receive = (itemKey: string, outcome: ItemOutcome["outcome"], recordId: Hex | null, problems?: readonly Problem[]) => {
      if (outcome !== "skipped") {
        received.push({ itemKey, outcome, recordId });
        seen.set(itemKey, outcome);
      }
      outcomes.push({ itemKey, outcome, ...(recordId ? { recordId } : {}), ...(problems ? { problems } : {}) });
    };

    for (const rejected of page.rejected) {
      if (isSkipped(rejected.itemKey)) {
        counts.skipped++;
        receive(rejected.itemKey, "skipped", null);
        continue;
      }
      counts.read++;
      counts.quarantined++;
      await writeQuarantine(tx, page.taskId, page.runId, quarantineOfRejected(rejected));
      receive(rejected.itemKey, "quarantined", null);
    }

    // Which items are taken in this page (first occurrence of an item key only).
    const fresh: typeof mapped = [];
    const inPage = new Set<string>();
    for (const m of mapped) {
      if (isSkipped(m.item.itemKey) || inPage.has(m.item.itemKey)) {
        counts.skipped++;
        outcomes.push({ itemKey: m.item.itemKey, outcome: "skipped" });
        continue;
      }
      inPage.add(m.item.itemKey);
      fresh.push(m);
    }

    // Link patients first (in page order), then find the person of every other record.
    const patients = fresh.filter((m) => m.result.ok && m.item.kind === "patient");
    const linked = patients.length > 0 ? await ctx.linker.linkMany(tx, patients.map((m) => registrationOf(m.item, (m.result as { record: StandardRecord }).record)), `collector:${page.taskId}`) : [];
    const personOfItem = new Map<SourceItem, string | null>();
    patients.forEach((m, i) => personOfItem.set(m.item, linked[i] ?? null));
    const others = fresh.filter((m) => m.result.ok && m.item.kind !== "patient");
    const persons = others.length > 0 ? await ctx.linker.personsOf(tx, others.map((m) => ({ institution: m.item.institutionCode, patientId: m.item.patientId }))) : [];
    others.forEach((m, i) => personOfItem.set(m.item, persons[i] ?? null));

    const accepted: Accepted[] = [];
    for (const m of fresh) {
      counts.read++;
      page.tally?.add(m.result, m.item);
      if (!m.result.ok) {
        counts.quarantined++;
        await writeQuarantine(tx, page.taskId, page.runId, quarantineOfProblems(m.item, m.result.problems));
        for (const problem of m.result.problems) {
          if (problem.stage === "code" && typeof problem.details === "object" && problem.details !== null) await queueCodeReview(tx, m.item.institutionCode, problem.details);
        }
        receive(m.item.itemKey, "quarantined", null, m.result.problems);
        continue;
      }
      const now = ctx.now?.() ?? new Date();
      if (Date.parse(m.item.changedAt) > now.getTime() + MAX_SOURCE_CLOCK_SKEW_MS) {
        counts.quarantined++;
        const problems = [inTheFuture(m.item, now)];
        await writeQuarantine(tx, page.taskId, page.runId, quarantineOfProblems(m.item, problems));
        receive(m.item.itemKey, "quarantined", null, problems);
        continue;
      }
      const personId = personOfItem.get(m.item) ?? null;
      if (personId === null) {
        counts.quarantined++;
        const problems = [unknownPatient(m.item)];
        await writeQuarantine(tx, page.taskId, page.runId, quarantineOfProblems(m.item, problems));
        receive(m.item.itemKey, "quarantined", null, problems);
        continue;
      }
      const record = m.result.record;
      accepted.push({ item: m.item, record, recordId: recordIdOf(m.item.institutionCode, record.model, m.item.sourceKey), contentHash: m.hash!, contentJson: m.json! });
      personOfItem.set(m.item, personId);
    }

    // New record, duplicate or change, against the stored records and the page itself.
    const ids = [...new Set(accepted.map((a) => a.recordId))];
    const stored = await inChunks(ids, (chunk) =>
      tx.collectedRecord.findMany({
        where: { recordId: { in: chunk } },
        select: { recordId: true, contentHash: true, anchorState: true, version: true, personId: true, patientId: true, contentAt: true, anchorBatchId: true },
      }),
    );
    const current = new Map(stored.map((s) => [s.recordId, { ...s, created: false }]));
    const creates = new Map<string, Parameters<HisTx["collectedRecord"]["create"]>[0]["data"]>();
    const updates = new Map<string, RecordUpdate>();
    const changeRows: Prisma.RecordChangeCreateManyInput[] = [];
    for (const a of accepted) {
      const personId = personOfItem.get(a.item)!;
      const changedAt = dateOf(a.item.changedAt);
      const now = current.get(a.recordId);
      if (now === undefined) {
        creates.set(a.recordId, {
          recordId: a.recordId,
          institution: a.item.institutionCode,
          model: a.record.model,
          modelVersion: a.record.modelVersion,
          sourceKey: a.item.sourceKey,
          patientId: a.item.patientId,
          personId,
          residentRef: ctx.residentRefOf(personId),
          category: a.record.category,
          contentHash: a.contentHash,
          contentJson: a.contentJson,
          fieldsJson: JSON.stringify(consentFieldsOf(a.record.fields)),
          sourceTime: changedAt,
          contentAt: changedAt,
        });
        current.set(a.recordId, { recordId: a.recordId, contentHash: a.contentHash, anchorState: "pending", version: 1, personId, patientId: a.item.patientId, contentAt: changedAt, anchorBatchId: null, created: true });
        counts.accepted++;
        receive(a.item.itemKey, "new", a.recordId);
        continue;
      }
      const samePerson = now.personId === personId;
      if (now.contentHash === a.contentHash && samePerson) {
        counts.duplicates++;
        page.tally?.duplicate(a.item);
        receive(a.item.itemKey, "duplicate", a.recordId);
        continue;
      }
      if (changedAt.getTime() < now.contentAt.getTime()) {
        // An older transmission arriving after a newer one (a replay, pushes out of order) never undoes it.
        counts.duplicates++;
        receive(a.item.itemKey, "stale", a.recordId);
        continue;
      }
      counts.changes++;
      receive(a.item.itemKey, "change", a.recordId);
      const moved = samePerson ? {} : { personId, patientId: a.item.patientId, residentRef: ctx.residentRefOf(personId) };
      if (now.anchorState !== "anchored") {
        // The chain never saw the earlier content (a record in flight is settled against what was
        // sent, anchor.ts): the record simply takes the new content, and its new patient if it moved.
        const content = { contentHash: a.contentHash, contentJson: a.contentJson, modelVersion: a.record.modelVersion, contentAt: changedAt, ...moved };
        const pending = creates.get(a.recordId);
        if (pending) Object.assign(pending, content);
        else updates.set(a.recordId, { ...updates.get(a.recordId), ...content, ...(now.anchorState === "rejected" ? { anchorState: "pending", anchorBatchId: null } : {}) });
        Object.assign(now, { contentHash: a.contentHash, contentAt: changedAt, ...(samePerson ? {} : { personId, patientId: a.item.patientId }), ...(now.anchorState === "rejected" ? { anchorState: "pending" } : {}) });
        continue;
      }
      let version = now.version;
      if (now.contentHash !== a.contentHash) {
        version++;
        changeRows.push({
          recordId: a.recordId,
          version,
          previousContentHash: now.contentHash,
          newContentHash: a.contentHash,
          reason: a.item.status === "corrected" ? "correction" : "amendment",
          contentJson: a.contentJson,
          changedAt,
        });
      }
      if (!samePerson) {
        // The source moved the record to another patient (a misfiled result corrected): the chain's
        // residentRef must follow, or the first resident would keep reading it.
        version++;
        changeRows.push({
          recordId: a.recordId,
          version,
          previousContentHash: a.contentHash,
          newContentHash: a.contentHash,
          reason: "identity-merge",
          newResidentRef: ctx.residentRefOf(personId),
          contentJson: a.contentJson,
          changedAt,
        });
      }
      updates.set(a.recordId, { contentHash: a.contentHash, contentJson: a.contentJson, version, modelVersion: a.record.modelVersion, contentAt: changedAt, ...moved });
      Object.assign(now, { contentHash: a.contentHash, version, contentAt: changedAt, ...(samePerson ? {} : { personId, patientId: a.item.patientId }) });
    }
    if (creates.size > 0) await tx.collectedRecord.createMany({ data: [...creates.values()] });
    if (changeRows.length > 0) await tx.recordChange.createMany({ data: changeRows });
    await rewriteRecords(tx, updates);

    // Received items: new keys inserted, replayed keys updated.
    const fresher = received.filter((r) => !before.has(r.itemKey));
    if (fresher.length > 0) await tx.receivedItem.createMany({ data: fresher.map((r) => ({ taskId: page.taskId, runId: page.runId, ...r })) });
    for (const r of received) {
      if (!before.has(r.itemKey)) continue;
      await tx.receivedItem.update({ where: { taskId_itemKey: { taskId: page.taskId, itemKey: r.itemKey } }, data: { runId: page.runId, outcome: r.outcome, recordId: r.recordId } });
    }
    // A replayed item that is now taken in leaves the quarantine.
    const released = received.filter((r) => r.outcome !== "quarantined" && before.get(r.itemKey) === "quarantined").map((r) => r.itemKey);
    if (released.length > 0) {
      await tx.quarantineItem.updateMany({
        where: { taskId: page.taskId, itemKey: { in: released } },
        data: { status: "replayed", replayRunId: page.runId, resolvedAt: new Date() },
      });
    }
    await page.alsoWrite?.(tx, counts);
    return { counts, outcomes };
  }, { timeout: 60_000, maxWait: 60_000 });
}
