// Linkage quality on the synthetic district, measured against the generator's ground truth (which
// the matcher never sees): pairwise precision and recall, and how much goes to the review queue.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { migrateHisDatabase, openHisDatabase } from "../src/db.ts";
import { createEmpi, pairwiseQuality, registrationOfRecord, type LinkageQuality } from "../src/empi/index.ts";
import { syntheticRecords, type SyntheticOptionsInput } from "../src/synthetic/index.ts";
import type { PatientRecord } from "../src/synthetic/records.ts";

const PAGE = 1000;

interface Run {
  readonly quality: LinkageQuality;
  /** After a reviewer who knows the truth has decided every open item. */
  readonly reviewed: LinkageQuality;
  readonly reviews: number;
  readonly registrations: number;
}

async function linkDistrict(input: SyntheticOptionsInput): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "empi-quality-"));
  const url = `file:${join(dir, "his.db")}`;
  await migrateHisDatabase(url);
  const database = openHisDatabase(url);
  try {
    const empi = createEmpi(database.prisma);
    const records: PatientRecord[] = [];
    for (const record of syntheticRecords(input)) if (record.kind === "patient") records.push(record);
    for (let i = 0; i < records.length; i += PAGE) await empi.linkMany(records.slice(i, i + PAGE).map(registrationOfRecord), "quality-test");
    const keys = records.map((r) => ({ institution: r.institutionCode, patientId: r.patientId }));
    const measure = async () => {
      const persons = await empi.personsOf(keys);
      return pairwiseQuality(records.map((r, i) => ({ personId: persons[i]!, truePersonId: r.truth.personId })));
    };
    const quality = await measure();

    const truthOfKey = new Map(records.map((r) => [`${r.institutionCode}/${r.patientId}`, r.truth.personId]));
    const open = await empi.openReviews({ limit: 1000 });
    const decided = new Set<number>();
    for (const review of open) {
      if (decided.has(review.id)) continue;
      const candidate = await empi.personView(review.candidatePersonId);
      const truth = truthOfKey.get(`${review.institution}/${review.patientId}`);
      const same = candidate.identities.some((i) => truthOfKey.get(`${i.institution}/${i.patientId}`) === truth);
      const result = await empi.decideReview(review.id, same ? "merge" : "keep-apart", "reviewer");
      for (const id of result.alsoDecided) decided.add(id);
      for (const id of result.merge?.settledReviewIds ?? []) decided.add(id);
    }
    return { quality, reviewed: await measure(), reviews: open.length, registrations: records.length };
  } finally {
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const show = (label: string, run: Run) =>
  console.log(
    `${label}: ${run.registrations} registrations, precision ${run.quality.precision.toFixed(4)}, recall ${run.quality.recall.toFixed(4)}, ` +
      `${run.reviews} review items (${((100 * run.reviews) / run.registrations).toFixed(2)}%); after review: precision ${run.reviewed.precision.toFixed(4)}, recall ${run.reviewed.recall.toFixed(4)}`,
  );

describe("EMPI linkage quality on the synthetic district", () => {
  it("2,000 residents with the default dirt: precision ≥ 0.995, recall ≥ 0.99, under 1% to review", async () => {
    const run = await linkDistrict({ seed: 20240101, residents: 2000 });
    show("default dirt", run);
    assert.ok(run.quality.precision >= 0.995, `precision ${run.quality.precision}`);
    assert.ok(run.quality.recall >= 0.99, `recall ${run.quality.recall}`);
    assert.ok(run.reviews / run.registrations < 0.01, `${run.reviews} review items`);
    assert.ok(run.reviewed.precision >= 0.995 && run.reviewed.recall >= run.quality.recall);
  });

  it("ten times the missing fields and three times the registration variants: precision holds, the review queue recovers recall", async () => {
    const run = await linkDistrict({ seed: 7, residents: 1500, dirt: { missingField: 0.3, registrationVariant: 0.45 } });
    show("heavy dirt", run);
    assert.ok(run.quality.precision >= 0.995, `precision ${run.quality.precision}`);
    assert.ok(run.quality.recall >= 0.9, `recall ${run.quality.recall}`);
    assert.ok(run.reviewed.precision >= 0.995, `precision after review ${run.reviewed.precision}`);
    assert.ok(run.reviewed.recall >= 0.97, `recall after review ${run.reviewed.recall}`);
  });
});
