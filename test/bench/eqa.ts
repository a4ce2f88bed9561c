// Benchmark of EQA result intake through the gateway (issue 7, services/eqa/README.md "Figures"):
// 300 laboratories submit their result sets at the same moment — each a whole round's entries,
// 50 analytes × 2 samples = 100 results, typed as labs type them (some in E notation), validated,
// rounded, stored and locked in one transaction — over HTTP with a signed-in session, as the lab
// software does. Target: p95 ≤ 2 s. The evaluation (2,000 labs × 50 analytes × 2 samples ≤ 10 s) and
// the report PDF (≤ 1 s) have their own benchmarks beside the code: services/eqa/bench/.
//
//   node test/bench/eqa.ts [--labs 300] [--analytes 50] [--database sqlite|postgresql] [--workers 1]
//
// The chain node and the gateway run in their own processes, as deployed; the plan, labs and the
// open round are set up first, untimed, by the service's own code on the same database.
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateSm2KeyPair, toHex } from "../../sdk/src/index.ts";
import { signInWithSm2 } from "../../gateway/src/client.ts";
import { migrateEqaDatabase, openEqaDatabase } from "../../services/eqa/src/db.ts";
import { createPlan, createRound, enrolLabs, registerLab, setRoundStatus } from "../../services/eqa/src/model/index.ts";
import type { AnalyteDefinition } from "../../services/eqa/src/types.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { DEV, devAccount, startTestChain } from "../helpers/chain.ts";
import { gatewayProfiler, killChildren, startGatewayProcess, stopChild } from "./gateway/processes.ts";

const { values } = parseArgs({
  options: {
    labs: { type: "string", default: "300" },
    analytes: { type: "string", default: "50" },
    database: { type: "string", default: "sqlite" },
    workers: { type: "string", default: "1" },
  },
});
const LABS = Number(values.labs);
const ANALYTES = Number(values.analytes);
const HOSPITAL = devAccount(DEV.hospital).address;
const CENTRE = devAccount(DEV.eqaCentre).address;
const PLATFORM = devAccount(DEV.platform).address;

process.on("exit", killChildren);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-eqa-"));
  const postgres = values.database === "postgresql" ? await startPostgres() : undefined;
  const eqaUrl = postgres ? await postgres.createDatabase("eqa") : `file:${join(dir, "eqa.db")}`;

  // ---- setup, untimed: the plan (50 quantitative analytes), the labs, an open round
  await migrateEqaDatabase(eqaUrl);
  const setup = openEqaDatabase(eqaUrl);
  const analytes: AnalyteDefinition[] = Array.from({ length: ANALYTES }, (_, i) => ({
    code: `A${String(i + 1).padStart(2, "0")}`,
    name: `项目 ${i + 1}`,
    nameEn: `Analyte ${i + 1}`,
    unit: i % 10 === 9 ? "IU/mL" : "mmol/L",
    decimals: 2,
    resultType: "quantitative",
    min: i % 10 === 9 ? 1 : 0,
    max: i % 10 === 9 ? 1e9 : 1000,
    required: true,
    scheme: { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "grubbsIterated", alpha: 0.05 }, score: "z", peerGroups: { by: ["instrument"], minSize: 5 }, ...(i % 10 === 9 ? { log10: true } : {}) },
  }));
  await createPlan(setup.prisma, { code: "BENCH", name: "基准计划", nameEn: "Benchmark plan", year: 2027, analytes }, "bench");
  const labCodes = Array.from({ length: LABS }, (_, i) => `LAB${String(i + 1).padStart(4, "0")}`);
  for (const code of labCodes) {
    await registerLab(setup.prisma, { code, name: `检验科 ${code}`, institution: HOSPITAL, department: "检验科", level: "secondary", region: "东城" }, "bench");
  }
  const now = Date.now();
  await createRound(setup.prisma, { planCode: "BENCH", code: "BENCH-1", name: "基准轮次", opensAt: new Date(now - 3_600_000), deadline: new Date(now + 86_400_000), samples: [{ code: "S1" }, { code: "S2" }] }, "bench");
  await enrolLabs(setup.prisma, "BENCH-1", labCodes, "bench");
  await setRoundStatus(setup.prisma, "BENCH-1", "open", "bench");
  await setup.close();

  // ---- chain and gateway in their own processes (stopped however the run ends)
  const chain = await startTestChain({ separateProcess: true });
  try {
    await burst(dir, eqaUrl, chain, labCodes, analytes);
  } finally {
    await chain.stop();
    await postgres?.stop();
  }
}

