// Benchmark of the collection service (issue 6, services/his/README.md "Figures"): the T+1 run of a
// day of the district's volume — 50,000 new records and 10,000 change records — collected from the
// regional platform's intermediate database, mapped, linked (EMPI), fingerprinted, encrypted and
// stored (the gateway's institution store) and anchored (the chain), end to end, then every record
// and change proven against the chain. Target: ≤ 5 minutes; sustained ingestion ≥ 2,000 records/s.
//
//   node test/bench/his.ts [--records 50000] [--changes 10000] [--page 1000]
//
// Processes: the chain-node and the gateway (its own SQLite database and filesystem store) each in
// their own process, as deployed; the collection service in this one. The day before (the base the
// changes correct) is collected and anchored first, untimed, as is writing the day's increment into
// the intermediate database (the platform's ETL does that). Local lab codes have reviewers' decisions
// already, as on a platform in service: no item waits for a code review.
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { dataIndexAbi, generateSm2KeyPair, toHex } from "../../sdk/src/index.ts";
import { writeIntermediateTables } from "../../services/his/src/adapters/sql/index.ts";
import { createGatewayAnchorer } from "../../services/his/src/anchoring/index.ts";
import { derivedDirectory } from "../../services/his/src/collection/index.ts";
import { openHisService, type HisService } from "../../services/his/src/service.ts";
import { syntheticDistrict, syntheticRecords, type LabResultRecord, type SyntheticRecord } from "../../services/his/src/synthetic/index.ts";
import { DEV, devAccount, startTestChain } from "../helpers/chain.ts";
import { killChildren, startGatewayProcess, startMirror, stopChild } from "./gateway/processes.ts";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "50000" },
    changes: { type: "string", default: "10000" },
    page: { type: "string", default: "1000" },
  },
});
const RECORDS = Number(values.records);
const CHANGES = Number(values.changes);
const PAGE = Number(values.page);
const SEED = 20261122;
const DAY0 = "2026-10-20";
const DAY1 = "2026-10-21";
const HOSPITAL = devAccount(DEV.hospital).address;
const PLATFORM = devAccount(DEV.platform).address;
const TOMORROW = () => new Date(Date.now() + 86_400_000);

const seconds = (ms: number) => (ms / 1000).toFixed(1);
/** ISO 8601 in China Standard Time, as the platform writes it. */
const chinaTime = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+08:00");
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");

process.on("exit", killChildren);

