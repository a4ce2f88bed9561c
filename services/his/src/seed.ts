// Seeds the embedded stack (`npm start`) with the synthetic district: the regional platform's
// intermediate database filled with a month of records, the collection tasks an operator would set
// up (the nightly T+1 pull, a FHIR push channel, the LIS's HL7 v2 feed), one T+1 run collected and
// anchored, so that every screen has data: records on chain, a quarantine with real reasons, open
// code reviews, quality reports and run history.
import { writeIntermediateTables } from "./adapters/sql/index.ts";
import type { AnchoringSummary } from "./anchoring/anchor.ts";
import type { RunSummary } from "./collection/runner.ts";
import type { HisService } from "./service.ts";
import { syntheticRecords } from "./synthetic/index.ts";

export interface SeedOptions {
  /** Where the synthetic regional platform's database is written (`file:` or `postgres://`). */
  readonly sourceUrl: string;
  readonly residents?: number;
  readonly seed?: number;
  /** First day of the synthetic month (YYYY-MM-DD); default: 40 days ago, so nothing is in the future. */
  readonly from?: string;
  readonly days?: number;
  readonly actor?: string;
}

export interface SeedSummary {
  readonly written: number;
  readonly run: RunSummary;
  readonly anchoring: AnchoringSummary;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

export async function seedDistrict(service: HisService, options: SeedOptions): Promise<SeedSummary> {
  const actor = options.actor ?? "seed";
  const from = options.from ?? isoDay(new Date(Date.now() - 40 * 86_400_000));
  const records = syntheticRecords({ seed: options.seed ?? 20_261_123, residents: options.residents ?? 300, from, days: options.days ?? 30 });
  const { written } = await writeIntermediateTables(options.sourceUrl, records);
  await service.saveTask(
    {
      id: "regional-t1",
      name: "区域全民健康信息平台 T+1 中间库 / Regional platform T+1 intermediate tables",
      source: { format: "sql", url: options.sourceUrl },
      schedule: "0 1 * * *",
      scope: { cleaning: { trim: true, halfWidth: true, dropTestPatients: true } },
      pageSize: 1000,
    },
    actor,
  );
  await service.saveTask({ id: "his-fhir", name: "医院 HIS FHIR R4 推送 / Hospital HIS FHIR R4 push", source: { format: "fhir-r4", push: true } }, actor);
  await service.saveTask({ id: "his-lis-oru", name: "检验系统 HL7 v2 ORU^R01 / LIS HL7 v2 results", source: { format: "hl7v2", push: true } }, actor);
  const run = await service.runTask("regional-t1", "manual");
  const anchoring = await service.anchor({ nightly: true, upTo: new Date() });
  return { written, run, anchoring };
}
