// Reading services/his's standardised records (CollectedRecord) in keyset pages: one (institution,
// model) at a time in the order of its unique index (institution, model, sourceKey), so a page is an
// index range scan however large the table and memory holds one page at a time.
import type { HisDb } from "@health-chain/his";
import type { StandardRecord } from "./mapping.ts";

/** What a topic build needs of the his database: its Prisma client's CollectedRecord delegate. */
export type HisRecordSource = Pick<HisDb, "collectedRecord">;

/** The records of one model at one institution, as the his database counts them now. */
export interface SourcePart {
  readonly institution: string;
  readonly model: string;
}

/** The (institution, model) pairs present, sorted by institution then model. */
export async function listSourceParts(his: HisRecordSource): Promise<SourcePart[]> {
  const groups = await his.collectedRecord.groupBy({ by: ["institution", "model"], _count: { _all: true }, orderBy: [{ institution: "asc" }, { model: "asc" }] });
  return groups.map(({ institution, model }) => ({ institution, model }));
}

const SELECT = { recordId: true, institution: true, model: true, sourceKey: true, residentRef: true, contentJson: true, updatedAt: true, anchorState: true } as const;

/** The records of one part, page by page (keyset on sourceKey). */
export async function* readSourcePart(his: HisRecordSource, part: SourcePart, pageSize: number): AsyncGenerator<StandardRecord[]> {
  let after: string | null = null;
  for (;;) {
    const page: (StandardRecord & { sourceKey: string })[] = await his.collectedRecord.findMany({
      where: { institution: part.institution, model: part.model, ...(after === null ? {} : { sourceKey: { gt: after } }) },
      orderBy: { sourceKey: "asc" },
      take: pageSize,
      select: SELECT,
    });
    if (page.length === 0) return;
    yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.sourceKey;
  }
}