async function main(): Promise<void> {
  console.log(`his T+1 benchmark: ${RECORDS.toLocaleString("en-US")} records + ${CHANGES.toLocaleString("en-US")} change records, pages of ${PAGE}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), "his-bench-"));

  // ---- the two days of the district: the base day's records carry the lab results the changes correct
  const labsPerRecord = 0.46;
  const baseRecords = Math.ceil((CHANGES / labsPerRecord) * 1.2);
  const residents = Math.ceil(((baseRecords + RECORDS) / 26) * 1.1);
  const all: SyntheticRecord[] = [];
  for (const r of syntheticRecords({ seed: SEED, residents, from: DAY0, days: 1 })) {
    all.push(r);
    if (all.length >= baseRecords + RECORDS) break;
  }
  const day0 = all.slice(0, baseRecords);
  const day1 = all.slice(baseRecords, baseRecords + RECORDS).map((r) => ({ ...r, changedAt: r.changedAt.replace(DAY0, DAY1) }));
  /** Corrected lab values of base-day records (迟发更正), chosen once the base day is anchored. */
  const correctionsOf = (anchored: ReadonlySet<string>): SyntheticRecord[] => {
    // Not those the generator itself corrects later (a later correction would make ours stale).
    const correctedLater = new Set(all.filter((r) => r.status === "corrected").map((r) => `${r.institutionCode}|${r.sourceKey}`));
    const correctable = day0.filter(
      (r): r is LabResultRecord => r.kind === "lab-result" && r.status === "final" && r.truth.duplicateOf === null && anchored.has(`${r.institutionCode}|${r.sourceKey}`) && !correctedLater.has(`${r.institutionCode}|${r.sourceKey}`),
    );
    if (correctable.length < CHANGES) throw new Error(`only ${correctable.length} anchored base lab results to correct`);
    return correctable.slice(0, CHANGES).map((r, i) => ({
      ...r,
      recordId: `${r.recordId}-corr`,
      status: "corrected",
      corrects: r.recordId,
      // A day after the original (its result may have been reported after the base day itself).
      changedAt: chinaTime(Date.parse(r.changedAt) + 86_400_000 + (i % 600) * 1000),
      payload: { ...r.payload, value: Math.round((r.payload.value * 1.05 + 0.01) * 100) / 100 },
    }));
  };

  // ---- chain, mirror and gateway, each in its own process
  const chain = await startTestChain({ separateProcess: true });
  const mirror = startMirror({ databaseUrl: `file:${join(dir, "mirror.db")}`, rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir, pollIntervalMs: 200, logFile: join(dir, "mirror.log") });
  const hisKey = generateSm2KeyPair();
  const configFile = join(dir, "gateway.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      mode: "dev",
      listen: { host: "127.0.0.1", port: 0 },
      databaseUrl: `file:${join(dir, "gateway.db")}`,
      mirrorDatabaseUrl: `file:${join(dir, "mirror.db")}`,
      chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
      auth: { tokenSecret: "his benchmark secret of at least 32 bytes", domain: "gateway.bench", uri: "https://gateway.bench" },
      audit: { batchIntervalMs: 2000 },
      institutions: [
        { address: HOSPITAL, name: "District People's Hospital", key: { devIndex: DEV.hospital } },
        { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
      ],
      relayer: PLATFORM,
      staff: [{ id: "hospital-his", name: "HIS 前置机", institution: HOSPITAL, roles: ["institution-system"], sm2PublicKey: toHex(hisKey.publicKey) }],
      stores: { [HOSPITAL]: { kind: "fs", dir: join(dir, "store-hospital") } },
      rbacFile: join(import.meta.dirname, "../../gateway/config/rbac.json"),
      logLevel: "warn",
    }),
  );
  const gateway = await startGatewayProcess({ configFile, workers: 1, logFile: join(dir, "gateway.log") });
  const anchorer = createGatewayAnchorer({ baseUrl: gateway.url, staffId: "hospital-his", privateKey: toHex(hisKey.privateKey), timeoutMs: 600_000 });
  const his: HisService = await openHisService({
    databaseUrl: `file:${join(dir, "his.db")}`,
    residentSalt: "his benchmark resident salt",
    directory: derivedDirectory("his benchmark wallet secret"),
    anchorer,
    now: TOMORROW,
  });

  try {
    // Reviewers have decided every local lab code the mapper does not place by itself.
    let decided = 0;
    for (const institution of syntheticDistrict({ seed: SEED }).institutions) {
      for (const local of institution.labDictionary) {
        const proposal = his.codeMapper.propose({ institution: institution.code, localCode: local.localCode, localName: local.localName, localUnit: local.unit });
        if (proposal.status === "auto" || proposal.status === "confirmed") continue;
        const decision = { institution: institution.code, localCode: local.localCode, code: local.loinc, action: "accept-code" as const, reviewer: "bench", decidedAt: new Date().toISOString(), note: "", proposedCode: proposal.code, proposedScore: proposal.score, dictionaryVersion: his.codeMapper.dictionary.version };
        await his.db.prisma.codeMappingDecision.create({ data: { dictionary: decision.dictionaryVersion, institution: decision.institution, localCode: decision.localCode, version: 1, standardCode: local.loinc, decidedBy: "bench", decisionJson: JSON.stringify(decision) } });
        decided++;
      }
    }
    await his.refreshCodeDecisions();
    console.log(`reviewers' code decisions loaded: ${decided}`);

    const sourceUrl = `file:${join(dir, "platform.db")}`;
    await his.saveTask({ id: "regional-t1", name: "区域平台 T+1 中间库", source: { format: "sql", url: sourceUrl }, pageSize: PAGE }, "bench");

    // ---- the base day (untimed)
    let t = performance.now();
    await writeIntermediateTables(sourceUrl, day0);
    const base = await his.runTask("regional-t1");
    const baseAnchor = await his.anchor({ nightly: true });
    console.log(`base day: ${day0.length.toLocaleString("en-US")} items → ${base.accepted.toLocaleString("en-US")} records (${base.quarantined} quarantined), ${baseAnchor.batches} batches anchored in ${seconds(performance.now() - t)} s`);

    // ---- the day's increment arrives in the intermediate database (the platform's ETL; untimed)
    const anchoredLabs = await his.db.prisma.collectedRecord.findMany({ where: { model: "lab-result", anchorState: "anchored" }, select: { institution: true, sourceKey: true } });
    const corrections = correctionsOf(new Set(anchoredLabs.map((r) => `${r.institution}|${r.sourceKey}`)));
    t = performance.now();
    const written = await writeIntermediateTables(sourceUrl, [...day1, ...corrections]);
    console.log(`increment written to the intermediate database: ${written.written.toLocaleString("en-US")} rows in ${seconds(performance.now() - t)} s`);

    // ---- the T+1 run (timed): collect, then anchor
    const start = performance.now();
    const run = await his.runTask("regional-t1");
    const collected = performance.now();
    const anchored = await his.anchor({ nightly: true });
    const end = performance.now();
    if (run.status !== "succeeded") throw new Error(`the run failed: ${JSON.stringify(run.error)}`);
    if (anchored.failedBatches > 0) throw new Error(`anchoring failed: ${JSON.stringify(await his.db.prisma.anchorBatch.findMany({ where: { state: "failed" } }))}`);

    const changeRows = await his.db.prisma.recordChange.count();
    const notAnchored = (await his.db.prisma.collectedRecord.count({ where: { anchorState: { not: "anchored" } } })) + (await his.db.prisma.recordChange.count({ where: { anchorState: { not: "anchored" } } }));
    console.log("");
    console.log(`items read                     ${run.read.toLocaleString("en-US")}  (new ${run.accepted.toLocaleString("en-US")}, changes ${run.changes.toLocaleString("en-US")}, duplicates ${run.duplicates}, quarantined ${run.quarantined}, filtered ${run.filtered})`);
    console.log(`collect (read, map, link, fingerprint, store)  ${seconds(collected - start)} s  → ${rate(run.read, collected - start)} items/s  [target ≥ 2,000/s]`);
    console.log(`anchor (encrypt, store, relay, mine)           ${seconds(end - collected)} s  → ${anchored.records.toLocaleString("en-US")} records and ${anchored.changes.toLocaleString("en-US")} change records in ${anchored.batches} transactions`);
    console.log(`T+1 run end to end                              ${seconds(end - start)} s  [target ≤ 300 s]  ${end - start <= 300_000 ? "PASS" : "FAIL"}`);
    console.log(`end-to-end rate                                 ${rate(run.read, end - start)} items/s`);
    console.log(`change records in the database: ${changeRows.toLocaleString("en-US")}; not anchored: ${notAnchored}`);

    // ---- every record and every change proven (untimed): local proof against the on-chain batch root
    t = performance.now();
    const { signInWithSm2 } = await import("../../gateway/src/client.ts");
    const { token } = await signInWithSm2({ baseUrl: gateway.url, staffId: "hospital-his", privateKey: toHex(hisKey.privateKey) });
    const headers = { authorization: `Bearer ${token}` };
    const ids = (await his.db.prisma.collectedRecord.findMany({ select: { recordId: true } })).map((r) => r.recordId);
    const changed = new Set((await his.db.prisma.recordChange.findMany({ select: { recordId: true } })).map((r) => r.recordId));
    let proven = 0;
    let changesProven = 0;
    let failures = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < ids.length) {
          const recordId = ids[next++]!;
          const res = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${recordId}?verify=local`, { headers });
          const body = (await res.json()) as { verified?: boolean };
          if (res.ok && body.verified === true) proven++;
          else failures++;
          if (changed.has(recordId)) {
            const c = await fetch(`${gateway.url}/v1/records/${HOSPITAL}/${recordId}/changes?verify=local`, { headers });
            const cb = (await c.json()) as { changes?: { verified?: boolean }[] };
            for (const change of cb.changes ?? []) {
              if (change.verified === true) changesProven++;
              else failures++;
            }
          }
        }
      }),
    );
    const batches = await chain.publicClient.readContract({ address: chain.deployments.contracts.DataIndex.address, abi: dataIndexAbi, functionName: "batchCount" });
    console.log(`proven afterwards: ${proven.toLocaleString("en-US")} of ${ids.length.toLocaleString("en-US")} records and ${changesProven.toLocaleString("en-US")} change records, ${failures} failures (${batches} batches on chain; checked in ${seconds(performance.now() - t)} s)`);
    if (failures > 0 || proven !== ids.length || notAnchored > 0) process.exitCode = 1;
  } finally {
    await his.close();
    await stopChild(gateway.child);
    await stopChild(mirror.child);
    await chain.stop();
  }
}

await main();
