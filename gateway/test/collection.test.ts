// /v1/collection against a real collection-service database (services/his, temporary SQLite):
// tasks saved by the service's own saveTask, runs, quarantine, quality reports and the anchoring
// queue written as the service writes them; the gateway's answers, its RBAC, its validation and
// the request flags it leaves for the service's scheduler.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Cron } from "croner";
import type { HisDb } from "../../services/his/src/db.ts";
import { saveTask } from "../../services/his/src/collection/tasks.ts";
import { maskUrl } from "../src/routes/collection.ts";
import { body, startTestGateway, type TestGateway } from "./helpers.ts";

type Run = { id: number; taskId: string; status: string; trigger: string; volumes: Record<string, number>; error: { code: string; messageZh: string } | null; durationMs: number; stale: boolean; finishedAt: string | null };
type TaskView = {
  id: string;
  enabled: boolean;
  format: string;
  source: Record<string, unknown>;
  schedule: string | null;
  nextRunAt: string | null;
  cursor: { value: string | null } | null;
  runRequested: { at: string; by: string | null } | null;
  running: Run | null;
  lastRun: Run | null;
  quarantineOpen: number;
  createdBy: string;
};
type Page<T> = { items: T[]; nextCursor?: string };
type Item = { id: number; taskId: string; stage: string; reason: string; status: string; raw?: string; replayRequested: { by: string | null } | null; resolvedBy: string | null; resolutionNote: string | null };

const SECRET_URL = "postgres://collector:s3cret@db.hospital.local:5432/his";
const MINUTE = 60_000;

