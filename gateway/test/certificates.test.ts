import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hexToBytes, type Hex } from "viem";
import { generateSm2KeyPair, signSm2, sm3Hex, toHex, utf8 } from "@health-chain/sdk";
import { INSTITUTIONS, body, startTestGateway, type TestGateway } from "./helpers.ts";

describe("certificates", () => {
  let gw: TestGateway;
  let eqa: string;
  let eqaAdmin: string;
  let hospitalAdmin: string;
  let doctor: string;
  const document = "EQA 2026 round 1: clinical chemistry — passed / 室间质评合格";
  const documentHash = sm3Hex(utf8(document)) as Hex;

  const issueBody = (over: Record<string, unknown> = {}) => ({
    certificateNumber: `EQA-2026-${Math.random().toString(36).slice(2)}`,
    documentType: "eqaCertificate",
    subject: INSTITUTIONS.hospital,
    documentHash,
    issuerSignature: toHex(signSm2(hexToBytes(documentHash), gw.staffKeys["eqa-system"]!.privateKey)),
    ...over,
  });

  before(async () => {
    gw = await startTestGateway();
    eqa = (await gw.signInStaff("eqa-system")).token;
    eqaAdmin = (await gw.signInStaff("eqa-admin")).token;
    hospitalAdmin = (await gw.signInStaff("hospital-admin")).token;
    doctor = (await gw.signInStaff("hospital-doctor")).token;
  });
  after(async () => {
    await gw?.close();
  });

  it("issues a certificate with the issuer's SM2 signature and verifies it by id and document hash, publicly", async () => {
    const res = await gw.call("POST", "/v1/certificates", { token: eqa, json: issueBody() });
    assert.equal(res.status, 201, await res.clone().text());
    const issued = await body<{ certId: string; issuer: string; txHash: string; blockNumber: number; issuedAt: string }>(res);
    assert.equal(issued.issuer, INSTITUTIONS.eqaCentre);
    assert.match(issued.txHash, /^0x[0-9a-f]{64}$/);
    assert.ok(issued.issuedAt);

    await gw.syncMirror();
    const got = await gw.call("GET", `/v1/certificates/${issued.certId}`);
    assert.equal(got.status, 200);
    const cert = await body<{ documentHash: string; issuerSignatureValid: boolean; txHash: string; documentType: { name: string }; revocation: unknown }>(got);
    assert.equal(cert.documentHash, documentHash);
    assert.equal(cert.issuerSignatureValid, true);
    assert.equal(cert.txHash, issued.txHash);
    assert.equal(cert.documentType.name, "eqaCertificate");
    assert.equal(cert.revocation, null);

    const ok = await body<{ valid: boolean; status: { name: string } }>(await gw.call("GET", `/v1/certificates/${issued.certId}/verify?documentHash=${documentHash}`));
    assert.equal(ok.valid, true);
    assert.equal(ok.status.name, "valid");
    const other = sm3Hex(utf8(`${document} (altered)`));
    const mismatch = await body<{ valid: boolean; status: { name: string; zh: string } }>(await gw.call("GET", `/v1/certificates/${issued.certId}/verify?documentHash=${other}`));
    assert.equal(mismatch.valid, false);
    assert.equal(mismatch.status.name, "hashMismatch");
    const unknown = await body<{ status: { name: string }; certificate: unknown }>(
      await gw.call("GET", `/v1/certificates/0x${"12".repeat(32)}/verify?documentHash=${documentHash}`),
    );
    assert.equal(unknown.status.name, "unknown");
    assert.equal(unknown.certificate, null);

    const audit = await gw.deps.db.auditLog.findMany({ where: { action: "certificates.issue", target: issued.certId } });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.subject, "eqa-system");
    assert.equal(audit[0]?.outcome, "success");
  });

  it("lets only the issuing institution revoke, after which verification answers revoked", async () => {
    const issued = await body<{ certId: string }>(await gw.call("POST", "/v1/certificates", { token: eqa, json: issueBody() }));
    const foreign = await gw.call("POST", `/v1/certificates/${issued.certId}/revoke`, { token: hospitalAdmin, json: { reason: "withdrawn" } });
    assert.equal(foreign.status, 403);
    assert.equal((await body(foreign)).code, "FORBIDDEN");
    const failed = await gw.deps.db.auditLog.findMany({ where: { action: "certificates.revoke", outcome: "failure" } });
    assert.equal(failed.length, 1);

    const res = await gw.call("POST", `/v1/certificates/${issued.certId}/revoke`, { token: eqaAdmin, json: { reason: "keyCompromise" } });
    assert.equal(res.status, 200, await res.clone().text());
    const verified = await body<{ status: { name: string }; certificate: { revocation: { reason: { name: string } } } }>(
      await gw.call("GET", `/v1/certificates/${issued.certId}/verify?documentHash=${documentHash}`),
    );
    assert.equal(verified.status.name, "revoked");
    assert.equal(verified.certificate.revocation.reason.name, "keyCompromise");

    const again = await gw.call("POST", `/v1/certificates/${issued.certId}/revoke`, { token: eqaAdmin, json: { reason: "keyCompromise" } });
    assert.equal(again.status, 502);
    const error = await body<{ code: string; details: { errorName: string } }>(again);
    assert.equal(error.code, "CONTRACT_REVERTED");
    assert.equal(error.details.errorName, "AlreadyRevoked");
  });

  it("applies a retried issue once (Idempotency-Key) and refuses the key for another body", async () => {
    const payload = issueBody();
    const headers = { "idempotency-key": "cert-issue-0001" };
    const first = await gw.call("POST", "/v1/certificates", { token: eqa, json: payload, headers });
    assert.equal(first.status, 201);
    const second = await gw.call("POST", "/v1/certificates", { token: eqa, json: payload, headers });
    assert.equal(second.status, 201);
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    const firstBody = await body<{ certId: string }>(first);
    assert.deepEqual(await second.json(), firstBody);
    const other = await gw.call("POST", "/v1/certificates", { token: eqa, json: issueBody(), headers });
    assert.equal(other.status, 409);
    assert.equal((await body(other)).code, "IDEMPOTENCY_KEY_REUSED");
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "certificates.issue", target: firstBody.certId } }), 1);
  });

  it("refuses without a session (401), for the wrong role (403 ROLE_REQUIRED), and bad input (400) writing nothing", async () => {
    const before = { audit: await gw.deps.db.auditLog.count(), keys: await gw.deps.db.idempotencyKey.count() };
    const anonymous = await gw.call("POST", "/v1/certificates", { json: issueBody() });
    assert.equal(anonymous.status, 401);
    assert.equal((await body(anonymous)).code, "UNAUTHENTICATED");

    const wrongRole = await gw.call("POST", "/v1/certificates", { token: doctor, json: issueBody() });
    assert.equal(wrongRole.status, 403);
    assert.equal((await body(wrongRole)).code, "ROLE_REQUIRED");

    for (const bad of [
      issueBody({ documentHash: "0x1234" }),
      issueBody({ documentType: "poem" }),
      issueBody({ certId: `0x${"ab".repeat(32)}` }), // both certId and certificateNumber
      { documentType: "eqaCertificate" },
    ]) {
      const res = await gw.call("POST", "/v1/certificates", { token: eqa, json: bad, headers: { "idempotency-key": `bad-input-${Math.random()}` } });
      assert.equal(res.status, 400);
      const error = await body<{ code: string; message: string; messageZh: string; requestId: string }>(res);
      assert.equal(error.code, "INVALID_INPUT");
      assert.ok(error.messageZh.length > 0);
      assert.ok(error.requestId);
    }
    const notJson = await gw.app.request("/v1/certificates", { method: "POST", headers: { authorization: `Bearer ${eqa}`, "content-type": "application/json" }, body: "{" });
    assert.equal(notJson.status, 400);
    assert.equal((await body(notJson)).code, "INVALID_INPUT");

    const forged = await gw.call("POST", "/v1/certificates", {
      token: eqa,
      json: issueBody({ issuerSignature: toHex(signSm2(hexToBytes(documentHash), generateSm2KeyPair().privateKey)) }),
    });
    assert.equal(forged.status, 400);
    assert.equal((await body(forged)).code, "INVALID_SIGNATURE");

    assert.equal(await gw.deps.db.idempotencyKey.count(), before.keys);
    assert.equal(await gw.deps.db.auditLog.count(), before.audit);
  });

  it("answers CONTRACT_REVERTED with the custom error when the institution is no certificate issuer", async () => {
    const his = await gw.signInStaff("hospital-his");
    const res = await gw.call("POST", "/v1/certificates", {
      token: his.token,
      headers: { "idempotency-key": "reverted-issue-1" },
      json: issueBody({ issuerSignature: toHex(signSm2(hexToBytes(documentHash), gw.staffKeys["hospital-his"]!.privateKey)) }),
    });
    // hospital-his is an institution-system (role allowed) of a hospital without CERT_ISSUER.
    assert.equal(res.status, 502);
    const error = await body<{ code: string; details: { errorName: string } }>(res);
    assert.equal(error.code, "CONTRACT_REVERTED");
    assert.equal(error.details.errorName, "MissingRole");
    const failure = await gw.deps.db.auditLog.findFirst({ where: { action: "certificates.issue", outcome: "failure" } });
    assert.ok(failure);
    // The failed request let its idempotency key go: a retry is tried again, not answered from a record.
    assert.equal(await gw.deps.db.idempotencyKey.count({ where: { key: "reverted-issue-1" } }), 0);
  });
});
