// Linking registrations to persons over the service's database (SQLite): deterministic and
// probabilistic links, contradictions sent to review, idempotent and re-sent registrations, pages
// that link to themselves, caller transactions, and bad input that changes nothing.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { startPostgres, type TestPostgres } from "../../../test/helpers/postgres.ts";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "../src/db.ts";
import { createEmpi, type Empi, type EmpiOptions, type EmpiRegistration } from "../src/empi/index.ts";
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

async function openEmpi(provider: Provider, options: EmpiOptions = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "empi-link-"));
  let url = `file:${join(dir, "his.db")}`;
  if (provider === "postgresql") {
    postgres ??= startPostgres();
    url = await (await postgres).createDatabase(`empi_link_${++databases}`);
  }
  await migrateHisDatabase(url);
  const database = openHisDatabase(url);
  let n = 0;
  const empi = createEmpi(database.prisma, { newPersonId: () => `R${String(++n).padStart(4, "0")}`, ...options });
  return {
    empi,
    database,
    async close() {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const ZHANG = { name: "张建华", sex: "male", birthDate: "1975-03-14", idNumber: makeIdNumber("310115", "1975-03-14", "male", 21), phone: "13916668888", address: "浦东新区花木街道锦绣路100弄1号" };
const LI = { name: "李秀兰", sex: "female", birthDate: "1962-11-02", idNumber: makeIdNumber("310115", "1962-11-02", "female", 40), phone: "13801112222", address: null };

const at = (institution: string, patientId: string, person: Omit<EmpiRegistration, "institution" | "patientId">, overrides: Partial<EmpiRegistration> = {}): EmpiRegistration => ({
  institution, patientId, ...person, ...overrides,
});

async function counts(database: HisDatabase) {
  const db = database.prisma;
  return {
    persons: await db.empiPerson.count(),
    identities: await db.empiIdentity.count(),
    reviews: await db.empiReview.count(),
    events: await db.empiEvent.count(),
  };
}

for (const provider of PROVIDERS) {
  describe(`EMPI linking on ${provider}`, () => {
    let f: Fixture;
    before(async () => {
      f = await openEmpi(provider);
    });
    after(() => f.close());

    it("a second institution's registration with the same valid ID number links deterministically, even with another phone", async () => {
      const first = await f.empi.link(at("PD-CHC-01", "S001", ZHANG), "test");
      assert.deepEqual([first.method, first.score, first.reviewId], ["new", null, undefined]);
      const second = await f.empi.link(at("PD-SH-02", "H001", ZHANG, { phone: "18900001111" }), "test");
      assert.equal(second.personId, first.personId);
      assert.equal(second.method, "deterministic");
      const history = await f.empi.history(first.personId);
      assert.deepEqual(history.map((e) => [e.kind, e.identityId !== null, e.actor]), [["create", true, "test"], ["link", true, "test"]]);
      assert.equal(history[1]!.details.method, "deterministic");
    });

    it("a name with a homophone slip and no ID number is linked probabilistically on birth date, sex and phone", async () => {
      const result = await f.empi.link(at("PD-CHC-03", "S777", ZHANG, { name: "张健华", idNumber: null }), "test");
      assert.equal(result.personId, await f.empi.personOf("PD-CHC-01", "S001"));
      assert.equal(result.method, "probabilistic");
      assert.ok(result.score !== null && result.score >= f.empi.options.thresholds.link, String(result.score));
    });

    it("the same ID number with a contradicting sex or birth date is not linked: a new person and a flagged review", async () => {
      const zhang = (await f.empi.personOf("PD-CHC-01", "S001"))!;
      for (const [patientId, overrides] of [["X1", { sex: "female" }], ["X2", { birthDate: "1975-03-15" }]] as const) {
        const result = await f.empi.link(at("PD-TH-01", patientId, ZHANG, overrides), "test");
        assert.notEqual(result.personId, zhang);
        assert.equal(result.method, "new");
        assert.ok(result.reviewId !== undefined);
        const [review] = (await f.empi.openReviews()).filter((r) => r.id === result.reviewId);
        assert.equal(review?.candidatePersonId, zhang);
        assert.equal(review?.personId, result.personId);
        assert.ok(review?.comparison.flags.includes("id-contradiction"));
      }
    });

    it("linking the same registration again changes nothing and answers the same", async () => {
      const registration = at("PD-CHC-05", "S500", LI);
      const first = await f.empi.link(registration, "test");
      const before = await counts(f.database);
      const again = await f.empi.link({ ...registration, name: ` ${LI.name} ` }, "someone-else");
      assert.deepEqual(again, first);
      assert.deepEqual(await counts(f.database), before);
    });

    it("a re-sent registration with a new phone updates the identity, keeps its link and records what changed", async () => {
      const li = (await f.empi.personOf("PD-CHC-05", "S500"))!;
      await f.empi.link(at("PD-SH-03", "H500", LI), "test");
      const result = await f.empi.link(at("PD-SH-03", "H500", LI, { phone: "13700009999" }), "test");
      assert.equal(result.personId, li);
      assert.equal(result.relinkedFrom, undefined);
      const identity = await f.database.prisma.empiIdentity.findUnique({ where: { institution_patientId: { institution: "PD-SH-03", patientId: "H500" } } });
      assert.equal(identity?.phone, "13700009999");
      assert.equal(identity?.phoneKey, "13700009999");
      const update = (await f.empi.history(li)).filter((e) => e.kind === "update").at(-1);
      assert.deepEqual(update?.details.changed, ["phone"]);
      assert.deepEqual(update?.details.previous, { phone: LI.phone });
    });

    it("a re-sent registration that now carries another person's identity is moved to that person, and personOf follows", async () => {
      const li = (await f.empi.personOf("PD-CHC-05", "S500"))!;
      const zhang = (await f.empi.personOf("PD-CHC-01", "S001"))!;
      assert.equal(await f.empi.personOf("PD-SH-03", "H500"), li, "cached before the move");
      // The clerk had typed 张建华's visit under a new patient record with 李秀兰's details; corrected.
      const result = await f.empi.link(at("PD-SH-03", "H500", ZHANG), "test");
      assert.equal(result.personId, zhang);
      assert.equal(result.method, "deterministic");
      assert.equal(result.relinkedFrom, li);
      assert.equal(await f.empi.personOf("PD-SH-03", "H500"), zhang);
      const relink = (await f.empi.history(zhang)).find((e) => e.kind === "relink");
      assert.equal(relink?.otherPersonId, li);
      assert.equal(relink?.reason, "re-sent registration contradicts its person");
    });

    it("registrations of one page link to each other, in order", async () => {
      const wang = { name: "王芳", sex: "female", birthDate: "1990-07-08", idNumber: null, phone: "15000001234", address: null };
      const results = await f.empi.linkMany([at("PD-CHC-09", "S900", wang), at("PD-SH-04", "H900", wang, { name: "王方" }), at("PD-TH-02", "T900", wang)], "test");
      assert.deepEqual(results.map((r) => r.method), ["new", "probabilistic", "probabilistic"]);
      assert.equal(new Set(results.map((r) => r.personId)).size, 1);
      assert.deepEqual(await f.empi.personsOf([{ institution: "PD-TH-02", patientId: "T900" }, { institution: "PD-TH-02", patientId: "nobody" }]), [results[0]!.personId, null]);
    });

    it("bad input is an INVALID_INPUT in English and Chinese naming every bad registration, and changes nothing", async () => {
      const before = await counts(f.database);
      const batch = [
        at("PD-CHC-10", "S1000", LI),
        at("PD-CHC-10", "S1001", LI, { name: "   " }),
        at("PD-CHC-10", "S1002", LI, { birthDate: "1962-02-30" }),
        at("PD-CHC-10", "S1003", LI, { birthDate: "02/11/1962", sex: "?" }),
      ];
      await assert.rejects(f.empi.linkMany(batch, "test"), (error: unknown) => {
        assert.ok(isPlatformError(error, "INVALID_INPUT"));
        assert.match(error.message, /3 registration\(s\) are invalid.*name must not be empty/);
        assert.match(error.messageZh, /姓名不能为空/);
        const invalid = error.details.invalid as { index: number; problems: { field: string }[] }[];
        assert.deepEqual(invalid.map((i) => [i.index, i.problems.map((p) => p.field)]), [[1, ["name"]], [2, ["birthDate"]], [3, ["sex", "birthDate"]]]);
        return true;
      });
      await assert.rejects(f.empi.link(at("PD-CHC-10", "S1000", LI), " "), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /操作人/.test(error.messageZh));
      assert.deepEqual(await counts(f.database), before);
      assert.equal(await f.empi.personOf("PD-CHC-10", "S1000"), null);
    });

    it("in a caller's transaction that rolls back, nothing is kept and nothing is remembered", async () => {
      const before = await counts(f.database);
      const zhao = { name: "赵敏", sex: "female", birthDate: "2001-01-21", idNumber: makeIdNumber("310115", "2001-01-21", "female", 88), phone: null, address: null };
      await assert.rejects(
        f.database.prisma.$transaction(async (tx) => {
          const [result] = await f.empi.linkMany([at("PD-CHC-11", "S1100", zhao)], "pipeline", tx);
          assert.equal(await f.empi.personOf("PD-CHC-11", "S1100", tx), result!.personId);
          throw new Error("page failed");
        }),
        /page failed/,
      );
      assert.deepEqual(await counts(f.database), before);
      assert.equal(await f.empi.personOf("PD-CHC-11", "S1100"), null);
    });

    it("two persons holding one ID number are put to a reviewer once, not at every later registration", async () => {
      const gao = { name: "高峰", sex: "male", birthDate: "1988-08-08", idNumber: makeIdNumber("310115", "1988-08-08", "male", 66), phone: null, address: null };
      const [g1] = await f.empi.linkMany([at("PD-CHC-13", "G1", gao), at("PD-SH-13", "G2", gao)], "test");
      const g2 = (await f.database.prisma.empiIdentity.findUnique({ where: { institution_patientId: { institution: "PD-SH-13", patientId: "G2" } } }))!;
      const split = await f.empi.moveIdentity(g2.id, null, "ops", "split by mistake");
      const third = await f.empi.link(at("PD-TH-13", "G3", gao), "test");
      assert.equal(third.method, "deterministic");
      const asked = (await f.empi.openReviews()).filter((r) => r.id === third.reviewId);
      assert.deepEqual(new Set([asked[0]?.personId, asked[0]?.candidatePersonId]), new Set([g1!.personId, split.toPersonId]));
      assert.ok(asked[0]?.comparison.flags.includes("same-id-number"));
      const fourth = await f.empi.link(at("PD-CHC-14", "G4", gao), "test");
      assert.equal(fourth.reviewId, undefined, "the pair is already waiting for a reviewer");
      await f.empi.decideReview(third.reviewId!, "keep-apart", "ops");
      const fifth = await f.empi.link(at("PD-SH-14", "G5", gao), "test");
      assert.equal(fifth.reviewId, undefined, "the pair was kept apart");
    });

    it("the pipeline's linker answers person ids in its transaction", async () => {
      const linker = f.empi.residentLinker();
      const personIds = await f.database.prisma.$transaction(async (tx) => {
        const linked = await linker.linkMany(tx, [at("PD-CHC-12", "S1200", LI), at("PD-CHC-12", "S1201", ZHANG)], "pipeline");
        assert.deepEqual(await linker.personsOf(tx, [{ institution: "PD-CHC-12", patientId: "S1201" }]), [linked[1]]);
        return linked;
      });
      assert.deepEqual(personIds, [await f.empi.personOf("PD-CHC-05", "S500"), await f.empi.personOf("PD-CHC-01", "S001")]);
    });
  });
}
