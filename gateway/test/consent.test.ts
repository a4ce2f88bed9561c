// /v1/consents: relaying residents' signed grants, narrowings, revocations and delegations; doctors'
// access requests and the residents' answers (remote and on site); listing grants; and the refusals:
// a signature that is not the signer's, a signer who is not the signed-in wallet, an expired
// deadline, a relay the chain refuses — none of which leaves an audit success row — and a retried
// relay with the same Idempotency-Key applied once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { grantIdOf, PURPOSES, type ConsentDomain } from "@health-chain/sdk";
import { getAddress, type Hex } from "viem";
import { asGrantee, LAB, LAB_FIELDS, nextNonce, signedRelay } from "../../test/e2e/fixtures.ts";
import { accountAsGrantee, doctorAccountOf } from "../src/routes/consent.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(7);
const GUARDIAN = devAccount(8);
const DAY = 24n * 3600n;

describe("consents", () => {
  let gw: TestGateway;
  let domain: ConsentDomain;
  let resident: { token: string };
  let now: bigint;
  before(async () => {
    gw = await startTestGateway();
    domain = gw.deps.chain.contracts.consentDomain;
    resident = await gw.signInResident(RESIDENT);
    now = BigInt(Math.floor(Date.now() / 1000));
  });
  after(() => gw.close());

  const grantMessage = (overrides: Record<string, unknown> = {}) => ({
    resident: RESIDENT.address,
    grantee: asGrantee(INSTITUTIONS.hospital),
    granteeKind: 0,
    categories: [LAB],
    recordIds: [] as Hex[],
    fields: [LAB_FIELDS.diagnosis, LAB_FIELDS.result],
    purposes: PURPOSES.treatment.mask,
    notBefore: now - 60n,
    notAfter: now + DAY,
    mayReshare: false,
    nonce: nextNonce(),
    deadline: now + 3600n,
    ...overrides,
  });

  test("the signing domain is the deployed ConsentRegistry's", async () => {
    const d = await body<ConsentDomain>(await gw.call("GET", "/v1/consents/domain"));
    assert.equal(d.chainId, gw.chain.chainId);
    assert.equal(d.verifyingContract, gw.chain.deployments.contracts.ConsentRegistry.address);
  });

  test("a signed grant is relayed; its id is the message digest; narrowing and revocation follow", async () => {
    const message = grantMessage();
    const res = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentGrant", message, domain) });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<{ grantId: Hex; txHash: string; blockNumber: number }>(res);
    assert.equal(out.grantId, grantIdOf("ConsentGrant", message, domain));
    assert.match(out.txHash, /^0x[0-9a-f]{64}$/);
    const stored = await gw.deps.chain.contracts.consentRegistry.read.getGrant([out.grantId]);
    assert.equal(stored.resident, RESIDENT.address);

    const narrowing = { grantId: out.grantId, removeCategories: [], removeRecordIds: [], removeFields: [LAB_FIELDS.result], removePurposes: 0, notAfter: 0n, nonce: nextNonce(), deadline: now + 3600n };
    const narrowed = await gw.call("POST", "/v1/consents/narrowings", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentNarrowing", narrowing, domain) });
    assert.equal(narrowed.status, 200, await narrowed.clone().text());
    const [, , fieldIn] = await gw.deps.chain.contracts.consentRegistry.read.grantCovers([out.grantId, LAB, `0x${"00".repeat(32)}`, LAB_FIELDS.result]);
    assert.equal(fieldIn, false);

    const revocation = { grantId: out.grantId, nonce: nextNonce(), deadline: now + 3600n };
    const revoked = await gw.call("POST", "/v1/consents/revocations", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentRevocation", revocation, domain) });
    assert.equal(revoked.status, 200);
    assert.equal((await gw.deps.chain.contracts.consentRegistry.read.getGrant([out.grantId])).revoked, true);

    await gw.syncMirror();
    const mine = await body<{ items: { grantId: string; status: string }[] }>(await gw.call("GET", "/v1/consents/grants", { token: resident.token }));
    assert.equal(mine.items.find((g) => g.grantId === out.grantId)?.status, "revoked");
  });

  test("refusals: a forged signature, another wallet's message, an expired deadline, a doctor relaying", async () => {
    const auditsBefore = await gw.deps.db.auditLog.count({ where: { action: "consents.grant", outcome: "success" } });
    const message = grantMessage();
    const forged = { ...(await signedRelay(GUARDIAN, "ConsentGrant", message, domain)), signer: RESIDENT.address };
    const r1 = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: forged });
    assert.equal(r1.status, 400);
    assert.equal((await body<{ code: string }>(r1)).code, "INVALID_SIGNATURE");

    const guardianSigned = await signedRelay(GUARDIAN, "ConsentGrant", message, domain);
    const r2 = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: guardianSigned });
    assert.equal(r2.status, 403);

    const expired = grantMessage({ deadline: now - 10n });
    const r3 = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentGrant", expired, domain) });
    assert.equal(r3.status, 400);
    assert.equal((await body<{ code: string; details: { what: string } }>(r3)).details.what, "deadline");

    const doctor = (await gw.signInStaff("hospital-doctor")).token;
    const r4 = await gw.call("POST", "/v1/consents/grants", { token: doctor, json: await signedRelay(RESIDENT, "ConsentGrant", grantMessage(), domain) });
    assert.equal(r4.status, 403);

    const admin = (await gw.signInStaff("hospital-admin")).token;
    const r5 = await gw.call("POST", "/v1/consents/grants", { token: admin, json: await signedRelay(RESIDENT, "ConsentGrant", grantMessage(), domain) });
    assert.equal(r5.status, 403);
    assert.equal((await body<{ code: string }>(r5)).code, "ROLE_REQUIRED");
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "consents.grant", outcome: "success" } }), auditsBefore);
  });

  test("a relay the chain refuses is a typed error; a retry with the same key is applied once", async () => {
    const relay = await signedRelay(RESIDENT, "ConsentGrant", grantMessage(), domain);
    const headers = { "idempotency-key": "consent-grant-0001" };
    const first = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: relay, headers });
    assert.equal(first.status, 201);
    const retry = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: relay, headers });
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get("idempotent-replayed"), "true");
    const firstBody = await body<{ grantId: string }>(first);
    assert.deepEqual(await body(retry), firstBody);
    const grantId = firstBody.grantId;
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "consents.grant", target: grantId, outcome: "success" } }), 1);

    // Without the key the same message reaches the contract, which refuses the used nonce.
    const replay = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: relay });
    assert.equal(replay.status, 502);
    const error = await body<{ code: string; details: { errorName: string } }>(replay);
    assert.equal(error.code, "CONTRACT_REVERTED");
    assert.equal(error.details.errorName, "NonceAlreadyUsed");
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "consents.grant", target: grantId, outcome: "success" } }), 1);
  });

  test("a delegation is relayed and ended; only the resident delegates", async () => {
    const delegation = { resident: RESIDENT.address, delegate: GUARDIAN.address, relation: 0, notAfter: now + 30n * DAY, nonce: nextNonce(), deadline: now + 3600n };
    const res = await gw.call("POST", "/v1/consents/delegations", { token: resident.token, json: await signedRelay(RESIDENT, "Delegation", delegation, domain) });
    assert.equal(res.status, 201, await res.clone().text());
    const { delegationId } = await body<{ delegationId: Hex }>(res);
    const [, , active] = await gw.deps.chain.contracts.consentRegistry.read.delegation([RESIDENT.address, GUARDIAN.address]);
    assert.equal(active, true);

    // The guardian now grants for the resident.
    const guardian = await gw.signInResident(GUARDIAN);
    const byGuardian = await gw.call("POST", "/v1/consents/grants", { token: guardian.token, json: await signedRelay(GUARDIAN, "ConsentGrant", grantMessage(), domain) });
    assert.equal(byGuardian.status, 201, await byGuardian.clone().text());

    const end = { resident: RESIDENT.address, delegate: GUARDIAN.address, delegationId, nonce: nextNonce(), deadline: now + 3600n };
    const notResident = await gw.call("POST", "/v1/consents/delegation-revocations", { token: guardian.token, json: await signedRelay(GUARDIAN, "DelegationRevocation", end, domain) });
    assert.equal(notResident.status, 403);
    const ended = await gw.call("POST", "/v1/consents/delegation-revocations", { token: resident.token, json: await signedRelay(RESIDENT, "DelegationRevocation", end, domain) });
    assert.equal(ended.status, 200);
    const [, , still] = await gw.deps.chain.contracts.consentRegistry.read.delegation([RESIDENT.address, GUARDIAN.address]);
    assert.equal(still, false);
  });

  test("a doctor's access request notifies the resident, whose signed answer creates the grant", async () => {
    const doctor = (await gw.signInStaff("hospital-doctor")).token;
    const res = await gw.call("POST", "/v1/consents/requests", {
      token: doctor,
      json: { resident: RESIDENT.address, categories: [LAB], fields: [LAB_FIELDS.diagnosis], purposes: ["treatment"], validFor: 86400, reason: "follow-up of the HbA1c result" },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const filed = await body<{ requestId: Hex; requestHash: Hex; request: Record<string, unknown> }>(res);
    const doctorAccount = doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor");
    assert.equal(filed.request.grantee, accountAsGrantee(doctorAccount));
    const note = await gw.deps.db.notification.findFirst({ where: { resident: RESIDENT.address, kind: "access-requested" }, orderBy: { id: "desc" } });
    const payload = JSON.parse(note!.payloadJson) as { requestId: string; requestHash: string; reason: string };
    assert.equal(payload.requestId, filed.requestId);
    assert.equal(payload.requestHash, filed.requestHash);

    const answer = { requestId: filed.requestId, requestHash: filed.requestHash, approve: true, mode: 0, notBefore: now - 60n, notAfter: now - 60n + DAY, nonce: nextNonce(), deadline: now + 3600n };
    const relay = { ...(await signedRelay(RESIDENT, "RequestAnswer", answer, domain)), request: filed.request };
    const wrongHash = { ...(await signedRelay(RESIDENT, "RequestAnswer", { ...answer, requestHash: `0x${"12".repeat(32)}` as Hex }, domain)), request: filed.request };
    const bad = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, { token: resident.token, json: wrongHash });
    assert.equal(bad.status, 400);
    const answered = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, { token: resident.token, json: relay });
    assert.equal(answered.status, 200, await answered.clone().text());
    const { grantId } = await body<{ grantId: Hex }>(answered);
    assert.equal(grantId, grantIdOf("RequestAnswer", answer, domain));
    const stored = await gw.deps.chain.contracts.consentRegistry.read.getRequest([filed.requestId]);
    assert.equal(stored.status, 2);

    await gw.syncMirror();
    const mine = await body<{ items: { grantId: string }[] }>(await gw.call("GET", "/v1/consents/grants", { token: doctor }));
    assert.ok(mine.items.some((g) => g.grantId === grantId), "the doctor sees the grant made to them");
    const requests = await body<{ items: { requestId: string; status: string; requestHash: string }[] }>(await gw.call("GET", "/v1/consents/requests", { token: resident.token }));
    const listed = requests.items.find((r) => r.requestId === filed.requestId);
    assert.equal(listed?.status, "approved");
    assert.equal(listed?.requestHash, filed.requestHash, "the listing gives the hash the answer signs");
  });

  test("a request the chain refuses leaves no notification and no success audit row", async () => {
    // The EQA centre is no DATA_CONSUMER: ConsentRegistry refuses its requests.
    const eqa = (await gw.signInStaff("eqa-system")).token;
    const notes = await gw.deps.db.notification.count({ where: { resident: RESIDENT.address } });
    const audits = await gw.deps.db.auditLog.count({ where: { action: "consents.request", outcome: "success" } });
    const res = await gw.call("POST", "/v1/consents/requests", {
      token: eqa,
      json: { resident: RESIDENT.address, granteeKind: "institution", categories: [LAB], fields: [LAB_FIELDS.result], purposes: ["research"], validFor: 3600, reason: "survey" },
    });
    assert.equal(res.status, 502);
    assert.equal((await body<{ details: { errorName: string } }>(res)).details.errorName, "MissingRole");
    assert.equal(await gw.deps.db.notification.count({ where: { resident: RESIDENT.address } }), notes);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "consents.request", outcome: "success" } }), audits);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "consents.request", outcome: "failure" } }), 1);
  });

  test("staff relay on-site answers to their own institution's requests only", async () => {
    const his = (await gw.signInStaff("hospital-his")).token;
    const res = await gw.call("POST", "/v1/consents/requests", {
      token: his,
      json: { resident: RESIDENT.address, doctorStaffId: "hospital-doctor", categories: [LAB], fields: [LAB_FIELDS.result], purposes: ["treatment", "referral"], validFor: 3600, reason: "on-site consultation" },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const filed = await body<{ requestId: Hex; requestHash: Hex; request: Record<string, unknown> }>(res);
    const answer = (mode: number) => ({ requestId: filed.requestId, requestHash: filed.requestHash, approve: true, mode, notBefore: now - 60n, notAfter: now + 3000n, nonce: nextNonce(), deadline: now + 3600n });
    const remote = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, { token: his, json: { ...(await signedRelay(RESIDENT, "RequestAnswer", answer(0), domain)), request: filed.request } });
    assert.equal(remote.status, 403);
    const other = (await gw.signInStaff("authority-system")).token;
    const foreign = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, { token: other, json: { ...(await signedRelay(RESIDENT, "RequestAnswer", answer(1), domain)), request: filed.request } });
    assert.equal(foreign.status, 403);
    // The request content comes from the mirror when the body does not carry it.
    await gw.syncMirror();
    const onSite = await gw.call("POST", `/v1/consents/requests/${filed.requestId}/answer`, { token: his, json: await signedRelay(RESIDENT, "RequestAnswer", answer(1), domain) });
    assert.equal(onSite.status, 200, await onSite.clone().text());
    assert.equal(getAddress((await gw.deps.chain.contracts.consentRegistry.read.getRequest([filed.requestId])).resident), RESIDENT.address);
  });
});
