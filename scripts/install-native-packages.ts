// Postinstall step that keeps native, platform-specific optional packages working here.
//
// 1. Installs the ones npm skipped. `npm install` on a fresh machine is started by the system Node
//    (20 here); npm marks an optional dependency whose `engines` that Node does not satisfy as not
//    installable, so EDR's native binding (`@nomicfoundation/edr-linux-x64-gnu`, Node >= 22) is
//    silently left out, although every script of this project runs on the Node 24 of the `node`
//    package. This step runs on that Node 24: each optional package of the lockfile that matches
//    this platform and is missing is fetched with `npm pack`, checked against the lockfile's
//    integrity and unpacked.
// 2. Completes the lockfile. The registry reachable here serves only this platform's binaries, so
//    npm writes a lockfile without the other platforms' variants, which `npm ci` then rejects
//    ("Missing: … from lock file"). The missing variants are recorded with their exact version and
//    the os/cpu/libc their names declare (the naming convention of napi-rs and esbuild packages), so
//    npm skips them on other platforms exactly as it would with full metadata.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface LockedPackage {
  version?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

const root = process.cwd();
const lockPath = join(root, "package-lock.json");
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockedPackage> };

function packageName(lockPath: string): string {
  return lockPath.slice(lockPath.lastIndexOf("node_modules/") + "node_modules/".length);
}

function matches(allowed: string[] | undefined, actual: string | undefined): boolean {
  if (allowed === undefined) return true;
  if (actual === undefined) return false;
  const denied = allowed.filter((a) => a.startsWith("!")).map((a) => a.slice(1));
  const wanted = allowed.filter((a) => !a.startsWith("!"));
  return !denied.includes(actual) && (wanted.length === 0 || wanted.includes(actual));
}

function libcFamily(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? "glibc" : "musl";
}

const OS_NAMES = ["darwin", "linux", "win32", "freebsd", "openbsd", "netbsd", "sunos", "android", "aix"];
const CPU_NAMES = ["x64", "arm64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "mips64el", "wasm32"];

function platformFromName(name: string): Pick<LockedPackage, "os" | "cpu" | "libc"> {
  const tokens = name.slice(name.lastIndexOf("/") + 1).split(/[-_]/);
  const os = OS_NAMES.find((o) => tokens.includes(o) || (o === "win32" && tokens.includes("windows")));
  const cpu = CPU_NAMES.find((c) => tokens.includes(c));
  const libc = tokens.includes("musl") ? "musl" : tokens.includes("gnu") && os === "linux" ? "glibc" : undefined;
  return { ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}), ...(libc ? { libc: [libc] } : {}) };
}

function completeLockfile(): number {
  let added = 0;
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
      const parentDir = path === "" ? "" : `${path}/`;
      const nested = `${parentDir}node_modules/${dep}`;
      const hoisted = `node_modules/${dep}`;
      if (lock.packages[nested] || lock.packages[hoisted]) continue;
      if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue; // only exact pins can be recorded blind
      lock.packages[hoisted] = {
        version: spec,
        ...(pkg.dev ? { dev: true } : {}),
        optional: true,
        ...platformFromName(dep),
      };
      added += 1;
    }
  }
  if (added > 0) {
    lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  }
  return added;
}

function installSkippedNativePackages(): void {
  const libc = libcFamily();
  const missing = Object.entries(lock.packages)
    .filter(([path, pkg]) => path.startsWith("node_modules/") && pkg.optional === true && pkg.integrity)
    .filter(([, pkg]) => matches(pkg.os, process.platform) && matches(pkg.cpu, process.arch))
    .filter(([, pkg]) => matches(pkg.libc, libc))
    .filter(([path]) => !existsSync(join(root, path, "package.json")));
  const npmCli = process.env.npm_execpath;
  const [command, prefix] = npmCli ? [process.execPath, [npmCli]] : ["npm", []];
  for (const [path, { version, integrity }] of missing) {
    const name = packageName(path);
    console.log(`installing ${name}@${version}, an optional native package npm skipped under an older Node`);
    const tmp = mkdtempSync(join(tmpdir(), "native-"));
    const packed = spawnSync(command, [...prefix, "pack", `${name}@${version}`, "--pack-destination", tmp, "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (packed.status !== 0) process.exit(packed.status ?? 1);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const tarball = join(tmp, filename);
    // The same integrity check `npm ci` makes.
    const [algorithm, expected] = (integrity as string).split("-", 2) as [string, string];
    const actual = createHash(algorithm).update(readFileSync(tarball)).digest("base64");
    if (actual !== expected) throw new Error(`${name}@${version}: integrity mismatch, expected ${integrity}`);
    const target = join(root, path);
    mkdirSync(target, { recursive: true });
    const extracted = spawnSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], { stdio: "inherit" });
    rmSync(tmp, { recursive: true, force: true });
    if (extracted.status !== 0) process.exit(extracted.status ?? 1);
  }
}

const completed = completeLockfile();
if (completed > 0) console.log(`package-lock.json: recorded ${completed} optional packages of other platforms`);
installSkippedNativePackages();
