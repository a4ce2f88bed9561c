// A throwaway PostgreSQL for tests and benchmarks: a fresh cluster (initdb) in a temp directory on
// a free loopback port, stopped and removed by `stop()`. When HEALTH_CHAIN_TEST_PG_URL is set
// (e.g. postgres://user:pw@host:5432/postgres) that server is used instead and only the databases
// created here are dropped at the end. Missing PostgreSQL binaries are an error, never a skip: CI
// installs them (Debian: `apt-get install postgresql`; or set PG_BIN to the bin directory).
//
// PostgreSQL refuses to run as root: as root the cluster is owned by and run as the `postgres`
// user (runuser), in a temp directory owned by it.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** The connection string of database `dbName` (default `postgres`). */
  url(dbName?: string): string;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function binDir(): string {
  const candidates = [process.env.PG_BIN, ...listVersions().map((v) => `/usr/lib/postgresql/${v}/bin`)];
  for (const dir of candidates) if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  throw new Error(
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL (Debian: apt-get install postgresql), " +
      "set PG_BIN to its bin directory, or set HEALTH_CHAIN_TEST_PG_URL to a server for the tests. " +
      "未找到 PostgreSQL 服务器程序：请安装 PostgreSQL、设置 PG_BIN，或设置 HEALTH_CHAIN_TEST_PG_URL。",
  );
}

function listVersions(): string[] {
  try {
    return readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

function withUrlDatabase(base: string, dbName: string): string {
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  return url.toString();
}

async function createDb(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}": use [a-z0-9_]`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

/** Starts (or connects to) a PostgreSQL server for one test file. */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.HEALTH_CHAIN_TEST_PG_URL;
  if (external) {
    const created: string[] = [];
    return {
      url: (dbName = "postgres") => withUrlDatabase(external, dbName),
      async createDatabase(name) {
        await createDb(withUrlDatabase(external, "postgres"), name);
        created.push(name);
        return withUrlDatabase(external, name);
      },
      async stop() {
        const client = new pg.Client({ connectionString: withUrlDatabase(external, "postgres") });
        await client.connect();
        try {
          for (const name of created) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    };
  }

  const bin = binDir();
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, command), ...args]] : [join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  const dir = mkdtempSync(join(tmpdir(), "test-pg-"));
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  run("pg_ctl", ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const base = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url: (dbName = "postgres") => withUrlDatabase(base, dbName),
    async createDatabase(name) {
      await createDb(base, name);
      return withUrlDatabase(base, name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
