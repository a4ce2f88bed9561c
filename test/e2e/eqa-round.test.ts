// End to end, issue 7: an EQA round from plan to certificates verified on chain, and the
// mutual-recognition answer for a lab result. The quality centre's admin creates a plan, labs, a
// round; a hospital lab enters results through the gateway (a mistyped entry refused per field,
// changing nothing), submits and is locked; other labs submit through their own systems (the
// service's intake, in process); the centre closes, requests the evaluation, publishes; the EQA
// worker evaluates, renders every lab's report, history and certificates, and anchors them through
// the gateway as the centre's system (SM2-signed, CertificateRegistry). Then: the lab downloads
// its report, anyone verifies the file (valid; one altered byte: altered), the chain itself answers
// the same, and a doctor asks whether the hospital held a passing status for glucose on a date —
// yes inside the validity window, no before publication or for an analyte it failed, and no once
// the centre revokes the recognition statement as issued in error.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { certificateRegistryAbi, generateSm2KeyPair, sm3Hex, toHex, type Sm2KeyPair } from "@health-chain/sdk";
import { pino } from "pino";
import type { Hex } from "viem";
import { signInWithSm2 } from "../../gateway/src/client.ts";
import { parseConfig } from "../../gateway/src/config.ts";
import { startGateway, type RunningGateway } from "../../gateway/src/server.ts";
import { openEqaDatabase, type EqaDatabase } from "../../services/eqa/src/db.ts";
import { saveResults, submitResults } from "../../services/eqa/src/intake/index.ts";
import { createGatewayCertificateAnchorer } from "../../services/eqa/src/publication/anchor.ts";
import { clinicalChemistryAnalytes } from "../../services/eqa/src/seed/plans.ts";
import { runWorkerPass, type WorkerOptions } from "../../services/eqa/src/worker.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../helpers/chain.ts";

const HOSPITAL = devAccount(DEV.hospital).address;
const CENTRE = devAccount(DEV.eqaCentre).address;
const AUTHORITY = devAccount(DEV.healthAuthority).address;
const PLATFORM = devAccount(DEV.platform).address;

/** Every lab's results: GLU and K near their targets; the hospital's K is far off (it fails K). */
const TARGETS = { GLU: [5.5, 11.2], K: [4.1, 6.3], NA: [140.0, 128.0] } as const;
const OTHER_LABS = ["L02", "L03", "L04", "L05", "L06", "L07"];

function valueOf(analyte: keyof typeof TARGETS, sample: number, lab: number): string {
  const target = TARGETS[analyte][sample] as number;
  // Small, deterministic scatter per lab: ±1.2 % around the target.
  const scatter = ((lab % 5) - 2) * 0.006 * target;
  return (target + scatter).toFixed(analyte === "NA" ? 1 : 2);
}

