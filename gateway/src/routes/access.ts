// /v1/access (数据访问): a consent-checked read of a record's original.
//
// At the moment of the read the gateway asks `ConsentRegistry.checkAccessFields` on chain once per
// grantee for all the requested fields (answered per field, as `checkAccess` would: different
// fields may rest on different grants): the reader's doctor account first and, for fields no
// personal grant allows, its institution. Both checks (and `DataIndex.getRecord` for a singly
// anchored record: voided?) go in ONE eth_call at the latest block (chain `readTogether`: one
// state, one round trip). It returns
// only the granted fields, sealed for the reader's session (a fresh data key under the session key,
// which is SM2-encrypted to the session's public key once per process: reader-seal.ts; store
// `sealForReader`, context `<institution>/<recordId>` in lower case),
// and writes the access-log line in the same transaction as its answer (group commit: the reads
// waiting at the same moment share one transaction, write-queue.ts; each answers only after it
// committed). With no field granted it writes the refused line first and answers 403
// CONSENT_REQUIRED. The evidence batcher (evidence/batcher.ts) anchors the lines in AuditTrail.
import { randomUUID } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { LIMITS, PURPOSES, platformError, type PurposeName } from "@health-chain/sdk";
import { getAddress, type Address, type Hex } from "viem";
import type { GatewayDeps } from "../context.ts";
import { errorResponses } from "../errors.ts";
import { accessLine, accessLogRow } from "../evidence/line.ts";
import { principalOf } from "../middleware/auth.ts";
import { originalOf } from "../reads.ts";
import { readerSessionKeyOf } from "../reader-seal.ts";
import { notify } from "../notify.ts";
import { BEARER, createRouter } from "../router.ts";
import { recordAudit } from "../audit-log.ts";
import { recordingTx, writeQueueOf, type Insert } from "../write-queue.ts";
import { granteesOf, unixSeconds, writeMiddleware } from "./consent.ts";

// ---------------------------------------------------------------- domain

/** A purpose given by name ("treatment") or code (0). */
export function purposeCode(purpose: string | number): number {
  if (typeof purpose === "number") {
    if (Object.values(PURPOSES).some((p) => p.code === purpose)) return purpose;
  } else if (Object.hasOwn(PURPOSES, purpose)) {
    return PURPOSES[purpose as PurposeName].code;
  }
  throw platformError("INVALID_INPUT", {
    message: `Unknown purpose ${String(purpose)}.`,
    messageZh: `未知的用途 ${String(purpose)}。`,
    details: { what: "purpose", purpose, known: Object.keys(PURPOSES) },
  });
}

/** The fields a read asks for: by name; every field of the record when none are named. */
export function requestedFields(schema: Readonly<Record<string, Hex>>, names: readonly string[] | undefined): { name: string; id: Hex }[] {
  const chosen = names === undefined || names.length === 0 ? Object.keys(schema) : [...new Set(names)];
  const unknown = chosen.filter((n) => !Object.hasOwn(schema, n));
  if (unknown.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `The record has no field ${unknown.join(", ")}.`,
      messageZh: `该记录没有字段 ${unknown.join("、")}。`,
      details: { what: "fields", unknown },
    });
  }
  return chosen.map((name) => ({ name, id: schema[name]! }));
}

/**
 * Which grant allows each field (undefined: none), asking the grantees in order until one allows it.
 * `check` answers one (grantee, field) check (it throws when that check failed); it is asked only
 * for the checks the answer depends on: every field for the first grantee, then only the fields
 * still open for each next one.
 */
export function grantsForFields(
  fields: readonly Hex[],
  grantees: readonly Hex[],
  check: (grantee: Hex, field: Hex) => { allowed: boolean; grantId: Hex },
): Map<Hex, { grantId: Hex; grantee: Hex } | undefined> {
  const result = new Map<Hex, { grantId: Hex; grantee: Hex } | undefined>(fields.map((f) => [f, undefined]));
  let open = [...new Set(fields)];
  for (const grantee of grantees) {
    if (open.length === 0) break;
    for (const field of open) {
      const a = check(grantee, field);
      if (a.allowed) result.set(field, { grantId: a.grantId.toLowerCase() as Hex, grantee });
    }
    open = open.filter((f) => result.get(f) === undefined);
  }
  return result;
}

/** The members of a record whose field ids are granted, nothing else. */
export function grantedPart(
  record: Readonly<Record<string, unknown>>,
  schema: Readonly<Record<string, Hex>>,
  granted: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    const id = schema[name];
    if (id !== undefined && granted.has(id)) out[name] = value;
  }
  return out;
}

/** The context a read's sealed value is bound to (the client passes it to `openForReader`). */
export function readContext(institution: string, recordId: string): string {
  return `${institution.toLowerCase()}/${recordId.toLowerCase()}`;
}


// ---------------------------------------------------------------- route

const purposeNames = Object.keys(PURPOSES) as [PurposeName, ...PurposeName[]];

const ReadBodySchema = z
  .object({
    purpose: z.enum(purposeNames).openapi({ description: "Why the record is read (a grant must allow this purpose)." }),
    fields: z.array(z.string().min(1).max(128)).max(64).optional().openapi({ description: "Field names; all of the record's fields when absent." }),
  })
  .openapi("ReadRequest");

