// /v1/provenance (溯源): the full life of a record — origin, anchoring, changes, the grants and
// access requests that cover it, every read (granted or refused) — each step with its transaction
// and proof, ordered in time; and an access-log line with its proof, for auditors.
//
// Chain-derived steps come from the mirror (never from scanning the chain); anchorings of batches,
// changes made through the gateway (RecordVersion rows: a changes batch's proof, or the
// recordChange transaction) and access-log lines come from the gateway's own rows, with the proofs
// that only they hold.
// Each proof is checked against the chain when the trace is built (`verified`).
import { createRoute, z } from "@hono/zod-openapi";
import { CONSENT_SCOPE_ALL, platformError, verifyEntryInBatch, verifyMerkleProof } from "@health-chain/sdk";
import { getAddress, type Address, type Hex } from "viem";
import type { GatewayDeps, Principal } from "../context.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { canSee, requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";
import { plain } from "./consent.ts";
import { Lru } from "../lru.ts";
import { accessLinesOfRecord, indexEntryRowOf, originalRowOf, residentRefsOfWallet } from "../reads.ts";
import { ANCHOR_MODES, anchoredBatch, anchorModeOf, anchorModeOfEntry, changeView, entryJson, entryOfRow, entryWithProof, versionRowsOf, type AnchorMode } from "./records.ts";

type AccessLogRow = Awaited<ReturnType<GatewayDeps["db"]["accessLogLine"]["findMany"]>>[number];

/** Most access-log lines whose proofs a trace checks on chain (the rest carry their proofs unchecked). */
const MAX_VERIFIED_LINES = 100;

/** A step of a record's life. `at` is ISO 8601; chain steps carry their transaction. */
export interface ProvenanceStep {
  kind: string;
  at: string | null;
  txHash?: Hex | null;
  blockNumber?: number | null;
  [key: string]: unknown;
}

/** How a proof is checked: not at all, locally against the anchored batch (read once), or on chain now. */
export type Verify = false | "local" | "chain";

interface AnchoredAccessBatch {
  root: Hex;
  recorder: Address;
  lineCount: number;
}

const ACCESS_BATCH_CACHE_SIZE = 10_000;

type MirrorBatch = NonNullable<Awaited<ReturnType<GatewayDeps["mirror"]["batches"]["byId"]>>>;
const mirrorBatchCaches = new WeakMap<object, Lru<string, MirrorBatch>>();

/** The mirror's row of a DataIndex batch (its anchoring never changes once mirrored), read once per process. */
async function mirroredBatch(deps: Pick<GatewayDeps, "mirror">, batchId: string): Promise<MirrorBatch | undefined> {
  let cache = mirrorBatchCaches.get(deps.mirror);
  if (cache === undefined) mirrorBatchCaches.set(deps.mirror, (cache = new Lru(ACCESS_BATCH_CACHE_SIZE)));
  const hit = cache.get(batchId);
  if (hit !== undefined) return hit;
  const batch = await deps.mirror.batches.byId(batchId);
  if (batch !== undefined) cache.set(batchId, batch); // not mirrored yet: asked again next time
  return batch;
}
const accessBatchCaches = new WeakMap<object, Lru<string, AnchoredAccessBatch>>();

/** AuditTrail access batch `batchId` as recorded, read once per process (immutable once recorded). */
async function anchoredAccessBatch(deps: Pick<GatewayDeps, "chain">, batchId: string): Promise<AnchoredAccessBatch | undefined> {
  const contract = deps.chain.contracts.auditTrail;
  let cache = accessBatchCaches.get(contract);
  if (cache === undefined) accessBatchCaches.set(contract, (cache = new Lru(ACCESS_BATCH_CACHE_SIZE)));
  const hit = cache.get(batchId);
  if (hit !== undefined) return hit;
  const batch = await contract.read.getAccessBatch([BigInt(batchId)]);
  if (BigInt(batch.root) === 0n) return undefined;
  const anchored: AnchoredAccessBatch = { root: batch.root, recorder: getAddress(batch.recorder), lineCount: Number(batch.lineCount) };
  cache.set(batchId, anchored);
  return anchored;
}

/** `AuditTrail.verifyAccessLine` answered locally: same recorder check, same Merkle algorithm. */
async function verifyAccessLineLocally(deps: GatewayDeps, batchId: string, recorder: Address, lineHash: Hex, leafIndex: number, proof: readonly Hex[]): Promise<boolean> {
  const batch = await anchoredAccessBatch(deps, batchId);
  if (batch === undefined || batch.recorder !== recorder) return false;
  try {
    return verifyMerkleProof(batch.root, batch.lineCount, lineHash, leafIndex, proof);
  } catch {
    return false; // not a proof at all: the contract answers false
  }
}

