// /v1/code-mapping against a real collection-service database (services/his, temporary SQLite):
// reviews queued by the service's queueCodeReview with the mapper's real proposals, quarantined items
// written as the pipeline writes them; listing with candidates, deciding (the reviewer is the signed-in
// staff, an unknown code is refused and changes nothing, the waiting items are marked for replay),
// the decision history, RBAC and audit rows.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HisDb } from "../../services/his/src/db.ts";
import { queueCodeReview } from "../../services/his/src/collection/code-reviews.ts";
import { CodeMapper, standardLabDictionary, type LocalEntry } from "../../services/his/src/mapping/index.ts";
import { body, startTestGateway, type TestGateway } from "./helpers.ts";

type Candidate = { code: string; nameZh: string; nameEn: string | null; canonicalUnit: string | null; score: number; inDictionary: boolean };
type Decision = { id: number; institution: string; localCode: string; version: number; code: string | null; standardName: string | null; action: string | null; decidedBy: string; note: string; createdAt: string };
type Review = { id: number; institution: string; localCode: string; localName: string; status: string; proposalStatus: string | null; candidates: Candidate[]; waitingItems: number; lastDecision: Decision | null };
type ErrorBody = { code: string; message: string; messageZh: string; details: Record<string, unknown> };

const HOSPITAL = "PD-SH-01";
const CENTRE = "PD-CHC-01";
/** A local name the mapper cannot place with confidence: it goes to review. */
const GLUCOSE: LocalEntry = { institution: HOSPITAL, localCode: "L-GLU", localName: "葡萄糖(空腹)", localUnit: "mmol/L" };
const ALT: LocalEntry = { institution: CENTRE, localCode: "C-ALT", localName: "谷丙(ALT)", localUnit: "U/L" };