const SealedSchema = z
  .object({
    algorithm: z.string().openapi({ example: "sm2-c1c3c2-session-key+hc-envelope-v2" }),
    wrappedSessionKey: z.string().openapi({
      description: "The session key, SM2 (C1C3C2, 0x hex) encrypted to the session's public key: the same for the session's reads from one gateway process.",
    }),
    wrappedDataKey: z.string().openapi({ description: "This read's fresh data key in an sdk envelope under the session key (base64url), bound to the context." }),
    envelope: z.string().openapi({ description: "The granted fields' canonical JSON in an sdk envelope under the data key (base64url), bound to the context." }),
  })
  .openapi("SealedForReader");

const ReadResultSchema = z
  .object({
    institution: z.string(),
    recordId: z.string(),
    purpose: z.enum(purposeNames),
    fields: z.array(z.string()).openapi({ description: "The granted field names: exactly what the sealed value holds." }),
    withheld: z.array(z.string()).openapi({ description: "Requested fields no grant allows." }),
    grantIds: z.array(z.string()),
    sealed: SealedSchema,
    context: z.string().openapi({ description: "Pass to openForReader as `context`." }),
    accessLine: z.object({ id: z.string(), lineHash: z.string() }),
  })
  .openapi("ReadResult");

export function accessRoutes(deps: GatewayDeps) {
  return createRouter().openapi(
    createRoute({
      method: "post",
      path: "/records/{institution}/{recordId}",
      tags: ["access"],
      summary: "Read a record's original: only the fields a grant allows, sealed for the session / 授权读取原始数据",
      description:
        "Checks consent on chain at this moment (ConsentRegistry.checkAccessFields: per field, for the doctor's account, then the institution); returns the granted fields sealed for the session's SM2 key and records the access (an access-log line, batched into AuditTrail). No granted field: 403 CONSENT_REQUIRED, and the refused attempt is recorded too.",
      security: BEARER,
      middleware: writeMiddleware(deps, "access:read", "access.read"),
      request: {
        params: z.object({ institution: z.string().regex(/^0x[0-9a-fA-F]{40}$/), recordId: z.string().regex(/^0x[0-9a-fA-F]{64}$/) }),
        body: { content: { "application/json": { schema: ReadBodySchema } }, required: true },
      },
      responses: {
        200: { description: "The granted fields, sealed", content: { "application/json": { schema: ReadResultSchema } } },
        ...errorResponses(400, 401, 403, 404, 422, 500, 502),
      },
    }),
    async (c) => {
      const principal = principalOf(c);
      const params = c.req.valid("param");
      const { purpose: purposeName, fields: names } = c.req.valid("json");
      const institution = getAddress(params.institution);
      const recordId = params.recordId.toLowerCase() as Hex;
      const sessionKey = principal.sessionPublicKey;
      if (sessionKey === undefined) {
        throw platformError("INVALID_INPUT", {
          message: "This session has no SM2 public key to seal the record to; sign in again with sessionPublicKey.",
          messageZh: "本会话没有用于密封数据的 SM2 公钥，请携带 sessionPublicKey 重新登录。",
          details: { what: "sessionPublicKey" },
        });
      }
      const original = await originalOf(deps, institution, recordId);
      if (original === null) throw platformError("NOT_FOUND", { details: { what: "record", institution, recordId } });
      const schema = JSON.parse(original.fieldsSchemaJson) as Record<string, Hex>;
      const requested = requestedFields(schema, names);
      const purpose = purposeCode(purposeName);
      const grantees = granteesOf(principal);
      const store = deps.stores.get(institution);
      if (store === undefined) throw platformError("STORE_UNAVAILABLE", { details: { institution } });

      const accessedAt = deps.clock.now();
      const at = unixSeconds(accessedAt);
      const resident = getAddress(original.residentAddress) as Address;
      const category = original.category as Hex;
      // One eth_call at the latest block: the record's voided flag (singly anchored records) and one
      // checkAccessFields per grantee, every requested field in one contract frame — one state, so a
      // revocation mined before this request counts for all (a record of more than ~150 fields
      // needs several eth_calls for the size of their answers: all at one block number). The institution's answer is used only
      // for the fields the doctor's grants leave open (grantsForFields); asking it always costs the
      // chain one frame, little next to a check per field.
      const fieldIds = [...new Set(requested.map((f) => f.id))];
      const { consentRegistry, dataIndex } = deps.chain.contracts;
      const single = original.anchoring === "single";
      const checkBase = single ? 1 : 0;
      // A call answers at most ConsentRegistry.MAX_FIELDS_PER_CHECK fields (as many as a read may
      // name): a read of every field of a wider record asks in slices.
      const FIELDS_PER_CHECK = LIMITS.maxFieldsPerCheck;
      const slices = Array.from({ length: Math.ceil(fieldIds.length / FIELDS_PER_CHECK) }, (_, i) =>
        fieldIds.slice(i * FIELDS_PER_CHECK, (i + 1) * FIELDS_PER_CHECK),
      );
      const answers = await deps.chain.readTogether([
        ...(single ? [{ address: dataIndex.address, abi: dataIndex.abi, functionName: "getRecord", args: [institution, recordId], answerBytes: 512 }] : []),
        ...grantees.flatMap((grantee) =>
          slices.map((slice) => ({
            address: consentRegistry.address,
            abi: consentRegistry.abi,
            functionName: "checkAccessFields",
            args: [resident, grantee, recordId, category, slice, purpose, at],
            // (bool[], bytes32[]): two offsets, two lengths, 32 bytes per field in each.
            answerBytes: 128 + 64 * slice.length,
          })),
        ),
      ]);
      const answerOf = (index: number): unknown => {
        const a = answers[index]!;
        if (a.status === "failure") throw a.error;
        return a.result;
      };
      if (single && (answerOf(0) as { voided: boolean }).voided) {
        throw platformError("NOT_FOUND", { message: "The record was voided.", messageZh: "该记录已作废。", details: { what: "record", reason: "voided" } });
      }
      const grants = grantsForFields(fieldIds, grantees, (grantee, field) => {
        const f = fieldIds.indexOf(field);
        const call = checkBase + grantees.indexOf(grantee) * slices.length + Math.floor(f / FIELDS_PER_CHECK);
        const [allowed, grantIds] = answerOf(call) as readonly [readonly boolean[], readonly Hex[]];
        return { allowed: allowed[f % FIELDS_PER_CHECK]!, grantId: grantIds[f % FIELDS_PER_CHECK]! };
      });
      const granted = requested.filter((f) => grants.get(f.id) !== undefined);
      const withheld = requested.filter((f) => grants.get(f.id) === undefined).map((f) => f.name);
      const usedGrantee = granted.length > 0 ? grants.get(granted[0]!.id)!.grantee : grantees[0]!;
      const grantIds = [...new Set(granted.map((f) => grants.get(f.id)!.grantId))].sort();
      const line = accessLine({
        id: randomUUID(),
        requestId: c.get("requestId"),
        reader: principal.subject,
        accessor: usedGrantee,
        institution,
        recordId,
        residentRef: original.residentRef,
        fields: (granted.length > 0 ? granted : requested).map((f) => f.id),
        purpose,
        grantIds,
        outcome: granted.length > 0 ? "granted" : "refused",
        reason: granted.length > 0 ? null : "no-grant",
        accessedAt,
      });
      const row = accessLogRow(line);

      if (granted.length === 0) {
        // Group commit (write-queue.ts): shares one transaction with the reads waiting meanwhile.
        const rows: Insert[] = [{ model: "accessLogLine", data: row }];
        await notify({ tx: recordingTx(rows) }, resident, "grant-refused-read", { institution, recordId, purpose: purposeName, accessor: line.accessor, accessLineId: line.id });
        await writeQueueOf(deps.db).enqueueInserts(rows);
        throw platformError("CONSENT_REQUIRED", {
          details: { institution, recordId, purpose: purposeName, fields: requested.map((f) => f.name), accessLineId: line.id, lineHash: row.lineHash },
        });
      }

      const record = await store.getOriginal<Record<string, unknown>>({
        cid: original.cid,
        keyId: original.keyId,
        wrappedDataKey: original.wrappedDataKey,
        contentHash: original.contentHash,
      });
      const context = readContext(institution, recordId);
      // The session key: one SM2 encryption per session and process (reader-seal.ts); SM4 per read.
      const sealed = store.sealForReader(grantedPart(record, schema, new Set(granted.map((f) => f.id))), readerSessionKeyOf(sessionKey), { context });
      const body = {
        institution,
        recordId,
        purpose: purposeName,
        fields: granted.map((f) => f.name),
        withheld,
        grantIds,
        sealed: { algorithm: sealed.algorithm, wrappedSessionKey: sealed.wrappedSessionKey, wrappedDataKey: sealed.wrappedDataKey, envelope: sealed.envelope },
        context,
        accessLine: { id: line.id, lineHash: row.lineHash },
      };
      // The line, notification, audit row and idempotent answer commit together (as commitAnswer
      // does), in a transaction shared with the other reads waiting (write-queue.ts: the rows of the
      // reads of a flush go in one createMany per table); the answer goes out only after that
      // transaction committed. `notify` and `recordAudit` build their rows as always; a recording
      // transaction client hands them to the queue.
      const rows: Insert[] = [{ model: "accessLogLine", data: row }];
      const recording = recordingTx(rows);
      await notify({ tx: recording }, resident, "grant-used", {
        institution,
        recordId,
        purpose: purposeName,
        fields: body.fields,
        grantIds,
        accessor: line.accessor,
        accessLineId: line.id,
      });
      await recordAudit(recording, c, { target: recordId, purpose: purposeName, details: { fields: body.fields, grantIds } });
      const idempotency = c.get("idempotency");
      await writeQueueOf(deps.db).enqueueInserts(rows, idempotency === undefined ? undefined : (tx) => idempotency.save(tx, 200, body));
      return c.json(body, 200);
    },
  );
}

