// Two gateway instances on one database, each with its own Prisma client and session cache, as two
// processes behind a load balancer would be.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hexToBytes, type Hex } from "viem";
import { signSm2, sm3Hex, toHex, utf8 } from "@health-chain/sdk";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { INSTITUTIONS, body, startTestGateway, type TestGateway } from "./helpers.ts";

for (const provider of ["sqlite", "postgresql"] as const) describe(`several gateway processes on one ${provider} database`, () => {
  let gw: TestGateway;
  let other: Awaited<ReturnType<TestGateway["secondInstance"]>>;
  const onOther = (method: string, path: string, o: { token?: string; json?: unknown; headers?: Record<string, string> } = {}) =>
    other.app.request(path, {
      method,
      headers: { ...(o.headers ?? {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.json !== undefined ? { "content-type": "application/json" } : {}) },
      ...(o.json !== undefined ? { body: JSON.stringify(o.json) } : {}),
    });

  let postgres: TestPostgres | undefined;

  before(async () => {
    let databaseUrl: string | undefined;
    if (provider === "postgresql") {
      postgres = await startPostgres();
      databaseUrl = await postgres.createDatabase("gateway_multi");
    }
    // No session cache: a logout on one process is seen by the other at once.
    gw = await startTestGateway({ ...(databaseUrl ? { databaseUrl } : {}), configure: (f) => void (f.auth = { ...f.auth, sessionCacheMs: 0 }) });
    other = await gw.secondInstance();
  });
  after(async () => {
    await gw?.close();
    await postgres?.stop();
  });

  it("accepts on one process a session made on the other, and a logout on one ends it on both", async () => {
    const { token } = await gw.signInStaff("platform-auditor");
    assert.equal((await onOther("GET", "/v1/auth/session", { token })).status, 200);
    assert.equal((await onOther("POST", "/v1/auth/logout", { token })).status, 200);
    const res = await gw.call("GET", "/v1/auth/session", { token });
    assert.equal(res.status, 401);
    assert.equal((await body(res)).code, "SESSION_EXPIRED");
  });

  it("uses a challenge once across processes", async () => {
    const ch = await body<{ challengeId: string; message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: "hospital-his" } }));
    const signIn = {
      challengeId: ch.challengeId,
      staffId: "hospital-his",
      signature: toHex(signSm2({ utf8: ch.message }, gw.staffKeys["hospital-his"]!.privateKey)),
    };
    const [a, b] = await Promise.all([gw.call("POST", "/v1/auth/sm2", { json: signIn }), onOther("POST", "/v1/auth/sm2", { json: signIn })]);
    assert.deepEqual([a.status, b.status].sort(), [200, 401]);
    assert.equal((await onOther("POST", "/v1/auth/sm2", { json: signIn })).status, 401);
  });

  it("applies an idempotent write once across processes", async () => {
    const { token } = await gw.signInStaff("eqa-system");
    const documentHash = sm3Hex(utf8("report shared by two processes")) as Hex;
    const payload = {
      certificateNumber: "MP-1",
      documentType: "proficiencyTestingReport",
      subject: INSTITUTIONS.hospital,
      documentHash,
      issuerSignature: toHex(signSm2(hexToBytes(documentHash), gw.staffKeys["eqa-system"]!.privateKey)),
    };
    const headers = { "idempotency-key": "multi-process-issue-1" };
    const first = await gw.call("POST", "/v1/certificates", { token, json: payload, headers });
    assert.equal(first.status, 201);
    const replay = await onOther("POST", "/v1/certificates", { token, json: payload, headers });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await replay.json(), await first.json());
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "certificates.issue", outcome: "success" } }), 1);

    // Concurrent first attempts of a new key: one is applied, the other told it is in progress (or replayed).
    const concurrent = { ...payload, certificateNumber: "MP-2" };
    const h2 = { "idempotency-key": "multi-process-issue-2" };
    const [x, y] = await Promise.all([gw.call("POST", "/v1/certificates", { token, json: concurrent, headers: h2 }), onOther("POST", "/v1/certificates", { token, json: concurrent, headers: h2 })]);
    const statuses = [x.status, y.status].sort();
    assert.ok(statuses[0] === 201 && (statuses[1] === 409 || statuses[1] === 201), `statuses ${statuses}`);
    if (statuses[1] === 409) {
      const conflict = x.status === 409 ? x : y;
      assert.equal((await body(conflict)).code, "REQUEST_IN_PROGRESS");
    }
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "certificates.issue", outcome: "success" } }), 2);
  });
});