describe("collection task management through the gateway", () => {
  let gw: TestGateway;
  let his: HisDb;
  let dir: string;
  let admin: string;
  let auditor: string;
  let doctor: string;
  const runIds: Record<string, number> = {};
  const itemIds: number[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gateway-collection-"));
    gw = await startTestGateway({ configure: (file) => void (file.his = { databaseUrl: `file:${join(dir, "his.db")}` }) });
    his = gw.deps.his as HisDb;
    admin = (await gw.signInStaff("hospital-admin")).token;
    auditor = (await gw.signInStaff("platform-auditor")).token;
    doctor = (await gw.signInStaff("hospital-doctor")).token;

    await saveTask(his, { id: "hospital-sql", name: "区人民医院 中间表", source: { format: "sql", url: SECRET_URL }, schedule: "0 2 * * *", scope: { kinds: ["lab-result"] } }, "seed");
    await saveTask(his, { id: "platform-sql", name: "区域平台 T+1", source: { format: "sql", urlEnv: "PLATFORM_SQL_URL" }, pageSize: 500 }, "seed");
    await saveTask(his, { id: "lab-hl7", name: "检验 HL7 推送", source: { format: "hl7v2", push: true } }, "seed");
    await his.taskCursor.create({ data: { taskId: "hospital-sql", cursor: "2026-03-01T00:00:00Z|1200" } });

    const now = Date.now();
    const run = (taskId: string, status: string, startedMinutesAgo: number, more: Record<string, unknown> = {}) =>
      his.collectionRun.create({
        data: {
          taskId,
          trigger: "schedule",
          status,
          startedAt: new Date(now - startedMinutesAgo * MINUTE),
          heartbeatAt: new Date(now - startedMinutesAgo * MINUTE),
          ...more,
        },
      });
    runIds.succeeded = (await run("hospital-sql", "succeeded", 300, { finishedAt: new Date(now - 295 * MINUTE), read: 1200, accepted: 1100, duplicates: 40, changes: 30, quarantined: 20, filtered: 8, skipped: 2, pages: 3, cursorTo: "2026-03-01T00:00:00Z|1200" })).id;
    runIds.failed = (await run("hospital-sql", "failed", 200, {
      finishedAt: new Date(now - 199 * MINUTE),
      read: 10,
      errorJson: JSON.stringify({ code: "SOURCE_UNAVAILABLE", message: "The intermediate database cannot be reached.", messageZh: "无法连接中间库。" }),
    })).id;
    runIds.stale = (await run("platform-sql", "running", 100)).id; // no heartbeat for 100 min: its process stopped
    runIds.live = (await run("hospital-sql", "running", 1, { heartbeatAt: new Date(now) })).id;
    await his.qualityReport.create({ data: { runId: runIds.succeeded, reportJson: JSON.stringify({ completeness: 0.97, validity: 0.98, mappingCoverage: { mapped: 180, total: 200 } }) } });
    await his.qualityReport.create({ data: { runId: runIds.failed, reportJson: JSON.stringify({ completeness: 1, validity: 1 }) } });

    const quarantine = (taskId: string, runId: number, key: string, stage: string, reason: string, more: Record<string, unknown> = {}) =>
      his.quarantineItem.create({
        data: { taskId, runId, itemKey: key, format: "sql", stage, reason, message: `Item ${key}: ${reason}`, messageZh: `条目 ${key}：${reason}`, raw: `{"row":"${key}","name":"张三"}`, ...more },
      });
    for (const [key, stage, reason] of [
      ["lab-1", "code", "unknown-code"],
      ["lab-2", "link", "patient-not-registered"],
      ["lab-3", "validate", "out-of-range"],
      ["lab-4", "code", "unknown-code"],
    ] as const) {
      itemIds.push((await quarantine("hospital-sql", runIds.succeeded, key, stage, reason, { detailsJson: JSON.stringify({ member: "code", value: key }), itemJson: JSON.stringify({ itemKey: key }) })).id);
    }
    itemIds.push((await quarantine("platform-sql", runIds.stale, "pf-1", "parse", "malformed-row")).id);

    const record = (n: number, model: string, anchorState: string) =>
      his.collectedRecord.create({
        data: {
          recordId: `0x${n.toString(16).padStart(64, "0")}`,
          institution: "H001",
          model,
          modelVersion: 1,
          sourceKey: `k${n}`,
          personId: "P1",
          residentRef: `0x${"ab".repeat(32)}`,
          category: model,
          contentHash: `0x${"cd".repeat(32)}`,
          contentJson: "{}",
          fieldsJson: "{}",
          sourceTime: new Date(now - n * MINUTE),
          anchorState,
          createdAt: new Date(now - (100 - n) * MINUTE),
        },
      });
    await record(1, "lab-result", "anchored");
    await record(2, "lab-result", "anchored");
    await record(3, "lab-result", "pending");
    await record(4, "encounter", "pending");
    await record(5, "encounter", "off-chain");
    await record(6, "diagnosis", "rejected");
    for (const [n, recordN, state] of [[1, 1, "pending"], [2, 2, "anchored"], [3, 4, "pending"]] as const) {
      await his.recordChange.create({
        data: {
          recordId: `0x${recordN.toString(16).padStart(64, "0")}`,
          version: n + 1,
          previousContentHash: "0x01",
          newContentHash: "0x02",
          reason: "correction",
          contentJson: "{}",
          changedAt: new Date(now - (50 - n) * MINUTE),
          anchorState: state,
        },
      });
    }
    await his.anchorBatch.create({ data: { kind: "records", state: "anchored", count: 2, policyJson: JSON.stringify({ name: "default", version: 1 }), root: "0xroot", chainBatch: "7", txHash: "0xtx", blockNumber: 42 } });
    await his.anchorBatch.create({ data: { kind: "changes", state: "failed", count: 1, policyJson: "{}", errorJson: JSON.stringify({ code: "CHAIN_UNAVAILABLE", status: 502, message: "down" }) } });
  });

  after(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists every task with definition, cursor, next scheduled run, live and last run, open quarantine; a source password is masked", async () => {
    const res = await gw.call("GET", "/v1/collection/tasks", { token: auditor });
    assert.equal(res.status, 200);
    const { items } = await body<{ items: TaskView[] }>(res);
    assert.deepEqual(items.map((t) => t.id), ["hospital-sql", "lab-hl7", "platform-sql"]);
    const hospital = items[0] as TaskView;
    assert.equal(hospital.source.url, "postgres://collector:***@db.hospital.local:5432/his");
    assert.doesNotMatch(JSON.stringify(items), /s3cret/);
    assert.equal(hospital.nextRunAt, new Cron("0 2 * * *", { timezone: "Asia/Shanghai", paused: true }).nextRun()?.toISOString());
    assert.equal(hospital.cursor?.value, "2026-03-01T00:00:00Z|1200");
    assert.equal(hospital.running?.id, runIds.live);
    assert.equal(hospital.lastRun?.id, runIds.live);
    assert.equal(hospital.quarantineOpen, 4);
    assert.equal(hospital.createdBy, "seed");
    const platform = items[2] as TaskView;
    assert.equal(platform.nextRunAt, null, "no schedule: on demand only");
    assert.equal(platform.running, null, "a run without heartbeat is not running");
    assert.equal(platform.lastRun?.stale, true);
    assert.equal(platform.quarantineOpen, 1);
    const one = await body<TaskView>(await gw.call("GET", "/v1/collection/tasks/lab-hl7", { token: auditor }));
    assert.equal(one.format, "hl7v2");
    assert.equal(one.lastRun, null);
    assert.equal((await gw.call("GET", "/v1/collection/tasks/nope-task", { token: auditor })).status, 404);
  });

  it("creates (201) and replaces (200) a task through the service's validation, keeping a masked password, runs and cursor", async () => {
    const created = await gw.call("PUT", "/v1/collection/tasks/eqa-fhir", {
      token: admin,
      json: { name: "临检中心 FHIR", source: { format: "fhir-r4", baseUrl: "https://fhir.eqa.local/r4" }, schedule: "*/30 * * * *", timezone: "Asia/Shanghai" },
    });
    assert.equal(created.status, 201, await created.clone().text());
    const task = await body<TaskView & { createdBy: string }>(created);
    assert.equal(task.createdBy, "hospital-admin");
    assert.ok(task.nextRunAt !== null && Date.parse(task.nextRunAt) > Date.now());
    assert.equal(await his.collectionTask.count({ where: { id: "eqa-fhir" } }), 1);

    const shown = await body<TaskView>(await gw.call("GET", "/v1/collection/tasks/hospital-sql", { token: admin }));
    const replaced = await gw.call("PUT", "/v1/collection/tasks/hospital-sql", {
      token: admin,
      json: { id: "hospital-sql", name: "区人民医院 中间表（夜间）", source: shown.source, schedule: "30 1 * * *", scope: { kinds: ["lab-result", "diagnosis"] } },
    });
    assert.equal(replaced.status, 200, await replaced.clone().text());
    const row = await his.collectionTask.findUniqueOrThrow({ where: { id: "hospital-sql" } });
    assert.equal(JSON.parse(row.sourceJson).url, SECRET_URL, "the password sent back masked is kept");
    assert.equal(row.schedule, "30 1 * * *");
    assert.equal(row.createdBy, "seed");
    assert.equal(await his.collectionRun.count({ where: { taskId: "hospital-sql" } }), 3);
    assert.equal((await his.taskCursor.findUniqueOrThrow({ where: { taskId: "hospital-sql" } })).cursor, "2026-03-01T00:00:00Z|1200");
    const audit = await gw.deps.db.auditLog.findMany({ where: { action: "collection.tasks.save" }, orderBy: { id: "asc" } });
    assert.deepEqual(audit.map((a) => [a.target, a.purpose, a.subject]), [["eqa-fhir", "create", "hospital-admin"], ["hospital-sql", "replace", "hospital-admin"]]);
  });

  it("refuses an invalid definition with the service's messages (400) and changes nothing", async () => {
    const before = await his.collectionTask.findUniqueOrThrow({ where: { id: "platform-sql" } });
    const badCron = await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { name: "x", source: { format: "sql", urlEnv: "X_URL" }, schedule: "61 * * * *" } });
    assert.equal(badCron.status, 400);
    const e = await body<{ code: string; messageZh: string; details: { schedule: string } }>(badCron);
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.messageZh, /采集计划“61 \* \* \* \*”（Asia\/Shanghai）不是有效的 cron 表达式/);
    assert.equal(e.details.schedule, "61 * * * *");

    const badTz = await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { name: "x", source: { format: "sql", urlEnv: "X_URL" }, schedule: "0 2 * * *", timezone: "Mars/Olympus" } });
    assert.equal(badTz.status, 400);
    const badPage = await body<{ messageZh: string }>(await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { name: "x", source: { format: "sql", urlEnv: "X_URL" }, pageSize: 0 } }));
    assert.match(badPage.messageZh, /^采集任务无效：pageSize/);
    const noName = await body<{ messageZh: string }>(await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { source: { format: "sql", urlEnv: "X_URL" } } }));
    assert.match(noName.messageZh, /^采集任务无效：name/);
    const twoUrls = await body<{ messageZh: string }>(await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { name: "x", source: { format: "sql", url: "file:a.db", urlEnv: "X_URL" } } }));
    assert.match(twoUrls.messageZh, /url 或 urlEnv/);
    const otherId = await gw.call("PUT", "/v1/collection/tasks/platform-sql", { token: admin, json: { id: "another", name: "x", source: { format: "sql", urlEnv: "X_URL" } } });
    assert.equal(otherId.status, 400);
    assert.match((await body<{ messageZh: string }>(otherId)).messageZh, /不一致/);
    assert.equal((await gw.call("PUT", "/v1/collection/tasks/Bad_Id", { token: admin, json: { name: "x", source: { format: "sql", urlEnv: "X_URL" } } })).status, 400);

    assert.deepEqual(await his.collectionTask.findUniqueOrThrow({ where: { id: "platform-sql" } }), before);
  });

  it("publishes anchoring policy versions (admin), refuses a bad policy with its path and nothing written, and lets auditors read the history", async () => {
    type Version = { version: number; active: boolean; hash: string; policy: { models: Record<string, { cadence: { kind: string } }> } };
    const policy = { models: { "lab-result": { anchor: true, mode: "clear-hash", cadence: { kind: "batch", size: 500, maxWaitSeconds: 300 } }, patient: { anchor: true, cadence: { kind: "t+1" } } } };
    const bad = await gw.call("PUT", "/v1/collection/anchoring/policy", { token: admin, json: { policy: { models: { "lab-result": { anchor: true, cadence: { kind: "batch", size: 5000, maxWaitSeconds: 300 } } } } } });
    assert.equal(bad.status, 400);
    assert.match((await body<{ messageZh: string }>(bad)).messageZh, /^上链策略无效：models\.lab-result\.cadence\.size/);
    assert.equal(await his.configVersion.count({ where: { kind: "anchoring" } }), 0);
    assert.equal((await gw.call("PUT", "/v1/collection/anchoring/policy", { token: auditor, json: { policy } })).status, 403);

    const first = await body<Version>(await gw.call("PUT", "/v1/collection/anchoring/policy", { token: admin, json: { policy, note: "lab results every 500" } }));
    assert.deepEqual([first.version, first.active], [1, true]);
    const same = await body<Version>(await gw.call("PUT", "/v1/collection/anchoring/policy", { token: admin, json: { policy } }));
    assert.equal(same.version, 1, "an equal policy is not a new version");
    const next = { ...policy, models: { ...policy.models, patient: { anchor: true, cadence: { kind: "per-record" } } } };
    assert.equal((await body<Version>(await gw.call("PUT", "/v1/collection/anchoring/policy", { token: admin, json: { policy: next } }))).version, 2);
    const history = await body<{ items: Version[] }>(await gw.call("GET", "/v1/collection/anchoring/policy", { token: auditor }));
    assert.deepEqual(history.items.map((v) => [v.version, v.active]), [[2, true], [1, false]]);
    assert.equal(history.items[0]!.policy.models.patient!.cadence.kind, "per-record");
  });

  it("asks the service for a run (202, flag written once) and refuses when one is requested or running, the task is disabled or only pushed", async () => {
    const requested = await gw.call("POST", "/v1/collection/tasks/platform-sql/run", { token: admin });
    assert.equal(requested.status, 202, await requested.clone().text());
    const { requestedBy } = await body<{ requestedBy: string }>(requested);
    assert.equal(requestedBy, "hospital-admin");
    const row = await his.collectionTask.findUniqueOrThrow({ where: { id: "platform-sql" } });
    assert.ok(row.runRequestedAt !== null);
    assert.equal(row.runRequestedBy, "hospital-admin");

    const again = await gw.call("POST", "/v1/collection/tasks/platform-sql/run", { token: admin });
    assert.equal(again.status, 409);
    assert.equal((await body<{ details: { reason: string } }>(again)).details.reason, "already-requested");
    const shown = await body<TaskView>(await gw.call("GET", "/v1/collection/tasks/platform-sql", { token: auditor }));
    assert.equal(shown.runRequested?.by, "hospital-admin");

    const running = await gw.call("POST", "/v1/collection/tasks/hospital-sql/run", { token: admin });
    assert.equal(running.status, 409);
    assert.equal((await body<{ details: { reason: string; runId: number } }>(running)).details.runId, runIds.live);
    const pushed = await gw.call("POST", "/v1/collection/tasks/lab-hl7/run", { token: admin });
    assert.equal((await body<{ details: { reason: string } }>(pushed)).details.reason, "push-only");
    assert.equal((await gw.call("POST", "/v1/collection/tasks/nope-task/run", { token: admin })).status, 404);
    assert.equal((await his.collectionTask.findUniqueOrThrow({ where: { id: "hospital-sql" } })).runRequestedAt, null);

    const failures = await gw.deps.db.auditLog.count({ where: { action: "collection.tasks.run", outcome: "failure" } });
    assert.equal(failures, 4, "refused requests leave a failure row");
  });

  it("disables a task (no next run, its pending run request withdrawn) and enables it again", async () => {
    const disabled = await gw.call("POST", "/v1/collection/tasks/platform-sql/disable", { token: admin });
    assert.equal(disabled.status, 200);
    const off = await body<TaskView>(disabled);
    assert.equal(off.enabled, false);
    assert.equal(off.runRequested, null);
    assert.equal((await his.collectionTask.findUniqueOrThrow({ where: { id: "platform-sql" } })).runRequestedAt, null);
    const refused = await gw.call("POST", "/v1/collection/tasks/platform-sql/run", { token: admin });
    assert.equal((await body<{ details: { reason: string } }>(refused)).details.reason, "task-disabled");

    const on = await body<TaskView>(await gw.call("POST", "/v1/collection/tasks/hospital-sql/enable", { token: admin }));
    assert.equal(on.enabled, true);
    await gw.call("POST", "/v1/collection/tasks/hospital-sql/disable", { token: admin });
    const hospital = await body<TaskView>(await gw.call("GET", "/v1/collection/tasks/hospital-sql", { token: admin }));
    assert.equal(hospital.nextRunAt, null);
    assert.equal((await body<TaskView>(await gw.call("POST", "/v1/collection/tasks/hospital-sql/enable", { token: admin }))).nextRunAt !== null, true);
    assert.equal((await gw.call("POST", "/v1/collection/tasks/nope-task/enable", { token: admin })).status, 404);
  });

  it("pages the run history newest first with volumes, errors and durations, filtered by task, status and time", async () => {
    const first = await body<Page<Run>>(await gw.call("GET", "/v1/collection/runs?limit=2", { token: auditor }));
    assert.deepEqual(first.items.map((r) => r.id), [runIds.live, runIds.stale]);
    assert.ok(first.nextCursor);
    const second = await body<Page<Run>>(await gw.call("GET", `/v1/collection/runs?limit=2&cursor=${first.nextCursor}`, { token: auditor }));
    assert.deepEqual(second.items.map((r) => r.id), [runIds.failed, runIds.succeeded]);
    assert.equal(second.nextCursor, undefined);

    const ok = second.items[1] as Run;
    assert.deepEqual(ok.volumes, { read: 1200, accepted: 1100, duplicates: 40, changes: 30, quarantined: 20, filtered: 8, skipped: 2, pages: 3 });
    assert.equal(ok.durationMs, 5 * MINUTE);
    const failed = second.items[0] as Run;
    assert.equal(failed.error?.code, "SOURCE_UNAVAILABLE");
    assert.equal(failed.error?.messageZh, "无法连接中间库。");

    const failures = await body<Page<Run>>(await gw.call("GET", "/v1/collection/runs?taskId=hospital-sql&status=failed", { token: auditor }));
    assert.deepEqual(failures.items.map((r) => r.id), [runIds.failed]);
    const from = new Date(Date.now() - 250 * MINUTE).toISOString();
    const to = new Date(Date.now() - 50 * MINUTE).toISOString();
    const window = await body<Page<Run>>(await gw.call("GET", `/v1/collection/runs?from=${from}&to=${to}`, { token: auditor }));
    assert.deepEqual(window.items.map((r) => r.id), [runIds.stale, runIds.failed]);
    for (const q of ["status=done", "limit=0", "cursor=abc", "from=yesterday", "taskId=Bad_Id"]) {
      assert.equal((await gw.call("GET", `/v1/collection/runs?${q}`, { token: auditor })).status, 400, q);
    }
  });

  it("shows one run with its quality report", async () => {
    const res = await gw.call("GET", `/v1/collection/runs/${runIds.succeeded}`, { token: auditor });
    assert.equal(res.status, 200);
    const run = await body<Run & { quality: { report: { completeness: number; mappingCoverage: { mapped: number } } } | null }>(res);
    assert.equal(run.quality?.report.completeness, 0.97);
    assert.equal(run.quality?.report.mappingCoverage.mapped, 180);
    const live = await body<Run & { quality: unknown }>(await gw.call("GET", `/v1/collection/runs/${runIds.live}`, { token: auditor }));
    assert.equal(live.quality, null);
    assert.equal(live.finishedAt, null);
    assert.equal(live.stale, false);
    assert.equal((await gw.call("GET", "/v1/collection/runs/999999", { token: auditor })).status, 404);
    assert.equal((await gw.call("GET", "/v1/collection/runs/abc", { token: auditor })).status, 400);
  });

  it("lists recent quality reports, newest run first, by task", async () => {
    const all = await body<Page<{ runId: number; taskId: string; report: { completeness: number } }>>(await gw.call("GET", "/v1/collection/quality", { token: auditor }));
    assert.deepEqual(all.items.map((q) => q.runId), [runIds.failed, runIds.succeeded]);
    const paged = await body<Page<{ runId: number }>>(await gw.call("GET", "/v1/collection/quality?taskId=hospital-sql&limit=1", { token: auditor }));
    assert.deepEqual(paged.items.map((q) => q.runId), [runIds.failed]);
    assert.ok(paged.nextCursor);
    const none = await body<Page<unknown>>(await gw.call("GET", "/v1/collection/quality?taskId=lab-hl7", { token: auditor }));
    assert.equal(none.items.length, 0);
  });

  it("lists quarantined items without what was received, filtered and paged; one item shows it, and the look is audited", async () => {
    const page = await body<Page<Item>>(await gw.call("GET", "/v1/collection/quarantine?taskId=hospital-sql&limit=3", { token: auditor }));
    assert.deepEqual(page.items.map((i) => i.id), [itemIds[3], itemIds[2], itemIds[1]]);
    assert.ok(page.items.every((i) => i.raw === undefined));
    assert.doesNotMatch(JSON.stringify(page), /张三/);
    const rest = await body<Page<Item>>(await gw.call("GET", `/v1/collection/quarantine?taskId=hospital-sql&limit=3&cursor=${page.nextCursor}`, { token: auditor }));
    assert.deepEqual(rest.items.map((i) => i.id), [itemIds[0]]);
    const codes = await body<Page<Item>>(await gw.call("GET", "/v1/collection/quarantine?reason=unknown-code&stage=code", { token: auditor }));
    assert.deepEqual(codes.items.map((i) => i.id), [itemIds[3], itemIds[0]]);

    // An auditor sees why it is held, not the personal data it carries; an admin sees what was received.
    const res = await gw.call("GET", `/v1/collection/quarantine/${itemIds[1]}`, { token: auditor });
    assert.equal(res.status, 200);
    const seen = await body<Item & { raw: string | null; details: { member: string }; item: unknown }>(res);
    assert.equal(seen.raw, null);
    assert.equal(seen.item, null);
    assert.equal(seen.details.member, "code");
    const detail = await body<Item & { details: { member: string }; item: { itemKey: string } }>(await gw.call("GET", `/v1/collection/quarantine/${itemIds[1]}`, { token: admin }));
    assert.equal(detail.raw, '{"row":"lab-2","name":"张三"}');
    assert.equal(detail.item.itemKey, "lab-2");
    const read = await gw.deps.db.auditLog.findFirst({ where: { action: "collection.quarantine.read", target: String(itemIds[1]) } });
    assert.equal(read?.subject, "platform-auditor");
    assert.equal((await gw.call("GET", "/v1/collection/quarantine/999999", { token: auditor })).status, 404);
    assert.equal((await gw.call("GET", "/v1/collection/quarantine?status=lost", { token: auditor })).status, 400);
  });

  it("discards an item with a reason (kept, marked) and refuses an empty reason or an item no longer open", async () => {
    const id = itemIds[2] as number;
    const empty = await gw.call("POST", `/v1/collection/quarantine/${id}/discard`, { token: admin, json: { reason: "  " } });
    assert.equal(empty.status, 400);
    assert.equal((await body<{ messageZh: string }>(empty)).messageZh, "请说明丢弃该条目的原因。");
    assert.equal((await his.quarantineItem.findUniqueOrThrow({ where: { id } })).status, "open");

    const res = await gw.call("POST", `/v1/collection/quarantine/${id}/discard`, { token: admin, json: { reason: "检验科确认为质控样本 QC sample" } });
    assert.equal(res.status, 200, await res.clone().text());
    const item = await body<Item>(res);
    assert.equal(item.status, "discarded");
    assert.equal(item.resolvedBy, "hospital-admin");
    assert.equal(item.resolutionNote, "检验科确认为质控样本 QC sample");
    assert.equal((await gw.call("POST", `/v1/collection/quarantine/${id}/discard`, { token: admin, json: { reason: "again" } })).status, 404);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "collection.quarantine.discard", target: String(id), outcome: "success" } }), 1);
  });

  it("marks open items for replay (all of a task, or the ids given) and refuses ids that are not open items of the task", async () => {
    const [lab1, lab2, , lab4, pf1] = itemIds as [number, number, number, number, number];
    const wrong = await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "hospital-sql", ids: [lab1, pf1, itemIds[2]] } });
    assert.equal(wrong.status, 404);
    assert.deepEqual((await body<{ details: { ids: number[] } }>(wrong)).details.ids.sort(), [pf1, itemIds[2]].sort());
    assert.equal(await his.quarantineItem.count({ where: { replayRequestedAt: { not: null } } }), 0, "nothing marked");

    const some = await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "hospital-sql", ids: [lab2] } });
    assert.equal(some.status, 202);
    assert.equal((await body<{ requested: number }>(some)).requested, 1);
    assert.deepEqual((await his.quarantineItem.findMany({ where: { replayRequestedAt: { not: null } }, select: { id: true, replayRequestedBy: true } })), [{ id: lab2, replayRequestedBy: "hospital-admin" }]);

    const all = await body<{ requested: number }>(await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "hospital-sql" } }));
    assert.equal(all.requested, 3, "the three open items; the discarded one stays out");
    const marked = await his.quarantineItem.findMany({ where: { replayRequestedAt: { not: null } }, orderBy: { id: "asc" }, select: { id: true } });
    assert.deepEqual(marked.map((m) => m.id), [lab1, lab2, lab4]);
    const shown = await body<Item>(await gw.call("GET", `/v1/collection/quarantine/${lab4}`, { token: admin }));
    assert.equal(shown.replayRequested?.by, "hospital-admin");

    assert.equal((await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "nope-task" } })).status, 404);
    assert.equal((await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "hospital-sql", ids: [] } })).status, 400);
    assert.equal((await gw.call("POST", "/v1/collection/quarantine/replay", { token: admin, json: { taskId: "hospital-sql", extra: 1 } })).status, 400);
  });

  it("shows the anchoring queue: records and change records by state and model, recent batches", async () => {
    const res = await gw.call("GET", "/v1/collection/anchoring", { token: auditor });
    assert.equal(res.status, 200);
    const state = await body<{
      records: { total: Record<string, number>; byModel: { model: string | null; counts: Record<string, number> }[] };
      changes: { total: Record<string, number>; byModel: { model: string | null; counts: Record<string, number> }[] };
      oldestPending: { record: string | null; change: string | null };
      batches: { kind: string; state: string; txHash: string | null; chainBatch: string | null; error: { code: string } | null }[];
    }>(res);
    assert.deepEqual(state.records.total, { pending: 2, anchored: 2, "off-chain": 1, rejected: 1 });
    assert.deepEqual(state.records.byModel.map((m) => [m.model, m.counts.pending, m.counts.anchored]), [["diagnosis", 0, 0], ["encounter", 1, 0], ["lab-result", 1, 2]]);
    assert.deepEqual(state.changes.total, { pending: 2, anchored: 1, "off-chain": 0, rejected: 0 });
    assert.deepEqual(state.changes.byModel.map((m) => [m.model, m.counts.pending, m.counts.anchored]), [["encounter", 1, 0], ["lab-result", 1, 1]]);
    const oldestRecord = await his.collectedRecord.findFirstOrThrow({ where: { anchorState: "pending" }, orderBy: { createdAt: "asc" } });
    assert.equal(state.oldestPending.record, oldestRecord.createdAt.toISOString());
    assert.deepEqual(state.batches.map((b) => [b.kind, b.state, b.txHash, b.chainBatch, b.error?.code ?? null]), [["changes", "failed", null, null, "CHAIN_UNAVAILABLE"], ["records", "anchored", "0xtx", "7", null]]);
    const one = await body<{ batches: unknown[] }>(await gw.call("GET", "/v1/collection/anchoring?limit=1", { token: auditor }));
    assert.equal(one.batches.length, 1);
  });

  it("lets auditors read but not manage, and refuses other roles", async () => {
    for (const path of ["/v1/collection/tasks", "/v1/collection/runs", "/v1/collection/quarantine", "/v1/collection/quality", "/v1/collection/anchoring"]) {
      assert.equal((await gw.call("GET", path, { token: auditor })).status, 200, path);
      const refused = await gw.call("GET", path, { token: doctor });
      assert.equal(refused.status, 403, path);
      assert.equal((await body<{ code: string }>(refused)).code, "ROLE_REQUIRED");
      assert.equal((await gw.call("GET", path)).status, 401, path);
    }
    const writes: [string, string, unknown][] = [
      ["PUT", "/v1/collection/tasks/auditor-task", { name: "x", source: { format: "sql", urlEnv: "X_URL" } }],
      ["POST", "/v1/collection/tasks/platform-sql/enable", undefined],
      ["POST", "/v1/collection/tasks/hospital-sql/disable", undefined],
      ["POST", "/v1/collection/tasks/hospital-sql/run", undefined],
      ["POST", "/v1/collection/quarantine/replay", { taskId: "hospital-sql" }],
      ["POST", `/v1/collection/quarantine/${itemIds[0]}/discard`, { reason: "no" }],
    ];
    const before = await his.collectionTask.findMany({ orderBy: { id: "asc" } });
    for (const [method, path, json] of writes) {
      const res = await gw.call(method, path, { token: auditor, ...(json === undefined ? {} : { json }) });
      assert.equal(res.status, 403, `${method} ${path}`);
    }
    assert.deepEqual(await his.collectionTask.findMany({ orderBy: { id: "asc" } }), before);
    assert.equal((await his.quarantineItem.findUniqueOrThrow({ where: { id: itemIds[0] as number } })).status, "open");
  });

  it("documents its routes in the OpenAPI document", async () => {
    const doc = await body<{ paths: Record<string, unknown> }>(await gw.call("GET", "/openapi.json"));
    for (const path of ["/v1/collection/tasks", "/v1/collection/tasks/{taskId}", "/v1/collection/tasks/{taskId}/run", "/v1/collection/runs/{runId}", "/v1/collection/quarantine/replay", "/v1/collection/anchoring"]) {
      assert.ok(doc.paths[path], path);
    }
  });

  it("masks only a URL's password", () => {
    assert.equal(maskUrl("postgres://u:p@h/db"), "postgres://u:***@h/db");
    assert.equal(maskUrl("postgres://u@h/db"), "postgres://u@h/db");
    assert.equal(maskUrl("file:/var/his/mid.db"), "file:/var/his/mid.db");
    assert.equal(maskUrl("not a url"), "not a url");
  });

  it("answers a typed 'not configured' on a gateway without a collection service, and 403 to other roles", async () => {
    const bare = await startTestGateway({ chain: gw.chain });
    try {
      const bareAdmin = (await bare.signInStaff("hospital-admin")).token;
      const res = await bare.call("GET", "/v1/collection/tasks", { token: bareAdmin });
      assert.equal(res.status, 404);
      const e = await body<{ code: string; messageZh: string; details: { reason: string } }>(res);
      assert.equal(e.code, "NOT_FOUND");
      assert.equal(e.details.reason, "collection-not-configured");
      assert.match(e.messageZh, /未配置采集服务/);
      assert.equal((await bare.call("POST", "/v1/collection/tasks/a-task/run", { token: bareAdmin })).status, 404);
      const bareDoctor = (await bare.signInStaff("hospital-doctor")).token;
      assert.equal((await bare.call("GET", "/v1/collection/tasks", { token: bareDoctor })).status, 403);
    } finally {
      await bare.close();
    }
  });
});
