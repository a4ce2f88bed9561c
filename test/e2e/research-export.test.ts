// End to end, issue 8: from a screening request to an approved export whose hash verifies on chain.
// A month of the synthetic district is collected from the regional platform's tables by the
// collection service and anchored through the gateway (encrypted originals in the hospital's
// store); the analytics service builds its "all" topic database from the standardised records. A
// researcher registers a project (reviewed with its ethics approval), submits criteria (a bad tree
// is refused, naming the node, nothing stored), a reviewer approves, the run answers protected
// counts per institution; all but two of the cohort's residents grant the project research consent
// with their own wallet keys. An export with k = 5 is refused for k-anonymity with its
// report; one with generalisation is built: only consenting residents, de-identified by the
// collection service's policy, k-anonymous; the worker anchors its SM3 in CertificateRegistry as
// the operator's system; the researcher downloads it sealed for the session (logged), recomputes
// the hash and the chain verifies it. A resident then revokes: the package is marked, and the
// next export leaves them out.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { canonicalize, certificateRegistryAbi, generateSm2KeyPair, PURPOSES, sm3Hex, toHex, utf8, type ConsentDomain, type Sm2KeyPair } from "@health-chain/sdk";
import { pino } from "pino";
import { maxUint256, numberToHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createGatewayCertificateAnchorer, openSealedRead, signInWithSm2, signInWithWallet, type SignedIn } from "../../gateway/src/client.ts";
import { parseConfig } from "../../gateway/src/config.ts";
import { startGateway, type RunningGateway } from "../../gateway/src/server.ts";
import { openMirrorDatabase, type MirrorDatabase } from "../../mirror/src/database.ts";
import { createIndexer, type Indexer } from "../../mirror/src/indexer.ts";
import { migrateAnalyticsDatabase, openAnalyticsDatabase, type AnalyticsDatabase } from "../../services/analytics/src/db.ts";
import { buildTopic, parseTopicDefinition } from "../../services/analytics/src/topics/index.ts";
import { anchorPendingPackages } from "../../services/analytics/src/worker/index.ts";
import { writeIntermediateTables } from "../../services/his/src/adapters/sql/index.ts";
import { createGatewayAnchorer } from "../../services/his/src/anchoring/index.ts";
import { derivedDirectory } from "../../services/his/src/collection/index.ts";
import { exampleDeidPolicy } from "../../services/his/src/deid/examples.ts";
import { publishDeidPolicy } from "../../services/his/src/deid/versions.ts";
import { openHisService, type HisService } from "../../services/his/src/service.ts";
import { syntheticRecords } from "../../services/his/src/synthetic/index.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../helpers/chain.ts";
import { nextNonce, signedRelay } from "./fixtures.ts";
import { reviewCodesAndReplay } from "./his-fixtures.ts";

const HOSPITAL = devAccount(DEV.hospital).address;
const AUTHORITY = devAccount(DEV.healthAuthority).address;
const PLATFORM = devAccount(DEV.platform).address;
const WALLET_SECRET = "e2e research wallet secret, 16+ bytes";
const ALL = numberToHex(maxUint256, { size: 32 });
const TARGET = "PD-TH-02";
// Residents aged 40 to 79 at the index date: the cohort (one 40-year band once generalised).
const CRITERIA = { type: "demographic", age: { min: 40, max: 79 } };

interface ExportView {
  id: string;
  status: string;
  report: { consent: { residentsIncluded: number; residentsExcluded: number }; kAnonymity: { final: { satisfied: boolean; minClassSize: number | null; classesBelowK: unknown[] } } | null } | null;
  package: { id: string; packageHash: Hex; certId: Hex; anchorState: string; residents: number; revocation: { residents: number } | null; downloads?: { by: string }[] } | null;
}

