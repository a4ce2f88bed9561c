// The collection service's push endpoints over a real service and a real socket: a pushed FHIR Bundle
// is answered entry by entry after the commit and never taken twice; refused resources are held with
// their reason while the rest proceed; HL7 v2 over HTTP and over MLLP is acknowledged after the
// commit; bad input gets a typed answer and, without the token, nothing is written.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { Hl7Message } from "@medplum/core";
import { Hl7Client } from "@medplum/hl7";
import { pino } from "pino";
import { fhirBundleOf } from "../src/adapters/fhir/index.ts";
import { oruR01Of } from "../src/adapters/hl7v2/index.ts";
import { writeIntermediateTables } from "../src/adapters/sql/index.ts";
import type { Anchorer } from "../src/anchoring/anchor.ts";
import { derivedDirectory } from "../src/collection/ids.ts";
import { startHisServer, type PushResponseBundle, type RunningHisServer } from "../src/server.ts";
import { openHisService, type HisService } from "../src/service.ts";
import { syntheticRecords, type LabResultRecord, type PatientRecord, type SyntheticRecord } from "../src/synthetic/index.ts";

const TOKEN = "server-test.push-token_0123";
const notAnchoring: Anchorer = {
  anchorRecords: () => Promise.reject(new Error("no anchoring in this test")),
  anchorRecord: () => Promise.reject(new Error("no anchoring in this test")),
  anchorChanges: () => Promise.reject(new Error("no anchoring in this test")),
  anchorChange: () => Promise.reject(new Error("no anchoring in this test")), anchoredState: () => Promise.reject(new Error("no anchoring in this test")),
};
const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const msa = (ack: Hl7Message) => [ack.getSegment("MSA")!.getField(1).toString(), ack.getSegment("MSA")!.getField(2).toString()];

/** One ORU^R01 per visit with lab results, with the visit's patient registration. */
function oruMessages(records: readonly SyntheticRecord[]): { message: string; labs: LabResultRecord[] }[] {
  const patients = new Map<string, PatientRecord>();
  const visits = new Map<string, LabResultRecord[]>();
  for (const r of records) {
    if (r.kind === "patient" && r.truth.duplicateOf === null) patients.set(`${r.institutionCode}|${r.patientId}`, r);
    if (r.kind === "lab-result") {
      const key = `${r.institutionCode}|${r.patientId}|${r.payload.encounterKey}`;
      visits.set(key, [...(visits.get(key) ?? []), r]);
    }
  }
  return [...visits]
    .filter(([key]) => patients.has(key.split("|").slice(0, 2).join("|")))
    .map(([key, labs]) => ({ message: oruR01Of(patients.get(key.split("|").slice(0, 2).join("|"))!, labs), labs }));
}

