// Screening benchmark on the seeded synthetic district, one DuckDB database per institution.
//   node services/analytics/bench/screening.ts [--residents 1000000] [--events 20000000] [--seed 20260101]
// The databases are cached under os.tmpdir(), keyed by the parameters; delete the directory to regenerate.
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { join } from "node:path";
import { countResidents, funnel } from "../src/engine/index.ts";
import { isSuppressedCell, protectCounts } from "../src/privacy/index.ts";
import { annualReportDefinitions, runReport, type ReportDefinitionInput } from "../src/reports/index.ts";
import { INDEX_DATE, INSTITUTIONS, closeDistrict, institutionFile, loadDistrict, openInstitution, type DistrictSummary, type InstitutionDatabase } from "../src/synthetic/index.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a non-negative integer`);
  return value;
}
const options = { residents: arg("residents", 1_000_000), events: arg("events", 20_000_000), seed: arg("seed", 20260101) };
const directory = join(tmpdir(), `health-chain-analytics-bench-r${options.residents}-e${options.events}-s${options.seed}-v1`);
const manifestFile = join(directory, "manifest.json");
const secs = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`);
console.log(`district: ${options.residents} residents, target ${options.events} events, seed ${options.seed}, ${INSTITUTIONS.length} institutions`);

let institutions: InstitutionDatabase[];
let summary: DistrictSummary;
let loadSeconds: number;
if (existsSync(manifestFile)) {
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { summary: DistrictSummary; seconds: number };
  ({ summary, seconds: loadSeconds } = manifest);
  institutions = [];
  for (const inst of INSTITUTIONS) institutions.push(await openInstitution(inst.code, institutionFile(directory, inst.code)));
  console.log(`reused cache ${directory} (generated earlier in ${loadSeconds.toFixed(1)} s)`);
} else {
  rmSync(directory, { recursive: true, force: true });
  const loaded = await loadDistrict(options, directory);
  ({ summary, seconds: loadSeconds } = loaded);
  institutions = [...loaded.institutions];
  writeFileSync(manifestFile, JSON.stringify({ options, summary, seconds: loadSeconds }));
  console.log(`generated and loaded in ${loadSeconds.toFixed(1)} s (${Math.round(summary.events / loadSeconds)} events/s) into ${directory}`);
}
const bytes = readdirSync(directory).filter((f) => f.endsWith(".duckdb") || f.endsWith(".wal")).reduce((sum, f) => sum + statSync(join(directory, f)).size, 0);
console.log(`events: ${summary.events} (diagnoses ${summary.diagnoses}, labs ${summary.labs}, medications ${summary.medications}); DuckDB files ${(bytes / 2 ** 20).toFixed(0)} MiB`);
console.log(`adults ${summary.adults}: type 2 diabetes ${(100 * summary.diabetesAdults / summary.adults).toFixed(1)} %, hypertension ${(100 * summary.hypertensionAdults / summary.adults).toFixed(1)} %`);

const evaluation = { indexDate: INDEX_DATE };
const criteria = {
  type: "and",
  children: [
    { type: "diagnosis", id: "t2dm", codes: ["E11"] },
    { type: "lab", loinc: "4548-4", comparator: ">", value: 7, unit: "%", within: { days: 90, after: "t2dm", anchor: "first" } },
    { type: "demographic", age: { min: 40, max: 75 } },
    { type: "not", child: { type: "medication", codes: ["A10A"] } },
  ],
};

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await run();
  return [value, performance.now() - t];
}
function report(label: string, times: number[], target: number): void {
  const max = Math.max(...times);
  const total = times.reduce((a, b) => a + b, 0);
  console.log(`${label}: max per institution ${secs(max)}, all ${times.length} in sequence ${secs(total)} (target ≤ ${target} s) ${max / 1000 <= target ? "OK" : "OVER"}`);
}

// (a) combined-criteria count per institution.
const timesA: number[] = [];
for (const inst of institutions) {
  const [count, ms] = await timed(() => countResidents(inst.connection, criteria, evaluation));
  timesA.push(ms);
  console.log(`  (a) ${inst.code}: ${String(count).padStart(6)} residents in ${secs(ms)}`);
}
report("(a) diabetes ∧ HbA1c > 7 % ≤ 90 d after diagnosis ∧ age 40–75 ∧ ¬ insulin", timesA, 3);

// Completed years on the index date, 10-year bands (90–100 in the last band).
const AGE = `date_sub('year', r.birth_date, DATE '${INDEX_DATE}')`;
const BAND = `least(floor(${AGE} / 10), 9)`;
const HBA1C_PCT = `CASE l.unit WHEN '%' THEN l.value WHEN 'mmol/mol' THEN l.value / 10.929 + 2.15 END`;

// (b) counts by sex × 10-year age band of residents with a type 2 diabetes diagnosis, protected.
const timesB: number[] = [];
let shownB = 0;
for (const inst of institutions) {
  const [rows, ms] = await timed(async () =>
    (
      await inst.connection.runAndReadAll(
        `SELECT r.sex, ${BAND} AS band, count(*) AS n FROM residents r
         WHERE r.resident_ref IN (SELECT resident_ref FROM diagnoses WHERE code = 'E11' OR starts_with(code, 'E11.'))
         GROUP BY ALL ORDER BY ALL`,
      )
    ).getRowObjects(),
  );
  const cells = protectCounts(rows.map((row) => ({ key: `${String(row["sex"])}:${String(row["band"])}`, count: Number(row["n"]) })));
  shownB += cells.cells.filter((c) => !isSuppressedCell(c.cell)).length;
  timesB.push(ms);
}
report(`(b) E11 by sex × age band (${shownB} cells shown after suppression)`, timesB, 5);

// (c) prevalence of diabetes and hypertension by region × age band, with the HbA1c control rate
// (diabetics whose last 2025 HbA1c is < 7 % NGSP, among diabetics tested in 2025).
const timesC: number[] = [];
let groupsC = 0;
for (const inst of institutions) {
  const [rows, ms] = await timed(async () =>
    (
      await inst.connection.runAndReadAll(
        `WITH dm AS (SELECT DISTINCT resident_ref FROM diagnoses WHERE code = 'E11' OR starts_with(code, 'E11.')),
              htn AS (SELECT DISTINCT resident_ref FROM diagnoses WHERE code = 'I10' OR starts_with(code, 'I10.')),
              last_a1c AS (SELECT l.resident_ref, arg_max(${HBA1C_PCT}, l."at") AS pct FROM labs l
                           WHERE l.loinc IN ('4548-4', '17856-6', '59261-8') AND l."at" BETWEEN DATE '2025-01-01' AND DATE '${INDEX_DATE}'
                           GROUP BY l.resident_ref)
         SELECT r.region, ${BAND} AS band, count(*) AS residents,
                count(dm.resident_ref) AS diabetes, count(htn.resident_ref) AS hypertension,
                count(dm.resident_ref) FILTER (WHERE a.pct IS NOT NULL) AS dm_tested,
                count(dm.resident_ref) FILTER (WHERE a.pct < 7) AS dm_controlled
         FROM residents r LEFT JOIN dm USING (resident_ref) LEFT JOIN htn USING (resident_ref) LEFT JOIN last_a1c a USING (resident_ref)
         GROUP BY ALL`,
      )
    ).getRowObjects(),
  );
  groupsC += rows.length;
  timesC.push(ms);
}
report(`(c) diabetes & hypertension prevalence + HbA1c control by region × age band (${groupsC} groups)`, timesC, 10);

// (d) the funnel of (a) plus monthly HbA1c volumes and medians (NGSP %) in 2025.
const timesD: number[] = [];
for (const inst of institutions) {
  const [, ms] = await timed(async () => {
    const steps = await funnel(inst.connection, criteria, evaluation);
    const monthly = (
      await inst.connection.runAndReadAll(
        `SELECT month(l."at") AS month, count(*) AS tests, median(${HBA1C_PCT}) AS median_pct FROM labs l
         WHERE l.loinc IN ('4548-4', '17856-6', '59261-8') AND l."at" BETWEEN DATE '2025-01-01' AND DATE '${INDEX_DATE}'
         GROUP BY ALL ORDER BY ALL`,
      )
    ).getRowObjects();
    return [steps, monthly];
  });
  timesD.push(ms);
}
report("(d) funnel of (a) + monthly HbA1c volumes and medians 2025", timesD, 20);

// ---------------------------------------------------------------- reports (src/reports)
// The report engine's definitions, run across all 25 institutions (one statement each, counts
// protected per institution, merged): one dimension; three dimensions with a filter; a district
// annual report of six reports together.
{
  const reportInstitutions = institutions.map((inst) => ({ code: inst.code, connection: inst.connection }));
  const reportTimed = async (label: string, definitions: readonly ReportDefinitionInput[], target: number) => {
    const [tables, ms] = await timed(async () => {
      const out = [];
      for (const definition of definitions) out.push(await runReport(reportInstitutions, definition));
      return out;
    });
    const rows = tables.reduce((n, t) => n + t.rows.length, 0);
    const hidden = tables.reduce((n, t) => n + t.rows.filter((r) => r["count"] === null).length, 0);
    console.log(`report ${label}: ${secs(ms)} for all ${reportInstitutions.length} institutions, ${rows} rows (${hidden} suppressed) (target ≤ ${target} s) ${ms / 1000 <= target ? "OK" : "OVER"}`);
  };
  await reportTimed("simple (diagnoses by ICD-10 chapter)", [{ measure: "diagnoses", dimensions: [{ by: "disease", level: "chapter" }] }], 5);
  await reportTimed("composite (residents with E11/I10 by institution × sex × age band, 2025)", [
    { measure: "residents-with-diagnosis", dimensions: [{ by: "institution" }, { by: "sex" }, { by: "age-band", at: INDEX_DATE }], filters: { from: "2025-01-01", to: "2025-12-31", icd10: ["E11", "I10"] } },
  ], 10);
  await reportTimed("complex (district annual report 2025: 6 reports)", annualReportDefinitions(2025), 20);
}

console.log(`peak RSS of this process (Node + DuckDB): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
closeDistrict(institutions);