async function burst(dir: string, eqaUrl: string, chain: Awaited<ReturnType<typeof startTestChain>>, labCodes: string[], analytes: AnalyteDefinition[]): Promise<void> {
  const labKey = generateSm2KeyPair();
  const configFile = join(dir, "gateway.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      mode: "dev",
      listen: { host: "127.0.0.1", port: 0 },
      databaseUrl: `file:${join(dir, "gateway.db")}`,
      mirrorDatabaseUrl: `file:${join(dir, "mirror.db")}`,
      eqa: { databaseUrl: eqaUrl, centres: [CENTRE] },
      chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
      auth: { tokenSecret: "eqa benchmark secret of at least 32 bytes", domain: "gateway.bench", uri: "https://gateway.bench" },
      audit: { batchIntervalMs: 2000 },
      institutions: [
        { address: HOSPITAL, name: "District People's Hospital", key: { devIndex: DEV.hospital } },
        { address: CENTRE, name: "Clinical Laboratory Centre", key: { devIndex: DEV.eqaCentre } },
        { address: PLATFORM, name: "Regional Platform", key: { devIndex: DEV.platform } },
      ],
      relayer: PLATFORM,
      staff: [{ id: "hospital-lab", name: "检验科技师", institution: HOSPITAL, roles: ["lab-staff"], sm2PublicKey: toHex(labKey.publicKey) }],
      stores: {},
      rbacFile: join(import.meta.dirname, "../../gateway/config/rbac.json"),
      logLevel: "warn",
    }),
  );
  const gateway = await startGatewayProcess({ configFile, workers: Number(values.workers), logFile: join(dir, "gateway.log") });
  // EQA_BENCH_PROFILE=<dir>: CPU profiles of the gateway's processes during the burst.
  const profile = process.env.EQA_BENCH_PROFILE;
  const session = await signInWithSm2({ baseUrl: gateway.url, staffId: "hospital-lab", privateKey: toHex(labKey.privateKey) });

  // Each lab's entries as its software sends them: values around per-analyte targets, some in E notation.
  const bodies = labCodes.map((_, lab) =>
    JSON.stringify({
      entries: analytes.flatMap((a, i) =>
        ["S1", "S2"].map((sample, s) => {
          const target = a.scheme.log10 ? 2.5e5 * (s + 1) : 5 + i + s;
          const value = target * (1 + (((lab * 7 + i * 3 + s) % 11) - 5) / 500);
          return { analyte: a.code, sample, value: a.scheme.log10 ? value.toExponential(2).toUpperCase() : value.toFixed(2), instrument: `仪器-${lab % 10}`, method: "酶法" };
        }),
      ),
    }),
  );

  // Warm up one connection path (not counted): a draft save of the first lab's set.
  await fetch(`${gateway.url}/v1/eqa/rounds/BENCH-1/labs/${labCodes[0]}/results`, { method: "PUT", headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" }, body: bodies[0] });

  if (profile) await gatewayProfiler(gateway, { profile: "start" });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const latencies = await Promise.all(
    labCodes.map(async (lab, i) => {
      const t0 = performance.now();
      const res = await fetch(`${gateway.url}/v1/eqa/rounds/BENCH-1/labs/${lab}/submit`, {
        method: "POST",
        headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" },
        body: bodies[i],
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${lab}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return performance.now() - t0;
    }),
  );
  const wall = performance.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  if (profile) console.log(`  profiles: ${(await gatewayProfiler(gateway, { profile: "stop", dir: profile })).join(", ")}`);

  // Every submission is stored and locked.
  const check = openEqaDatabase(eqaUrl);
  const stored = await check.prisma.result.count();
  const locked = await check.prisma.enrolment.count({ where: { status: "submitted" } });
  await check.close();

  console.log(`EQA result intake through the gateway (${values.database}, ${values.workers} gateway process(es)), ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  console.log(`  ${LABS} concurrent submissions × ${ANALYTES * 2} results: wall ${(wall / 1000).toFixed(2)} s`);
  console.log(`  latency p50 ${quantile(sorted, 0.5).toFixed(0)} ms, p95 ${quantile(sorted, 0.95).toFixed(0)} ms, max ${(sorted.at(-1) as number).toFixed(0)} ms (target p95 ≤ 2000 ms)`);
  console.log(`  stored ${stored} results, ${locked} labs locked (expected ${LABS * ANALYTES * 2}, ${LABS})`);
  console.log(`  client process CPU ${((process.cpuUsage(cpuBefore).user + process.cpuUsage(cpuBefore).system) / 1000).toFixed(0)} ms`);

  await stopChild(gateway.child);
  if (stored !== LABS * ANALYTES * 2 || locked !== LABS) process.exitCode = 1;
}

await main();
