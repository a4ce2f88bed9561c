import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateSm2KeyPair, signSm2, toHex } from "@health-chain/sdk";
import { body, devAccount, startTestGateway, type TestGateway } from "./helpers.ts";

describe("auth", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.close();
  });

  it("signs a member of staff in with SM2 and the session shows the principal", async () => {
    const { token } = await gw.signInStaff("hospital-doctor");
    const res = await gw.call("GET", "/v1/auth/session", { token });
    assert.equal(res.status, 200);
    const { principal } = await body<{ principal: { kind: string; roles: string[]; institution: string } }>(res);
    assert.equal(principal.kind, "staff");
    assert.deepEqual(principal.roles, ["doctor"]);
    assert.equal(principal.institution, devAccount(1).address);
  });

  it("signs a resident in with SIWE", async () => {
    const { token, address } = await gw.signInResident(5);
    const res = await gw.call("GET", "/v1/auth/session", { token });
    const { principal } = await body<{ principal: { kind: string; wallet: string; roles: string[] } }>(res);
    assert.equal(principal.kind, "resident");
    assert.equal(principal.wallet, address);
    assert.deepEqual(principal.roles, ["resident"]);
  });

  it("refuses a used challenge, a wrong key and an unknown staff id with SIGN_IN_FAILED", async () => {
    const ch = await body<{ challengeId: string; message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: "hospital-his" } }));
    const key = gw.staffKeys["hospital-his"]!;
    const good = { challengeId: ch.challengeId, staffId: "hospital-his", signature: toHex(signSm2({ utf8: ch.message }, key.privateKey)) };
    assert.equal((await gw.call("POST", "/v1/auth/sm2", { json: good })).status, 200);
    const reused = await gw.call("POST", "/v1/auth/sm2", { json: good });
    assert.equal(reused.status, 401);
    assert.equal((await body(reused)).code, "SIGN_IN_FAILED");

    const ch2 = await body<{ challengeId: string; message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: "hospital-his" } }));
    const wrong = await gw.call("POST", "/v1/auth/sm2", {
      json: { challengeId: ch2.challengeId, staffId: "hospital-his", signature: toHex(signSm2({ utf8: ch2.message }, generateSm2KeyPair().privateKey)) },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await body(wrong)).code, "SIGN_IN_FAILED");
  });

  it("refuses a SIWE message that was altered, signed by another wallet, or replayed", async () => {
    const account = devAccount(10);
    const ch = await body<{ message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: account.address } }));
    const altered = ch.message.replace("Version: 1", "Version: 1 ");
    const tampered = await gw.call("POST", "/v1/auth/siwe", { json: { message: altered, signature: await account.signMessage({ message: altered }) } });
    assert.equal(tampered.status, 401);
    assert.equal((await body(tampered)).code, "SIGN_IN_FAILED");

    const ch2 = await body<{ message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: account.address } }));
    const other = await gw.call("POST", "/v1/auth/siwe", { json: { message: ch2.message, signature: await devAccount(11).signMessage({ message: ch2.message }) } });
    assert.equal(other.status, 401);
    const replay = await gw.call("POST", "/v1/auth/siwe", { json: { message: ch2.message, signature: await account.signMessage({ message: ch2.message }) } });
    assert.equal(replay.status, 401, "the challenge was used by the failed attempt");
    assert.ok((await gw.deps.db.auditLog.count({ where: { action: "auth.sign-in", outcome: "failure" } })) >= 3);
  });

  it("answers invalid input with 400 INVALID_INPUT and writes nothing", async () => {
    const before = { sessions: await gw.deps.db.session.count(), challenges: await gw.deps.db.challenge.count(), audit: await gw.deps.db.auditLog.count() };
    const cases: [string, unknown][] = [
      ["/v1/auth/challenge", {}],
      ["/v1/auth/challenge", { subject: "" }],
      ["/v1/auth/challenge", { subject: "x".repeat(65) }],
      ["/v1/auth/sm2", { challengeId: "nope", staffId: "hospital-his", signature: "00" }],
      ["/v1/auth/sm2", { challengeId: "0".repeat(32), staffId: "hospital-his", signature: "zz" }],
      ["/v1/auth/sm2", { challengeId: "0".repeat(32), staffId: "hospital-his", signature: "00".repeat(64), sessionPublicKey: "04abcd" }],
      ["/v1/auth/siwe", { message: "hello", signature: "0x1234" }],
      ["/v1/auth/siwe", { signature: `0x${"11".repeat(65)}` }],
    ];
    for (const [path, json] of cases) {
      const res = await gw.call("POST", path, { json });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(json)}`);
      const error = await body<{ code: string; details: { issues: unknown[] } }>(res);
      assert.equal(error.code, "INVALID_INPUT");
      assert.ok(error.details.issues.length > 0);
    }
    const noBody = await gw.app.request("/v1/auth/sm2", { method: "POST" });
    assert.equal(noBody.status, 400);
    assert.equal((await body(noBody)).code, "INVALID_INPUT");
    const wrongType = await gw.app.request("/v1/auth/sm2", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
    assert.equal(wrongType.status, 415);
    assert.equal((await body(wrongType)).code, "INVALID_INPUT");
    // An SM2 public key that is not on the curve.
    const ch = await body<{ challengeId: string; message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: "hospital-his" } }));
    const offCurve = await gw.call("POST", "/v1/auth/sm2", {
      json: { challengeId: ch.challengeId, staffId: "hospital-his", signature: "00".repeat(64), sessionPublicKey: `04${"11".repeat(64)}` },
    });
    assert.equal(offCurve.status, 400);
    assert.equal(await gw.deps.db.session.count(), before.sessions);
    assert.equal(await gw.deps.db.challenge.count(), before.challenges + 1);
    assert.equal(await gw.deps.db.auditLog.count(), before.audit);
  });

  it("logout ends the session", async () => {
    const { token } = await gw.signInStaff("platform-auditor");
    assert.equal((await gw.call("POST", "/v1/auth/logout", { token })).status, 200);
    const res = await gw.call("GET", "/v1/auth/session", { token });
    assert.equal(res.status, 401);
    assert.equal((await body(res)).code, "SESSION_EXPIRED");
  });
});
