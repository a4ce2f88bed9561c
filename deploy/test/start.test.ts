// End-to-end check of `npm start`: the chain answers, every contract of the suite is deployed and
// wired to the registry, the deployments file says the same, and Ctrl-C stops everything cleanly.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { Contract, JsonRpcProvider, id } from "ethers";
import Database from "libsql";
import { signInWithSm2 } from "../../gateway/src/client.ts";
import { DEV_FOUNDERS } from "../ignition/modules/HealthChain.ts";
import { CONTRACT_NAMES, type Deployments } from "../scripts/deployments.ts";

const ROOT = resolve(import.meta.dirname, "../..");
// The first start on a fresh clone compiles the contracts with solc-js.
const READY_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 30_000;

async function freePort(): Promise<number> {
  return await new Promise((done, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startNpm(env: NodeJS.ProcessEnv): Started {
  // Its own process group, so that SIGINT can go to the whole group as a terminal's Ctrl-C does.
  const child = spawn("npm", ["start"], { cwd: ROOT, env: { ...process.env, ...env }, detached: true });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => done({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      assert.fail(`npm start exited before printing "${text}":\n${started.output()}`);
    }
    if (Date.now() > deadline) assert.fail(`npm start did not print "${text}" within ${timeoutMs / 1000} s:\n${started.output()}`);
    await new Promise((wait) => setTimeout(wait, 200));
  }
}

function field(output: string, label: string): string {
  const match = new RegExp(`^\\s+${label}\\s+(\\S+)\\s*$`, "m").exec(output);
  assert.ok(match, `no "${label}" line in:\n${output}`);
  return match[1]!;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("npm start runs a chain with the contract suite deployed, the mirror, the gateway, the collection service with the seeded district and the EQA service with its demonstration, and stops cleanly on Ctrl-C", { timeout: READY_TIMEOUT_MS + 60_000 }, async (t) => {
  const port = await freePort();
  const gatewayPort = await freePort();
  const metricsPort = await freePort();
  const hisPort = await freePort();
  const mllpPort = await freePort();
  const deploymentsDir = mkdtempSync(join(tmpdir(), "deployments-"));
  const started = startNpm({
    CHAIN_RPC_PORT: String(port),
    GATEWAY_PORT: String(gatewayPort),
    MIRROR_METRICS_PORT: String(metricsPort),
    HIS_PORT: String(hisPort),
    HIS_MLLP_PORT: String(mllpPort),
    SEED_RESIDENTS: "30",
    DEPLOYMENTS_DIR: deploymentsDir,
  });
  t.after(async () => {
    const pid = started.child.pid;
    if (pid !== undefined && groupAlive(pid)) {
      // A failed step left it running: let it stop its chain, then make sure.
      process.kill(-pid, "SIGTERM");
      const timer = setTimeout(() => groupAlive(pid) && process.kill(-pid, "SIGKILL"), STOP_TIMEOUT_MS);
      await started.exited;
      clearTimeout(timer);
    }
    rmSync(deploymentsDir, { recursive: true, force: true });
    rmSync(join(ROOT, "cache", `chain-${port}.log`), { force: true });
  });

  await waitFor(started, "Press Ctrl-C to stop.", READY_TIMEOUT_MS);
  const output = started.output();
  const rpcUrl = field(output, "RPC URL");
  const chainId = Number(field(output, "chain id"));
  const file = resolve(ROOT, field(output, "deployments file"));
  const printed = Object.fromEntries(
    CONTRACT_NAMES.map((name) => [name, new RegExp(`^\\s+${name}\\s+(0x[0-9a-fA-F]{40})\\s+\\d+\\s*$`, "m").exec(output)?.[1]]),
  );

  await t.test("prints the RPC URL on the requested port and the deployments file of the chain", () => {
    assert.equal(rpcUrl, `http://127.0.0.1:${port}`);
    assert.equal(file, join(deploymentsDir, `${chainId}.json`));
    for (const name of CONTRACT_NAMES) assert.ok(printed[name], `no address printed for ${name}:\n${output}`);
  });

  await t.test("deploys every contract where the deployments file says, wired to the registry", async () => {
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
    try {
      const deployments = JSON.parse(readFileSync(file, "utf8")) as Deployments;
      assert.equal(deployments.chainId, chainId);
      assert.equal(Number((await provider.getNetwork()).chainId), chainId);
      assert.equal(deployments.network, "localhost");
      assert.ok(!Number.isNaN(Date.parse(deployments.deployedAt)), `deployedAt: ${deployments.deployedAt}`);
      assert.equal(deployments.deployer, DEV_FOUNDERS[0]!.institution);
      assert.deepEqual(Object.keys(deployments.contracts).sort(), [...CONTRACT_NAMES].sort());

      for (const name of CONTRACT_NAMES) {
        const { address, blockNumber, txHash } = deployments.contracts[name];
        assert.equal(address, printed[name], `${name}: printed and written addresses differ`);
        assert.notEqual(await provider.getCode(address), "0x", `${name}: no code at ${address}`);
        const receipt = await provider.getTransactionReceipt(txHash);
        assert.ok(receipt, `${name}: no receipt for ${txHash}`);
        assert.equal(receipt.contractAddress, address);
        assert.equal(receipt.blockNumber, blockNumber);
      }

      const registryAddress = deployments.contracts.ConsortiumRegistry.address;
      for (const name of CONTRACT_NAMES.filter((n) => n !== "ConsortiumRegistry")) {
        const guarded = new Contract(deployments.contracts[name].address, ["function registry() view returns (address)"], provider);
        assert.equal(await guarded.getFunction("registry")(), registryAddress, `${name} is not wired to the registry`);
      }
      const registry = new Contract(
        registryAddress,
        ["function members() view returns (address[])", "function hasRole(bytes32 role, address account) view returns (bool)"],
        provider,
      );
      assert.deepEqual([...(await registry.getFunction("members")())], DEV_FOUNDERS.map((f) => f.institution));
      for (const founder of DEV_FOUNDERS) {
        for (const role of founder.roles) assert.ok(await registry.getFunction("hasRole")(role, founder.institution));
      }
      assert.equal(await registry.getFunction("hasRole")(id("CERT_ISSUER"), DEV_FOUNDERS[1]!.institution), false);
    } finally {
      provider.destroy();
    }
  });

  await t.test("serves the gateway over the deployed chain, and the mirror indexes it", async () => {
    const gatewayUrl = field(output, "gateway");
    assert.equal(gatewayUrl, `http://127.0.0.1:${gatewayPort}`);
    const health = (await (await fetch(`${gatewayUrl}/healthz`)).json()) as { status: string; chainId: number };
    assert.equal(health.status, "ok");
    assert.equal(health.chainId, chainId);
    const openapi = (await (await fetch(`${gatewayUrl}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(openapi.openapi, /^3\./);
    assert.ok(Object.keys(openapi.paths).some((path) => path.startsWith("/v1/records")), "no records routes in the OpenAPI document");
    assert.equal(field(output, "mirror metrics"), `http://127.0.0.1:${metricsPort}/metrics`);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^mirror_/m);
  });

  await t.test("seeds the synthetic district through the collection service, whose records are anchored, and serves its push endpoints", async () => {
    assert.equal(field(output, "collection \\(his\\)"), `http://127.0.0.1:${hisPort}`);
    const health = await fetch(`http://127.0.0.1:${hisPort}/healthz`);
    assert.equal(health.status, 200);
    const his = new Database(join(ROOT, "cache", "his.db"), { readonly: true });
    try {
      const anchored = his.prepare("SELECT COUNT(*) AS n FROM CollectedRecord WHERE anchorState = 'anchored'").get() as { n: number };
      const runs = his.prepare("SELECT COUNT(*) AS n FROM CollectionRun WHERE status = 'succeeded'").get() as { n: number };
      assert.ok(anchored.n > 100, `${anchored.n} anchored records`);
      assert.ok(runs.n >= 1);
    } finally {
      his.close();
    }
  });

  await t.test("seeds the EQA demonstration: round 1 published with the hospital recognised for glucose, and runs the EQA worker", async () => {
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const round = /^\s+EQA demo rounds\s+(CHEM-\d{4}-1) \(published/m.exec(output)?.[1];
    assert.ok(round, `no published chemistry round printed:\n${output}`);
    const { keys } = JSON.parse(readFileSync(join(ROOT, "gateway", "config", "dev-staff-keys.json"), "utf8")) as { keys: Record<string, string> };
    const token = async (staffId: string) => (await signInWithSm2({ baseUrl: gatewayUrl, staffId, privateKey: keys[staffId]! })).token;
    const get = async (path: string, staffId: string) => {
      const res = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${await token(staffId)}` } });
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text}`);
      return JSON.parse(text) as unknown;
    };
    const view = (await get(`/v1/eqa/rounds/${round}`, "eqa-admin")) as { round: { status: string }; labs: { code: string; status: string }[] };
    assert.equal(view.round.status, "published");
    assert.equal(view.labs.length, 12);
    const documents = (await get(`/v1/eqa/rounds/${round}/documents`, "eqa-admin")) as { counts: Record<string, number> };
    assert.ok((documents.counts.anchored ?? 0) > 0 && Object.keys(documents.counts).every((status) => status === "anchored"), `documents: ${JSON.stringify(documents.counts)}`);
    const hospital = DEV_FOUNDERS[1]!.institution;
    const answer = (await get(`/v1/eqa/recognition?institution=${hospital}&analyte=2345-7&date=${encodeURIComponent(new Date().toISOString())}`, "hospital-doctor")) as { recognised: boolean; basis: { round: string } };
    assert.deepEqual([answer.recognised, answer.basis?.round], [true, round], "the hospital's glucose is recognised from round 1");
    const open = (await get(`/v1/eqa/rounds/${round.replace(/-1$/, "-2")}`, "hospital-lab")) as { round: { status: string }; labs: { code: string; status: string }[] };
    assert.equal(open.round.status, "open");
    assert.deepEqual(open.labs.find((l) => l.code === "L01")?.status, "invited", "the hospital's lab has round 2 left to enter");
    assert.match(readFileSync(join(ROOT, "cache", "eqa.log"), "utf8"), /"worker started"/);
  });

  await t.test("refuses to start a second chain on the same port, with a clear error", () => {
    const second = spawnSync(process.execPath, ["deploy/scripts/start.ts"], {
      cwd: ROOT,
      env: { ...process.env, CHAIN_RPC_PORT: String(port), DEPLOYMENTS_DIR: deploymentsDir },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });

  await t.test("stops the gateway, the mirror and the chain and exits 0 on Ctrl-C, leaving no process behind", async () => {
    process.kill(-started.child.pid!, "SIGINT");
    const timer = setTimeout(() => process.kill(-started.child.pid!, "SIGKILL"), STOP_TIMEOUT_MS);
    const { code, signal } = await started.exited;
    clearTimeout(timer);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, started.output());
    assert.match(started.output(), /stopping the EQA worker, the collection service, the gateway, the mirror and the chain \.\.\.\nstopped/);
    await assert.rejects(fetch(`http://127.0.0.1:${hisPort}/healthz`, { signal: AbortSignal.timeout(2_000) }), "the collection service still answers");
    assert.equal(groupAlive(started.child.pid!), false, "a process of npm start is still running");
    await assert.rejects(
      fetch(rpcUrl, { method: "POST", body: "{}", signal: AbortSignal.timeout(2_000) }),
      "the chain still answers",
    );
    await assert.rejects(fetch(`http://127.0.0.1:${gatewayPort}/healthz`, { signal: AbortSignal.timeout(2_000) }), "the gateway still answers");
  });
});
