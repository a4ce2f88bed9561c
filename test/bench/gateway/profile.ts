// Where a gateway process spent its time: a summary of a V8 CPU profile (`node --cpu-prof`), self
// time by package or source file and by function.
//
//   node test/bench/gateway/profile.ts <file.cpuprofile>
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ROOT } from "./processes.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A short name for where code lives: an npm package, a file of the repository, or a V8/Node category. */
function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node: internals";
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    return `npm ${rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  return relative(ROOT, path);
}

export function summariseProfile(file: string, top = 20): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const key = `${functionName || "(anonymous)"}  ${url ? `${area}:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines: string[] = [];
  const idle = byArea.get("(idle)") ?? 0;
  lines.push(`  ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled, ${(idle / 1e6).toFixed(1)} s idle; self time of the busy part by area:`);
  const busy = total - idle;
  for (const [area, us] of [...byArea].filter(([a]) => a !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`    ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${area}`);
  }
  lines.push("  self time by function (share of the busy part):");
  for (const [name, us] of [...byFunction].filter(([n]) => !n.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`    ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`);
  }
  // Inclusive time of the repository's own functions (gateway, mirror, store, sdk): each busy sample
  // counts once for every distinct such function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      const area = areaOf(url, functionName);
      if (!/^(gateway|mirror|store|sdk)\/src\//.test(area)) continue;
      const key = `${functionName || "(anonymous)"}  ${area}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  lines.push("  inclusive time of the repository's functions (share of the busy part):");
  for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`    ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`);
  }
  void pct;
  return lines.join("\n");
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node test/bench/gateway/profile.ts <file.cpuprofile>");
    process.exit(2);
  }
  console.log(summariseProfile(file));
}
