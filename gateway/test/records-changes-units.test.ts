// The pieces of record changes that need no chain: the sdk's DataIndex batches (one builder and one
// local check for entries and changes, answering as DataIndex.verifyEntry / verifyChange would) and
// the form checks of a change (prepareChange), each refusal typed and bilingual.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BATCH_KINDS,
  buildBatch,
  buildChangeBatch,
  buildEntryBatch,
  changeItem,
  entryItem,
  isPlatformError,
  verifyChangeInBatch,
  verifyEntryInBatch,
  type IndexEntry,
  type RecordChange,
} from "@health-chain/sdk";
import type { Hex } from "viem";
import { LAB_FIELDS, labRecord, recordIdOf, residentRefOf } from "../../test/e2e/fixtures.ts";
import { CHANGE_REASON_CODES, changeReasonName, prepareChange, type RecordChangeInput } from "../src/routes/records.ts";
import { devAccount, INSTITUTIONS } from "./helpers.ts";

const hospital = INSTITUTIONS.hospital;
const hex32 = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

const changes: RecordChange[] = [1, 2, 3, 4, 5].map((n) => ({
  recordId: hex32(n),
  institution: hospital,
  previousContentHash: hex32(100 + n),
  newContentHash: hex32(200 + n),
  newPointerHash: hex32(300 + n),
  newResidentRef: hex32(0),
  reason: n % 6,
  changedAt: 1_700_000_000n + BigInt(n),
}));

const entries: IndexEntry[] = [1, 2, 3].map((n) => ({
  recordId: hex32(n),
  residentRef: hex32(10 + n),
  institution: hospital,
  category: hex32(20 + n),
  contentHash: hex32(30 + n),
  schemaVersion: 1,
  pointerHash: hex32(40 + n),
  sourceTime: 1_700_000_000n,
}));

describe("sdk: DataIndex batches of entries and changes", () => {
  test("a changes batch is kind 1 over changeItem leaves, and every change's proof verifies as DataIndex.verifyChange", () => {
    const batch = buildChangeBatch(changes);
    const plain = buildBatch(changes.map(changeItem));
    assert.deepEqual([batch.kind, batch.root, batch.leafCount], [BATCH_KINDS.changes.code, plain.root, 5]);
    const anchored = { root: batch.root, leafCount: batch.leafCount, kind: 1, institution: hospital.toLowerCase() };
    changes.forEach((change, i) => {
      assert.deepEqual(batch.proofs[i], plain.proof(i));
      assert.equal(verifyChangeInBatch(anchored, change, i, batch.proofs[i]!), true);
    });
    const proof = batch.proofs[2]!;
    assert.equal(verifyChangeInBatch(anchored, { ...changes[2]!, reason: 4 }, 2, proof), false, "an altered change");
    assert.equal(verifyChangeInBatch(anchored, changes[2]!, 3, proof), false, "another position");
    assert.equal(verifyChangeInBatch({ ...anchored, kind: 0 }, changes[2]!, 2, proof), false, "a records batch never proves a change");
    assert.equal(verifyChangeInBatch({ ...anchored, institution: INSTITUTIONS.eqaCentre }, changes[2]!, 2, proof), false, "another institution's batch");
    assert.equal(verifyChangeInBatch(undefined, changes[2]!, 2, proof), false, "an unknown batch");
    assert.equal(verifyChangeInBatch(anchored, changes[2]!, 2, ["0x1234"]), false, "not a proof at all answers false, as the contract");
  });

  test("a records batch is kind 0 over entryItem leaves; an entry is never proven by a changes batch", () => {
    const batch = buildEntryBatch(entries);
    assert.deepEqual([batch.kind, batch.root], [BATCH_KINDS.records.code, buildBatch(entries.map(entryItem)).root]);
    const anchored = { root: batch.root, leafCount: BigInt(batch.leafCount), kind: 0n, institution: hospital };
    entries.forEach((entry, i) => assert.equal(verifyEntryInBatch(anchored, entry, i, batch.proofs[i]!), true));
    assert.equal(verifyEntryInBatch({ ...anchored, kind: 1n }, entries[0]!, 0, batch.proofs[0]!), false);
  });
});

