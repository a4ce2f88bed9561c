// Generates docs/contracts-api.md from the contracts' NatSpec, and checks that every external or
// public function, event and error of the suite's contracts is documented.
//
//   npm run docs:api            rewrite docs/contracts-api.md
//   npm run docs:api -- --check fail if NatSpec is missing or the committed file is out of date
//
// It recompiles the standard-JSON input of Hardhat's last build with the same solc-js, asking the
// compiler for `userdoc` and `devdoc`, which Hardhat's artifacts do not keep.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile(input: string): string };

interface AbiParam {
  name: string;
  type: string;
  components?: AbiParam[];
  indexed?: boolean;
}
interface AbiItem {
  type: string;
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
  stateMutability?: string;
}
interface MethodDoc {
  notice?: string;
  details?: string;
  params?: Record<string, string>;
  returns?: Record<string, string>;
}
interface ContractOutput {
  abi: AbiItem[];
  userdoc: { notice?: string; methods?: Record<string, MethodDoc>; events?: Record<string, MethodDoc>; errors?: Record<string, MethodDoc[]> };
  devdoc: { title?: string; details?: string; methods?: Record<string, MethodDoc>; events?: Record<string, MethodDoc>; errors?: Record<string, MethodDoc[]>; stateVariables?: Record<string, MethodDoc> };
}

const ROOT = new URL("../../", import.meta.url).pathname;
const CONTRACTS = ["ConsortiumRegistry", "ConsentRegistry", "DataIndex", "CertificateRegistry", "AuditTrail"];
const OUT = join(ROOT, "docs/contracts-api.md");

function latestBuildInput(): { input: { sources: Record<string, unknown>; settings: Record<string, unknown> } } {
  const dir = join(ROOT, "artifacts/build-info");
  const inputs = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".output.json"));
  const builds = inputs.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
  const build = builds.find((b) => Object.keys(b.input.sources).some((s: string) => s.endsWith("ConsentRegistry.sol")));
  if (!build) throw new Error("no build of the contracts found: run `npm run build` first");
  return build;
}

function typeOf(p: AbiParam): string {
  if (!p.type.startsWith("tuple")) return p.type;
  return `(${(p.components ?? []).map(typeOf).join(",")})${p.type.slice("tuple".length)}`;
}

function signature(item: AbiItem): string {
  return `${item.name}(${(item.inputs ?? []).map(typeOf).join(",")})`;
}

/** NatSpec keeps the source's line breaks and indentation; a reference wants one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function merge(...docs: (MethodDoc | undefined)[]): MethodDoc {
  return Object.assign({}, ...docs.filter(Boolean));
}

const build = latestBuildInput();
const input = {
  language: "Solidity",
  sources: build.input.sources,
  settings: { ...build.input.settings, outputSelection: { "*": { "*": ["abi", "userdoc", "devdoc"] } } },
};
const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, ContractOutput>>;
};
const fatal = (output.errors ?? []).filter((e) => e.severity === "error");
if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join("\n"));

const missing: string[] = [];
const sections: string[] = [];
for (const name of CONTRACTS) {
  const file = Object.keys(output.contracts).find((f) => f.endsWith(`/${name}.sol`) || f === `${name}.sol`);
  const c = file ? output.contracts[file]?.[name] : undefined;
  if (!c) throw new Error(`${name} not found in the build`);
  const lines: string[] = [`## ${name}`, ""];
  if (c.devdoc.title) lines.push(`**${c.devdoc.title}**`, "");
  if (c.userdoc.notice) lines.push(oneLine(c.userdoc.notice), "");
  if (c.devdoc.details) lines.push(`*${oneLine(c.devdoc.details)}*`, "");

  const functions = c.abi.filter((i) => i.type === "function").sort((a, b) => a.name!.localeCompare(b.name!));
  lines.push("### Functions", "");
  for (const fn of functions) {
    const sig = signature(fn);
    const doc = merge(c.devdoc.methods?.[sig], c.userdoc.methods?.[sig], c.devdoc.stateVariables?.[fn.name!]);
    const isConstant = fn.stateMutability !== "nonpayable" && fn.stateMutability !== "payable";
    if (!doc.notice && !doc.details && !(isConstant && /^[A-Z0-9_]+$/.test(fn.name!))) missing.push(`${name}.${sig}`);
    const outs = (fn.outputs ?? []).map((o) => `${typeOf(o)}${o.name ? ` ${o.name}` : ""}`).join(", ");
    lines.push(`- \`${sig}\`${fn.stateMutability === "view" || fn.stateMutability === "pure" ? ` ${fn.stateMutability}` : ""}${outs ? ` → \`${outs}\`` : ""}`);
    if (doc.notice) lines.push(`  ${oneLine(doc.notice)}`);
    for (const [param, text] of Object.entries(doc.params ?? {})) lines.push(`  - \`${param}\`: ${oneLine(text)}`);
    for (const [ret, text] of Object.entries(doc.returns ?? {})) lines.push(`  - returns \`${ret}\`: ${oneLine(text)}`);
  }
  lines.push("", "### Events", "");
  for (const ev of c.abi.filter((i) => i.type === "event").sort((a, b) => a.name!.localeCompare(b.name!))) {
    const sig = signature(ev);
    const doc = merge(c.devdoc.events?.[sig], c.userdoc.events?.[sig]);
    if (!doc.notice && !doc.details) missing.push(`${name} event ${sig}`);
    const params = (ev.inputs ?? []).map((p) => `${typeOf(p)}${p.indexed ? " indexed" : ""} ${p.name}`).join(", ");
    lines.push(`- \`${ev.name}(${params})\`${doc.notice ? `: ${oneLine(doc.notice)}` : ""}`);
  }
  lines.push("", "### Errors", "");
  for (const er of c.abi.filter((i) => i.type === "error").sort((a, b) => a.name!.localeCompare(b.name!))) {
    const sig = signature(er);
    const doc = merge(c.devdoc.errors?.[sig]?.[0], c.userdoc.errors?.[sig]?.[0]);
    const params = (er.inputs ?? []).map((p) => `${typeOf(p)} ${p.name}`).join(", ");
    lines.push(`- \`${er.name}(${params})\`${doc.notice ? `: ${oneLine(doc.notice)}` : ""}`);
  }
  sections.push(lines.join("\n"));
}

const doc = `# Contract API reference

Generated from the contracts' NatSpec by \`npm run docs:api\` (deploy/scripts/natspec-docs.ts); do not
edit by hand. Design and rationale: [CONTRACTS.md](CONTRACTS.md).

${sections.join("\n\n")}
`;

if (missing.length > 0) {
  console.error(`NatSpec missing on:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
if (process.argv.includes("--check")) {
  const current = readFileSync(OUT, "utf8");
  if (current !== doc) {
    console.error("docs/contracts-api.md is out of date: run `npm run docs:api` and commit it");
    process.exit(1);
  }
  console.log("docs/contracts-api.md is up to date; every function and event has NatSpec");
} else {
  writeFileSync(OUT, doc);
  console.log(`wrote ${OUT}`);
}