describe("the push endpoints", () => {
  let dir: string;
  let service: HisService;
  let server: RunningHisServer;
  let records: SyntheticRecord[];

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
  const pushFhir = (taskId: string, bundle: unknown) => post(`/fhir/${taskId}`, JSON.stringify(bundle), { "content-type": "application/fhir+json" });
  const written = async () => ({
    runs: await service.db.prisma.collectionRun.count(),
    received: await service.db.prisma.receivedItem.count(),
    quarantined: await service.db.prisma.quarantineItem.count(),
    records: await service.db.prisma.collectedRecord.count(),
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "his-server-"));
    service = await openHisService({
      databaseUrl: `file:${join(dir, "his.db")}`,
      residentSalt: "server-test resident salt",
      directory: derivedDirectory("server-test wallet secret"),
      anchorer: notAnchoring,
    });
    const push = (id: string, format: "fhir-r4" | "hl7v2") => service.saveTask({ id, name: id, source: { format, push: true } }, "test");
    await push("his-fhir", "fhir-r4");
    await push("his-fhir-b", "fhir-r4");
    await push("his-lis-oru", "hl7v2");
    await push("his-lis-http", "hl7v2");
    await service.saveTask({ id: "his-off", name: "disabled", source: { format: "fhir-r4", push: true }, enabled: false }, "test");
    await service.saveTask({ id: "platform-sql", name: "pulled", source: { format: "sql", url: `file:${join(dir, "none.db")}` } }, "test");
    server = await startHisServer(service, { host: "127.0.0.1", port: 0, pushToken: TOKEN, log: silent, mllp: [{ taskId: "his-lis-oru", host: "127.0.0.1", port: 0 }] });
    records = [...syntheticRecords({ seed: 8090, residents: 5 })];
  });
  after(async () => {
    await server.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a FHIR Bundle is answered entry by entry after the commit, and sent again nothing is taken twice", async () => {
    const bundle = fhirBundleOf(records);
    const response = await pushFhir("his-fhir", bundle);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^application\/fhir\+json/);
    const answer = (await response.json()) as PushResponseBundle;
    assert.equal(answer.type, "transaction-response");
    assert.equal(answer.entry.length, bundle.entry!.length, "one answer entry per received entry");
    const runId = Number(response.headers.get("x-run-id"));
    const run = await service.db.prisma.collectionRun.findUniqueOrThrow({ where: { id: runId } });
    assert.deepEqual([run.trigger, run.status], ["push", "succeeded"]);
    const statuses = answer.entry.map((e) => e.response.status);
    assert.equal(statuses.filter((s) => s === "201 Created").length, run.accepted);
    assert.ok(run.accepted > 0);
    assert.equal(await service.db.prisma.collectedRecord.count(), run.accepted);
    // Every held entry names its reason in English and Chinese; the quarantine has exactly those.
    const held = answer.entry.filter((e) => /^(202|422) /.test(e.response.status));
    assert.equal(held.length, run.quarantined);
    for (const e of held) {
      const issue = e.response.outcome!.issue[0]!;
      assert.ok(issue.diagnostics.length > 0 && issue.details.text.length > 0 && issue.details.coding[0]!.code.length > 0, JSON.stringify(issue));
    }

    const before = await written();
    const again = await pushFhir("his-fhir", bundle);
    assert.equal(again.status, 200);
    const second = (await again.json()) as PushResponseBundle;
    assert.equal(second.entry.length, answer.entry.length);
    assert.ok(!second.entry.some((e) => e.response.status === "201 Created"), "nothing is created twice");
    answer.entry.forEach((first, i) => {
      const now = second.entry[i]!.response.status;
      if (first.response.status === "201 Created") assert.equal(now, "200 OK");
      // An item still held is still reported as held, with its reason.
      if (/^(202|422) /.test(first.response.status)) assert.equal(now, first.response.status);
    });
    const after = await written();
    assert.deepEqual({ ...after, runs: after.runs - 1 }, before, "one more run, nothing else written");
  });

  test("an invalid resource gets its OperationOutcome while the other entries are taken in", async () => {
    const sample = [...syntheticRecords({ seed: 8091, residents: 3 })];
    const bundle = fhirBundleOf(sample, { type: "batch" });
    const index = bundle.entry!.findIndex((e) => e.resource!.resourceType === "Patient");
    const broken = { ...bundle.entry![index]!.resource!, birthDate: "31/02/1980" };
    bundle.entry![index] = { ...bundle.entry![index]!, resource: broken as never };
    const response = await pushFhir("his-fhir-b", bundle);
    assert.equal(response.status, 200);
    const answer = (await response.json()) as PushResponseBundle;
    assert.equal(answer.type, "batch-response");
    const entry = answer.entry[index]!;
    assert.equal(entry.response.status, "422 Unprocessable Entity");
    const issue = entry.response.outcome!.issue[0]!;
    assert.equal(issue.details.coding[0]!.code, "invalid-resource");
    assert.match(issue.diagnostics, /birthDate/);
    assert.match(issue.details.text, /不符合 FHIR R4/);
    assert.ok(answer.entry.filter((e) => e.response.status === "201 Created").length > 0, "the other entries are taken in");
    const row = await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "his-fhir-b", reason: "invalid-resource" } });
    assert.equal(JSON.parse(row.raw).birthDate, "31/02/1980", "the refused resource is kept as received");
  });

  test("a body that is not JSON is refused with 400 and an OperationOutcome, and kept in the quarantine", async () => {
    const text = "<Bundle>not json</Bundle>";
    const response = await post("/fhir/his-fhir-b", text, { "content-type": "application/fhir+json" });
    assert.equal(response.status, 400);
    const outcome = (await response.json()) as { resourceType: string; issue: { details: { coding: { code: string }[]; text: string } }[] };
    assert.equal(outcome.resourceType, "OperationOutcome");
    assert.equal(outcome.issue[0]!.details.coding[0]!.code, "malformed-message");
    assert.ok(outcome.issue[0]!.details.text.length > 0);
    assert.equal((await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "his-fhir-b", reason: "malformed-message" } })).raw, text);
  });

  test("unknown task 404, a task that does not take FHIR pushes 400, a disabled one 409, a wrong media type 415: typed OperationOutcomes, nothing written", async () => {
    const bundle = fhirBundleOf(records.slice(0, 3));
    const before = await written();
    const cases: [string, number, string][] = [["no-such-task", 404, "NOT_FOUND"], ["platform-sql", 400, "INVALID_INPUT"], ["his-lis-http", 400, "INVALID_INPUT"], ["his-off", 409, "CONFLICT"]];
    for (const [taskId, status, code] of cases) {
      const response = await pushFhir(taskId, bundle);
      assert.equal(response.status, status, taskId);
      const outcome = (await response.json()) as { issue: { diagnostics: string; details: { coding: { code: string }[]; text: string } }[] };
      assert.equal(outcome.issue[0]!.details.coding[0]!.code, code, taskId);
      assert.ok(outcome.issue[0]!.details.text.length > 0, "a Chinese message");
    }
    const xml = await post("/fhir/his-fhir", "<Bundle/>", { "content-type": "application/fhir+xml" });
    assert.equal(xml.status, 415);
    assert.deepEqual(await written(), before);
  });

  test("without the right bearer token: 401 and nothing written, on both channels", async () => {
    const before = await written();
    const bundle = JSON.stringify(fhirBundleOf(records));
    for (const authorization of ["Bearer wrong token", "", `Basic ${Buffer.from(`his:${TOKEN}`).toString("base64")}`, `Bearer ${TOKEN}x`]) {
      const response = await fetch(`${server.url}/fhir/his-fhir`, { method: "POST", body: bundle, headers: { authorization, "content-type": "application/fhir+json" } });
      assert.equal(response.status, 401, authorization);
      assert.match(response.headers.get("www-authenticate")!, /^Bearer/);
      assert.equal(((await response.json()) as { resourceType: string }).resourceType, "OperationOutcome");
    }
    const { message } = oruMessages(records)[0]!;
    const hl7 = await fetch(`${server.url}/hl7v2/his-lis-http`, { method: "POST", body: message, headers: { authorization: "Bearer nope" } });
    assert.equal(hl7.status, 401);
    assert.equal(msa(Hl7Message.parse(await hl7.text()))[0], "AR");
    assert.deepEqual(await written(), before);
  });

  test("HL7 v2 over HTTP: the AA acknowledgement comes after the records are in the database", async () => {
    const { message, labs } = oruMessages(records)[0]!;
    const response = await post("/hl7v2/his-lis-http", message, { "content-type": "application/hl7-v2" });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^application\/hl7-v2/);
    const ack = Hl7Message.parse(await response.text());
    const controlId = Hl7Message.parse(message).header.getField(10).toString();
    assert.deepEqual(msa(ack), ["AA", controlId]);
    const received = await service.db.prisma.receivedItem.findMany({ where: { runId: Number(response.headers.get("x-run-id")) } });
    assert.equal(received.length, 1 + labs.length, "the registration and every result");
    const taken = received.filter((r) => r.recordId !== null);
    assert.ok(taken.length > 0);
    assert.equal(await service.db.prisma.collectedRecord.count({ where: { recordId: { in: taken.map((r) => r.recordId!) } } }), taken.length);
  });

  test("a malformed HL7 message gets AR, and what was received is kept in the quarantine", async () => {
    const text = "this is not an HL7 message";
    const response = await post("/hl7v2/his-lis-http", text, { "content-type": "text/plain" });
    assert.equal(response.status, 200, "HL7 over HTTP: the ACK carries the refusal");
    assert.match(response.headers.get("content-type")!, /^text\/plain/);
    assert.equal(msa(Hl7Message.parse(await response.text()))[0], "AR");
    const row = await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "his-lis-http", reason: "malformed-message" } });
    assert.equal(row.raw, text);
  });

  test("HL7 v2 over MLLP: AA after the commit; refused messages AR and quarantined; AR when the service cannot take the message", async () => {
    const { message, labs } = oruMessages(records)[1]!;
    const client = new Hl7Client({ host: "127.0.0.1", port: server.mllp[0]!.port });
    try {
      const ack = await client.sendAndWait(Hl7Message.parse(message), { timeoutMs: 10_000 });
      const controlId = Hl7Message.parse(message).header.getField(10).toString();
      assert.deepEqual(msa(ack), ["AA", controlId]);
      const received = await service.db.prisma.receivedItem.findMany({ where: { taskId: "his-lis-oru", itemKey: { startsWith: `${controlId}#` } } });
      assert.equal(received.length, 1 + labs.length);
      const taken = received.filter((r) => r.recordId !== null).map((r) => r.recordId!);
      assert.ok(taken.length > 0);
      assert.equal(await service.db.prisma.collectedRecord.count({ where: { recordId: { in: taken } } }), taken.length);

      const adt = "MSH|^~\\&|HIS|PD-TH-01|HEALTH-CHAIN|PD-RHIP|20260301083000+0800||ADT^A01|ADT0001|P|2.5.1\rPID|1||P0001^^^PD-TH-01^PI||张^三||19800101|M";
      const refused = await client.sendAndWait(Hl7Message.parse(adt), { timeoutMs: 10_000 });
      assert.deepEqual(msa(refused), ["AR", "ADT0001"]);
      const row = await service.db.prisma.quarantineItem.findFirstOrThrow({ where: { taskId: "his-lis-oru", itemKey: "ADT0001" } });
      assert.equal(row.reason, "unsupported-message-type");
      assert.match(row.raw, /ADT\^A01/);

      // The service cannot take it (the task was disabled meanwhile): AR, and the sender keeps the message.
      await service.db.prisma.collectionTask.update({ where: { id: "his-lis-oru" }, data: { enabled: false } });
      const third = oruMessages(records)[2]!.message;
      const before = await written();
      const failed = await client.sendAndWait(Hl7Message.parse(third), { timeoutMs: 10_000 });
      await service.db.prisma.collectionTask.update({ where: { id: "his-lis-oru" }, data: { enabled: true } });
      assert.deepEqual(msa(failed), ["AR", Hl7Message.parse(third).header.getField(10).toString()]);
      assert.deepEqual(await written(), before);
    } finally {
      await client.close();
    }
  });

  test("a message above the size limit is refused with 413 before anything is written", async () => {
    const small = await startHisServer(service, { host: "127.0.0.1", port: 0, log: silent, maxBodyBytes: 2048 });
    try {
      const before = await written();
      const response = await fetch(`${small.url}/fhir/his-fhir`, { method: "POST", body: JSON.stringify(fhirBundleOf(records)), headers: { "content-type": "application/fhir+json" } });
      assert.equal(response.status, 413);
      const outcome = (await response.json()) as { issue: { code: string; details: { coding: { code: string }[] } }[] };
      assert.deepEqual([outcome.issue[0]!.code, outcome.issue[0]!.details.coding[0]!.code], ["too-costly", "INVALID_INPUT"]);
      assert.deepEqual(await written(), before);
    } finally {
      await small.close();
    }
  });

  test("/healthz reaches the database; /metrics counts messages and items by outcome", async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok", checks: { database: "ok" } });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\d+)`, "m").exec(text)?.[1] ?? "0");
    assert.ok(value('his_push_messages_total{format="fhir-r4",channel="http",result="taken"}') >= 3);
    assert.ok(value('his_push_messages_total{format="hl7v2",channel="mllp",result="taken"}') >= 2);
    assert.ok(value('his_push_messages_total{format="fhir-r4",channel="http",result="refused"}') >= 4);
    assert.equal(value('his_push_items_total{format="fhir-r4",outcome="new"}'), await service.db.prisma.receivedItem.count({ where: { taskId: { startsWith: "his-fhir" }, outcome: "new" } }));
    assert.match(text, /his_push_run_duration_seconds_count\{format="hl7v2"\} \d+/);
  });

  test("an MLLP listener naming a task that is not an HL7 v2 push task stops the start", async () => {
    await assert.rejects(
      startHisServer(service, { host: "127.0.0.1", port: 0, log: silent, mllp: [{ taskId: "his-fhir", host: "127.0.0.1", port: 0 }] }),
      (error: Error & { code?: string }) => error.code === "INVALID_INPUT",
    );
    await assert.rejects(
      startHisServer(service, { host: "127.0.0.1", port: 0, log: silent, mllp: [{ taskId: "no-such-task", host: "127.0.0.1", port: 0 }] }),
      (error: Error & { code?: string }) => error.code === "NOT_FOUND",
    );
  });
});

