// Merge, unmerge, moving an identity and the review queue keep history and restore exactly what a
// merge moved; the three-level patient – encounter – document view.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { startPostgres, type TestPostgres } from "../../../test/helpers/postgres.ts";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "../src/db.ts";
import { createEmpi, type Empi, type EmpiRegistration } from "../src/empi/index.ts";
import { makeIdNumber } from "../src/synthetic/id-number.ts";

type Provider = "sqlite" | "postgresql";
const PROVIDERS: readonly Provider[] = ["sqlite", "postgresql"];

// One PostgreSQL server for the file, started on first use.
let postgres: Promise<TestPostgres> | undefined;
let databases = 0;
after(async () => {
  if (postgres) await (await postgres).stop();
});

interface Fixture {
  readonly empi: Empi;
  readonly database: HisDatabase;
  close(): Promise<void>;
}

async function openEmpi(provider: Provider): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "empi-merge-"));
  let url = `file:${join(dir, "his.db")}`;
  if (provider === "postgresql") {
    postgres ??= startPostgres();
    url = await (await postgres).createDatabase(`empi_merge_${++databases}`);
  }
  await migrateHisDatabase(url);
  const database = openHisDatabase(url);
  let n = 0;
  const empi = createEmpi(database.prisma, { newPersonId: () => `R${String(++n).padStart(4, "0")}` });
  return {
    empi,
    database,
    async close() {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type Person = Omit<EmpiRegistration, "institution" | "patientId">;
const person = (name: string, sex: "male" | "female", birthDate: string, sequence: number, phone: string | null): Person => ({
  name, sex, birthDate, idNumber: makeIdNumber("310115", birthDate, sex, sequence), phone, address: null,
});
const reg = (institution: string, patientId: string, p: Person, overrides: Partial<EmpiRegistration> = {}): EmpiRegistration => ({ institution, patientId, ...p, ...overrides });

/** Who holds which identity, and each person's status: the state a merge and its unmerge must round-trip. */
async function snapshot(database: HisDatabase) {
  const db = database.prisma;
  const identities = await db.empiIdentity.findMany({ select: { institution: true, patientId: true, personId: true }, orderBy: { id: "asc" } });
  const persons = await db.empiPerson.findMany({ select: { id: true, status: true, mergedInto: true }, orderBy: { id: "asc" } });
  return { identities: identities.map((i) => `${i.institution}/${i.patientId}→${i.personId}`), persons: persons.map((p) => `${p.id}:${p.status}:${p.mergedInto}`) };
}

const code = (expected: string) => (error: unknown) => isPlatformError(error) && error.code === expected && error.messageZh.length > 0;

for (const provider of PROVIDERS) {
  describe(`EMPI merge and unmerge on ${provider}`, () => {
    let f: Fixture;
    const sun = person("孙丽", "female", "1985-09-09", 12, "13611112222");
    let a: string;
    let b: string;

    before(async () => {
      f = await openEmpi(provider);
      // The same woman registered twice without an ID number, with a new phone the second time: kept apart (a review).
      a = (await f.empi.linkMany([reg("PD-CHC-01", "A1", sun), reg("PD-SH-01", "A2", sun)], "test"))[0]!.personId;
      const split = await f.empi.linkMany([reg("PD-CHC-02", "B1", sun, { idNumber: null, phone: "13799998888" }), reg("PD-TH-01", "B2", sun, { idNumber: null, phone: "13799998888" })], "test");
      b = split[0]!.personId;
      assert.notEqual(a, b);
      assert.equal(split[1]!.personId, b);
    });
    after(() => f.close());

    it("merge moves every identity to the survivor, returns what changed, and personOf follows at once", async () => {
      assert.equal(await f.empi.personOf("PD-CHC-02", "B1"), b, "cached before the merge");
      const merged = await f.empi.merge(a, b, "dr.wang", "same resident, confirmed by phone call");
      assert.deepEqual(merged.moved.map((m) => `${m.patientId}:${m.fromPersonId}→${m.toPersonId}`), [`B1:${b}→${a}`, `B2:${b}→${a}`]);
      assert.deepEqual(merged.changedPersonIds, [b]);
      assert.equal(await f.empi.personOf("PD-CHC-02", "B1"), a);
      assert.equal(await f.empi.currentPersonOf(b), a);
      await assert.rejects(f.empi.merge(a, b, "dr.wang", "again"), code("CONFLICT"));
      await f.empi.unmerge(b, "dr.wang", "undo for the next test");
    });

    it("unmerge restores exactly the identities the merge moved, even after a later link to the survivor", async () => {
      const before = await snapshot(f.database);
      await f.empi.merge(a, b, "dr.wang", "same resident");
      // After the merge, another registration of B's details now links to the merged person.
      const later = await f.empi.link(reg("PD-SH-05", "B3", sun, { idNumber: null, phone: "13799998888" }), "test");
      assert.equal(later.personId, a);
      const undone = await f.empi.unmerge(b, "dr.li", "two different residents after all");
      assert.deepEqual(undone.moved.map((m) => m.patientId), ["B1", "B2"]);
      assert.deepEqual(undone.keptIdentityIds, []);
      assert.deepEqual(new Set(undone.changedPersonIds), new Set([a, b]));
      const after = await snapshot(f.database);
      assert.deepEqual(after.persons, before.persons);
      assert.deepEqual(after.identities, [...before.identities, `PD-SH-05/B3→${a}`]);
      assert.equal(await f.empi.personOf("PD-CHC-02", "B1"), b);
    });

    it("history keeps every step, newest last, for both persons", async () => {
      const kinds = (await f.empi.history(b)).map((e) => `${e.kind}:${e.actor}`);
      assert.deepEqual(kinds, ["create:test", "link:test", "merge:dr.wang", "unmerge:dr.wang", "merge:dr.wang", "unmerge:dr.li"]);
      const events = await f.empi.history(a);
      const unmerge = events.at(-1)!;
      assert.deepEqual([unmerge.kind, unmerge.personId, unmerge.otherPersonId, unmerge.reason], ["unmerge", b, a, "two different residents after all"]);
      assert.ok(events.some((e) => e.kind === "link" && e.details.patientId === "B3"));
    });

    it("unmerge leaves an identity that a person moved after the merge where it was put", async () => {
      await f.empi.merge(a, b, "dr.wang", "same resident");
      const b2 = (await f.database.prisma.empiIdentity.findFirst({ where: { patientId: "B2" } }))!;
      const moved = await f.empi.moveIdentity(b2.id, null, "dr.wang", "B2 is a third resident");
      assert.equal(moved.fromPersonId, a);
      const undone = await f.empi.unmerge(b, "dr.wang", "apart again");
      assert.deepEqual(undone.moved.map((m) => m.patientId), ["B1"]);
      assert.deepEqual(undone.keptIdentityIds, [b2.id]);
      assert.equal(await f.empi.personOf("PD-TH-01", "B2"), moved.toPersonId);
      await f.empi.moveIdentity(b2.id, b, "dr.wang", "back with B1");
    });

    it("merges chain and unmerge in any order: each restores its own identities", async () => {
      const c = (await f.empi.link(reg("PD-CHC-07", "C1", person("周强", "male", "1950-02-02", 31, null)), "test")).personId;
      await f.empi.merge(a, b, "ops", "chain 1");
      await f.empi.merge(c, a, "ops", "chain 2");
      assert.equal(await f.empi.currentPersonOf(b), c);
      assert.equal(await f.empi.personOf("PD-CHC-02", "B1"), c);
      const firstUndone = await f.empi.unmerge(b, "ops", "undo chain 1");
      assert.deepEqual(firstUndone.moved.map((m) => `${m.patientId}:${m.fromPersonId}`), [`B1:${c}`, `B2:${c}`]);
      const secondUndone = await f.empi.unmerge(a, "ops", "undo chain 2");
      assert.deepEqual(secondUndone.moved.map((m) => m.patientId), ["A1", "A2", "B3"]);
      assert.equal(await f.empi.personOf("PD-CHC-02", "B1"), b);
      assert.equal(await f.empi.personOf("PD-CHC-07", "C1"), c);
    });

    it("refuses impossible merges, unmerges and moves with typed errors, changing nothing", async () => {
      const before = await snapshot(f.database);
      await assert.rejects(f.empi.merge(a, a, "ops", "self"), code("INVALID_INPUT"));
      await assert.rejects(f.empi.merge(a, "nobody", "ops", "unknown"), code("NOT_FOUND"));
      await assert.rejects(f.empi.merge(a, b, "ops", " "), code("INVALID_INPUT"));
      await assert.rejects(f.empi.unmerge(a, "ops", "not merged"), code("CONFLICT"));
      await assert.rejects(f.empi.moveIdentity(999_999, a, "ops", "unknown identity"), code("NOT_FOUND"));
      const a1 = (await f.database.prisma.empiIdentity.findFirst({ where: { patientId: "A1" } }))!;
      await assert.rejects(f.empi.moveIdentity(a1.id, a, "ops", "already there"), code("CONFLICT"));
      assert.deepEqual(await snapshot(f.database), before);
    });
  });
}

for (const provider of PROVIDERS) {
  describe(`EMPI review queue on ${provider}`, () => {
    let f: Fixture;
    before(async () => {
      f = await openEmpi(provider);
    });
    after(() => f.close());

    it("a grey-zone registration waits for a person: merge joins the persons, keep-apart leaves them, and neither twice", async () => {
      const qian = person("钱伟", "male", "1970-10-10", 7, "13300001111");
      const first = await f.empi.link(reg("PD-CHC-01", "Q1", qian), "test");
      const grey = await f.empi.link(reg("PD-SH-01", "Q2", qian, { idNumber: null, phone: null }), "test");
      const alsoGrey = await f.empi.link(reg("PD-SH-02", "Q3", qian, { idNumber: null, phone: "13900000000" }), "test");
      assert.deepEqual([grey.method, alsoGrey.method], ["new", "new"]);
      // Q3 may be 钱伟 (another phone) or the person made for Q2 (no phone): both are put to the reviewer, the likelier first.
      const open = await f.empi.openReviews();
      assert.deepEqual(open.map((r) => [r.candidatePersonId, r.patientId]), [[first.personId, "Q2"], [grey.personId, "Q3"], [first.personId, "Q3"]]);
      assert.equal(alsoGrey.reviewId, open[1]!.id);
      assert.equal(open[0]!.comparison.fields.name.level, "exact");
      assert.equal(open[0]!.comparison.fields.phone.level, "missing");
      assert.ok(open[1]!.score > open[2]!.score);

      const merged = await f.empi.decideReview(grey.reviewId!, "merge", "dr.zhou");
      assert.equal(merged.review.status, "merged");
      assert.equal(merged.merge?.survivorId, first.personId);
      assert.equal(await f.empi.personOf("PD-SH-01", "Q2"), first.personId);
      // Both of Q3's items now ask about 钱伟: one answer settles both.
      assert.deepEqual((await f.empi.openReviews()).map((r) => [r.candidatePersonId, r.patientId]), [[first.personId, "Q3"], [first.personId, "Q3"]]);
      const kept = await f.empi.decideReview(alsoGrey.reviewId!, "keep-apart", "dr.zhou");
      assert.equal(kept.merge, null);
      assert.equal(await f.empi.personOf("PD-SH-02", "Q3"), alsoGrey.personId);
      assert.deepEqual(await f.empi.openReviews(), []);

      await assert.rejects(f.empi.decideReview(grey.reviewId!, "keep-apart", "dr.zhou"), code("CONFLICT"));
      await assert.rejects(f.empi.decideReview(alsoGrey.reviewId!, "maybe" as never, "dr.zhou"), code("INVALID_INPUT"));
      const reviewEvents = (await f.empi.history(first.personId)).filter((e) => e.kind === "review");
      assert.deepEqual(reviewEvents.map((e) => [e.details.reviewId, e.details.decision]), [[grey.reviewId, "merge"], [alsoGrey.reviewId, "keep-apart"]]);
    });

    it("a manual merge settles the open review items it answers", async () => {
      const ma = person("马丽", "female", "1999-04-04", 9, "15811112222");
      const first = await f.empi.link(reg("PD-CHC-04", "M1", ma), "test");
      const grey = await f.empi.link(reg("PD-SH-04", "M2", ma, { idNumber: null, phone: null }), "test");
      const merge = await f.empi.merge(first.personId, grey.personId, "ops", "same");
      assert.deepEqual(merge.settledReviewIds, [grey.reviewId]);
      assert.deepEqual(await f.empi.openReviews(), []);
    });
  });
}

for (const provider of PROVIDERS) {
  describe(`EMPI person view on ${provider}`, () => {
    let f: Fixture;
    before(async () => {
      f = await openEmpi(provider);
    });
    after(() => f.close());

    it("shows patient → encounters → documents, with merged persons' identities and records, and unattached records apart", async () => {
      const he = person("何敏", "female", "1960-06-06", 15, "13512345678");
      const [one, two] = await f.empi.linkMany([reg("PD-CHC-01", "H1", he), reg("PD-SH-01", "H2", he, { idNumber: null, phone: null })], "test");
      assert.notEqual(one!.personId, two!.personId);
      let n = 0;
      const record = (personId: string, institution: string, model: string, sourceKey: string, content: object, time: string) =>
        f.database.prisma.collectedRecord.create({
          data: {
            recordId: `0x${String(++n).padStart(64, "0")}`, institution, model, modelVersion: 1, sourceKey, personId, residentRef: "0xref", category: model,
            contentHash: "0xhash", contentJson: JSON.stringify(content), fieldsJson: "{}", sourceTime: new Date(time),
          },
        });
      await record(one!.personId, "PD-CHC-01", "encounter", "H1-M001", { type: "outpatient" }, "2024-03-01T09:00:00+08:00");
      await record(one!.personId, "PD-CHC-01", "diagnosis", "H1-M001-D1", { encounterKey: "H1-M001", icd10: "I10" }, "2024-03-01T09:30:00+08:00");
      await record(one!.personId, "PD-CHC-01", "lab-result", "H1-M001-GLU", { encounterKey: "H1-M001", value: 5.1 }, "2024-03-01T11:00:00+08:00");
      await record(one!.personId, "PD-CHC-01", "prescription", "H1-M009-R1", { encounterKey: "H1-M009" }, "2024-03-02T10:00:00+08:00");
      await record(two!.personId, "PD-SH-01", "encounter", "H2-Z001", { type: "inpatient" }, "2024-05-01T09:00:00+08:00");
      await record(two!.personId, "PD-SH-01", "discharge-summary", "H2-Z001-CY", { encounterKey: "H2-Z001" }, "2024-05-09T09:00:00+08:00");
      // The same encounter key at another institution is another encounter.
      await record(two!.personId, "PD-SH-01", "diagnosis", "H2-X-D1", { encounterKey: "H1-M001" }, "2024-05-02T09:00:00+08:00");

      await f.empi.merge(one!.personId, two!.personId, "ops", "same resident");
      const view = await f.empi.personView(two!.personId);
      assert.equal(view.personId, one!.personId);
      assert.equal(view.requestedId, two!.personId);
      assert.deepEqual(view.mergedPersonIds, [two!.personId]);
      assert.deepEqual(view.identities.map((i) => [i.patientId, i.viaPersonId]), [["H1", null], ["H2", two!.personId]]);
      assert.deepEqual(view.encounters.map((e) => [e.sourceKey, e.documents.map((d) => d.sourceKey)]), [
        ["H1-M001", ["H1-M001-D1", "H1-M001-GLU"]],
        ["H2-Z001", ["H2-Z001-CY"]],
      ]);
      assert.deepEqual(view.unattached.map((r) => r.sourceKey), ["H1-M009-R1", "H2-X-D1"]);
      assert.deepEqual(view.encounters[0]!.content, { type: "outpatient" });
      await assert.rejects(f.empi.personView("nobody"), code("NOT_FOUND"));
    });
  });
}
