// /v1/provenance: a record's life in time order — origin, anchoring with its proof, the grant that
// covers it, the request and answer, every read with its evidence batch — each chain step with its
// transaction hash; an access-log line's proof for auditors; residents see only their own.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ConsentDomain } from "@health-chain/sdk";
import type { Hex } from "viem";
import { labRecord, LAB, LAB_FIELDS, nextNonce, signedRelay } from "../../test/e2e/fixtures.ts";
import { evidenceBatcherOf } from "../src/evidence/index.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(10);

interface Step {
  kind: string;
  at: string | null;
  txHash?: string | null;
  [key: string]: unknown;
}

describe("provenance", () => {
  let gw: TestGateway;
  let resident: { token: string };
  let auditor: string;
  const input = labRecord("provenance-1", RESIDENT.address);
  let lineId: string;

  before(async () => {
    gw = await startTestGateway();
    const domain: ConsentDomain = gw.deps.chain.contracts.consentDomain;
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [input, labRecord("provenance-2", RESIDENT.address)] } })).status, 201);
    const doctor = await gw.signInStaff("hospital-doctor");
    resident = await gw.signInResident(RESIDENT);
    auditor = (await gw.signInStaff("platform-auditor")).token;
    const filed = await body<{ requestId: Hex; requestHash: Hex; request: Record<string, unknown> }>(
      await gw.call("POST", "/v1/consents/requests", {
        token: doctor.token,
        json: { resident: RESIDENT.address, categories: [LAB], fields: [LAB_FIELDS.diagnosis, LAB_FIELDS.result], purposes: ["treatment"], validFor: 86400, reason: "review" },
      }),
    );
    const now = BigInt(Math.floor(Date.now() / 1000));
    const answer = { requestId: filed.requestId, requestHash: filed.requestHash, approve: true, mode: 0, notBefore: now - 10n, notAfter: now + 86000n, nonce: nextNonce(), deadline: now + 600n };
    const answered = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, {
      token: resident.token,
      json: { ...(await signedRelay(RESIDENT, "RequestAnswer", answer, domain)), request: filed.request },
    });
    assert.equal(answered.status, 200);
    const read = await gw.call("POST", `/v1/access/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: doctor.token, json: { purpose: "treatment" } });
    assert.equal(read.status, 200);
    lineId = (await body<{ accessLine: { id: string } }>(read)).accessLine.id;
    assert.equal((await gw.call("POST", `/v1/access/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: doctor.token, json: { purpose: "research" } })).status, 403);
    await evidenceBatcherOf(gw.deps).runOnce();
    await gw.syncMirror();
  });
  after(() => gw.close());

  test("the resident's trace shows every step in time order, chain steps with their transactions", async () => {
    const res = await gw.call("GET", `/v1/provenance/records/${INSTITUTIONS.hospital}/${input.recordId}?verify=true`, { token: resident.token });
    assert.equal(res.status, 200, await res.clone().text());
    const trace = await body<{ anchoring: string; steps: Step[] }>(res);
    assert.equal(trace.anchoring, "batch");
    const kinds = trace.steps.map((s) => s.kind);
    assert.equal(kinds[0], "origin");
    for (const kind of ["anchored", "access-requested", "access-answered", "grant-created", "access"]) assert.ok(kinds.includes(kind), `has ${kind}: ${kinds.join(",")}`);
    for (const step of trace.steps.filter((s) => s.kind !== "origin")) assert.match(String(step.txHash), /^0x[0-9a-f]{64}$/, `${step.kind} has its transaction`);
    const anchored = trace.steps.find((s) => s.kind === "anchored")!;
    assert.equal(anchored.verified, true);
    const accesses = trace.steps.filter((s) => s.kind === "access") as (Step & { outcome: string; evidence: { status: string; verified?: boolean } })[];
    assert.deepEqual(accesses.map((a) => a.outcome), ["granted", "refused"]);
    assert.ok(accesses.every((a) => a.evidence.status === "anchored" && a.evidence.verified === true));
    const times = trace.steps.slice(1).map((s) => Date.parse(s.at ?? ""));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
  });

  test("without verify=true the trace is built from the mirror and the gateway's rows alone", async () => {
    const trace = await body<{ steps: Step[] }>(await gw.call("GET", `/v1/provenance/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: resident.token }));
    assert.ok(trace.steps.every((s) => !("verified" in s)));
    const access = trace.steps.find((s) => s.kind === "access") as Step & { evidence: Record<string, unknown> };
    assert.equal(access.evidence.status, "anchored");
    assert.ok(!("verified" in access.evidence));
  });

  test("an auditor gets an access-log line with its proof, verified on chain", async () => {
    const res = await gw.call("GET", `/v1/provenance/access-lines/${lineId}`, { token: auditor });
    assert.equal(res.status, 200);
    const line = await body<{ lineHash: string; lineText: string; evidence: { status: string; verified: boolean; batchId: string; proof: string[] } }>(res);
    assert.equal(line.evidence.status, "anchored");
    assert.equal(line.evidence.verified, true);
    const list = await body<{ items: { id: string }[] }>(await gw.call("GET", `/v1/provenance/access-lines?recordId=${input.recordId}`, { token: auditor }));
    assert.equal(list.items.length, 2);
    const mine = await body<{ items: { id: string }[] }>(await gw.call("GET", "/v1/provenance/access-lines", { token: resident.token }));
    assert.ok(mine.items.some((l) => l.id === lineId));
  });

  test("others' residents and other institutions' staff cannot trace the record", async () => {
    const stranger = await gw.signInResident(devAccount(11));
    assert.equal((await gw.call("GET", `/v1/provenance/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: stranger.token })).status, 403);
    assert.equal((await gw.call("GET", `/v1/provenance/access-lines/${lineId}`, { token: stranger.token })).status, 403);
    const eqa = (await gw.signInStaff("eqa-system")).token;
    assert.equal((await gw.call("GET", `/v1/provenance/records/${INSTITUTIONS.hospital}/${input.recordId}`, { token: eqa })).status, 403);
    const none = await gw.call("GET", `/v1/provenance/records/${INSTITUTIONS.hospital}/0x${"55".repeat(32)}`, { token: auditor });
    assert.equal(none.status, 404);
  });
});
