// `gateway serve --config <file>` as a process: migrates a fresh database, serves, stops on SIGTERM.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEV, devAccount, startTestChain, type TestChain } from "../../test/helpers/chain.ts";

const CLI = resolve(import.meta.dirname, "..", "src", "cli.ts");

describe("gateway serve", () => {
  let chain: TestChain;
  let dir: string;
  before(async () => {
    chain = await startTestChain();
    dir = await mkdtemp(join(tmpdir(), "gateway-cli-"));
  });
  after(async () => {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts on a fresh database, answers /healthz and stops gracefully on SIGTERM", async () => {
    const platform = devAccount(DEV.platform).address;
    const config = {
      mode: "dev",
      listen: { host: "127.0.0.1", port: 0 },
      databaseUrl: "file:./gateway.db",
      mirrorDatabaseUrl: "file:./mirror.db",
      chain: { rpcUrl: chain.rpcUrl, deploymentsDir: chain.deploymentsDir },
      institutions: [{ address: platform, name: "Platform", key: { devIndex: DEV.platform } }],
      relayer: platform,
      rbacFile: resolve(import.meta.dirname, "..", "config", "rbac.json"),
      logLevel: "warn",
    };
    const file = join(dir, "gateway.json");
    await writeFile(file, JSON.stringify(config));
    const child = spawn(process.execPath, [CLI, "serve", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 30 s: ${output}`)), 30_000);
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
        const m = /listening on (http:\/\/[\d.:]+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1] as string);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
    });
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  it("refuses an invalid configuration with its problems", async () => {
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ databaseUrl: "file:x.db" }));
    const child = spawn(process.execPath, [CLI, "serve", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((done) => child.once("exit", (c) => done(c)));
    assert.equal(code, 1);
    assert.match(err, /INVALID_INPUT/);
    assert.match(err, /mirrorDatabaseUrl/);
  });
});
