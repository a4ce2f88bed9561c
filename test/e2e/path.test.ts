// The first complete path (issue 5), through HTTP only, against a real gateway server on a port, a
// chain-node dev chain and the mirror's indexer following it: an institution anchors a batch of
// records; a doctor requests access; the resident grants two fields for treatment for one day (by
// answering the request); the doctor reads exactly those two fields and opens them with the
// session key; after the resident revokes, the next read is refused; the resident's trace shows
// every step with its transaction hash; an auditor verifies the record's inclusion proof and the
// access evidence against the chain over JSON-RPC, trusting nothing the gateway computed.
//
// The same test runs with the mirror's and the gateway's databases on SQLite and on PostgreSQL.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  auditTrailAbi,
  consentDomain,
  dataIndexAbi,
  entryItem,
  generateSm2KeyPair,
  signSm2,
  sm3Hex,
  toHex,
  utf8,
  verifyMerkleProof,
  type ConsentDomain,
  type Sm2KeyPair,
} from "@health-chain/sdk";
import { openForReader, type SealedForReader } from "@health-chain/store";
import { pino } from "pino";
import { createPublicClient, getAddress, http, type Address, type Hex } from "viem";
import type { HDAccount } from "viem/accounts";
import { openMirrorDatabase, type MirrorDatabase } from "../../mirror/src/database.ts";
import { createIndexer, type Indexer } from "../../mirror/src/indexer.ts";
import { parseConfig } from "../../gateway/src/config.ts";
import { startGateway, type RunningGateway } from "../../gateway/src/server.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../helpers/chain.ts";
import { startPostgres, type TestPostgres } from "../helpers/postgres.ts";
import { labRecord, LAB, LAB_FIELDS, nextNonce, signedRelay } from "./fixtures.ts";

const HOSPITAL = devAccount(DEV.hospital).address;
const PLATFORM = devAccount(DEV.platform).address;
const AUTHORITY = devAccount(DEV.healthAuthority).address;
const RESIDENT = devAccount(12);
const STAFF = {
  "hospital-his": { institution: HOSPITAL, roles: ["institution-system"] },
  "hospital-doctor": { institution: HOSPITAL, roles: ["doctor"] },
  "platform-auditor": { institution: PLATFORM, roles: ["auditor"] },
} as const;
type StaffId = keyof typeof STAFF;