/** An access-log line as the trace and the auditor's endpoint show it. */
export async function accessLineView(deps: GatewayDeps, row: AccessLogRow, verify: Verify | boolean) {
  const proof = row.proofJson === null ? null : (JSON.parse(row.proofJson) as Hex[]);
  const anchored = row.batchId !== null && row.leafIndex !== null && proof !== null && row.recorder !== null;
  let verified: boolean | undefined;
  if (anchored && verify === "chain") {
    verified = await deps.chain.contracts.auditTrail.read.verifyAccessLine([
      BigInt(row.batchId!),
      getAddress(row.recorder!),
      row.lineHash as Hex,
      BigInt(row.leafIndex!),
      proof,
    ]);
  } else if (anchored && verify) {
    verified = await verifyAccessLineLocally(deps, row.batchId!, getAddress(row.recorder!), row.lineHash as Hex, row.leafIndex!, proof);
  }
  return {
    id: row.id,
    outcome: row.outcome,
    accessor: row.accessor,
    reader: row.reader,
    institution: row.institution,
    recordId: row.recordId,
    residentRef: row.residentRef,
    fields: JSON.parse(row.fieldsJson) as Hex[],
    purpose: row.purpose,
    grantIds: JSON.parse(row.grantIdsJson) as Hex[],
    reason: row.reason,
    accessedAt: row.accessedAt.toISOString(),
    requestId: row.requestId,
    lineHash: row.lineHash,
    lineText: row.lineText,
    evidence: anchored
      ? {
          status: "anchored" as const,
          batchId: row.batchId!,
          recorder: getAddress(row.recorder!),
          leafIndex: row.leafIndex!,
          proof: proof,
          txHash: row.txHash,
          blockNumber: row.blockNumber,
          ...(verified === undefined ? {} : { verified }),
        }
      : { status: "pending" as const },
  };
}

function covers(scope: { categories: readonly string[]; recordIds: readonly string[] }, recordId: string, category: string): boolean {
  return scope.recordIds.includes(recordId) || scope.categories.includes(category) || scope.categories.includes(CONSENT_SCOPE_ALL);
}

/**
 * The life of one record, ordered in time: from the mirror and the gateway's rows only (queries
 * never touch the chain), unless `verify` asks to check the anchoring proof, each change's and every
 * access-log line's proof: `true`/"local" against the anchored batches (read from the chain once per
 * batch, the contract's algorithm), "chain" by asking the contracts now (a singly anchored change:
 * its transaction's RecordChanged event, either way).
 */
