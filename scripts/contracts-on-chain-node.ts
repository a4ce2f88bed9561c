// Runs the contract test suite (contracts/test, mocha) against a real chain-node instead of Hardhat's
// in-process network: a development node in a temporary directory on a free port, then
// `hardhat test mocha --network localhost`. Exits with the suite's exit code.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "chain-node", "src", "cli.ts");

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: "inherit" });
  return new Promise((done) => child.once("exit", (code) => done(code ?? 1)));
}

const dir = mkdtempSync(join(tmpdir(), "contracts-on-chain-node-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
if ((await run([CLI, "init", "--dev", "--dir", dir, "--http-port", String(port)])) !== 0) process.exit(1);
const node = spawn(process.execPath, [CLI, "run", "--config", join(dir, "config.json")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
let code: number;
try {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' });
      if (response.ok) break;
    } catch {
      if (attempt > 200) throw new Error(`the chain-node at ${url} did not start`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("hardhat/package.json");
  const hardhat = join(dirname(manifest), (JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> }).bin.hardhat!);
  console.log(`contract suite against chain-node at ${url}`);
  code = await run([hardhat, "test", "mocha", "--network", "localhost"], { CHAIN_NODE_URL: url });
} finally {
  node.kill("SIGTERM");
  await new Promise((done) => node.once("exit", done));
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