describe("a screening request to an approved, anchored, verified research export", () => {
  let chain: TestChain;
  let dir: string;
  let mirrorDb: MirrorDatabase;
  let indexer: Indexer;
  let indexing: Promise<void>;
  let gateway: RunningGateway;
  let his: HisService;
  let analytics: AnalyticsDatabase;
  let domain: ConsentDomain;
  const keys: Record<string, Sm2KeyPair> = { "hospital-his": generateSm2KeyPair(), "platform-system": generateSm2KeyPair(), researcher: generateSm2KeyPair(), reviewer: generateSm2KeyPair() };
  const sessions: Record<string, SignedIn> = {};
  const directory = derivedDirectory(WALLET_SECRET);
  const topicDirectory = () => join(dir, "topics");

  async function call<T>(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sessions[who]!.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }
  async function ok<T>(method: string, path: string, who: string, body?: unknown): Promise<T> {
    const res = await call<T>(method, path, who, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }
  const anchorPackages = () =>
    anchorPendingPackages(analytics.prisma, createGatewayCertificateAnchorer({ baseUrl: gateway.url, staffId: "platform-system", privateKey: toHex(keys["platform-system"]!.privateKey) }), {
      privateKey: toHex(keys["platform-system"]!.privateKey),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "e2e-research-"));
    chain = await startTestChain();
    const mirrorUrl = `file:${join(dir, "mirror.db")}`;
    mirrorDb = await openMirrorDatabase(mirrorUrl);
    indexer = createIndexer({ prisma: mirrorDb.prisma, client: chain.publicClient, deployments: chain.deployments, pollIntervalMs: 50 });
    indexing = indexer.run();
    const hisUrl = `file:${join(dir, "his.db")}`;
    const analyticsUrl = `file:${join(dir, "analytics.db")}`;
    const config = parseConfig(
      {
        mode: "dev",
        listen: { host: "127.0.0.1", port: 0 },
        databaseUrl: `file:${join(dir, "gateway.db")}`,
        mirrorDatabaseUrl: mirrorUrl,
        his: { databaseUrl: hisUrl },
        analytics: { databaseUrl: analyticsUrl, topicDirectory: topicDirectory(), topic: "all", operator: PLATFORM },
        chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
        auth: { tokenSecret: "end-to-end secret of at least 32 bytes", domain: "gateway.test", uri: "https://gateway.test" },
        audit: { batchIntervalMs: 500 },
        institutions: [
          { address: HOSPITAL, name: "区人民医院 District People's Hospital", key: { devIndex: DEV.hospital } },
          { address: AUTHORITY, name: "区卫生健康委员会 Health Commission", key: { devIndex: DEV.healthAuthority } },
          { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
        ],
        relayer: PLATFORM,
        staff: [
          { id: "hospital-his", name: "HIS 前置机", institution: HOSPITAL, roles: ["institution-system"], sm2PublicKey: toHex(keys["hospital-his"]!.publicKey) },
          { id: "platform-system", name: "区域平台科研服务", institution: PLATFORM, roles: ["institution-system"], sm2PublicKey: toHex(keys["platform-system"]!.publicKey) },
          { id: "researcher", name: "研究员", institution: AUTHORITY, roles: ["researcher"], sm2PublicKey: toHex(keys.researcher!.publicKey) },
          { id: "reviewer", name: "审核员", institution: AUTHORITY, roles: ["reviewer"], sm2PublicKey: toHex(keys.reviewer!.publicKey) },
        ],
        stores: { [HOSPITAL]: { kind: "fs", dir: join(dir, "store-hospital") }, [PLATFORM]: { kind: "fs", dir: join(dir, "store-platform") } },
        rbacFile: resolve(import.meta.dirname, "../../gateway/config/rbac.json"),
        logLevel: "silent",
      },
      { baseDir: dir, source: "e2e-research" },
    );
    gateway = await startGateway(config, { log: pino({ level: "silent" }), evidenceBatcher: false });
    for (const id of ["researcher", "reviewer"]) sessions[id] = await signInWithSm2({ baseUrl: gateway.url, staffId: id, privateKey: toHex(keys[id]!.privateKey) });
    his = await openHisService({
      databaseUrl: hisUrl,
      residentSalt: "e2e research resident salt, 16+ bytes",
      directory,
      anchorer: createGatewayAnchorer({ baseUrl: gateway.url, staffId: "hospital-his", privateKey: toHex(keys["hospital-his"]!.privateKey) }),
      now: () => new Date(Date.now() + 86_400_000),
    });
    await migrateAnalyticsDatabase(analyticsUrl);
    analytics = openAnalyticsDatabase(analyticsUrl);
    domain = (await (await fetch(`${gateway.url}/v1/consents/domain`)).json()) as ConsentDomain;
  });

  after(async () => {
    await analytics?.close();
    await his?.close();
    await gateway?.close(1000);
    await indexer?.stop();
    await indexing?.catch(() => undefined);
    await mirrorDb?.close();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The people with a patient record at the target: residentRef → EMPI person id. */
  async function cohortPeople(): Promise<Map<string, string>> {
    const rows = await his.db.prisma.collectedRecord.findMany({ where: { institution: TARGET, model: "patient" }, select: { residentRef: true, personId: true } });
    return new Map(rows.map((r) => [r.residentRef.toLowerCase(), r.personId]));
  }

  /**
   * The cohort as the criteria define it (aged 40 to 79 on the index date at the target), worked out
   * here from the collected records, in a stable order (the hospital's patient number; EMPI ids and
   * residentRefs are new each run), with each resident's sex.
   */
  function bySexOf<T extends { sex: string }>(items: readonly T[]): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) groups.set(item.sex, [...(groups.get(item.sex) ?? []), item]);
    return groups;
  }

  async function cohortMembers(): Promise<{ residentRef: string; personId: string; sex: string }[]> {
    const rows = await his.db.prisma.collectedRecord.findMany({ where: { institution: TARGET, model: "patient" }, select: { residentRef: true, personId: true, contentJson: true } });
    const ageOn = (birth: string) => {
      const [y, m, d] = birth.split("-").map(Number) as [number, number, number];
      return 2026 - y - (m > 10 || (m === 10 && d > 1) ? 1 : 0);
    };
    return rows
      .map((r) => ({ ...r, content: JSON.parse(r.contentJson) as { patientId: string; sex: string; birthDate: string } }))
      .filter((r) => ageOn(r.content.birthDate) >= 40 && ageOn(r.content.birthDate) <= 79)
      .sort((a, b) => (a.content.patientId < b.content.patientId ? -1 : 1))
      .map((r) => ({ residentRef: r.residentRef.toLowerCase(), personId: r.personId, sex: r.content.sex }));
  }

  /** A resident's research grant to the project: every category and field, for a day, signed with their wallet and relayed by the gateway. */
  async function grantResearch(personId: string, projectId: Hex): Promise<Hex> {
    const account = privateKeyToAccount(directory.privateKeyOf(personId));
    const session = await signInWithWallet({ baseUrl: gateway.url, address: account.address, signMessage: ({ message }) => account.signMessage({ message }) });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const message = {
      resident: account.address,
      grantee: projectId,
      granteeKind: 2,
      categories: [ALL],
      recordIds: [] as Hex[],
      fields: [ALL],
      purposes: PURPOSES.research.mask,
      notBefore: now - 60n,
      notAfter: now + 86_400n,
      mayReshare: false,
      nonce: nextNonce(),
      deadline: now + 600n,
    };
    const res = await fetch(`${gateway.url}/v1/consents/grants`, {
      method: "POST",
      headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" },
      body: JSON.stringify(await signedRelay(account as never, "ConsentGrant", message, domain)),
    });
    const body = (await res.json()) as { grantId: Hex };
    assert.equal(res.status, 201, JSON.stringify(body));
    sessions[personId] = session;
    return body.grantId;
  }

  let projectId: Hex;
  let requestId: string;
  let consenting: string[] = [];
  let builtExport: ExportView;

  test("the district's month is collected, anchored with originals in the hospital's store, and its topic database built", async () => {
    const records = [...syntheticRecords({ seed: 2026, residents: 200, from: "2026-09-01", days: 30 })];
    const sourceUrl = `file:${join(dir, "platform.db")}`;
    await writeIntermediateTables(sourceUrl, records);
    await his.saveTask({ id: "regional-t1", name: "区域平台 T+1", source: { format: "sql", url: sourceUrl }, schedule: "0 1 * * *", pageSize: 500 }, "e2e");
    assert.equal((await his.runTask("regional-t1")).status, "succeeded");
    await reviewCodesAndReplay(his, "regional-t1", records);
    const anchored = await his.anchor({ nightly: true });
    assert.equal(anchored.failedBatches, 0);
    await publishDeidPolicy(his.db.prisma, exampleDeidPolicy("research-export"), { actor: "e2e", note: "research export policy" });
    const built = await buildTopic({ directory: topicDirectory(), his: his.db.prisma, definition: parseTopicDefinition({ name: "all", title: { zh: "全人群", en: "All" }, criteria: null, schedule: "0 3 * * *" }) });
    assert.equal(built.status, "created");
    assert.ok((built.manifest.institutions[TARGET]?.residents ?? 0) >= 15, JSON.stringify(built.manifest.institutions[TARGET]));
  });

  test("a project with its ethics approval is registered and reviewed by someone else than its sponsor", async () => {
    const project = await ok<{ id: Hex; status: string }>("POST", "/v1/research/projects", "researcher", { code: "T2DM-2026-01", title: "成人慢病队列可行性研究", ethicsCommittee: "区人民医院伦理委员会", ethicsApprovalNo: "EC-2026-088" });
    projectId = project.id;
    assert.equal(project.status, "submitted");
    const own = await call<{ code: string }>("POST", `/v1/research/projects/${projectId}/review`, "researcher", { decision: "approved", reason: "self" });
    assert.equal(own.status, 403, "a researcher has no review permission");
    assert.equal((await ok<{ status: string }>("POST", `/v1/research/projects/${projectId}/review`, "reviewer", { decision: "approved", reason: "伦理批件 EC-2026-088 已核验" })).status, "approved");
  });

  test("an invalid criteria tree is refused naming the node, and nothing is stored", async () => {
    const bad = await call<{ code: string; messageZh: string; details: { path: string } }>("POST", "/v1/research/requests", "researcher", {
      title: "bad",
      purpose: "bad",
      criteria: { type: "and", children: [{ type: "lab", loinc: "4548-3", comparator: ">", value: 7, unit: "%" }] },
      indexDate: "2026-10-01",
      institutions: [TARGET],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "INVALID_INPUT");
    assert.equal(bad.body.details.path, "/children/0/loinc");
    assert.match(bad.body.messageZh, /[\u4e00-\u9fff]/);
    assert.deepEqual((await ok<{ items: unknown[] }>("GET", "/v1/research/requests", "researcher")).items, []);
  });

  test("a submitted request runs only once approved, and answers protected counts per institution", async () => {
    const request = await ok<{ id: string; status: string }>("POST", "/v1/research/requests", "researcher", {
      title: "成人居民",
      purpose: "队列规模评估",
      criteria: CRITERIA,
      indexDate: "2026-10-01",
      institutions: [TARGET, "PD-TH-01"],
      projectId,
    });
    requestId = request.id;
    const early = await call<{ code: string }>("POST", `/v1/research/requests/${requestId}/runs`, "researcher");
    assert.equal(early.status, 409);
    await ok("POST", `/v1/research/requests/${requestId}/review`, "reviewer", { decision: "approved", reason: "标准明确，目的正当" });
    const run = await ok<{ counts: { cells: { key: string; cell: { value?: number; suppressed?: true } }[] } }>("POST", `/v1/research/requests/${requestId}/runs`, "researcher");
    const people = await cohortPeople();
    const target = run.counts.cells.find((c) => c.key === TARGET)!;
    assert.ok(target.cell.value !== undefined && target.cell.value >= 5, JSON.stringify(target));
    assert.ok(target.cell.value <= people.size);
    for (const { cell } of run.counts.cells) assert.ok(cell.suppressed === true || cell.value! >= 5, "no count below the threshold is shown");
  });

  test("residents grant the project research consent with their own keys; an export breaking k = 5 is refused with its report", async () => {
    // Everyone grants but two residents of the larger sex group: after generalisation (one age band),
    // each sex still holds at least k = 5 consenting residents, and one of them may later revoke.
    const members = await cohortMembers();
    const bySex = bySexOf(members);
    const larger = [...bySex.values()].sort((a, b) => b.length - a.length)[0]!;
    const declining = new Set(larger.slice(0, 2).map((m) => m.personId));
    consenting = members.filter((m) => !declining.has(m.personId)).map((m) => m.personId);
    for (const group of bySex.values()) assert.ok(group.filter((m) => !declining.has(m.personId)).length >= (group === larger ? 6 : 5), "the synthetic cohort is large enough for this scenario");
    for (const personId of consenting) await grantResearch(personId, projectId);
    const strict = await ok<{ id: string }>("POST", `/v1/research/requests/${requestId}/exports`, "researcher", { projectId, purpose: "队列随访数据", k: 5, onKFailure: "refuse" });
    const early = await call<{ code: string }>("POST", `/v1/research/exports/${strict.id}/build`, "researcher");
    assert.equal(early.status, 409, "not approved yet");
    await ok("POST", `/v1/research/exports/${strict.id}/review`, "reviewer", { decision: "approved", reason: "项目已批准" });
    const refused = await ok<{ status: string; reason: string; report: ExportView["report"] }>("POST", `/v1/research/exports/${strict.id}/build`, "researcher");
    assert.equal(refused.status, "refused");
    assert.equal(refused.reason, "k-anonymity");
    assert.equal(refused.report!.kAnonymity!.final.satisfied, false);
    // The researcher learns how many classes failed, not which: the small classes are what k hides.
    assert.deepEqual(refused.report!.kAnonymity!.final.classesBelowK, []);
    assert.ok((refused.report!.kAnonymity!.final as { classesBelowKCount?: number }).classesBelowKCount! > 0);
    const view = await ok<ExportView>("GET", `/v1/research/exports/${strict.id}`, "reviewer");
    assert.equal(view.status, "refused");
    assert.ok(view.report!.kAnonymity!.final.classesBelowK.length > 0, "reviewers see the classes");
    assert.equal(view.package, null, "nothing was packaged");
    const tooLow = await call<{ details: { reason: string } }>("POST", `/v1/research/requests/${requestId}/exports`, "researcher", { projectId, purpose: "k 过低", k: 2 });
    assert.equal(tooLow.status, 400);
    assert.equal(tooLow.body.details.reason, "k-below-minimum");
  });

  test("an export allowed to generalise is built from consenting residents only, anchored, downloaded and verified on chain", async () => {
    const exportRow = await ok<{ id: string }>("POST", `/v1/research/requests/${requestId}/exports`, "researcher", { projectId, purpose: "队列随访数据", k: 5, onKFailure: "generalise" });
    await ok("POST", `/v1/research/exports/${exportRow.id}/review`, "reviewer", { decision: "approved", reason: "项目已批准" });
    const built = await ok<{ status: string; report: ExportView["report"] }>("POST", `/v1/research/exports/${exportRow.id}/build`, "researcher");
    assert.equal(built.status, "built", JSON.stringify(built.report?.kAnonymity?.final));
    assert.equal(built.report!.kAnonymity!.final.satisfied, true);
    const full = await ok<ExportView>("GET", `/v1/research/exports/${exportRow.id}`, "reviewer");
    assert.ok(full.report!.kAnonymity!.final.minClassSize! >= 5);
    assert.ok(full.report!.consent.residentsExcluded > 0, "residents without consent are excluded and counted");

    const pending = await ok<ExportView>("GET", `/v1/research/exports/${exportRow.id}`, "researcher");
    assert.equal(pending.package!.anchorState, "pending");
    assert.equal((await call("GET", `/v1/research/exports/${exportRow.id}/package`, "researcher")).status, 409, "no download before the hash is on chain");
    const anchoring = await anchorPackages();
    assert.deepEqual(anchoring.failed, []);
    assert.equal(anchoring.anchored, 1);

    const download = await ok<{ package: ExportView["package"]; context: string; sealed: never }>("GET", `/v1/research/exports/${exportRow.id}/package`, "researcher");
    const pkg = openSealedRead<{ records: { personRef?: string; content?: Record<string, unknown> }[]; counts: unknown }>({ ...(download.sealed as object), context: download.context } as never, sessions.researcher!);
    const hash = sm3Hex(utf8(canonicalize(pkg)));
    assert.equal(hash, download.package!.packageHash, "the downloaded package is the one hashed");
    const status = await chain.publicClient.readContract({
      address: chain.deployments.contracts.CertificateRegistry.address,
      abi: certificateRegistryAbi,
      functionName: "verify",
      args: [download.package!.certId, hash],
    });
    assert.equal(status, 1, "CertificateRegistry.verify: valid");
    const viaGateway = (await (await fetch(`${gateway.url}/v1/certificates/${download.package!.certId}/verify?documentHash=${hash}`)).json()) as { valid: boolean; certificate: { issuer: Address; issuerSignatureValid: boolean } };
    assert.equal(viaGateway.valid, true);
    assert.equal(viaGateway.certificate.issuer, PLATFORM);
    assert.equal(viaGateway.certificate.issuerSignatureValid, true);

    // Nothing personal: no name, ID number, phone or street address, no residentRef.
    const text = JSON.stringify(pkg);
    for (const row of await his.db.prisma.collectedRecord.findMany({ where: { model: "patient", institution: TARGET } })) {
      const content = JSON.parse(row.contentJson) as { name: string; idNumber?: string; phone?: string };
      for (const value of [content.name, content.idNumber, content.phone, row.residentRef]) if (value) assert.ok(!text.includes(value), `leaked ${value}`);
    }
    assert.ok(!/[弄号室]/.test(text), "no street-level address");
    assert.equal(new Set(pkg.records.map((r) => r.personRef)).size, download.package!.residents);
    assert.ok(download.package!.residents <= consenting.length);

    // Each resident in the package sees the export in their access trace and their messages.
    const member = (await analytics.prisma.packageMember.findMany({ where: { packageId: download.package!.id } }))[0]!;
    const personId = (await cohortPeople()).get(member.residentRef.toLowerCase())!;
    const trace = await ok<{ items: { accessor: string; purpose: number; outcome: string; reason: string; fields: string[] }[] }>("GET", "/v1/provenance/access-lines", personId);
    const exported = trace.items.filter((l) => l.reason === `research-export:${exportRow.id}`);
    assert.ok(exported.length > 0, JSON.stringify(trace.items.slice(0, 2)));
    for (const line of exported) assert.deepEqual([line.accessor, line.purpose, line.outcome], [projectId.toLowerCase(), PURPOSES.research.code, "granted"]);
    const inbox = await ok<{ items: { kind: string; payload: { exportId?: string; records?: number } }[] }>("GET", "/v1/notifications", personId);
    const notice = inbox.items.find((n) => n.kind === "grant-used" && n.payload.exportId === exportRow.id);
    assert.equal(notice?.payload.records, exported.length);

    const logged = await ok<ExportView>("GET", `/v1/research/exports/${exportRow.id}`, "reviewer");
    assert.deepEqual(logged.package!.downloads!.map((d) => d.by), ["researcher"], "the download is logged");
    builtExport = logged;
  });

  test("a revocation marks the package that contained the resident, and the next export leaves them out", async () => {
    const members = await analytics.prisma.packageMember.findMany({ where: { packageId: builtExport.package!.id } });
    // A resident of the larger sex group revokes, so the next export still reaches k = 5.
    const cohort = await cohortMembers();
    const sizes = bySexOf(cohort.filter((m) => consenting.includes(m.personId)));
    const largerSex = [...sizes].sort((a, b) => b[1].length - a[1].length)[0]![0];
    const member = members.find((m) => cohort.find((c) => c.residentRef === m.residentRef.toLowerCase())?.sex === largerSex)!;
    const people = await cohortPeople();
    const personId = people.get(member.residentRef.toLowerCase())!;
    const grantId = (JSON.parse(member.grantIdsJson) as Hex[])[0]!;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const account = privateKeyToAccount(directory.privateKeyOf(personId));
    const revoked = await fetch(`${gateway.url}/v1/consents/revocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${sessions[personId]!.token}`, "content-type": "application/json" },
      body: JSON.stringify(await signedRelay(account as never, "ConsentRevocation", { grantId, nonce: nextNonce(), deadline: now + 600n }, domain)),
    });
    assert.equal(revoked.status, 200, await revoked.text());
    // The mirror indexes the revocation; the package is marked when next looked at.
    let marked: ExportView | undefined;
    for (let i = 0; i < 100 && !marked?.package?.revocation; i++) {
      marked = await ok<ExportView>("GET", `/v1/research/exports/${builtExport.id}`, "researcher");
      if (!marked.package?.revocation) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(marked!.package!.revocation!.residents, 1);

    const again = await ok<{ id: string }>("POST", `/v1/research/requests/${requestId}/exports`, "researcher", { projectId, purpose: "队列随访数据（更新）", k: 5, onKFailure: "generalise" });
    await ok("POST", `/v1/research/exports/${again.id}/review`, "reviewer", { decision: "approved", reason: "项目已批准" });
    const rebuilt = await ok<{ status: string; packageId?: string; report: ExportView["report"] }>("POST", `/v1/research/exports/${again.id}/build`, "researcher");
    const rebuiltFull = await ok<ExportView>("GET", `/v1/research/exports/${again.id}`, "reviewer");
    assert.equal(rebuiltFull.report!.consent.residentsExcluded, builtExport.report!.consent.residentsExcluded + 1);
    assert.equal(rebuilt.status, "built", JSON.stringify(rebuilt.report?.kAnonymity?.final));
    const refs = (await analytics.prisma.packageMember.findMany({ where: { packageId: rebuilt.packageId! } })).map((m) => m.residentRef);
    assert.equal(refs.length, members.length - 1);
    assert.ok(!refs.includes(member.residentRef), "the resident who revoked is not in the new package");
  });

  test("reports and usage statistics: JSON for charts, CSV and Excel for download", async () => {
    const usage = await ok<{ tables: { id: string; rows: Record<string, string | number | null>[] }[] }>("GET", "/v1/research/reports/usage", "reviewer");
    const byPerson = usage.tables.find((t) => t.id.includes("person"))!;
    const researcher = byPerson.rows.find((r) => r.person === "researcher")!;
    assert.ok(researcher, JSON.stringify(byPerson.rows));
    // One run, two packages built (the refused export is not one), one download.
    assert.deepEqual([researcher.queries, researcher.exports, researcher.downloads], [1, 2, 1], JSON.stringify(researcher));
    const preset = await ok<{ tables: { rows: Record<string, unknown>[]; columns: { key: string }[] }[] }>("GET", "/v1/research/reports/presets/residents-by-institution-and-sex", "reviewer");
    assert.ok(preset.tables[0]!.rows.length > 0);
    const csv = await fetch(`${gateway.url}/v1/research/reports/presets/residents-by-institution-and-sex?format=csv&lang=en`, { headers: { authorization: `Bearer ${sessions.reviewer!.token}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /text\/csv/);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with a byte-order mark, for Excel");
    assert.match(new TextDecoder().decode(bytes), /^institution,/m);
    const xlsx = await fetch(`${gateway.url}/v1/research/reports/data-resources?format=xlsx`, { headers: { authorization: `Bearer ${sessions.reviewer!.token}` } });
    assert.equal(xlsx.status, 200);
    assert.deepEqual([...new Uint8Array(await xlsx.arrayBuffer()).slice(0, 2)], [0x50, 0x4b], "a zip (xlsx) workbook");
    assert.equal((await call("GET", "/v1/research/reports/usage", "researcher")).status, 403, "researchers do not see usage statistics");
  });
});
