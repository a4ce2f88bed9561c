// `eqa <command> --config <file>` as a child process: migrate, configuration errors, evaluate of an
// unknown round, anchor with nothing pending, and serve stopping cleanly on SIGTERM — all without a
// gateway (the gateway URL points at a closed port: sign-in must be lazy).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { parseEqaConfig, type EqaConfigFile } from "../src/cli.ts";
import { openEqaDatabase } from "../src/db.ts";

const CLI = resolve(import.meta.dirname, "..", "src", "cli.ts");
const CHINESE = /[\u4e00-\u9fff]/;

function configOf(overrides: Partial<EqaConfigFile> = {}): EqaConfigFile {
  return {
    mode: "dev",
    databaseUrl: "file:./eqa.db",
    // Nothing listens on port 9 (discard): any sign-in attempt would fail the pass.
    gateway: { baseUrl: "http://127.0.0.1:9", staffId: "eqa-system", keyFrom: "dev-staff-keys" },
    centre: { name: "区临床检验中心", nameEn: "District Clinical Laboratory Centre", address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
    signatory: "主任 Director",
    verifyBaseUrl: "http://127.0.0.1:8080/v1/eqa/verify",
    worker: { pollMs: 100 },
    logLevel: "info",
    ...overrides,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((done) => child.once("exit", (code) => done({ code, stdout, stderr })));
}

describe("eqa cli", () => {
  let dir: string;
  const write = async (name: string, value: unknown) => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(value));
    return file;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "eqa-cli-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("migrate creates the database next to the configuration file, with the service's tables", async () => {
    const file = await write("migrate.json", configOf({ databaseUrl: "file:./migrated.db" }));
    const result = await run(["migrate", "--config", file]);
    assert.equal(result.code, 0, result.stderr);
    const { applied } = JSON.parse(result.stdout) as { applied: string[] };
    assert.ok(applied.length > 0);
    const database = openEqaDatabase(`file:${join(dir, "migrated.db")}`);
    try {
      assert.equal(await database.prisma.round.count(), 0);
      assert.equal(await database.prisma.document.count(), 0);
    } finally {
      await database.close();
    }
    // A second run applies nothing.
    const again = await run(["migrate", "--config", file]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { applied: [] });
  });

  it("refuses an invalid configuration with an English and a Chinese message naming the field, exit 1", async () => {
    const bad = configOf({ centre: { name: "中心", nameEn: "Centre", address: "0x1234" } });
    const file = await write("bad.json", bad);
    const result = await run(["migrate", "--config", file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /INVALID_INPUT/);
    const [en, zh] = result.stderr.trim().split("\n");
    assert.match(en ?? "", /centre\.address/);
    assert.match(zh ?? "", /centre\.address/);
    assert.match(zh ?? "", CHINESE);
    assert.equal(result.stdout, "");
  });

  it("refuses the public development key outside dev mode", async () => {
    const file = await write("prod.json", configOf({ mode: "production" }));
    const result = await run(["migrate", "--config", file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gateway\.keyFrom/);
  });

  it("evaluate of an unknown round exits 1 with NOT_FOUND in English and Chinese", async () => {
    const file = await write("eval.json", configOf({ databaseUrl: "file:./eval.db" }));
    assert.equal((await run(["migrate", "--config", file])).code, 0);
    const result = await run(["evaluate", "NO-SUCH-ROUND", "--config", file]);
    assert.equal(result.code, 1);
    const [en, zh] = result.stderr.trim().split("\n");
    assert.match(en ?? "", /NOT_FOUND.*NO-SUCH-ROUND/);
    assert.match(zh ?? "", CHINESE);
    assert.match(zh ?? "", /NO-SUCH-ROUND/);
  });

  it("anchor with nothing pending reports zero without reaching the gateway", async () => {
    const file = await write("anchor.json", configOf({ databaseUrl: "file:./anchor.db" }));
    assert.equal((await run(["migrate", "--config", file])).code, 0);
    const result = await run(["anchor", "--config", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { anchored: 0, superseded: 0, failed: [] });
  });

  it("serve runs idle passes without a gateway and stops cleanly on SIGTERM", async () => {
    const file = await write("serve.json", configOf({ databaseUrl: "file:./serve.db" }));
    const child = spawn(process.execPath, [CLI, "serve", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const started = new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no start within 10 s: ${stderr}`)), 10_000);
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("worker started")) {
          clearTimeout(timer);
          done();
        }
      });
      child.once("exit", (code) => fail(new Error(`exited ${code}: ${stderr}`)));
    });
    await started;
    // Several poll intervals (100 ms): passes run against the dev-migrated database.
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    const t0 = Date.now();
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    assert.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms`);
    assert.match(stderr, /"msg":"stopped"/);
    assert.doesNotMatch(stderr, /worker pass failed/);
  });
});

describe("parseEqaConfig", () => {
  const base: Record<string, unknown> = { ...configOf() };
  // Without a worker section: the defaults apply.
  delete base.worker;

  it("resolves the SQLite path and the key file against the configuration's folder", () => {
    const config = parseEqaConfig({ ...base, gateway: { baseUrl: "http://127.0.0.1:8080", staffId: "eqa-system", keyFile: "keys/eqa.key" }, mode: "production" }, { baseDir: "/etc/eqa" });
    assert.equal(config.databaseUrl, "file:/etc/eqa/eqa.db");
    assert.equal(config.gateway.keyFile, "/etc/eqa/keys/eqa.key");
    // The defaults of the issue: poll every 5 s when idle, certificates valid 365 days.
    assert.deepEqual(config.worker, { pollMs: 5000, labsPerPass: 50, anchorConcurrency: 8 });
    assert.equal(config.validityDays, 365);
  });

  it("takes EQA_DATABASE_URL, EQA_GATEWAY_URL and EQA_LOG_LEVEL over the file, and EQA_PDF_FONT over render.fontPath", () => {
    const config = parseEqaConfig(
      { ...base, render: { fontPath: "fonts/cjk.ttf" } },
      { baseDir: "/etc/eqa", env: { EQA_DATABASE_URL: "postgresql://db/eqa", EQA_GATEWAY_URL: "http://gw:8080", EQA_LOG_LEVEL: "warn", EQA_PDF_FONT: "/usr/share/fonts/x.ttf" } },
    );
    assert.equal(config.databaseUrl, "postgresql://db/eqa");
    assert.equal(config.gateway.baseUrl, "http://gw:8080");
    assert.equal(config.logLevel, "warn");
    assert.equal(config.render.fontPath, undefined);
    assert.equal(parseEqaConfig({ ...base, render: { fontPath: "fonts/cjk.ttf" } }, { baseDir: "/etc/eqa" }).render.fontPath, "/etc/eqa/fonts/cjk.ttf");
  });

  it("requires exactly one key source", () => {
    assert.throws(
      () => parseEqaConfig({ ...base, gateway: { baseUrl: "http://127.0.0.1:8080", staffId: "eqa-system", keyEnv: "EQA_KEY", keyFrom: "dev-staff-keys" } }, { baseDir: "/" }),
      (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /exactly one of keyFile, keyEnv and keyFrom/.test(error.message) && CHINESE.test(error.messageZh),
    );
  });
});
