// /v1/research against a real gateway with the analytics section configured: a temporary analytics
// database, and a topic database built (buildTopic) from collected records the test inserts into the
// collection service's database — so every expected count below is computed here, not by the code
// under test. Covers roles and ownership, refusals that change nothing, protected runs (a small cell
// suppressed, re-runs identical, concurrent runs all kept) and a gateway without the section.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateSm2KeyPair, toHex, type Sm2KeyPair } from "@health-chain/sdk";
import { buildTopic, parseTopicDefinition } from "../../services/analytics/src/topics/index.ts";
import { INSTITUTIONS, body, startTestGateway, type TestGateway } from "./helpers.ts";

// Residents with an E11 (type 2 diabetes) diagnosis per institution, and others with I10 only.
// PD-B's 3 is under the small-cell threshold (5); with the total shown, another cell must hide it.
const DIABETES = { "PD-A": 7, "PD-B": 3, "PD-C": 6 } as const;
const HYPERTENSION_ONLY = { "PD-A": 2, "PD-B": 4, "PD-C": 1 } as const;
const SITES = Object.keys(DIABETES) as (keyof typeof DIABETES)[];
const CRITERIA = { type: "diagnosis", codes: ["E11"] };
const EXTRA_STAFF: Record<string, string[]> = { "second-researcher": ["researcher"], "second-reviewer": ["reviewer"], "dual-staff": ["researcher", "reviewer"] };

interface Failure {
  code: string;
  messageZh: string;
  details: Record<string, unknown>;
}
interface Cell {
  key: string;
  cell: { value?: number; suppressed?: true };
}
interface Run {
  runId: string;
  fingerprint: string;
  funnels: { institution: string; funnel: { steps: Cell[] } }[];
  counts: { cells: Cell[]; total: { value?: number; suppressed?: true } | null };
}
interface RequestView {
  id: string;
  status: string;
  runs: Run[];
  history: { kind: string; run?: { runId: string } }[];
}

