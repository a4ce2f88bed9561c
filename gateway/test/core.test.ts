import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRbac, checkPermissionsDefined, permissionsInUse, requirePermission } from "../src/middleware/rbac.ts";
import { signSessionToken, verifySessionToken } from "../src/auth/token.ts";
import { parseConfig } from "../src/config.ts";
import { body, manualClock, startTestGateway, type TestGateway } from "./helpers.ts";

describe("gateway core", () => {
  let gw: TestGateway;
  const clock = manualClock(new Date());
  before(async () => {
    gw = await startTestGateway({ clock, configure: (f) => void (f.corsOrigins = ["http://localhost:5173"]) });
  });
  after(async () => {
    await gw?.close();
  });

  it("serves /healthz with the database and chain checks", async () => {
    const res = await gw.call("GET", "/healthz");
    assert.equal(res.status, 200);
    const health = await body<{ status: string; chainId: number; checks: Record<string, string> }>(res);
    assert.equal(health.status, "ok");
    assert.equal(health.checks.database, "ok");
    assert.match(health.checks.chain ?? "", /^ok/);
  });

  it("publishes an OpenAPI 3 document with every route, the bearer scheme and the error body", async () => {
    const doc = await body<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } }>(
      await gw.call("GET", "/openapi.json"),
    );
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      "/v1/auth/challenge",
      "/v1/auth/sm2",
      "/v1/auth/siwe",
      "/v1/auth/logout",
      "/v1/certificates",
      "/v1/certificates/{certId}/verify",
      "/v1/audit",
      "/v1/audit/export.csv",
      "/v1/consortium/members",
      "/v1/consortium/proposals/{proposalId}/votes",
      "/v1/notifications",
    ]) {
      assert.ok(doc.paths[path] ?? doc.paths[`${path}/`], `missing ${path}`);
    }
    assert.ok(doc.components.securitySchemes.bearer);
    assert.ok(doc.components.schemas.Error);
    assert.ok(doc.paths["/v1/auth/sm2"]?.post?.responses["401"]);
  });

  it("serves Swagger UI at /docs with every asset from the gateway itself", async () => {
    const res = await gw.call("GET", "/docs");
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)="https?:/);
    const local = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(local.includes("/docs/assets/swagger-ui-bundle.js") && local.includes("/docs/init.js"), html);
    for (const path of local) assert.equal((await gw.call("GET", path)).status, 200, path);
    assert.match(await (await gw.call("GET", "/docs/init.js")).text(), /url: "\/openapi\.json"/);
    for (const path of ["/docs/assets/package.json", "/docs/assets/..%2Fpackage.json", "/docs/assets/index.html"]) {
      assert.equal((await gw.call("GET", path)).status, 404, path);
    }
  });

  it("counts requests by route pattern and status on /metrics", async () => {
    await gw.call("GET", `/v1/certificates/0x${"00".repeat(31)}01`);
    const text = await (await gw.call("GET", "/metrics")).text();
    assert.match(text, /gateway_http_requests_total\{route="\/v1\/certificates\/:certId",method="GET",status="404"\} 1/);
    assert.match(text, /gateway_http_request_duration_seconds_bucket/);
  });

  it("echoes a request id, or makes one, and puts it in error bodies", async () => {
    const given = await gw.call("GET", "/nowhere", { headers: { "x-request-id": "trace-123" } });
    assert.equal(given.status, 404);
    assert.equal(given.headers.get("x-request-id"), "trace-123");
    const error = await body<{ code: string; requestId: string; message: string; messageZh: string }>(given);
    assert.equal(error.code, "NOT_FOUND");
    assert.equal(error.requestId, "trace-123");
    assert.ok(error.messageZh);
    const made = await gw.call("GET", "/healthz");
    assert.match(made.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  it("refuses a forged, malformed or expired session token with SESSION_EXPIRED", async () => {
    const { token } = await gw.signInStaff("platform-auditor");
    assert.equal((await gw.call("GET", "/v1/audit", { token })).status, 200);
    const forged = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    for (const bad of [forged, "nonsense", `${token}x`]) {
      const res = await gw.call("GET", "/v1/audit", { token: bad });
      assert.equal(res.status, 401);
      assert.equal((await body(res)).code, "SESSION_EXPIRED");
    }
    clock.advance(gw.config.auth.sessionTtlSeconds * 1000 + 1000);
    try {
      const expired = await gw.call("GET", "/v1/audit", { token });
      assert.equal(expired.status, 401);
      assert.equal((await body(expired)).code, "SESSION_EXPIRED");
    } finally {
      clock.set(new Date());
    }
  });

  it("refuses an expired challenge", async () => {
    const ch = await body<{ challengeId: string; message: string }>(await gw.call("POST", "/v1/auth/challenge", { json: { subject: "hospital-his" } }));
    clock.advance(gw.config.auth.challengeTtlSeconds * 1000 + 1);
    try {
      const { signSm2, toHex } = await import("@health-chain/sdk");
      const res = await gw.call("POST", "/v1/auth/sm2", {
        json: { challengeId: ch.challengeId, staffId: "hospital-his", signature: toHex(signSm2({ utf8: ch.message }, gw.staffKeys["hospital-his"]!.privateKey)) },
      });
      assert.equal(res.status, 401);
      assert.equal((await body<{ details: { reason: string } }>(res)).details.reason, "challenge-unknown-used-or-expired");
    } finally {
      clock.set(new Date());
    }
  });

  it("answers CORS preflights for configured origins only", async () => {
    const allowed = await gw.call("OPTIONS", "/v1/audit", { headers: { origin: "http://localhost:5173", "access-control-request-method": "GET" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "http://localhost:5173");
    const other = await gw.call("OPTIONS", "/v1/audit", { headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("answers REQUEST_IN_PROGRESS while a claim is fresh, and takes over a claim abandoned by a dead process", async () => {
    const { sm3Hex, utf8 } = await import("@health-chain/sdk");
    const { STALE_CLAIM_MS } = await import("../src/middleware/idempotency.ts");
    const { token } = await gw.signInStaff("eqa-system");
    const json = { certificateNumber: "X-1", documentType: "other", subject: `0x${"22".repeat(32)}`, documentHash: `0x${"33".repeat(32)}`, issuerSignature: "0x00" };
    const requestHash = sm3Hex(utf8(`POST\n/v1/certificates\n${JSON.stringify(json)}`));
    await gw.deps.db.idempotencyKey.create({
      data: { key: "claimed-elsewhere", principal: "eqa-system", method: "POST", path: "/v1/certificates", requestHash, status: "in-progress", createdAt: clock.now() },
    });
    const busy = await gw.call("POST", "/v1/certificates", { token, json, headers: { "idempotency-key": "claimed-elsewhere" } });
    assert.equal(busy.status, 409);
    assert.equal((await body(busy)).code, "REQUEST_IN_PROGRESS");
    clock.advance(STALE_CLAIM_MS + 1000);
    try {
      const taken = await gw.call("POST", "/v1/certificates", { token, json, headers: { "idempotency-key": "claimed-elsewhere" } });
      // Taken over and run: this body's signature is refused, so the key is released again.
      assert.equal(taken.status, 400);
      assert.equal((await body(taken)).code, "INVALID_SIGNATURE");
      assert.equal(await gw.deps.db.idempotencyKey.count({ where: { key: "claimed-elsewhere" } }), 0);
    } finally {
      clock.set(new Date());
    }
  });

  it("rejects an Idempotency-Key that is not a sane token", async () => {
    const { token } = await gw.signInStaff("eqa-system");
    const res = await gw.call("POST", "/v1/certificates", { token, json: {}, headers: { "idempotency-key": "no" } });
    assert.equal(res.status, 400);
    assert.equal((await body(res)).code, "INVALID_INPUT");
  });
});

describe("session tokens", () => {
  it("verify only with the secret and before expiry", () => {
    const secret = "a secret of at least thirty-two bytes....";
    const now = new Date("2026-01-01T00:00:00Z");
    const token = signSessionToken(secret, "AAAAAAAAAAAAAAAAAAAAAA", new Date(now.getTime() + 60_000));
    assert.deepEqual(verifySessionToken(secret, token, now)?.sessionId, "AAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(verifySessionToken(`${secret}!`, token, now), undefined);
    assert.equal(verifySessionToken(secret, token, new Date(now.getTime() + 61_000)), undefined);
    const [p, id, , mac] = token.split(".");
    assert.equal(verifySessionToken(secret, `${p}.${id}.9999999999.${mac}`, now), undefined);
  });
});

describe("RBAC", () => {
  it("denies by default and stops the gateway at start for a permission the file lacks", () => {
    const rbac = createRbac({ "certificates:issue": ["institution-system"] });
    assert.equal(rbac.allows(["institution-system"], "certificates:issue"), true);
    assert.equal(rbac.allows(["admin"], "certificates:issue"), false);
    assert.equal(rbac.allows(["admin"], "unknown:thing"), false);
    requirePermission("certificates:issue");
    assert.ok(permissionsInUse().has("certificates:issue"));
    assert.throws(() => checkPermissionsDefined(rbac, new Set(["certificates:issue", "made-up:permission"])), /made-up:permission/);
  });
});

describe("configuration", () => {
  it("ships a valid development configuration whose staff keys match dev-staff-keys.json", async () => {
    const { loadConfig } = await import("../src/config.ts");
    const { deriveSm2PublicKey, toHex } = await import("@health-chain/sdk");
    const { readFileSync } = await import("node:fs");
    const dir = new URL("../config/", import.meta.url).pathname;
    const config = loadConfig(`${dir}dev.json`, {});
    assert.equal(config.mode, "dev");
    assert.match(config.databaseUrl, /^file:\//);
    const { keys } = JSON.parse(readFileSync(`${dir}dev-staff-keys.json`, "utf8")) as { keys: Record<string, string> };
    for (const staff of config.staff) assert.equal(toHex(deriveSm2PublicKey(keys[staff.id] as string)), staff.sm2PublicKey, staff.id);
  });

  const base = {
    databaseUrl: "file:./g.db",
    mirrorDatabaseUrl: "file:./m.db",
    chain: { rpcUrl: "http://127.0.0.1:8545", deploymentsDir: "d" },
    institutions: [{ address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", name: "H", key: { env: "KEY" } }],
    relayer: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  };
  it("requires a token secret of 32 bytes outside dev mode and resolves paths against the file", () => {
    assert.throws(() => parseConfig(base, { baseDir: "/etc/gw" }), /tokenSecret/);
    assert.throws(() => parseConfig({ ...base, auth: { tokenSecret: "short" } }, { baseDir: "/etc/gw" }), /tokenSecret/);
    const config = parseConfig(base, { baseDir: "/etc/gw", env: { GATEWAY_TOKEN_SECRET: "x".repeat(32), AUDIT_BATCH_INTERVAL_MS: "750" } });
    assert.equal(config.databaseUrl, "file:/etc/gw/g.db");
    assert.equal(config.chain.deploymentsDir, "/etc/gw/d");
    assert.equal(config.audit.batchIntervalMs, 750);
    assert.equal(config.auth.sessionTtlSeconds, 900);
  });
  it("refuses the development keys outside dev mode", () => {
    assert.throws(
      () => parseConfig({ ...base, auth: { tokenSecret: "x".repeat(32) }, institutions: [{ ...base.institutions[0], key: { devIndex: 1 } }] }, { baseDir: "/" }),
      /devIndex only in dev mode/,
    );
  });
});