/** Polls until `check` returns a value (or throws after `ms`). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Step {
  kind: string;
  at: string | null;
  txHash?: string | null;
  outcome?: string;
  evidence?: { status: string; verified?: boolean };
}

for (const backend of ["sqlite", "postgresql"] as const) {
  describe(`the first complete path, databases on ${backend}`, () => {
    let chain: TestChain;
    let pg: TestPostgres | undefined;
    let dir: string;
    let mirrorDb: MirrorDatabase;
    let indexer: Indexer;
    let indexing: Promise<void>;
    let gateway: RunningGateway;
    const staffKeys = Object.fromEntries(Object.keys(STAFF).map((id) => [id, generateSm2KeyPair()])) as Record<StaffId, Sm2KeyPair>;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `e2e-path-${backend}-`));
      chain = await startTestChain();
      let mirrorUrl = `file:${join(dir, "mirror.db")}`;
      let gatewayUrl = `file:${join(dir, "gateway.db")}`;
      if (backend === "postgresql") {
        pg = await startPostgres();
        mirrorUrl = await pg.createDatabase("e2e_mirror");
        gatewayUrl = await pg.createDatabase("e2e_gateway");
      }
      mirrorDb = await openMirrorDatabase(mirrorUrl);
      indexer = createIndexer({ prisma: mirrorDb.prisma, client: chain.publicClient, deployments: chain.deployments, pollIntervalMs: 50 });
      indexing = indexer.run();
      const config = parseConfig(
        {
          mode: "dev",
          listen: { host: "127.0.0.1", port: 0 },
          databaseUrl: gatewayUrl,
          mirrorDatabaseUrl: mirrorUrl,
          chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
          auth: { tokenSecret: "end-to-end secret of at least 32 bytes", domain: "gateway.test", uri: "https://gateway.test" },
          audit: { batchIntervalMs: 200 },
          institutions: [
            { address: AUTHORITY, name: "District Health Commission", key: { devIndex: DEV.healthAuthority } },
            { address: HOSPITAL, name: "District People's Hospital", key: { devIndex: DEV.hospital } },
            { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
          ],
          relayer: PLATFORM,
          staff: Object.entries(STAFF).map(([id, s]) => ({ id, name: id, institution: s.institution, roles: [...s.roles], sm2PublicKey: toHex(staffKeys[id as StaffId].publicKey) })),
          stores: { [HOSPITAL]: { kind: "fs", dir: join(dir, "store-hospital") } },
          rbacFile: resolve(import.meta.dirname, "../../gateway/config/rbac.json"),
          logLevel: "silent",
        },
        { baseDir: dir, source: "e2e" },
      );
      // The server runs the access-evidence batcher (every audit.batchIntervalMs).
      gateway = await startGateway(config, { log: pino({ level: "silent" }) });
    });

    after(async () => {
      await gateway?.close(1000);
      await indexer?.stop();
      await indexing?.catch(() => undefined);
      await mirrorDb?.close();
      await chain?.stop();
      await pg?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    async function api<T = Record<string, unknown>>(method: string, path: string, o: { token?: string; json?: unknown } = {}): Promise<{ status: number; body: T }> {
      const headers: Record<string, string> = {};
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.json !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${gateway.url}${path}`, { method, headers, ...(o.json === undefined ? {} : { body: JSON.stringify(o.json) }) });
      return { status: res.status, body: (await res.json()) as T };
    }

    async function signInStaff(id: StaffId) {
      const challenge = await api<{ challengeId: string; message: string }>("POST", "/v1/auth/challenge", { json: { subject: id } });
      const sessionKeys = generateSm2KeyPair();
      const res = await api<{ token: string }>("POST", "/v1/auth/sm2", {
        json: {
          challengeId: challenge.body.challengeId,
          staffId: id,
          signature: toHex(signSm2({ utf8: challenge.body.message }, staffKeys[id].privateKey)),
          sessionPublicKey: toHex(sessionKeys.publicKey),
        },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { token: res.body.token, sessionKeys };
    }

    async function signInResident(account: HDAccount) {
      const challenge = await api<{ message: string }>("POST", "/v1/auth/challenge", { json: { subject: account.address } });
      const sessionKeys = generateSm2KeyPair();
      const res = await api<{ token: string }>("POST", "/v1/auth/siwe", {
        json: { message: challenge.body.message, signature: await account.signMessage({ message: challenge.body.message }), sessionPublicKey: toHex(sessionKeys.publicKey) },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return { token: res.body.token, sessionKeys };
    }

    test("anchor, request, grant, read, revoke, refuse, trace and audit", async () => {
      // 1. The hospital's system anchors a batch of three records.
      const his = await signInStaff("hospital-his");
      const records = [1, 2, 3].map((i) => labRecord(`e2e-${backend}-${i}`, RESIDENT.address));
      const anchored = await api<{ batchId: string; root: Hex; txHash: Hex }>("POST", "/v1/records/batch", { token: his.token, json: { records } });
      assert.equal(anchored.status, 201, JSON.stringify(anchored.body));
      const record = records[1]!;

      // 2. A doctor requests access to two fields of the resident's lab reports, for treatment.
      const doctor = await signInStaff("hospital-doctor");
      const filed = await api<{ requestId: Hex; requestHash: Hex; txHash: Hex }>("POST", "/v1/consents/requests", {
        token: doctor.token,
        json: {
          resident: RESIDENT.address,
          recordIds: records.map((r) => r.recordId),
          fields: [LAB_FIELDS.diagnosis, LAB_FIELDS.result],
          purposes: ["treatment"],
          validFor: 86400,
          reason: "Follow-up of the fasting glucose result",
        },
      });
      assert.equal(filed.status, 201, JSON.stringify(filed.body));

      // 3. The resident sees the request and grants it, for one day, with a signature of their wallet.
      const resident = await signInResident(RESIDENT);
      const domain = await api<ConsentDomain>("GET", "/v1/consents/domain");
      assert.deepEqual(domain.body, consentDomain(chain.chainId, chain.deployments.contracts.ConsentRegistry.address));
      const listed = await eventually("the request in the resident's list", async () => {
        const res = await api<{ items: { requestId: string; requestHash: Hex; status: string }[] }>("GET", "/v1/consents/requests", { token: resident.token });
        return res.body.items.find((r) => r.requestId === filed.body.requestId);
      });
      assert.equal(listed.status, "pending");
      assert.equal(listed.requestHash, filed.body.requestHash);
      const now = BigInt(Math.floor(Date.now() / 1000));
      const answer = { requestId: filed.body.requestId, requestHash: listed.requestHash, approve: true, mode: 0, notBefore: now - 30n, notAfter: now - 30n + 86400n, nonce: nextNonce(), deadline: now + 600n };
      const granted = await api<{ grantId: Hex; txHash: Hex }>("POST", `/v1/consents/requests/${filed.body.requestId}/answer`, {
        token: resident.token,
        json: await signedRelay(RESIDENT, "RequestAnswer", answer, domain.body),
      });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));

      // 4. The doctor reads the record: exactly the two granted fields, opened with the session key.
      const path = `/v1/access/records/${HOSPITAL}/${record.recordId}`;
      const read = await api<{ fields: string[]; sealed: SealedForReader; context: string; accessLine: { id: string } }>("POST", path, { token: doctor.token, json: { purpose: "treatment" } });
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.deepEqual([...read.body.fields].sort(), ["diagnosis", "result"]);
      const opened = openForReader<Record<string, unknown>>(read.body.sealed, toHex(doctor.sessionKeys.privateKey), { context: read.body.context });
      assert.deepEqual(opened, { diagnosis: record.record.diagnosis, result: record.record.result });
      assert.throws(() => openForReader(read.body.sealed, toHex(resident.sessionKeys.privateKey), { context: read.body.context }), "another session cannot open it");

      // 5. The resident revokes; the next read is refused, and the refusal is recorded too.
      const revoked = await api<{ txHash: Hex }>("POST", "/v1/consents/revocations", {
        token: resident.token,
        json: await signedRelay(RESIDENT, "ConsentRevocation", { grantId: granted.body.grantId, nonce: nextNonce(), deadline: now + 600n }, domain.body),
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      const refused = await api<{ code: string; details: { accessLineId: string } }>("POST", path, { token: doctor.token, json: { purpose: "treatment" } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, "CONSENT_REQUIRED");

      // 6. The resident's trace shows every step, each chain step with its transaction hash.
      const trace = await eventually("the full trace", async () => {
        const res = await api<{ steps: Step[] }>("GET", `/v1/provenance/records/${HOSPITAL}/${record.recordId}`, { token: resident.token });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const kinds = res.body.steps.map((s) => s.kind);
        const accesses = res.body.steps.filter((s) => s.kind === "access");
        const complete =
          ["origin", "anchored", "access-requested", "access-answered", "grant-created", "grant-revoked"].every((k) => kinds.includes(k)) &&
          accesses.length === 2 &&
          accesses.every((a) => a.evidence?.status === "anchored");
        return complete ? res.body.steps : undefined;
      });
      const txOf = (kind: string) => trace.find((s) => s.kind === kind)?.txHash;
      assert.equal(txOf("anchored"), anchored.body.txHash);
      assert.equal(txOf("access-requested"), filed.body.txHash);
      assert.equal(txOf("access-answered"), granted.body.txHash);
      assert.equal(txOf("grant-created"), granted.body.txHash);
      assert.equal(txOf("grant-revoked"), revoked.body.txHash);
      for (const step of trace.filter((s) => s.kind !== "origin")) assert.match(String(step.txHash), /^0x[0-9a-f]{64}$/, step.kind);
      assert.deepEqual(trace.filter((s) => s.kind === "access").map((s) => s.outcome), ["granted", "refused"]);
      const times = trace.slice(1).map((s) => Date.parse(s.at ?? ""));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), "steps are in time order");

      // 7. An auditor verifies the record's inclusion proof and the access evidence on chain, over JSON-RPC.
      const auditor = await signInStaff("platform-auditor");
      const rpc = createPublicClient({ transport: http(chain.rpcUrl) });
      const contracts = chain.deployments.contracts;
      const entry = await api<{ entry: { institution: Address; recordId: Hex; residentRef: Hex; category: Hex; contentHash: Hex; schemaVersion: number; pointerHash: Hex; sourceTime: number }; batch: { batchId: string; leafIndex: number; proof: Hex[] } }>(
        "GET",
        `/v1/records/${HOSPITAL}/${record.recordId}`,
        { token: auditor.token },
      );
      assert.equal(entry.status, 200, JSON.stringify(entry.body));
      const indexEntry = { ...entry.body.entry, institution: getAddress(entry.body.entry.institution), sourceTime: BigInt(entry.body.entry.sourceTime) };
      assert.equal(indexEntry.category, LAB);
      const { batchId, leafIndex, proof } = entry.body.batch;
      assert.equal(
        await rpc.readContract({ address: contracts.DataIndex.address, abi: dataIndexAbi, functionName: "verifyEntry", args: [BigInt(batchId), indexEntry, BigInt(leafIndex), proof] }),
        true,
      );
      const onChainBatch = await rpc.readContract({ address: contracts.DataIndex.address, abi: dataIndexAbi, functionName: "getBatch", args: [BigInt(batchId)] });
      assert.equal(verifyMerkleProof(onChainBatch.root, onChainBatch.leafCount, entryItem(indexEntry), leafIndex, proof), true);

      for (const lineId of [read.body.accessLine.id, refused.body.details.accessLineId]) {
        const line = await api<{ lineText: string; lineHash: Hex; outcome: string; evidence: { batchId: string; recorder: Address; leafIndex: number; proof: Hex[]; txHash: Hex } }>(
          "GET",
          `/v1/provenance/access-lines/${lineId}`,
          { token: auditor.token },
        );
        assert.equal(line.status, 200, JSON.stringify(line.body));
        // The auditor hashes the line text itself: SM3("HCA1" ‖ canonical line).
        assert.equal(sm3Hex(utf8(`HCA1${line.body.lineText}`)), line.body.lineHash);
        const { batchId: accessBatch, recorder, leafIndex: index, proof: lineProof } = line.body.evidence;
        assert.equal(recorder, PLATFORM);
        assert.equal(
          await rpc.readContract({
            address: contracts.AuditTrail.address,
            abi: auditTrailAbi,
            functionName: "verifyAccessLine",
            args: [BigInt(accessBatch), recorder, line.body.lineHash, BigInt(index), lineProof],
          }),
          true,
        );
        const parsed = JSON.parse(line.body.lineText) as { recordId: string; purpose: number; outcome: string; fields: string[] };
        assert.equal(parsed.recordId, record.recordId);
        assert.equal(parsed.outcome, line.body.outcome);
        if (parsed.outcome === "granted") assert.deepEqual(parsed.fields, [LAB_FIELDS.diagnosis, LAB_FIELDS.result].sort());
      }
    });
  });
}
