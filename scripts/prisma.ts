// Prisma tooling for the packages with a database (mirror, gateway). Each package writes ONE
// schema, `<pkg>/prisma/schema.prisma`, for SQLite; this script derives the PostgreSQL variant.
//
//   node scripts/prisma.ts generate [pkg…]       both clients into <pkg>/src/generated/{sqlite,postgresql}/
//   node scripts/prisma.ts migration <pkg> <name> the next SQL migration for both providers
//
// `migration` diffs the schema against `<pkg>/prisma/migrations/schema.prisma`, the copy of the
// schema as of the last migration (committed with the migrations), with `prisma migrate diff
// --from-schema-datamodel … --to-schema-datamodel … --script`: schema to schema, no database, so
// it works offline (`--from-migrations` needs a shadow database; the in-memory SQLite one of the
// "js" engine silently loses the applied migrations, measured). It then writes
// `<pkg>/prisma/migrations/{sqlite,postgresql}/NNNN_<name>.sql` and updates the copy. The
// mirror's runner (`migrateDatabase`) applies the files. Prisma's CLI runs with the "js" schema
// engine (mirror/prisma.config.ts): the classic engine downloads a binary at start-up.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const PACKAGES = ["mirror", "gateway", "services/his", "services/eqa", "services/analytics"];
const PROVIDERS = ["sqlite", "postgresql"] as const;
type Provider = (typeof PROVIDERS)[number];
const CONFIG = join(ROOT, "mirror", "prisma.config.ts");
const PRISMA = join(ROOT, "node_modules", "prisma", "build", "index.js");

function fail(message: string): never {
  console.error(`prisma.ts: ${message}`);
  process.exit(1);
}

/** The schema of `provider`, its client generated into `<pkg>/src/generated/<provider>`. */
export function deriveSchema(schema: string, provider: Provider, outputDir: string): string {
  const datasource = /datasource\s+\w+\s*\{[^}]*\}/;
  const generatorOutput = /(generator\s+\w+\s*\{[^}]*?output\s*=\s*)"[^"]*"/;
  if (!datasource.test(schema) || !/provider\s*=\s*"sqlite"/.test(schema)) fail("the schema must have a sqlite datasource");
  if (!generatorOutput.test(schema)) fail("the schema's generator must set output");
  const url = provider === "sqlite" ? "file:./unused.db" : "postgresql://unused";
  return schema
    .replace(datasource, `datasource db {\n  provider = "${provider}"\n  url      = "${url}"\n}`)
    .replace(generatorOutput, `$1${JSON.stringify(outputDir)}`);
}

/** Runs the Prisma CLI in a package's directory (from the repository root or elsewhere it
 * looks for a query-engine binary and tries to download it). */
function prisma(pkg: string, args: string[]): string {
  const run = spawnSync(process.execPath, [PRISMA, ...args, "--config", CONFIG], { cwd: join(ROOT, pkg), encoding: "utf8" });
  if (run.status !== 0) fail(`prisma ${args.join(" ")} failed:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

function schemaOf(pkg: string): string | undefined {
  const file = join(ROOT, pkg, "prisma", "schema.prisma");
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

function generate(packages: string[]): void {
  const work = mkdtempSync(join(tmpdir(), "prisma-generate-"));
  try {
    for (const pkg of packages) {
      const schema = schemaOf(pkg);
      if (schema === undefined) {
        console.log(`prisma.ts: ${pkg}/prisma/schema.prisma does not exist yet; skipped`);
        continue;
      }
      for (const provider of PROVIDERS) {
        const file = join(work, `${pkg.replaceAll("/", "-")}-${provider}.prisma`);
        writeFileSync(file, deriveSchema(schema, provider, join(ROOT, pkg, "src", "generated", provider)));
        prisma(pkg, ["generate", "--schema", file]);
        console.log(`prisma.ts: generated ${pkg}/src/generated/${provider}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Strips the CLI's chatter; keeps the SQL script. */
function sqlOf(output: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l.startsWith("--") || /^[A-Z]/.test(l) && !l.startsWith("Loaded Prisma config"));
  return start < 0 ? "" : `${lines.slice(start).join("\n").trim()}\n`;
}

function migration(pkg: string, name: string): void {
  if (!/^[a-z0-9_]+$/.test(name)) fail(`migration name "${name}": use lower-case letters, digits and _`);
  const schema = schemaOf(pkg);
  if (schema === undefined) fail(`${pkg}/prisma/schema.prisma does not exist`);
  const migrations = join(ROOT, pkg, "prisma", "migrations");
  const snapshot = join(migrations, "schema.prisma");
  const previous = existsSync(snapshot) ? readFileSync(snapshot, "utf8") : undefined;
  const work = mkdtempSync(join(tmpdir(), "prisma-migration-"));
  try {
    const scripts = new Map<Provider, string>();
    for (const provider of PROVIDERS) {
      const out = join(work, "out");
      const to = join(work, `to-${provider}.prisma`);
      writeFileSync(to, deriveSchema(schema, provider, out));
      let from = ["--from-empty"];
      if (previous !== undefined) {
        const fromFile = join(work, `from-${provider}.prisma`);
        writeFileSync(fromFile, deriveSchema(previous, provider, out));
        from = ["--from-schema-datamodel", fromFile];
      }
      scripts.set(provider, sqlOf(prisma(pkg, ["migrate", "diff", ...from, "--to-schema-datamodel", to, "--script"])));
    }
    if ([...scripts.values()].every((sql) => sql.trim() === "" || sql.includes("This is an empty migration"))) {
      console.log(`prisma.ts: ${pkg}'s schema has not changed since the last migration; nothing written`);
      return;
    }
    for (const [provider, sql] of scripts) {
      const dir = join(migrations, provider);
      mkdirSync(dir, { recursive: true });
      const numbers = readdirSync(dir).map((f) => /^(\d{4})_/.exec(f)?.[1]).filter((n) => n !== undefined).map(Number);
      const next = String(Math.max(0, ...numbers) + 1).padStart(4, "0");
      const file = join(dir, `${next}_${name}.sql`);
      writeFileSync(file, `-- ${pkg} migration ${next}_${name} (${provider}), written by scripts/prisma.ts\n${sql}`);
      console.log(`prisma.ts: wrote ${file.slice(ROOT.length + 1)}`);
    }
    copyFileSync(join(ROOT, pkg, "prisma", "schema.prisma"), snapshot);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === "generate") {
  const unknown = rest.filter((p) => !PACKAGES.includes(p));
  if (unknown.length > 0) fail(`unknown package(s) ${unknown.join(", ")}; known: ${PACKAGES.join(", ")}`);
  generate(rest.length > 0 ? rest : PACKAGES);
} else if (command === "migration") {
  const [pkg, name] = rest;
  if (pkg === undefined || name === undefined || !PACKAGES.includes(pkg)) {
    fail(`usage: node scripts/prisma.ts migration <${PACKAGES.join("|")}> <name>`);
  }
  migration(pkg, name);
} else {
  fail("usage: node scripts/prisma.ts generate [pkg…] | migration <pkg> <name>");
}
