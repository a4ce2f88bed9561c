// Line-coverage gate for the contracts: reads the lcov report that `hardhat test --coverage`
// writes (coverage/lcov.info), prints one row per source file under contracts/src and fails when
// the total line coverage is below the minimum given on the command line.
//
//   node deploy/scripts/check-coverage.ts <minPercent> [lcovPath]
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";

interface FileCoverage {
  path: string;
  found: number;
  hit: number;
  uncovered: number[];
}

const SOURCE_ROOT = "contracts/src/";

function usage(message: string): never {
  console.error(`${message}\nusage: node deploy/scripts/check-coverage.ts <minPercent> [lcovPath]`);
  process.exit(2);
}

/** Parses the records of an lcov tracefile; line data (DA) is the source of truth, LH/LF are not trusted. */
export function parseLcov(text: string, root: string = process.cwd()): FileCoverage[] {
  const files: FileCoverage[] = [];
  let current: { path: string; lines: Map<number, number> } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("SF:")) {
      const file = line.slice(3);
      const path = relative(root, resolve(root, file)).split(sep).join("/");
      current = { path, lines: new Map() };
    } else if (line.startsWith("DA:") && current) {
      const [lineNo, count] = line.slice(3).split(",");
      const n = Number(lineNo);
      current.lines.set(n, Math.max(current.lines.get(n) ?? 0, Number(count)));
    } else if (line === "end_of_record" && current) {
      const uncovered = [...current.lines].filter(([, c]) => c === 0).map(([n]) => n).sort((a, b) => a - b);
      files.push({
        path: current.path,
        found: current.lines.size,
        hit: current.lines.size - uncovered.length,
        uncovered,
      });
      current = undefined;
    }
  }
  return files;
}

/** Whether a report entry is a production contract: under contracts/src and not a Solidity test. */
export function isProductionSource(path: string): boolean {
  return path.startsWith(SOURCE_ROOT) && !path.endsWith(".t.sol");
}

/** "3-5, 9" for [3, 4, 5, 9]. */
export function lineRanges(lines: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === (lines[j] as number) + 1) j++;
    ranges.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return ranges.join(", ");
}

function percent(hit: number, found: number): number {
  return found === 0 ? 100 : (100 * hit) / found;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const numeric = [false, true, true, false];
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd());
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

function main(argv: string[]): void {
  const [minArg, lcovArg] = argv;
  if (minArg === undefined) usage("missing <minPercent>");
  const minPercent = Number(minArg);
  if (!Number.isFinite(minPercent) || minPercent < 0 || minPercent > 100) usage(`invalid <minPercent>: ${minArg}`);

  const lcovPath = resolve(lcovArg ?? "coverage/lcov.info");
  if (!existsSync(lcovPath)) {
    console.error(`no coverage report at ${lcovPath}: run \`hardhat test --coverage\` first`);
    process.exit(2);
  }

  const files = parseLcov(readFileSync(lcovPath, "utf8"))
    .filter((f) => isProductionSource(f.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (files.length === 0) {
    console.error(`${lcovPath} has no files under ${SOURCE_ROOT}: was it written by \`hardhat test --coverage\`?`);
    process.exit(2);
  }

  const found = files.reduce((s, f) => s + f.found, 0);
  const hit = files.reduce((s, f) => s + f.hit, 0);
  const total = percent(hit, found);
  const rows = [
    ["contract", "lines", "line %", "uncovered lines"],
    ...files.map((f) => [
      f.path.slice(SOURCE_ROOT.length),
      `${f.hit}/${f.found}`,
      f.found === 0 ? "-" : percent(f.hit, f.found).toFixed(2),
      lineRanges(f.uncovered),
    ]),
    ["total", `${hit}/${found}`, total.toFixed(2), ""],
  ];
  printTable(rows);

  // Compared at the printed precision so that the verdict never contradicts the table.
  if (Number(total.toFixed(2)) < minPercent) {
    console.error(`\nline coverage ${total.toFixed(2)}% is below the required ${minPercent}%`);
    process.exit(1);
  }
  console.log(`\nline coverage ${total.toFixed(2)}% meets the required ${minPercent}%`);
}

if (import.meta.main) main(process.argv.slice(2));