export async function recordProvenance(deps: GatewayDeps, principal: Principal, institution: Address, recordId: Hex, options: { verify?: Verify | boolean } = {}) {
  const verify: Verify = options.verify === true ? "local" : (options.verify ?? false);
  // The independent reads at once: the record's rows, then (the resident known) the mirror's pages.
  // A voided record is traced like any other: its Original row is read whatever its state.
  const [original, row, versions] = await Promise.all([
    originalRowOf(deps, institution, recordId),
    indexEntryRowOf(deps, institution, recordId),
    versionRowsOf(deps, institution, recordId),
  ]);
  const resident = original?.residentAddress;
  if (!canSee(principal, { ...(resident ? { resident } : {}), institution })) {
    throw platformError("FORBIDDEN", {
      message: "You may trace only your own records (residents) or your institution's (staff).",
      messageZh: "居民只能追溯自己的记录，工作人员只能追溯本机构的记录。",
      details: { reason: "not-own-record" },
    });
  }
  const grantsP = resident ? allPages((cursor) => deps.mirror.grants.ofResident(resident, { limit: 500, ...(cursor ? { cursor } : {}) })) : Promise.resolve([]);
  const requestsP = resident ? allPages((cursor) => deps.mirror.requests.ofResident(resident, { limit: 500, ...(cursor ? { cursor } : {}) })) : Promise.resolve([]);
  const viewsP = accessLinesOfRecord(deps, institution, recordId).then((lines) => Promise.all(lines.map((line, i) => accessLineView(deps, line, i < MAX_VERIFIED_LINES ? verify : false))));
  const evidenceP = allPages((cursor) => deps.mirror.evidence.ofRecord(recordId, { limit: 500, ...(cursor ? { cursor } : {}) }));
  // Nothing left unobserved if the anchoring step throws (NOT_FOUND).
  for (const p of [grantsP, requestsP, viewsP, evidenceP] as Promise<unknown>[]) p.catch(() => {});

  const steps: ProvenanceStep[] = [];
  let entry: ReturnType<typeof entryJson>;
  let anchoring: "single" | "batch";
  // What the anchored contentHash commits to: the gateway's row says; a record anchored elsewhere, its entry.
  const modeOf = (e: typeof entry): AnchorMode => (original === null ? anchorModeOfEntry(e) : anchorModeOf(original));
  if (row !== null && row.batchId !== null && row.leafIndex !== null && row.proofJson !== null) {
    anchoring = "batch";
    const typed = entryOfRow(row);
    entry = entryJson(typed);
    const proof = JSON.parse(row.proofJson) as Hex[];
    const [batch, verified] = await Promise.all([
      mirroredBatch(deps, row.batchId),
      verify === "chain"
        ? deps.chain.contracts.dataIndex.read.verifyEntry([BigInt(row.batchId), typed, BigInt(row.leafIndex), proof])
        : verify
          ? anchoredBatch(deps, row.batchId).then((b) => verifyEntryInBatch(b, typed, row.leafIndex!, proof))
          : undefined,
    ]);
    steps.push({
      kind: "anchored",
      anchoring,
      anchorMode: anchorModeOf(row),
      at: batch?.at ?? row.createdAt.toISOString(),
      txHash: row.txHash as Hex | null,
      blockNumber: row.blockNumber,
      batchId: row.batchId,
      root: row.root,
      leafCount: batch?.leafCount ?? null,
      leafIndex: row.leafIndex,
      proof,
      entry,
      ...(verify ? { verified } : {}),
    });
  } else {
    anchoring = "single";
    const history = await deps.mirror.records.history(institution, recordId);
    if (history === undefined) {
      if (original === null) throw platformError("NOT_FOUND", { details: { what: "record", institution, recordId } });
      // Anchored a moment ago and not yet in the mirror: the chain has it.
      const index = await entryWithProof(deps, institution, recordId);
      entry = index.entry;
      steps.push({
        kind: "anchored",
        anchoring,
        anchorMode: index.anchorMode,
        at: original.createdAt.toISOString(),
        txHash: index.txHash,
        blockNumber: index.blockNumber,
        entry,
        ...(verify ? { verified: index.verified } : {}),
      });
    } else {
      const r = history.record;
      entry = {
        recordId,
        residentRef: r.residentRef,
        institution,
        category: r.category,
        contentHash: r.contentHash,
        schemaVersion: r.schemaVersion,
        pointerHash: r.pointerHash,
        sourceTime: r.sourceTime === null ? 0 : Math.floor(Date.parse(r.sourceTime) / 1000),
      };
      steps.push({
        kind: "anchored",
        anchoring,
        anchorMode: modeOf(entry),
        at: history.anchored.at,
        txHash: history.anchored.txHash,
        blockNumber: history.anchored.blockNumber,
        entry,
        voided: r.voided,
        version: r.version,
        ...(verify
          ? { verified: await deps.chain.contracts.dataIndex.read.isAnchored([{ ...entry, sourceTime: BigInt(entry.sourceTime) }]) }
          : {}),
      });
      // Changes made elsewhere than through the gateway (those made through it come below, with their checks).
      const viaGateway = new Set(versions.map((v) => v.txHash.toLowerCase()));
      for (const change of history.changes) {
        if (viaGateway.has(change.txHash.toLowerCase())) continue;
        steps.push({ kind: "changed", ...plain(change), at: change.at, txHash: change.txHash, blockNumber: change.blockNumber });
      }
    }
  }
  // The changes made through the gateway: for a batch-anchored record the only record of them with
  // their proofs (the chain holds the changes batches' roots), checked like the anchoring.
  for (const view of await Promise.all(versions.map((v) => changeView(deps, v, verify)))) {
    const batch = view.batch === undefined ? undefined : await mirroredBatch(deps, view.batch.batchId);
    steps.push({
      kind: "changed",
      ...view,
      ...(view.batch === undefined ? {} : { batch: { ...view.batch, leafCount: view.batch.leafCount ?? batch?.leafCount ?? null } }),
      at: batch?.at ?? view.recordedAt,
      txHash: view.txHash,
      blockNumber: view.blockNumber,
    });
  }
  const category = entry.category;
  steps.push({
    kind: "origin",
    at: new Date(entry.sourceTime * 1000).toISOString(),
    institution,
    sourceTime: entry.sourceTime,
    contentHash: entry.contentHash,
    schemaVersion: entry.schemaVersion,
  });

  const [grants, requests, views, evidence] = await Promise.all([grantsP, requestsP, viewsP, evidenceP]);
  for (const grant of grants) {
    if (!covers(grant.grantedScope, recordId, category)) continue;
    const terms = {
      grantId: grant.grantId,
      grantee: grant.grantee,
      granteeKind: grant.granteeKind,
      fields: grant.grantedScope.fields,
      purposes: grant.purposes,
      notBefore: grant.notBefore,
      notAfter: grant.notAfter,
      status: grant.status,
    };
    steps.push({ kind: "grant-created", at: grant.created.at, txHash: grant.created.txHash, blockNumber: grant.created.blockNumber, ...terms });
    for (const n of grant.narrowings) {
      steps.push({ kind: "grant-narrowed", at: n.at, txHash: n.txHash, blockNumber: n.blockNumber, grantId: grant.grantId, removed: n.removed, purposes: n.purposes, notAfter: n.notAfter });
    }
    if (grant.revocation) {
      steps.push({ kind: "grant-revoked", at: grant.revocation.at, txHash: grant.revocation.txHash, blockNumber: grant.revocation.blockNumber, grantId: grant.grantId });
    }
  }
  for (const request of requests) {
    if (!covers(request.scope, recordId, category)) continue;
    steps.push({
      kind: "access-requested",
      at: request.filed.at,
      txHash: request.filed.txHash,
      blockNumber: request.filed.blockNumber,
      requestId: request.requestId,
      institution: request.institution,
      grantee: request.grantee,
      fields: request.scope.fields,
      purposes: request.purposes,
    });
    if (request.answer) {
      steps.push({
        kind: "access-answered",
        at: request.answer.at,
        txHash: request.answer.txHash,
        blockNumber: request.answer.blockNumber,
        requestId: request.requestId,
        approved: request.answer.approved,
        mode: request.answer.mode,
        grantId: request.answer.grantId,
      });
    }
  }
  for (const view of views) {
    steps.push({
      kind: "access",
      at: view.accessedAt,
      txHash: view.evidence.status === "anchored" ? (view.evidence.txHash as Hex | null) : null,
      blockNumber: view.evidence.status === "anchored" ? view.evidence.blockNumber : null,
      ...view,
    });
  }
  // Evidence recorded one by one (AuditTrail.recordAccess) by any recorder, e.g. other platforms.
  for (const e of evidence) {
    steps.push({ kind: "access-evidence", ...plain(e), at: e.at, txHash: e.txHash, blockNumber: e.blockNumber });
  }

  const time = (s: ProvenanceStep) => (s.at === null ? Number.MAX_SAFE_INTEGER : Date.parse(s.at));
  const order = (s: ProvenanceStep) => (s.kind === "origin" ? 0 : 1);
  steps.sort((a, b) => order(a) - order(b) || time(a) - time(b) || (a.blockNumber ?? 0) - (b.blockNumber ?? 0));
  // A batch-anchored record's resident after an identity merge is the gateway's to know (its entry keeps the anchored one).
  const residentRef = anchoring === "batch" && original !== null ? (original.residentRef as Hex) : entry.residentRef;
  return { institution, recordId, residentRef, anchoring, anchorMode: modeOf(entry), steps };
}

