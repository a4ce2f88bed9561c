// The operator's command line against a development chain: migrate, run (followed to the head,
// metrics served, stopped by SIGTERM), status, verify (OK, then a divergence after tampering).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestChain, type TestChain } from "../../test/helpers/chain.ts";
import { openMirrorDatabase } from "../src/database.ts";
import { createIndexer } from "../src/indexer.ts";
import { snapshotOf } from "./helpers/databases.ts";
import { driver, runScenario } from "./helpers/scenario.ts";

const CLI = new URL("../src/cli.ts", import.meta.url).pathname;
const run = promisify(execFile);

describe("mirror command line", () => {
  let chain: TestChain;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    chain = await startTestChain();
    dir = mkdtempSync(join(tmpdir(), "mirror-cli-"));
    env = {
      ...process.env,
      MIRROR_DATABASE_URL: `file:${join(dir, "mirror.db")}`,
      CHAIN_RPC_URL: chain.rpcUrl,
      DEPLOYMENTS_DIR: chain.deploymentsDir,
      MIRROR_POLL_INTERVAL_MS: "50",
      MIRROR_METRICS_PORT: "0",
    };
  });
  after(async () => {
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("migrates, runs to the head, reports status, verifies, and stops on SIGTERM", async () => {
    const migrated = await run(process.execPath, [CLI, "migrate"], { env });
    assert.match(migrated.stdout, /applied 0001_init/);
    assert.match((await run(process.execPath, [CLI, "migrate"], { env })).stdout, /up to date/);

    const child = spawn(process.execPath, [CLI, "run", "--log-level", "info"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
    try {
      const head = Number(await chain.publicClient.getBlockNumber());
      let status: { indexedHead: number | null; lagBlocks?: number } = { indexedHead: null };
      for (let i = 0; i < 200 && status.indexedHead !== head; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = JSON.parse((await run(process.execPath, [CLI, "status"], { env })).stdout) as typeof status;
      }
      assert.equal(status.indexedHead, head, output);
      assert.equal(status.lagBlocks, 0);
      const port = Number(/"port":(\d+)/.exec(output)?.[1]);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /mirror_events_total/);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, output);

    const verified = await run(process.execPath, [CLI, "verify", "--from", "0", "--to", "100"], { env });
    assert.match(verified.stdout, /^chain {2}sm3 0x[0-9a-f]{64} \(13 events\)$/m);
    assert.match(verified.stdout, /OK/);

    const db = await openMirrorDatabase(env.MIRROR_DATABASE_URL as string);
    const row = await db.prisma.chainEvent.findFirstOrThrow({ where: { eventName: "MemberAdded" } });
    await db.prisma.chainEvent.update({ where: { blockNumber_logIndex: { blockNumber: row.blockNumber, logIndex: row.logIndex } }, data: { txHash: `0x${"00".repeat(32)}` } });
    await db.close();
    const diverged = await run(process.execPath, [CLI, "verify", "--from", "0", "--to", "100"], { env }).then(
      () => assert.fail("verify should exit non-zero"),
      (error: { code: number; stdout: string }) => error,
    );
    assert.equal(diverged.code, 1);
    assert.match(diverged.stdout, new RegExp(`DIVERGENCE at block ${row.blockNumber}, log index ${row.logIndex}, field txHash`));
  });

  it("a run killed with SIGKILL mid-backfill resumes to the same rows as an uninterrupted one", async () => {
    await runScenario(driver(chain));
    const head = Number(await chain.publicClient.getBlockNumber());
    const reference = await openMirrorDatabase(`file:${join(dir, "reference.db")}`);
    await createIndexer({ prisma: reference.prisma, client: chain.publicClient, deployments: chain.deployments }).syncToTarget();
    const expected = await snapshotOf(reference.prisma);
    await reference.close();

    const killedEnv = { ...env, MIRROR_DATABASE_URL: `file:${join(dir, "killed.db")}`, MIRROR_MAX_BLOCK_RANGE: "1", MIRROR_METRICS_PORT: "off" };
    const db = await openMirrorDatabase(killedEnv.MIRROR_DATABASE_URL);
    const child = spawn(process.execPath, [CLI, "run", "--log-level", "silent"], { env: killedEnv, stdio: "ignore" });
    const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
    let indexed = 0;
    while (indexed < head / 3) {
      await new Promise((r) => setTimeout(r, 5));
      indexed = (await db.prisma.checkpoint.findFirst({ orderBy: { blockNumber: "asc" } }))?.blockNumber ?? 0;
    }
    child.kill("SIGKILL");
    await exited;
    const atKill = (await db.prisma.checkpoint.findFirstOrThrow({ orderBy: { blockNumber: "asc" } })).blockNumber;
    assert.ok(atKill < head, `killed before the head (${atKill} < ${head})`);
    assert.equal(await db.prisma.chainEvent.count({ where: { blockNumber: { gt: atKill } } }), 0);

    const resumed = spawn(process.execPath, [CLI, "run", "--log-level", "silent"], { env: killedEnv, stdio: "ignore" });
    const resumedExit = new Promise((resolveExit) => resumed.once("exit", resolveExit));
    while (((await db.prisma.checkpoint.findFirst({ orderBy: { blockNumber: "asc" } }))?.blockNumber ?? 0) < head) {
      await new Promise((r) => setTimeout(r, 20));
    }
    resumed.kill("SIGTERM");
    await resumedExit;
    assert.deepEqual(await snapshotOf(db.prisma), expected);
    await db.close();
  });

  it("explains a bad configuration in both languages and exits non-zero", async () => {
    const failed = await run(process.execPath, [CLI, "status"], { env: { ...env, MIRROR_CONFIRMATIONS: "many" } }).then(
      () => assert.fail("should fail"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /MIRROR_CONFIRMATIONS/);
    assert.match(failed.stderr, /镜像配置无效/);
  });
});
