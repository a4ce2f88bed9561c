// /v1/access: a consent-checked read returns exactly the granted fields, sealed for the reader's
// session, and writes an access-log line; without a grant (wrong purpose, other fields, after
// revocation) it answers 403 CONSENT_REQUIRED and still writes the refused line.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PURPOSES, toHex, type ConsentDomain } from "@health-chain/sdk";
import { openForReader } from "@health-chain/store";
import type { Hex } from "viem";
import { asGrantee, labGrant, labRecord, LAB_FIELDS, nextNonce, signedRelay } from "../../test/e2e/fixtures.ts";
import { accessLine, accessLineHash } from "../src/evidence/line.ts";
import { doctorAccountOf } from "../src/routes/consent.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(9);

describe("access", () => {
  let gw: TestGateway;
  let doctor: Awaited<ReturnType<TestGateway["signInStaff"]>>;
  let resident: { token: string };
  let domain: ConsentDomain;
  const input = labRecord("access-1", RESIDENT.address);
  const path = `/v1/access/records/${INSTITUTIONS.hospital}/${input.recordId}`;
  let grantId: Hex;
  const now = BigInt(Math.floor(Date.now() / 1000));

  before(async () => {
    gw = await startTestGateway();
    domain = gw.deps.chain.contracts.consentDomain;
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [input] } })).status, 201);
    doctor = await gw.signInStaff("hospital-doctor");
    resident = await gw.signInResident(RESIDENT);
    // The resident grants the doctor two fields of lab reports, for treatment, for one day.
    const grant = labGrant(RESIDENT.address, asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor")), 1, [LAB_FIELDS.diagnosis, LAB_FIELDS.result], now);
    const res = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentGrant", grant, domain) });
    assert.equal(res.status, 201);
    grantId = (await body<{ grantId: Hex }>(res)).grantId;
  });
  after(() => gw.close());

  const lines = (outcome?: string) => gw.deps.db.accessLogLine.count({ where: { recordId: input.recordId, ...(outcome ? { outcome } : {}) } });

  test("the doctor reads exactly the granted fields, sealed for the session, and the read is logged", async () => {
    const res = await gw.call("POST", path, { token: doctor.token, json: { purpose: "treatment" } });
    assert.equal(res.status, 200, await res.clone().text());
    const out = await body<{ fields: string[]; withheld: string[]; grantIds: string[]; sealed: never; context: string; accessLine: { id: string; lineHash: string } }>(res);
    assert.deepEqual(out.fields.sort(), ["diagnosis", "result"]);
    assert.deepEqual(out.withheld.sort(), ["homeAddress", "unit"]);
    assert.deepEqual(out.grantIds, [grantId]);
    const opened = openForReader<Record<string, unknown>>(out.sealed, toHex(doctor.sessionKeys.privateKey), { context: out.context });
    assert.deepEqual(opened, { diagnosis: input.record.diagnosis, result: input.record.result });

    const row = await gw.deps.db.accessLogLine.findUnique({ where: { id: out.accessLine.id } });
    assert.equal(row?.outcome, "granted");
    assert.equal(row?.lineHash, out.accessLine.lineHash);
    assert.equal(row?.batchId, null, "pending until the batcher runs");
    // The stored text is the canonical line, and it hashes to the stored hash.
    const line = JSON.parse(row!.lineText) as Parameters<typeof accessLine>[0] & { accessedAt: string };
    assert.equal(accessLineHash(accessLine({ ...line, accessedAt: new Date(line.accessedAt) })), row!.lineHash);
    const note = await gw.deps.db.notification.findFirst({ where: { resident: RESIDENT.address, kind: "grant-used" } });
    assert.ok(note, "the resident is told that a grant was used");
  });

  test("another purpose, or only ungranted fields, is refused with CONSENT_REQUIRED and a refused line", async () => {
    const refusedBefore = await lines("refused");
    const research = await gw.call("POST", path, { token: doctor.token, json: { purpose: "research" } });
    assert.equal(research.status, 403);
    const error = await body<{ code: string; details: { accessLineId: string } }>(research);
    assert.equal(error.code, "CONSENT_REQUIRED");
    const address = await gw.call("POST", path, { token: doctor.token, json: { purpose: "treatment", fields: ["homeAddress"] } });
    assert.equal(address.status, 403);
    assert.equal(await lines("refused"), refusedBefore + 2);
    const row = await gw.deps.db.accessLogLine.findUnique({ where: { id: error.details.accessLineId } });
    assert.equal(row?.outcome, "refused");
    assert.equal(row?.reason, "no-grant");
    assert.equal(row?.purpose, PURPOSES.research.code);
  });

  test("roles, unknown records and unknown fields are refused before anything is logged", async () => {
    const before = await lines();
    const asResident = await gw.call("POST", path, { token: resident.token, json: { purpose: "treatment" } });
    assert.equal(asResident.status, 403);
    assert.equal((await body<{ code: string }>(asResident)).code, "ROLE_REQUIRED");
    const unknown = await gw.call("POST", `/v1/access/records/${INSTITUTIONS.hospital}/0x${"77".repeat(32)}`, { token: doctor.token, json: { purpose: "treatment" } });
    assert.equal(unknown.status, 404);
    const field = await gw.call("POST", path, { token: doctor.token, json: { purpose: "treatment", fields: ["nope"] } });
    assert.equal(field.status, 400);
    const purpose = await gw.call("POST", path, { token: doctor.token, json: { purpose: "curiosity" } });
    assert.equal(purpose.status, 400);
    assert.equal(await lines(), before);
  });

  test("after the resident revokes, the next read is refused", async () => {
    const revoke = { grantId, nonce: nextNonce(), deadline: now + 3600n };
    const res = await gw.call("POST", "/v1/consents/revocations", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentRevocation", revoke, domain) });
    assert.equal(res.status, 200);
    const read = await gw.call("POST", path, { token: doctor.token, json: { purpose: "treatment", fields: ["diagnosis", "result"] } });
    assert.equal(read.status, 403);
    assert.equal((await body<{ code: string }>(read)).code, "CONSENT_REQUIRED");
    const last = await gw.deps.db.accessLogLine.findFirst({ where: { recordId: input.recordId }, orderBy: { accessedAt: "desc" } });
    assert.equal(last?.outcome, "refused");
  });
});