/** Every item of a paged mirror query, at most 20 pages. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>): Promise<T[]> {
  const items: T[] = [];
  for (let cursor: string | undefined, pages = 0; pages < 20; pages++) {
    const got = await page(cursor);
    items.push(...got.items);
    cursor = got.nextCursor;
    if (!cursor) break;
  }
  return items;
}

const StepSchema = z
  .object({ kind: z.string(), at: z.string().nullable(), txHash: z.string().nullable().optional(), blockNumber: z.number().nullable().optional() })
  .catchall(z.unknown())
  .openapi("ProvenanceStep");

const ProvenanceSchema = z
  .object({
    institution: z.string(),
    recordId: z.string(),
    residentRef: z.string(),
    anchoring: z.enum(["single", "batch"]),
    anchorMode: z.enum(ANCHOR_MODES).openapi({ description: "What the anchored contentHash commits to: `clear-hash` the record's fingerprint, `encrypted-pointer` its pointerHash." }),
    steps: z.array(StepSchema),
  })
  .openapi("Provenance");

const AccessLineSchema = z.record(z.string(), z.unknown()).openapi("AccessLogLine");

const tags = ["provenance"];

export function provenanceRoutes(deps: GatewayDeps) {
  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/records/{institution}/{recordId}",
        tags,
        summary: "The life of a record, every step with its transaction and proof / 记录全生命周期溯源",
        security: BEARER,
        middleware: [requirePermission("provenance:read")],
        request: {
          params: z.object({ institution: z.string().regex(/^0x[0-9a-fA-F]{40}$/), recordId: z.string().regex(/^0x[0-9a-fA-F]{64}$/) }),
          query: z.object({
            verify: z.enum(["true", "false", "chain"]).optional().openapi({
              description:
                "Also check the anchoring proof and each access line's proof (`verified`): `true` against the anchored batches (read from the chain once per batch; the contracts' algorithm), `chain` by asking the contracts now.",
            }),
          }),
        },
        responses: {
          200: { description: "Steps ordered in time", content: { "application/json": { schema: ProvenanceSchema } } },
          ...errorResponses(400, 401, 403, 404),
        },
      }),
      async (c) => {
        const { institution, recordId } = c.req.valid("param");
        const given = c.req.valid("query").verify;
        const verify: Verify = given === "chain" ? "chain" : given === "true" ? "local" : false;
        return c.json(await recordProvenance(deps, principalOf(c), getAddress(institution), recordId.toLowerCase() as Hex, { verify }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/access-lines",
        tags,
        summary: "Who read what, when and why: access-log lines with their evidence / 访问记录",
        description: "Residents: the reads of their own records. Auditors and admins: by residentRef or record.",
        security: BEARER,
        middleware: [requirePermission("evidence:verify")],
        request: {
          query: z.object({
            residentRef: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
            recordId: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
            limit: z.coerce.number().int().min(1).max(500).optional(),
          }),
        },
        responses: {
          200: { description: "Lines, oldest first", content: { "application/json": { schema: z.object({ items: z.array(AccessLineSchema) }) } } },
          ...errorResponses(400, 401, 403),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const q = c.req.valid("query");
        const where: { residentRef?: { in: string[] }; recordId?: string } = {};
        if (principal.kind === "resident") {
          const refs = await residentRefsOfWallet(deps, getAddress(principal.wallet ?? principal.subject));
          where.residentRef = { in: q.residentRef ? refs.filter((r) => r === q.residentRef!.toLowerCase()) : refs };
        } else {
          if (!q.residentRef && !q.recordId) {
            throw platformError("INVALID_INPUT", { message: "Give residentRef or recordId.", messageZh: "请提供 residentRef 或 recordId。", details: { what: "query" } });
          }
          if (q.residentRef) where.residentRef = { in: [q.residentRef.toLowerCase()] };
        }
        if (q.recordId) where.recordId = q.recordId.toLowerCase();
        const rows = await deps.db.accessLogLine.findMany({ where, orderBy: [{ accessedAt: "asc" }, { id: "asc" }], take: q.limit ?? 200 });
        return c.json({ items: await Promise.all(rows.map((row) => accessLineView(deps, row, false))) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/access-lines/{id}",
        tags,
        summary: "An access-log line with its Merkle proof, checked against AuditTrail / 访问记录及其证明",
        description:
          "The line's canonical text (lineText) hashes to lineHash = SM3(\"HCA1\" ‖ lineText); with batchId, recorder, leafIndex and proof, AuditTrail.verifyAccessLine checks it on chain (`evidence.verified`).",
        security: BEARER,
        middleware: [requirePermission("evidence:verify")],
        request: {
          params: z.object({ id: z.string().min(1).max(64) }),
          query: z.object({
            verify: z.enum(["local", "chain"]).optional().openapi({ description: "`local` (default): against the access batch as recorded (read once per batch); `chain`: AuditTrail.verifyAccessLine now." }),
          }),
        },
        responses: {
          200: { description: "The line and its evidence", content: { "application/json": { schema: AccessLineSchema } } },
          ...errorResponses(400, 401, 403, 404),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const row = await deps.db.accessLogLine.findUnique({ where: { id: c.req.valid("param").id } });
        if (row === null) throw platformError("NOT_FOUND", { details: { what: "access-log line" } });
        if (principal.kind === "resident") {
          const original = await deps.db.original.findUnique({
            where: { institution_recordId: { institution: row.institution, recordId: row.recordId } },
          });
          if (!original || !canSee(principal, { resident: original.residentAddress })) {
            throw platformError("FORBIDDEN", { message: "Not a read of your records.", messageZh: "这不是对您记录的访问。", details: { reason: "not-own-record" } });
          }
        }
        return c.json(await accessLineView(deps, row, c.req.valid("query").verify === "chain" ? "chain" : "local"), 200);
      },
    );
}