describe("the dictionary code-mapping review queue through the gateway", () => {
  let gw: TestGateway;
  let his: HisDb;
  let dir: string;
  let admin: string;
  let auditor: string;
  let doctor: string;
  const mapper = new CodeMapper(standardLabDictionary());
  const items: Record<string, number> = {};

  /** The details a code problem carries (model/transforms.ts), from the mapper's real proposal. */
  function problemDetails(local: LocalEntry) {
    const proposal = mapper.propose(local);
    assert.ok(proposal.status === "review" || proposal.status === "unmapped", `${local.localName} goes to review (got ${proposal.status})`);
    return {
      status: proposal.status,
      localCode: local.localCode,
      localName: local.localName,
      localUnit: local.localUnit ?? "",
      dictionaryVersion: proposal.dictionaryVersion,
      candidates: proposal.candidates.slice(0, 3).map((c) => ({ code: c.code, nameZh: c.nameZh, score: c.score })),
    };
  }

  /** A lab result quarantined for its local code, as the pipeline writes it. */
  async function quarantined(key: string, institution: string, localCode: string, status = "open") {
    const row = await his.quarantineItem.create({
      data: {
        taskId: "lab-sql",
        runId: 1,
        itemKey: key,
        format: "sql",
        stage: "code",
        reason: "code-under-review",
        message: `local code ${localCode} awaits a reviewer's decision`,
        messageZh: `本地代码 ${localCode} 待人工复核`,
        raw: "{}",
        status,
        itemJson: JSON.stringify({ itemKey: key, institutionCode: institution, kind: "lab-result" }),
        detailsJson: JSON.stringify({ problems: [{ stage: "code", reason: "code-under-review", details: { localCode } }] }),
      },
    });
    items[key] = row.id;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gateway-code-mapping-"));
    gw = await startTestGateway({ configure: (file) => void (file.his = { databaseUrl: `file:${join(dir, "his.db")}` }) });
    his = gw.deps.his as HisDb;
    admin = (await gw.signInStaff("hospital-admin")).token;
    auditor = (await gw.signInStaff("platform-auditor")).token;
    doctor = (await gw.signInStaff("hospital-doctor")).token;

    await his.$transaction(async (tx) => {
      await queueCodeReview(tx, HOSPITAL, problemDetails(GLUCOSE));
      await queueCodeReview(tx, CENTRE, problemDetails(ALT));
    });
    await quarantined("glu-1", HOSPITAL, "L-GLU");
    await quarantined("glu-2", HOSPITAL, "L-GLU");
    await quarantined("glu-other-institution", CENTRE, "L-GLU");
    await quarantined("alt-1", CENTRE, "C-ALT");
    await quarantined("glu-discarded", HOSPITAL, "L-GLU", "discarded");
  });

  after(async () => {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  });

  const reviewOf = async (localCode: string) => his.codeMappingReview.findFirstOrThrow({ where: { localCode } });
  const replayMarks = async () =>
    Object.fromEntries(
      await Promise.all(Object.entries(items).map(async ([key, id]) => [key, (await his.quarantineItem.findUniqueOrThrow({ where: { id } })).replayRequestedBy] as const)),
    );

  it("lists open reviews with candidates named from the standard dictionary and the items waiting for each", async () => {
    for (const token of [admin, auditor]) {
      const res = await gw.call("GET", "/v1/code-mapping/reviews", { token });
      assert.equal(res.status, 200);
      const page = await body<{ items: Review[] }>(res);
      assert.deepEqual(page.items.map((r) => r.localCode), ["C-ALT", "L-GLU"], "newest first");
      const glucose = page.items.find((r) => r.localCode === "L-GLU")!;
      assert.equal(glucose.status, "open");
      assert.equal(glucose.localName, "葡萄糖(空腹)");
      assert.equal(glucose.waitingItems, 2, "open items of this institution's local code only");
      assert.equal(glucose.lastDecision, null);
      assert.ok(glucose.candidates.length > 0);
      const best = glucose.candidates[0]!;
      const entry = standardLabDictionary().entries.find((e) => e.code === best.code)!;
      assert.equal(best.nameEn, entry.nameEn);
      assert.equal(best.canonicalUnit, entry.canonicalUnit);
      assert.equal(best.inDictionary, true);
    }
    const filtered = await body<{ items: Review[] }>(await gw.call("GET", `/v1/code-mapping/reviews?institution=${CENTRE}`, { token: admin }));
    assert.deepEqual(filtered.items.map((r) => r.localCode), ["C-ALT"]);
    const paged = await body<{ items: Review[]; nextCursor?: string }>(await gw.call("GET", "/v1/code-mapping/reviews?limit=1", { token: admin }));
    assert.equal(paged.items.length, 1);
    assert.ok(paged.nextCursor);
    const rest = await body<{ items: Review[]; nextCursor?: string }>(await gw.call("GET", `/v1/code-mapping/reviews?limit=1&cursor=${paged.nextCursor}`, { token: admin }));
    assert.deepEqual(rest.items.map((r) => r.localCode), ["L-GLU"]);
    assert.equal(rest.nextCursor, undefined);
    assert.equal((await gw.call("GET", "/v1/code-mapping/reviews?status=closed", { token: admin })).status, 400);
  });

  it("refuses a code not in the standard dictionary with a typed 400, changing nothing", async () => {
    const review = await reviewOf("L-GLU");
    const res = await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: { code: "99999-9" } });
    assert.equal(res.status, 400);
    const e = await body<ErrorBody>(res);
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.messageZh, /不在标准字典中/);
    assert.match(e.message, /99999-9/);
    assert.equal((await reviewOf("L-GLU")).status, "open");
    assert.equal(await his.codeMappingDecision.count(), 0);
    assert.ok(Object.values(await replayMarks()).every((by) => by === null));
    assert.equal((await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: { code: "" } })).status, 400);
    assert.equal((await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: {} })).status, 400, "code is required (null to reject)");
  });

  it("lets an auditor read but not decide, and a doctor do neither", async () => {
    const review = await reviewOf("L-GLU");
    for (const token of [auditor, doctor]) {
      const res = await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token, json: { code: "14771-0" } });
      assert.equal(res.status, 403);
      assert.equal((await body<ErrorBody>(res)).code, "ROLE_REQUIRED");
    }
    assert.equal((await gw.call("GET", "/v1/code-mapping/reviews", { token: doctor })).status, 403);
    assert.equal((await gw.call("GET", "/v1/code-mapping/decisions", { token: doctor })).status, 403);
    assert.equal((await gw.call("GET", "/v1/code-mapping/decisions", { token: auditor })).status, 200);
    assert.equal((await reviewOf("L-GLU")).status, "open");
    assert.equal(await his.codeMappingDecision.count(), 0);
  });

  it("decides a local code as the signed-in reviewer: version 1, the waiting items of that code marked for replay, an audit row", async () => {
    const review = await reviewOf("L-GLU");
    const res = await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: { code: "14771-0", note: "空腹血糖，mmol/L" } });
    assert.equal(res.status, 200);
    const d = await body<{ reviewId: number; version: number; code: string; standardName: string; replayRequested: number; institution: string; localCode: string }>(res);
    assert.deepEqual(
      { reviewId: d.reviewId, version: d.version, code: d.code, replayRequested: d.replayRequested, institution: d.institution, localCode: d.localCode },
      { reviewId: review.id, version: 1, code: "14771-0", replayRequested: 2, institution: HOSPITAL, localCode: "L-GLU" },
    );
    assert.equal(d.standardName, "空腹血糖");
    assert.deepEqual(await replayMarks(), { "glu-1": "hospital-admin", "glu-2": "hospital-admin", "glu-other-institution": null, "alt-1": null, "glu-discarded": null });
    const stored = await his.codeMappingDecision.findFirstOrThrow({ where: { localCode: "L-GLU" } });
    assert.equal(stored.decidedBy, "hospital-admin");
    assert.equal((JSON.parse(stored.decisionJson) as { note: string }).note, "空腹血糖，mmol/L");
    const audit = await gw.deps.db.auditLog.findFirst({ where: { action: "code-mapping.reviews.decide", target: String(review.id), outcome: "success" } });
    assert.ok(audit);
    assert.equal(audit.purpose, "map to 14771-0");
    assert.equal((JSON.parse(audit.detailsJson ?? "{}") as { replayRequested: number }).replayRequested, 2);

    const decided = await body<{ items: Review[] }>(await gw.call("GET", "/v1/code-mapping/reviews?status=decided", { token: admin }));
    assert.equal(decided.items[0]!.localCode, "L-GLU");
    assert.equal(decided.items[0]!.lastDecision!.code, "14771-0");
    assert.equal(decided.items[0]!.lastDecision!.decidedBy, "hospital-admin");
  });

  it("answers 409 for a review already decided and 404 for none, leaving failure rows", async () => {
    const review = await reviewOf("L-GLU");
    const again = await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: { code: "1558-6" } });
    assert.equal(again.status, 409);
    const e = await body<ErrorBody>(again);
    assert.equal(e.code, "CONFLICT");
    assert.equal(e.details.version, 1);
    assert.equal((await gw.call("POST", "/v1/code-mapping/reviews/999999/decide", { token: admin, json: { code: null } })).status, 404);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "code-mapping.reviews.decide", outcome: "failure" } }), 2);
    assert.equal(await his.codeMappingDecision.count(), 1);
  });

  it("records a later decision as the next version; a rejection marks nothing for replay", async () => {
    // The local code comes back to review (e.g. a quarantined item under a new dictionary proposal).
    await his.$transaction((tx) => queueCodeReview(tx, HOSPITAL, problemDetails(GLUCOSE)));
    await his.quarantineItem.updateMany({ data: { replayRequestedAt: null, replayRequestedBy: null } });
    const review = await reviewOf("L-GLU");
    assert.equal(review.status, "open");
    const d = await body<{ version: number; code: string | null; replayRequested: number }>(
      await gw.call("POST", `/v1/code-mapping/reviews/${review.id}/decide`, { token: admin, json: { code: null, note: "院内自定义项目，无对应标准码" } }),
    );
    assert.deepEqual([d.version, d.code, d.replayRequested], [2, null, 0]);
    assert.ok(Object.values(await replayMarks()).every((by) => by === null));
  });

  it("lists decisions newest first, by institution and local code, in pages", async () => {
    const ok = await gw.call("POST", `/v1/code-mapping/reviews/${(await reviewOf("C-ALT")).id}/decide`, { token: admin, json: { code: standardLabDictionary().entries.find((e) => e.nameEn.includes("ALT") || e.nameZh.includes("丙氨酸"))!.code } });
    assert.equal(ok.status, 200);
    const all = await body<{ items: Decision[] }>(await gw.call("GET", "/v1/code-mapping/decisions", { token: auditor }));
    assert.deepEqual(all.items.map((d) => `${d.localCode}#${d.version}`), ["C-ALT#1", "L-GLU#2", "L-GLU#1"]);
    const glucose = await body<{ items: Decision[] }>(await gw.call("GET", `/v1/code-mapping/decisions?institution=${HOSPITAL}&localCode=L-GLU`, { token: admin }));
    assert.deepEqual(glucose.items.map((d) => [d.version, d.code, d.action]), [[2, null, "reject"], [1, "14771-0", glucose.items[1]!.action]]);
    assert.ok(["accept-candidate", "accept-code"].includes(glucose.items[1]!.action!));
    assert.equal(glucose.items[0]!.note, "院内自定义项目，无对应标准码");
    const first = await body<{ items: Decision[]; nextCursor?: string }>(await gw.call("GET", "/v1/code-mapping/decisions?limit=2", { token: admin }));
    const second = await body<{ items: Decision[]; nextCursor?: string }>(await gw.call("GET", `/v1/code-mapping/decisions?limit=2&cursor=${first.nextCursor}`, { token: admin }));
    assert.deepEqual([...first.items, ...second.items].map((d) => d.id), all.items.map((d) => d.id));
    assert.equal(second.nextCursor, undefined);
  });

  it("documents its routes in the OpenAPI document", async () => {
    const doc = await body<{ paths: Record<string, unknown> }>(await gw.call("GET", "/openapi.json"));
    for (const path of ["/v1/code-mapping/reviews", "/v1/code-mapping/reviews/{id}/decide", "/v1/code-mapping/decisions"]) assert.ok(doc.paths[path], path);
  });

  it("answers the same typed 'not configured' as /v1/collection on a gateway without a collection service", async () => {
    const bare = await startTestGateway({ chain: gw.chain });
    try {
      const bareAdmin = (await bare.signInStaff("hospital-admin")).token;
      const expected = await body<ErrorBody>(await bare.call("GET", "/v1/collection/tasks", { token: bareAdmin }));
      for (const [method, path, json] of [
        ["GET", "/v1/code-mapping/reviews", undefined],
        ["GET", "/v1/code-mapping/decisions", undefined],
        ["POST", "/v1/code-mapping/reviews/1/decide", { code: null }],
      ] as const) {
        const res = await bare.call(method, path, { token: bareAdmin, ...(json ? { json } : {}) });
        assert.equal(res.status, 404, path);
        const e = await body<ErrorBody>(res);
        assert.deepEqual([e.code, e.message, e.messageZh, e.details], [expected.code, expected.message, expected.messageZh, expected.details]);
      }
    } finally {
      await bare.close();
    }
  });
});