describe("the CLI", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "his-cli-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("migrate, task save and run on a fresh database: the run's summary on stdout", async () => {
    const cli = join(import.meta.dirname, "..", "src", "cli.ts");
    const exec = promisify(execFile);
    const records = [...syntheticRecords({ seed: 2575, residents: 3 })];
    await writeIntermediateTables(`file:${join(dir, "platform.db")}`, records);
    // Relative paths in the configuration are relative to its file.
    await writeFile(join(dir, "his.json"), JSON.stringify({ mode: "dev", databaseUrl: "file:his.db", gateway: { baseUrl: "http://127.0.0.1:1", staffId: "hospital-his", keyFrom: "dev-staff-keys" } }));
    await writeFile(join(dir, "task.json"), JSON.stringify({ id: "platform-t1", name: "区域平台 T+1", source: { format: "sql", url: `file:${join(dir, "platform.db")}` } }));
    const env = { ...process.env, HIS_RESIDENT_SALT: "cli-test resident salt", HIS_CONFIG: join(dir, "his.json") };
    const run = async (...args: string[]) => JSON.parse((await exec(process.execPath, [cli, ...args], { env, cwd: tmpdir() })).stdout) as Record<string, unknown>;

    const migrated = await run("migrate");
    assert.ok(Array.isArray(migrated.applied) && migrated.applied.length > 0, "migrations applied to the new database");
    assert.equal((await run("task", "save", join(dir, "task.json"))).id, "platform-t1");
    const summary = await run("run", "platform-t1");
    assert.equal(summary.status, "succeeded");
    assert.equal(summary.read, records.length);
    await assert.rejects(exec(process.execPath, [cli, "run", "no-such-task"], { env }), (error: Error & { code?: number; stderr?: string }) => error.code === 1 && /NOT_FOUND/.test(error.stderr ?? ""));
  });
});