describe("records: the form of a change", () => {
  const now = new Date();
  const at = Math.floor(now.getTime() / 1000) - 60;
  const base = labRecord("units-1", devAccount(5).address);
  const correction: RecordChangeInput = { recordId: base.recordId, reason: "correction", changedAt: at, record: base.record, fields: LAB_FIELDS };

  const refusal = (input: RecordChangeInput, index?: number) => {
    try {
      prepareChange(input, now, index);
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
      assert.match(error.messageZh, /[\u4e00-\u9fff]/);
      return { what: (error.details as { what: string }).what, message: error.message, messageZh: error.messageZh };
    }
    assert.fail("the change was accepted");
  };

  test("the API's reason names are DataIndex's ChangeReason codes, both ways", () => {
    assert.deepEqual(CHANGE_REASON_CODES, { correction: 0, amendment: 1, "late-result": 2, "identity-merge": 3, void: 4, other: 5 });
    for (const [name, code] of Object.entries(CHANGE_REASON_CODES)) assert.equal(changeReasonName(code), name);
    assert.equal(changeReasonName(6), undefined);
  });

  test("a content change carries its fingerprint and field map; merges and voids carry none", () => {
    const prepared = prepareChange(correction, now);
    assert.equal(prepared.recordId, base.recordId.toLowerCase());
    assert.deepEqual(prepared.content?.fields, Object.fromEntries(Object.entries(LAB_FIELDS).map(([k, v]) => [k, v.toLowerCase()])));
    assert.equal(prepared.newResidentRef, hex32(0));
    const merge = prepareChange({ recordId: base.recordId, reason: "identity-merge", changedAt: at, newResidentRef: residentRefOf(devAccount(6).address) }, now);
    assert.equal(merge.content, undefined);
    assert.equal(merge.newResidentRef, residentRefOf(devAccount(6).address));
    assert.equal(prepareChange({ recordId: base.recordId, reason: "void", changedAt: at }, now).content, undefined);
  });

  test("form refusals name the change and the member", () => {
    assert.equal(refusal({ ...correction, recordId: hex32(0) }).what, "recordId");
    const future = refusal({ ...correction, changedAt: at + 7200 }, 3);
    assert.equal(future.what, "changedAt");
    assert.match(future.message, /^changes\[3\]\.changedAt/);
    assert.match(future.messageZh, /第 3 条变更/);
    assert.equal(refusal({ ...correction, newResidentRef: recordIdOf("x") }).what, "newResidentRef");
    assert.equal(refusal({ ...correction, resident: devAccount(6).address }).what, "resident");
    assert.equal(refusal({ recordId: base.recordId, reason: "amendment", changedAt: at }).what, "record");
    assert.equal(refusal({ recordId: base.recordId, reason: "late-result", changedAt: at, record: base.record }).what, "fields");
    assert.equal(refusal({ ...correction, fields: { ...LAB_FIELDS, unit: LAB_FIELDS.result } }).what, "fields.unit");
    assert.equal(refusal({ recordId: base.recordId, reason: "identity-merge", changedAt: at }).what, "newResidentRef");
    assert.equal(refusal({ recordId: base.recordId, reason: "identity-merge", changedAt: at, newResidentRef: hex32(0) }).what, "newResidentRef");
    assert.equal(refusal({ recordId: base.recordId, reason: "identity-merge", changedAt: at, newResidentRef: recordIdOf("y"), record: base.record }).what, "record");
    assert.equal(refusal({ recordId: base.recordId, reason: "void", changedAt: at, fields: LAB_FIELDS }).what, "fields");
  });
});