describe("/v1/research routes", () => {
  let gw: TestGateway;
  let dir: string;
  const tokens: Record<string, string> = {};
  const extraKeys: Record<string, Sm2KeyPair> = Object.fromEntries(Object.keys(EXTRA_STAFF).map((id) => [id, generateSm2KeyPair()]));

  const call = async <T = Failure>(method: string, path: string, who: string, json?: unknown): Promise<{ status: number; body: T }> => {
    const res = await gw.call(method, `/v1/research${path}`, { token: tokens[who]!, ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : text) as T };
  };
  const ok = async <T = Record<string, unknown>>(method: string, path: string, who: string, json?: unknown): Promise<T> => {
    const res = await call<T>(method, path, who, json);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const refused = async (method: string, path: string, who: string, json: unknown, status: number, reason?: string): Promise<Failure> => {
    const res = await call(method, path, who, json);
    assert.equal(res.status, status, JSON.stringify(res.body));
    if (reason !== undefined) assert.equal(res.body.details?.reason, reason, JSON.stringify(res.body));
    assert.match(res.body.messageZh, /[\u4e00-\u9fff]/);
    return res.body;
  };
  const db = () => gw.deps.research!.db;
  const approve = { decision: "approved", reason: "标准明确，目的正当" };

  let projectSeq = 0;
  const project = async (who: string, reviewer?: string): Promise<string> => {
    const created = await ok<{ id: string }>("POST", "/projects", who, { code: `P-${++projectSeq}`, title: "糖尿病队列", ethicsCommittee: "区伦理委员会", ethicsApprovalNo: `EC-${projectSeq}` });
    if (reviewer !== undefined) await ok("POST", `/projects/${created.id}/review`, reviewer, approve);
    return created.id;
  };
  const request = async (who: string, reviewer?: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const submitted = await ok<{ id: string }>("POST", "/requests", who, { title: "2 型糖尿病", purpose: "队列规模评估", criteria: CRITERIA, indexDate: "2026-12-31", institutions: SITES, ...extra });
    if (reviewer !== undefined) await ok("POST", `/requests/${submitted.id}/review`, reviewer, approve);
    return submitted.id;
  };
  const exportOf = async (who: string, requestId: string, projectId: string, reviewer?: string): Promise<string> => {
    const created = await ok<{ id: string }>("POST", `/requests/${requestId}/exports`, who, { projectId, purpose: "队列研究" });
    if (reviewer !== undefined) await ok("POST", `/exports/${created.id}/review`, reviewer, approve);
    return created.id;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gateway-research-"));
    gw = await startTestGateway({
      configure(file) {
        file.his = { databaseUrl: `file:${join(dir, "his.db")}` };
        file.analytics = { databaseUrl: `file:${join(dir, "analytics.db")}`, topicDirectory: join(dir, "topics"), topic: "all", operator: INSTITUTIONS.platform };
        file.stores = { ...file.stores, [INSTITUTIONS.platform]: { kind: "fs", dir: join(dir, "store-platform") } };
        for (const [id, roles] of Object.entries(EXTRA_STAFF)) {
          file.staff?.push({ id, institution: INSTITUTIONS.healthAuthority, name: id, roles: roles as never, sm2PublicKey: toHex(extraKeys[id]!.publicKey) });
        }
      },
    });
    Object.assign(gw.staffKeys, extraKeys);
    const staff = { researcher: "authority-researcher", reviewer: "authority-reviewer", admin: "authority-admin", auditor: "platform-auditor" };
    for (const [name, id] of Object.entries(staff)) tokens[name] = (await gw.signInStaff(id)).token;
    for (const id of Object.keys(EXTRA_STAFF)) tokens[id] = (await gw.signInStaff(id)).token;

    let seq = 0;
    const rows: { institution: string; model: string; ref: string; content: Record<string, unknown> }[] = [];
    const resident = (institution: string, code: string) => {
      const ref = `0x${(++seq).toString(16).padStart(64, "a")}`;
      rows.push({ institution, model: "patient", ref, content: { patientId: `P${seq}`, sex: seq % 2 ? "1" : "2", birthDate: "1960-05-10", address: "上海市浦东新区花木街道巨野路3号" } });
      rows.push({ institution, model: "diagnosis", ref, content: { diagnosisCode: code, diagnosedAt: "2026-03-01T10:00:00+08:00" } });
    };
    for (const site of SITES) {
      for (let i = 0; i < DIABETES[site]; i++) resident(site, "E11.9");
      for (let i = 0; i < HYPERTENSION_ONLY[site]; i++) resident(site, "I10");
    }
    await gw.deps.his!.collectedRecord.createMany({
      data: rows.map((r, i) => ({
        recordId: `0x${(i + 1).toString(16).padStart(64, "0")}`,
        institution: r.institution,
        model: r.model,
        modelVersion: 1,
        sourceKey: `K${i + 1}`,
        personId: `person-${r.ref.slice(-6)}`,
        residentRef: r.ref,
        category: "TEST",
        contentHash: `0x${(i + 1).toString(16).padStart(64, "c")}`,
        contentJson: JSON.stringify({ institutionCode: r.institution, ...r.content }),
        fieldsJson: "{}",
        sourceTime: new Date("2026-11-01T08:00:00+08:00"),
        anchorState: "anchored",
      })),
    });
    const built = await buildTopic({
      directory: join(dir, "topics"),
      his: gw.deps.his!,
      definition: parseTopicDefinition({ name: "all", title: { zh: "全人群", en: "All" }, criteria: null, schedule: "0 3 * * *", indexDate: "2026-12-31" }),
    });
    assert.equal(built.status, "created");
  });
  after(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe("roles and ownership", () => {
    it("refuses review to a researcher and submission to a reviewer (403), and usage reports to a researcher", async () => {
      const projectId = await project("researcher");
      const requestId = await request("researcher");
      for (const path of [`/projects/${projectId}/review`, `/requests/${requestId}/review`]) await refused("POST", path, "researcher", approve, 403);
      await refused("POST", "/requests", "reviewer", { title: "t", purpose: "p", criteria: CRITERIA, indexDate: "2026-12-31", institutions: SITES }, 403);
      await refused("POST", "/projects", "reviewer", { code: "R-1", title: "t", ethicsCommittee: "c", ethicsApprovalNo: "n" }, 403);
      await refused("GET", "/reports/usage", "researcher", undefined, 403);
      assert.equal((await call("GET", "/reports/usage", "auditor")).status, 200);
      assert.equal(((await ok<RequestView>("GET", `/requests/${requestId}`, "researcher")).status), "submitted", "refused reviews changed nothing");
    });

    it("refuses a self-review of a project, request and export by someone holding both roles", async () => {
      const projectId = await project("dual-staff");
      await refused("POST", `/projects/${projectId}/review`, "dual-staff", approve, 403, "own-project");
      const requestId = await request("dual-staff");
      const own = await call("POST", `/requests/${requestId}/review`, "dual-staff", approve);
      assert.equal(own.status, 403, JSON.stringify(own.body));
      await ok("POST", `/projects/${projectId}/review`, "reviewer", approve);
      await ok("POST", `/requests/${requestId}/review`, "reviewer", approve);
      const exportId = await exportOf("dual-staff", requestId, projectId);
      await refused("POST", `/exports/${exportId}/review`, "dual-staff", approve, 403, "own-export");
      assert.equal((await ok<{ status: string }>("GET", `/exports/${exportId}`, "dual-staff")).status, "requested");
    });

    it("shows a researcher only their own requests and exports; reviewers, admins and auditors see all", async () => {
      const projectId = await project("researcher", "reviewer");
      const mine = await request("researcher", "reviewer");
      const theirs = await request("second-researcher", "reviewer");
      const myExport = await exportOf("researcher", mine, projectId);
      for (const path of [`/requests/${mine}`, `/exports/${myExport}`]) await refused("GET", path, "second-researcher", undefined, 404);
      await refused("POST", `/requests/${mine}/runs`, "second-researcher", undefined, 404);
      await refused("POST", `/requests/${mine}/exports`, "second-researcher", { projectId, purpose: "借用" }, 404);
      const ids = async (path: string, who: string) => (await ok<{ items: { id: string; sponsor?: string; requestedBy?: string }[] }>("GET", path, who)).items;
      const seen = await ids("/requests", "second-researcher");
      assert.ok(seen.some((r) => r.id === theirs) && seen.every((r) => r.sponsor === "second-researcher"), JSON.stringify(seen));
      assert.ok((await ids("/requests", "researcher")).every((r) => r.sponsor === "authority-researcher"));
      assert.deepEqual(await ids("/exports", "second-researcher"), []);
      for (const who of ["reviewer", "admin", "auditor"]) {
        const all = (await ids("/requests", who)).map((r) => r.id);
        assert.ok(all.includes(mine) && all.includes(theirs), who);
        assert.ok((await ids("/exports", who)).some((e) => e.id === myExport), who);
        assert.equal((await call("GET", `/requests/${mine}`, who)).status, 200, who);
      }
    });
  });

  describe("bad input changes nothing", () => {
    it("refuses bad criteria naming the node (typed, bilingual) and an unknown project, storing no request", async () => {
      const before = await db().screeningRequest.count();
      const bad = await refused("POST", "/requests", "researcher", { title: "bad", purpose: "bad", criteria: { type: "and", children: [{ type: "diagnosis", codes: [] }] }, indexDate: "2026-12-31", institutions: SITES }, 400);
      assert.equal(bad.code, "INVALID_INPUT");
      assert.match(String(bad.details.path), /^\/children\/0/);
      const unknown = `0x${"ab".repeat(32)}`;
      const missing = await refused("POST", "/requests", "researcher", { title: "t", purpose: "p", criteria: CRITERIA, indexDate: "2026-12-31", institutions: SITES, projectId: unknown }, 404);
      assert.equal(missing.code, "NOT_FOUND");
      assert.equal(await db().screeningRequest.count(), before);
      assert.equal(await db().requestHistory.count({ where: { kind: "submitted", requestId: { notIn: (await db().screeningRequest.findMany()).map((r) => r.id) } } }), 0);
    });

    it("refuses an export of a non-approved request or for a non-approved project (409), storing none", async () => {
      const approvedProject = await project("researcher", "reviewer");
      const pendingProject = await project("researcher");
      const pendingRequest = await request("researcher");
      const approvedRequest = await request("researcher", "reviewer");
      const before = await db().exportRequest.count();
      const notApproved = await refused("POST", `/requests/${pendingRequest}/exports`, "researcher", { projectId: approvedProject, purpose: "队列研究" }, 409, "request-not-approved");
      assert.equal(notApproved.code, "CONFLICT");
      await refused("POST", `/requests/${approvedRequest}/exports`, "researcher", { projectId: pendingProject, purpose: "队列研究" }, 409, "project-not-approved");
      await refused("POST", `/requests/${approvedRequest}/exports`, "researcher", { projectId: `0x${"cd".repeat(32)}`, purpose: "队列研究" }, 404);
      assert.equal(await db().exportRequest.count(), before);
    });

    it("refuses a build before approval, a second review, and a download before the build (409)", async () => {
      const projectId = await project("researcher", "reviewer");
      const requestId = await request("researcher", "reviewer");
      const exportId = await exportOf("researcher", requestId, projectId);
      await refused("POST", `/exports/${exportId}/build`, "researcher", undefined, 409, "export-not-approved");
      await refused("GET", `/exports/${exportId}/package`, "researcher", undefined, 409, "not-built");
      await ok("POST", `/exports/${exportId}/review`, "reviewer", approve);
      await refused("POST", `/exports/${exportId}/review`, "second-reviewer", { decision: "rejected", reason: "再审" }, 409, "already-reviewed");
      await refused("POST", `/projects/${projectId}/review`, "second-reviewer", { decision: "rejected", reason: "再审" }, 409, "already-reviewed");
      const again = await refused("POST", `/requests/${requestId}/review`, "second-reviewer", { decision: "rejected", reason: "再审" }, 409);
      assert.equal(again.code, "CONFLICT");
      await refused("GET", `/exports/${exportId}/package`, "researcher", undefined, 409, "not-built");
      const stored = await db().exportRequest.findUniqueOrThrow({ where: { id: exportId } });
      assert.equal(stored.status, "approved");
      assert.equal(stored.reviewer, "authority-reviewer");
      assert.equal((await ok<RequestView>("GET", `/requests/${requestId}`, "researcher")).status, "approved");
      assert.equal(await db().exportPackage.count({ where: { exportId } }), 0);
    });

    it("lets exactly one of two concurrent reviews of a request through", async () => {
      const requestId = await request("researcher");
      const results = await Promise.all([
        call("POST", `/requests/${requestId}/review`, "reviewer", approve),
        call("POST", `/requests/${requestId}/review`, "second-reviewer", { decision: "rejected", reason: "目的不明确" }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], JSON.stringify(results.map((r) => r.body)));
      const view = await ok<RequestView>("GET", `/requests/${requestId}`, "researcher");
      assert.equal(view.history.filter((h) => h.kind === "reviewed").length, 1, JSON.stringify(view.history));
    });

    it("refuses a bad report definition (400) and a CSV of several tables without table= (400)", async () => {
      const bad = await refused("POST", "/reports", "reviewer", { measure: "heartbeats", dimensions: [] }, 400);
      assert.equal(bad.code, "INVALID_INPUT");
      const csv = await refused("GET", "/reports/annual?year=2026&format=csv", "reviewer", undefined, 400, "csv-needs-one-table");
      const tables = csv.details.tables as string[];
      assert.ok(tables.length > 1);
      const one = await gw.call("GET", `/v1/research/reports/annual?year=2026&format=csv&table=${tables[0]}`, { token: tokens.reviewer! });
      assert.equal(one.status, 200);
      assert.match(one.headers.get("content-type") ?? "", /text\/csv/);
    });
  });

  describe("the review's findings stay fixed", () => {
    it("refuses screening and exporting under another researcher's project (403 not-project-sponsor), storing nothing", async () => {
      const theirs = await project("researcher", "reviewer");
      await refused("POST", "/requests", "second-researcher", { title: "t", purpose: "p", criteria: CRITERIA, indexDate: "2026-12-31", institutions: SITES, projectId: theirs }, 403, "not-project-sponsor");
      const mine = await request("second-researcher", "reviewer");
      const before = await db().exportRequest.count();
      await refused("POST", `/requests/${mine}/exports`, "second-researcher", { projectId: theirs, purpose: "队列研究" }, 403, "not-project-sponsor");
      assert.equal(await db().exportRequest.count(), before);
    });

    it("refuses an export below the platform's k and an institution the topic databases do not hold", async () => {
      const p = await project("researcher", "reviewer");
      const r = await request("researcher", "reviewer");
      await refused("POST", `/requests/${r}/exports`, "researcher", { projectId: p, purpose: "队列研究", k: 3 }, 400, "k-below-minimum");
      const res = await refused("POST", "/requests", "researcher", { title: "t", purpose: "p", criteria: CRITERIA, indexDate: "2026-12-31", institutions: ["PD-A", "PD-NOWHERE"] }, 400, "unknown-institution");
      assert.deepEqual(res.details.unknown, ["PD-NOWHERE"]);
    });

    it("keeps the gateway's small-cell policy whatever a report definition asks: the threshold only rises, the method is the platform's", async () => {
      // Residents with E11 by institution: PD-B's 3 stays hidden though the definition asks for threshold 2.
      const definition = { measure: "residents-with-diagnosis", dimensions: [{ by: "institution" }], filters: { icd10: ["E11"] }, smallCells: { threshold: 2, mode: "round" } };
      const answer = await ok<{ tables: { rows: { institution: string; count: number | null }[] }[] }>("POST", "/reports", "reviewer", definition);
      const byInstitution = Object.fromEntries(answer.tables[0]!.rows.map((r) => [r.institution, r.count]));
      assert.deepEqual(byInstitution, { "PD-A": DIABETES["PD-A"], "PD-B": null, "PD-C": DIABETES["PD-C"] }, "exact counts (no rounding), the small one suppressed");
    });

    it("lets only the requester download, and only the owner or a reviewer build", async () => {
      const p = await project("researcher", "reviewer");
      const r = await request("researcher", "reviewer", { projectId: p });
      const e = await exportOf("researcher", r, p, "reviewer");
      await refused("POST", `/exports/${e}/build`, "admin", undefined, 403, "not-owner-or-reviewer");
      assert.equal((await call("GET", `/exports/${e}/package`, "second-researcher")).status, 404, "another researcher does not see it");
    });
  });

  describe("runs", () => {
    it("answers protected counts: a cell under the threshold is suppressed and cannot be derived from the total", async () => {
      const requestId = await request("researcher", "reviewer");
      const run = await ok<Run>("POST", `/requests/${requestId}/runs`, "researcher");
      const cells = new Map(run.counts.cells.map((c) => [c.key, c.cell]));
      assert.deepEqual([...cells.keys()].sort(), [...SITES].sort());
      assert.equal(cells.get("PD-B")!.suppressed, true);
      assert.equal(cells.get("PD-B")!.value, undefined);
      const funnelB = run.funnels.find((f) => f.institution === "PD-B")!.funnel.steps;
      assert.equal(funnelB[funnelB.length - 1]!.cell.suppressed, true, "the funnel does not give the hidden cohort away");
      for (const [site, cell] of cells) if (cell.suppressed !== true) assert.equal(cell.value, DIABETES[site as keyof typeof DIABETES], site);
      const hidden = [...cells.values()].filter((c) => c.suppressed === true).length;
      if (run.counts.total?.value !== undefined) {
        assert.equal(run.counts.total.value, SITES.reduce((sum, s) => sum + DIABETES[s], 0));
        assert.notEqual(hidden, 1, "one hidden cell beside a published total is the total minus the others");
      }
      assert.ok(!JSON.stringify(run).includes('"count"'), "raw counts never leave the gateway");
    });

    it("gives identical protected results on a re-run (same fingerprint), and refuses a submitted request (409)", async () => {
      const requestId = await request("researcher", "reviewer");
      const first = await ok<Run>("POST", `/requests/${requestId}/runs`, "researcher");
      const second = await ok<Run>("POST", `/requests/${requestId}/runs`, "researcher");
      assert.notEqual(first.runId, second.runId);
      assert.equal(second.fingerprint, first.fingerprint);
      assert.deepEqual(second.counts, first.counts);
      const pending = await request("researcher");
      const early = await refused("POST", `/requests/${pending}/runs`, "researcher", undefined, 409);
      assert.equal(early.code, "CONFLICT");
      assert.deepEqual((await ok<RequestView>("GET", `/requests/${pending}`, "researcher")).runs, []);
    });

    it("keeps both of two concurrent runs of one request in its runs and its history", async () => {
      const requestId = await request("researcher", "reviewer");
      const [a, b] = await Promise.all([ok<Run>("POST", `/requests/${requestId}/runs`, "researcher"), ok<Run>("POST", `/requests/${requestId}/runs`, "reviewer")]);
      const view = await ok<RequestView>("GET", `/requests/${requestId}`, "researcher");
      assert.deepEqual(view.runs.map((r) => r.runId).sort(), [a!.runId, b!.runId].sort());
      assert.deepEqual(view.history.filter((h) => h.kind === "run").map((h) => h.run!.runId).sort(), [a!.runId, b!.runId].sort());
      assert.equal(await db().usageEvent.count({ where: { kind: "query", requestId } }), 2);
    });
  });

  describe("without the analytics section", () => {
    it("answers 404 research-not-configured", async () => {
      const bare = await startTestGateway({ chain: gw.chain });
      try {
        const { token } = await bare.signInStaff("authority-reviewer");
        for (const path of ["/v1/research/requests", "/v1/research/reports/usage"]) {
          const res = await bare.call("GET", path, { token });
          const failure = await body<Failure>(res);
          assert.equal(res.status, 404, JSON.stringify(failure));
          assert.equal(failure.details.reason, "research-not-configured");
          assert.match(failure.messageZh, /[\u4e00-\u9fff]/);
        }
      } finally {
        await bare.close();
      }
    });
  });
});