describe("an EQA round from plan to anchored certificates and the mutual-recognition answer", () => {
  let chain: TestChain;
  let dir: string;
  let gateway: RunningGateway;
  let eqa: EqaDatabase;
  let worker: WorkerOptions;
  const keys: Record<string, Sm2KeyPair> = {
    "eqa-admin": generateSm2KeyPair(),
    "eqa-system": generateSm2KeyPair(),
    "hospital-lab": generateSm2KeyPair(),
    "authority-doctor": generateSm2KeyPair(),
  };
  const tokens: Record<string, string> = {};
  let reportNumber: string;

  async function call(method: string, path: string, who: string | null, body?: unknown, raw?: Uint8Array): Promise<Response> {
    return fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}),
        ...(raw ? { "content-type": "application/octet-stream" } : body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(raw ? { body: Buffer.from(raw) } : body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function ok<T>(res: Response, status = 200): Promise<T> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return JSON.parse(text) as T;
  }

  /** A second round of the plan, run through in one go; the hospital's values are scaled by `bias` per analyte. */
  async function secondRound(bias: Partial<Record<keyof typeof TARGETS, number>>): Promise<void> {
    const now = Date.now();
    await ok(
      await call("POST", "/v1/eqa/rounds", "eqa-admin", {
        planCode: "CHEM-2027",
        code: "CHEM-2027-2",
        name: "2027 年第二次",
        opensAt: new Date(now - 3_600_000).toISOString(),
        deadline: new Date(now + 86_400_000).toISOString(),
        samples: [{ code: "202721" }, { code: "202722" }],
      }),
    );
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-2/enrolments", "eqa-admin", { labs: ["L01", ...OTHER_LABS] }));
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-2/status", "eqa-admin", { status: "open" }));
    for (const [i, lab] of ["L01", ...OTHER_LABS].entries()) {
      const entries = (Object.keys(TARGETS) as (keyof typeof TARGETS)[]).flatMap((analyte) =>
        [0, 1].map((s) => {
          const typed = valueOf(analyte, s, i + 1);
          const value = lab === "L01" && bias[analyte] ? (Number(typed) * (bias[analyte] as number)).toFixed(2) : typed;
          return { analyte, sample: s === 0 ? "202721" : "202722", value, method: "酶法" };
        }),
      );
      await submitResults(eqa.prisma, { roundCode: "CHEM-2027-2", labCode: lab, entries, actor: `${lab}-lis`, now: new Date() });
    }
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-2/status", "eqa-admin", { status: "closed" }));
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-2/evaluations", "eqa-admin"));
    await runWorkerPass(eqa.prisma, worker);
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-2/status", "eqa-admin", { status: "published" }));
    const pass = await runWorkerPass(eqa.prisma, worker);
    assert.deepEqual(pass.anchoring?.failed, []);
    assert.equal(pass.anchoring?.superseded, 7, "every lab's first statement is revoked as superseded on chain");
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "e2e-eqa-"));
    chain = await startTestChain();
    const eqaUrl = `file:${join(dir, "eqa.db")}`;
    const config = parseConfig(
      {
        mode: "dev",
        listen: { host: "127.0.0.1", port: 0 },
        databaseUrl: `file:${join(dir, "gateway.db")}`,
        mirrorDatabaseUrl: `file:${join(dir, "mirror.db")}`,
        eqa: { databaseUrl: eqaUrl, centres: [CENTRE], verifyBaseUrl: "https://verify.example.org/eqa" },
        chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
        auth: { tokenSecret: "end-to-end secret of at least 32 bytes", domain: "gateway.test", uri: "https://gateway.test" },
        audit: { batchIntervalMs: 500 },
        institutions: [
          { address: HOSPITAL, name: "区人民医院 District People's Hospital", key: { devIndex: DEV.hospital } },
          { address: CENTRE, name: "区临床检验中心 Clinical Laboratory Centre", key: { devIndex: DEV.eqaCentre } },
          { address: AUTHORITY, name: "区卫生健康委员会 Health Commission", key: { devIndex: DEV.healthAuthority } },
          { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
        ],
        relayer: PLATFORM,
        staff: [
          { id: "eqa-admin", name: "临检中心管理员", institution: CENTRE, roles: ["admin"], sm2PublicKey: toHex(keys["eqa-admin"]!.publicKey) },
          { id: "eqa-system", name: "临检中心系统", institution: CENTRE, roles: ["institution-system"], sm2PublicKey: toHex(keys["eqa-system"]!.publicKey) },
          { id: "hospital-lab", name: "检验科技师", institution: HOSPITAL, roles: ["lab-staff"], sm2PublicKey: toHex(keys["hospital-lab"]!.publicKey) },
          { id: "authority-doctor", name: "医生", institution: AUTHORITY, roles: ["doctor"], sm2PublicKey: toHex(keys["authority-doctor"]!.publicKey) },
        ],
        stores: {},
        rbacFile: resolve(import.meta.dirname, "../../gateway/config/rbac.json"),
        logLevel: "silent",
      },
      { baseDir: dir, source: "e2e-eqa" },
    );
    gateway = await startGateway(config, { log: pino({ level: "silent" }), evidenceBatcher: false });
    eqa = openEqaDatabase(eqaUrl);
    for (const id of Object.keys(keys)) {
      tokens[id] = (await signInWithSm2({ baseUrl: gateway.url, staffId: id, privateKey: toHex(keys[id]!.privateKey) })).token;
    }
    worker = {
      actor: "eqa-system",
      publish: { centre: { name: "区临床检验中心", nameEn: "District Clinical Laboratory Centre", address: CENTRE }, signatory: "主任 张三 Director", verifyBaseUrl: "https://verify.example.org/eqa" },
      anchoring: { anchorer: createGatewayCertificateAnchorer({ baseUrl: gateway.url, staffId: "eqa-system", privateKey: toHex(keys["eqa-system"]!.privateKey) }), privateKey: toHex(keys["eqa-system"]!.privateKey) },
    };
  });

  after(async () => {
    await eqa?.close();
    await gateway?.close(1000);
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("plan, labs and an open round set up by the centre; labs may not", async () => {
    const analytes = clinicalChemistryAnalytes()
      .filter((a) => a.code in TARGETS)
      .map((a) => ({ ...a, scheme: { ...a.scheme, minResults: 5, peerGroups: undefined } }));
    const plan = { code: "CHEM-2027", name: "常规化学 2027", nameEn: "Routine chemistry 2027", year: 2027, analytes };
    const refused = await call("POST", "/v1/eqa/plans", "hospital-lab", plan);
    assert.equal(refused.status, 403, "a lab cannot create plans");
    await ok(await call("POST", "/v1/eqa/plans", "eqa-admin", plan));

    await ok(await call("PUT", "/v1/eqa/labs/L01", "eqa-admin", { name: "区人民医院检验科", institution: HOSPITAL, department: "检验科", level: "secondary", region: "东城" }));
    await ok(await call("PUT", "/v1/eqa/labs/L08", "eqa-admin", { name: "停诊实验室", institution: AUTHORITY, department: "检验科", level: "primary", region: "西城" }));
    for (const [i, code] of OTHER_LABS.entries()) {
      await ok(await call("PUT", `/v1/eqa/labs/${code}`, "eqa-admin", { name: `社区卫生服务中心检验室 ${i + 2}`, institution: AUTHORITY, department: "检验室", level: i % 2 ? "primary" : "tertiary", region: i % 2 ? "西城" : "东城" }));
    }
    const now = Date.now();
    await ok(
      await call("POST", "/v1/eqa/rounds", "eqa-admin", {
        planCode: "CHEM-2027",
        code: "CHEM-2027-1",
        name: "2027 年第一次",
        opensAt: new Date(now - 3_600_000).toISOString(),
        deadline: new Date(now + 86_400_000).toISOString(),
        samples: [{ code: "202711" }, { code: "202712" }],
      }),
    );
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/enrolments", "eqa-admin", { labs: ["L01", ...OTHER_LABS, "L08"] }));
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/status", "eqa-admin", { status: "open" }));
  });

  test("the hospital lab's mistyped entry is refused per field and changes nothing; its submission locks", async () => {
    const entries = (override: Record<string, string> = {}) =>
      (Object.keys(TARGETS) as (keyof typeof TARGETS)[]).flatMap((analyte) =>
        [0, 1].map((s) => ({ analyte, sample: s === 0 ? "202711" : "202712", value: override[`${analyte}/${s}`] ?? (analyte === "K" ? ((TARGETS.K[s] as number) * 1.3).toFixed(2) : valueOf(analyte, s, 1)), method: "酶法" })),
      );
    const bad = await call("PUT", "/v1/eqa/rounds/CHEM-2027-1/labs/L01/results", "hospital-lab", { entries: entries({ "GLU/0": "5,5x", "NA/1": "999" }) });
    assert.equal(bad.status, 400);
    const refusal = (await bad.json()) as { code: string; messageZh: string; details: { fieldErrors: { analyte: string; sample: string; field: string; message: string; messageZh: string }[] } };
    assert.equal(refusal.code, "INVALID_INPUT");
    assert.deepEqual(refusal.details.fieldErrors.map((e) => `${e.analyte}/${e.sample}`).sort(), ["GLU/202711", "NA/202712"]);
    for (const e of refusal.details.fieldErrors) assert.match(e.messageZh, /[\u4e00-\u9fff]/);
    assert.equal(await eqa.prisma.result.count(), 0, "nothing of the refused batch was stored");

    // Another institution's lab is not the hospital's to submit for.
    assert.equal((await call("PUT", "/v1/eqa/rounds/CHEM-2027-1/labs/L02/results", "hospital-lab", { entries: [] })).status, 403);

    const submitted = await ok<{ count: number }>(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/labs/L01/submit", "hospital-lab", { entries: entries() }));
    assert.equal(submitted.count, 6);
    const again = await call("PUT", "/v1/eqa/rounds/CHEM-2027-1/labs/L01/results", "hospital-lab", { entries: entries() });
    assert.equal(again.status, 409, "submitted results are locked");

    // The lab asks for an unlock with a reason; the centre sees it pending and approves; the lab resubmits.
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/labs/L01/unlock-requests", "hospital-lab", { reason: "样本 202712 钾结果录入错误 K entry error" }));
    const pending = await ok<{ items: { id: number; lab: { code: string }; reason: string }[] }>(await call("GET", "/v1/eqa/unlock-requests", "eqa-admin"));
    assert.deepEqual(pending.items.map((r) => r.lab.code), ["L01"]);
    await ok(await call("POST", `/v1/eqa/unlock-requests/${pending.items[0]!.id}/decision`, "eqa-admin", { approve: true, note: "同意更正" }));
    assert.equal((await ok<{ count: number }>(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/labs/L01/submit", "hospital-lab", { entries: entries() }))).count, 6);
    const trail = await ok<{ items: { action: string }[] }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1/audit?lab=L01", "eqa-admin"));
    assert.deepEqual(trail.items.map((i) => i.action).reverse(), ["results.submit", "unlock.request", "unlock.approve", "results.submit"]);
    const listed = await ok<{ items: { code: string; status: string }[] }>(await call("GET", "/v1/eqa/rounds", "hospital-lab"));
    assert.deepEqual(listed.items.map((r) => `${r.code}:${r.status}`), ["CHEM-2027-1:open"]);

    // Labs never see expected values or other labs before publication.
    const round = await ok<{ labs: { code: string }[]; samples: Record<string, unknown>[] }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1", "hospital-lab"));
    assert.deepEqual(round.labs.map((l) => l.code), ["L01"]);
    assert.deepEqual(round.samples.map((s) => Object.keys(s).sort()), [["code", "id"], ["code", "id"]], "samples without expected values");
  });

  test("the other labs submit through their own systems; one registers non-participation", async () => {
    for (const [i, lab] of OTHER_LABS.entries()) {
      const entries = (Object.keys(TARGETS) as (keyof typeof TARGETS)[]).flatMap((analyte) => [0, 1].map((s) => ({ analyte, sample: s === 0 ? "202711" : "202712", value: valueOf(analyte, s, i + 2), method: "酶法" })));
      await saveResults(eqa.prisma, { roundCode: "CHEM-2027-1", labCode: lab, entries, actor: `${lab}-lis`, now: new Date() });
      await submitResults(eqa.prisma, { roundCode: "CHEM-2027-1", labCode: lab, actor: `${lab}-lis`, now: new Date() });
    }
    const { registerNonParticipation } = await import("../../services/eqa/src/intake/index.ts");
    await registerNonParticipation(eqa.prisma, { roundCode: "CHEM-2027-1", labCode: "L08", reason: "仪器维修 Instrument under repair", actor: "L08-lis", now: new Date() });
  });

  test("the centre closes and evaluates; the worker computes it with a green consistency check", async () => {
    assert.equal((await call("POST", "/v1/eqa/rounds/CHEM-2027-1/evaluations", "eqa-admin")).status, 409, "not while the round is open");
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/status", "eqa-admin", { status: "closed" }));
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/evaluations", "eqa-admin"));
    const pass = await runWorkerPass(eqa.prisma, worker);
    assert.deepEqual(pass.evaluated, [{ round: "CHEM-2027-1", version: 1 }]);
    const summary = await ok<{ consistency: { status: string }; labs: { labCode: string; analytesPassed: number; analytesTotal: number }[] }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1/evaluation", "eqa-admin"));
    assert.equal(summary.consistency.status, "green");
    const hospital = summary.labs.find((l) => l.labCode === "L01");
    assert.deepEqual({ passed: hospital?.analytesPassed, total: hospital?.analytesTotal }, { passed: 2, total: 3 }, "the hospital passes GLU and NA and fails K");
    // Evaluated but not published: the lab sees its results, not its scores.
    const early = await ok<{ results: unknown[]; scores?: unknown[]; documents: unknown[] }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1/labs/L01", "hospital-lab"));
    assert.equal(early.results.length, 6);
    assert.equal(early.scores, undefined, "no scores before publication");
    assert.deepEqual(early.documents, []);
    const xlsx = await call("GET", "/v1/eqa/rounds/CHEM-2027-1/summaries.xlsx", "eqa-admin");
    assert.equal(xlsx.status, 200);
    assert.match(xlsx.headers.get("content-type") ?? "", /spreadsheetml/);
    assert.ok((await xlsx.arrayBuffer()).byteLength > 1000);
  });

  test("the centre records the samples' homogeneity and stability study; a bad study is refused per field; the conclusion is anchored", async () => {
    const study = {
      analytes: [
        {
          code: "GLU",
          name: "葡萄糖",
          unit: "mmol/L",
          sigmaPt: { value: 0.2, basis: "7 % of 5.5 mmol/L / 2" },
          homogeneity: { samples: [{ sample: "T01", replicates: [5.51, 5.49] }, { sample: "T02", replicates: [5.5, 5.52] }, { sample: "T03", replicates: [5.48, 5.5] }] },
          stability: { before: { measuredAt: "2027-02-01", values: [5.5, 5.51, 5.49] }, after: { measuredAt: "2027-02-20", values: [5.49, 5.5, 5.52] }, storage: "2–8 °C" },
        },
      ],
    };
    const bad = await call("POST", "/v1/eqa/rounds/CHEM-2027-1/homogeneity", "eqa-admin", { analytes: [{ ...study.analytes[0], sigmaPt: { value: -1, basis: "" } }] });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /sigmaPt/);
    assert.equal((await call("POST", "/v1/eqa/rounds/CHEM-2027-1/homogeneity", "hospital-lab", study)).status, 403);
    const recorded = await ok<{ acceptable: boolean; number: string }>(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/homogeneity", "eqa-admin", study));
    assert.equal(recorded.acceptable, true);
    await runWorkerPass(eqa.prisma, worker);
    const stored = await ok<{ document: { status: string; number: string } }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1/homogeneity", "eqa-admin"));
    assert.deepEqual([stored.document.number, stored.document.status], [recorded.number, "anchored"]);
  });

  test("publication issues every lab's documents and anchors them on chain, signed by the centre", async () => {
    await ok(await call("POST", "/v1/eqa/rounds/CHEM-2027-1/status", "eqa-admin", { status: "published" }));
    const pass = await runWorkerPass(eqa.prisma, worker);
    assert.equal(pass.published[0]?.labsIssued, 8);
    assert.deepEqual(pass.anchoring?.failed, []);
    const documents = await ok<{ counts: Record<string, number>; items: { kind: string; number: string; lab: string; status: string }[] }>(await call("GET", "/v1/eqa/rounds/CHEM-2027-1/documents", "eqa-admin"));
    assert.deepEqual(documents.counts, { anchored: documents.items.length });
    assert.equal(documents.items.filter((d) => d.kind === "homogeneity").length, 1, "the round's conclusion report is among them");
    const hospitalKinds = documents.items.filter((d) => d.lab === "L01").map((d) => d.kind).sort();
    assert.deepEqual(hospitalKinds, ["certificate", "history", "recognition", "report"]);
    reportNumber = documents.items.find((d) => d.lab === "L01" && d.kind === "report")!.number;
    // A second pass finds nothing left to issue or anchor.
    const idle = await runWorkerPass(eqa.prisma, worker);
    assert.deepEqual([idle.published, idle.anchoring?.anchored], [[], 0]);
  });

  test("the lab downloads its report; anyone verifies the file, and an altered copy is caught", async () => {
    const res = await call("GET", `/v1/eqa/documents/${encodeURIComponent(reportNumber)}`, "hospital-lab");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/pdf");
    const pdf = new Uint8Array(await res.arrayBuffer());
    assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
    const certId = res.headers.get("x-certificate-id") as Hex;
    assert.equal(res.headers.get("x-document-sm3"), sm3Hex(pdf));

    const verified = await ok<{ valid: boolean; status: { name: string } }>(await call("POST", `/v1/eqa/verify/${certId}`, null, undefined, pdf));
    assert.deepEqual([verified.valid, verified.status.name], [true, "valid"]);
    const altered = pdf.slice();
    altered[altered.length - 100] = (altered[altered.length - 100] as number) ^ 0x01;
    const caught = await ok<{ valid: boolean; altered: boolean; status: { name: string } }>(await call("POST", `/v1/eqa/verify/${certId}`, null, undefined, altered));
    assert.deepEqual([caught.valid, caught.altered, caught.status.name], [false, true, "hashMismatch"]);

    // The chain itself gives the same answer, without the gateway.
    const onChain = await chain.publicClient.readContract({ address: chain.deployments.contracts.CertificateRegistry.address, abi: certificateRegistryAbi, functionName: "verify", args: [certId, sm3Hex(pdf) as Hex] });
    assert.equal(onChain, 1, "CertificateRegistry.verify: Valid");
    const anchored = await chain.publicClient.readContract({ address: chain.deployments.contracts.CertificateRegistry.address, abi: certificateRegistryAbi, functionName: "getCertificate", args: [certId] });
    assert.equal(anchored.issuer, CENTRE, "issued by the centre");
    assert.ok(anchored.issuedAt > 0n, "with the block time as trusted timestamp");

    // Another institution's staff cannot download the hospital's report.
    assert.equal((await call("GET", `/v1/eqa/documents/${encodeURIComponent(reportNumber)}`, "authority-doctor")).status, 403);
  });

  test("a doctor asks whether the hospital's glucose result of a date is covered by mutual recognition", async () => {
    const ask = (analyte: string, date: string) => call("GET", `/v1/eqa/recognition?institution=${HOSPITAL}&analyte=${encodeURIComponent(analyte)}&date=${encodeURIComponent(date)}`, "authority-doctor");
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const yes = await ok<{ recognised: boolean; basis: { certId: string; round: string }; messageZh: string }>(await ask("2345-7", tomorrow));
    assert.equal(yes.recognised, true, "glucose (by its LOINC) passed and the statement verifies on chain");
    assert.equal(yes.basis.round, "CHEM-2027-1");
    assert.match(yes.messageZh, /可互认/);
    assert.equal((await ok<{ recognised: boolean }>(await ask("GLU", "2020-01-01T00:00:00Z"))).recognised, false, "before publication");
    assert.equal((await ok<{ recognised: boolean }>(await ask("K", tomorrow))).recognised, false, "potassium was failed");

    // A later round of the plan supersedes the standing: the hospital now fails glucose. From the
    // second publication on the answer is no; results dated before it stay covered by the first.
    const firstPublished = new Date().toISOString();
    await secondRound({ GLU: 1.25 });
    const afterSecond = new Date(Date.now() + 86_400_000).toISOString();
    const superseded = await ok<{ recognised: boolean; considered: { verdict: string; round: string }[] }>(await ask("GLU", afterSecond));
    assert.equal(superseded.recognised, false, "glucose failed in the later round");
    assert.deepEqual(superseded.considered.map((c) => `${c.round}:${c.verdict}`).sort(), ["CHEM-2027-1:revoked", "CHEM-2027-2:analyteNotPassed"]);
    const between = await ok<{ recognised: boolean; basis: { round: string } }>(await ask("GLU", firstPublished));
    assert.deepEqual([between.recognised, between.basis.round], [true, "CHEM-2027-1"], "a result dated before the second publication stays covered by the first");
    const sodium = await ok<{ recognised: boolean; basis: { certId: string; round: string } }>(await ask("2951-2", afterSecond));
    assert.deepEqual([sodium.recognised, sodium.basis.round], [true, "CHEM-2027-2"]);

    // The centre revokes the second statement as issued in error: the answer becomes no, for every date.
    await ok(await call("POST", `/v1/certificates/${sodium.basis.certId}/revoke`, "eqa-system", { reason: "issuedInError" }));
    const revoked = await ok<{ recognised: boolean; considered: { verdict: string; round: string }[] }>(await ask("NA", afterSecond));
    assert.equal(revoked.recognised, false);
    assert.ok(revoked.considered.every((c) => c.verdict === "revoked"));
  });
});
