import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { csvCell } from "@health-chain/sdk";
import { body, startTestGateway, type TestGateway } from "./helpers.ts";

describe("business audit log", () => {
  let gw: TestGateway;
  let auditor: string;
  before(async () => {
    gw = await startTestGateway();
    auditor = (await gw.signInStaff("platform-auditor")).token;
    const rows = [
      { subject: "hospital-doctor", role: "doctor", action: "access.read", target: "0xrec1", purpose: "treatment", outcome: "success", at: new Date("2026-03-01T08:00:00Z") },
      { subject: "hospital-doctor", role: "doctor", action: "access.read", target: "0xrec2", purpose: "treatment", outcome: "failure", at: new Date("2026-03-02T08:00:00Z") },
      { subject: "eqa-system", role: "institution-system", action: "certificates.issue", target: "0xcert", purpose: "eqaCertificate", outcome: "success", at: new Date("2026-03-03T08:00:00Z") },
      {
        subject: "hospital-admin",
        role: "admin",
        action: "consortium.propose",
        target: '=HYPERLINK("http://x","click")',
        purpose: 'comma, "quote"\nnew line 中文',
        outcome: "success",
        at: new Date("2026-03-04T08:00:00Z"),
      },
    ];
    for (const r of rows) await gw.deps.db.auditLog.create({ data: { ...r, requestId: `req-${r.target}`, institution: null } });
  });
  after(async () => {
    await gw?.close();
  });

  it("answers who, when, what and why with filters and paging, newest first", async () => {
    const res = await gw.call("GET", "/v1/audit?subject=hospital-doctor&limit=1", { token: auditor });
    assert.equal(res.status, 200);
    const first = await body<{ items: { target: string; purpose: string; at: string; action: string }[]; nextCursor: string }>(res);
    assert.equal(first.items[0]?.target, "0xrec2");
    const second = await body<{ items: { target: string }[]; nextCursor?: string }>(
      await gw.call("GET", `/v1/audit?subject=hospital-doctor&limit=1&cursor=${first.nextCursor}`, { token: auditor }),
    );
    assert.equal(second.items[0]?.target, "0xrec1");
    assert.equal(second.nextCursor, undefined);
    const failures = await body<{ items: unknown[] }>(await gw.call("GET", "/v1/audit?outcome=failure&action=access.read", { token: auditor }));
    assert.equal(failures.items.length, 1);
    const window = await body<{ items: { action: string }[] }>(
      await gw.call("GET", "/v1/audit?from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z", { token: auditor }),
    );
    assert.deepEqual(window.items.map((i) => i.action), ["certificates.issue", "access.read"]);
  });

  it("exports CSV for Excel: UTF-8 BOM, quoting, no formulas", async () => {
    const res = await gw.call("GET", "/v1/audit/export.csv?from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z", { token: auditor });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/csv; charset=utf-8/);
    assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="audit-/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const lines = text.split("\r\n");
    assert.equal(lines[0], "id,at,subject,role,institution,action,target,purpose,outcome,requestId,ip,details");
    assert.equal(lines.length, 1 + 4 + 1); // header, rows, final empty
    assert.match(text, /,"'=HYPERLINK\(""http:\/\/x"",""click""\)","comma, ""quote""\nnew line 中文",success,/);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "audit.export" } }), 1);
  });

  it("escapes cells", () => {
    assert.equal(csvCell("plain"), "plain");
    assert.equal(csvCell('a"b'), '"a""b"');
    assert.equal(csvCell("a,b"), '"a,b"');
    assert.equal(csvCell("+1"), "'+1");
    assert.equal(csvCell("@SUM(A1)"), "'@SUM(A1)");
    assert.equal(csvCell(null), "");
    assert.equal(csvCell(12), "12");
  });

  it("is for auditors and admins only, and validates its filters", async () => {
    assert.equal((await gw.call("GET", "/v1/audit")).status, 401);
    const doctor = await gw.signInStaff("hospital-doctor");
    const refused = await gw.call("GET", "/v1/audit", { token: doctor.token });
    assert.equal(refused.status, 403);
    assert.equal((await body(refused)).code, "ROLE_REQUIRED");
    const resident = await gw.signInResident(8);
    assert.equal((await gw.call("GET", "/v1/audit/export.csv", { token: resident.token })).status, 403);
    for (const q of ["from=yesterday", "outcome=maybe", "limit=1000", "cursor=x"]) {
      const res = await gw.call("GET", `/v1/audit?${q}`, { token: auditor });
      assert.equal(res.status, 400, q);
      assert.equal((await body(res)).code, "INVALID_INPUT");
    }
  });
});
