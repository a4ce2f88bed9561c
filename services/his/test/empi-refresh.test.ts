// Two processes on one EMPI database (the collection service and the gateway's admin screens): a
// merge, unmerge, move or review merge made through one leaves the other's person cache stale until
// its refresh(), which then answers the new person; an Empi's own changes do not clear its own cache.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPostgres, type TestPostgres } from "../../../test/helpers/postgres.ts";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "../src/db.ts";
import { createMoveWatch } from "../src/empi/cache.ts";
import { createEmpi, type Empi, type EmpiRegistration } from "../src/empi/index.ts";
import { makeIdNumber } from "../src/synthetic/id-number.ts";

type Provider = "sqlite" | "postgresql";
const PROVIDERS: readonly Provider[] = ["sqlite", "postgresql"];

let postgres: Promise<TestPostgres> | undefined;
let databases = 0;
after(async () => {
  if (postgres) await (await postgres).stop();
});

type Person = Omit<EmpiRegistration, "institution" | "patientId">;
const person = (name: string, sex: "male" | "female", birthDate: string, sequence: number, phone: string | null): Person => ({
  name, sex, birthDate, idNumber: makeIdNumber("310115", birthDate, sex, sequence), phone, address: null,
});
const reg = (institution: string, patientId: string, p: Person, overrides: Partial<EmpiRegistration> = {}): EmpiRegistration => ({ institution, patientId, ...p, ...overrides });

for (const provider of PROVIDERS) {
  describe(`EMPI cache refresh across two Empi objects on ${provider}`, () => {
    let dir: string;
    let database: HisDatabase;
    /** The collection service's Empi (its cache is the one that must not go stale). */
    let service: Empi;
    /** The admin screens' Empi (another process in production). */
    let screens: Empi;
    let n = 0;
    const newPersonId = () => `P${provider[0]}${String(++n).padStart(4, "0")}`;

    /**
     * Points an identity at another person behind both Empis' backs (no event): a personOf answer
     * that does not follow proves it came from the cache.
     */
    const repointSilently = (institution: string, patientId: string, personId: string) =>
      database.prisma.empiIdentity.update({ where: { institution_patientId: { institution, patientId } }, data: { personId } });

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "empi-refresh-"));
      let url = `file:${join(dir, "his.db")}`;
      if (provider === "postgresql") {
        postgres ??= startPostgres();
        url = await (await postgres).createDatabase(`empi_refresh_${++databases}`);
      }
      await migrateHisDatabase(url);
      database = openHisDatabase(url);
      service = createEmpi(database.prisma, { newPersonId });
      screens = createEmpi(database.prisma, { newPersonId });
    });
    after(async () => {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("answers the survivor after refresh() once the other Empi merged, and the old person before it", async () => {
      const wang = person("王建国", "male", "1961-03-14", 31, "13900001111");
      const zhao = person("赵建国", "male", "1961-03-14", 45, "13900002222");
      const [a] = await service.linkMany([reg("PD-SH-01", "W1", wang)], "collector");
      const [b] = await service.linkMany([reg("PD-CHC-01", "Z1", zhao)], "collector");
      assert.notEqual(a!.personId, b!.personId);
      await service.refresh(); // the first check: the baseline
      assert.equal(await service.personOf("PD-CHC-01", "Z1"), b!.personId); // now cached

      await screens.merge(a!.personId, b!.personId, "admin-1", "同一居民，两家机构分别建档");
      assert.equal(await service.personOf("PD-CHC-01", "Z1"), b!.personId, "without refresh the cache still answers the merged person");
      await service.refresh();
      assert.equal(await service.personOf("PD-CHC-01", "Z1"), a!.personId);
    });

    it("follows an unmerge and an identity move made by the other Empi", async () => {
      const li = person("李秀英", "female", "1972-11-02", 52, "13700003333");
      const sun = person("孙秀英", "female", "1972-11-02", 64, "13700004444");
      const [a] = await service.linkMany([reg("PD-SH-01", "L1", li)], "collector");
      const [b] = await service.linkMany([reg("PD-TH-01", "S1", sun)], "collector");
      await screens.merge(a!.personId, b!.personId, "admin-1", "合并");
      await service.refresh();
      assert.equal(await service.personOf("PD-TH-01", "S1"), a!.personId);

      await screens.unmerge(b!.personId, "admin-1", "误合并，拆分");
      await service.refresh();
      assert.equal(await service.personOf("PD-TH-01", "S1"), b!.personId);

      const moved = await screens.moveIdentity((await database.prisma.empiIdentity.findFirstOrThrow({ where: { patientId: "S1" } })).id, null, "admin-1", "独立建档");
      await service.refresh();
      assert.equal(await service.personOf("PD-TH-01", "S1"), moved.toPersonId);
      assert.notEqual(moved.toPersonId, b!.personId);
    });

    it("follows a merge decided in the review queue by the other Empi", async () => {
      // Same woman, no ID number the second time and another phone: a grey-zone pair for a person to decide.
      const zhou = person("周丽", "female", "1985-09-09", 12, "13611112222");
      const [a] = await service.linkMany([reg("PD-CHC-01", "ZL1", zhou), reg("PD-SH-01", "ZL2", zhou)], "collector");
      const [b] = await service.linkMany([reg("PD-CHC-02", "ZL3", zhou, { idNumber: null, phone: "13799998888" })], "collector");
      const review = (await screens.openReviews()).find((r) => r.patientId === "ZL3");
      assert.ok(review, "the grey-zone registration opened a review");
      assert.equal(await service.personOf("PD-CHC-02", "ZL3"), b!.personId);
      const decided = await screens.decideReview(review.id, "merge", "admin-1");
      assert.ok(decided.merge);
      await service.refresh();
      assert.equal(await service.personOf("PD-CHC-02", "ZL3"), a!.personId);
    });

    it("keeps its cache after its own merge, and after others' changes that move nobody", async () => {
      const qian = person("钱志强", "male", "1990-01-20", 71, "13500005555");
      const feng = person("冯志强", "male", "1990-01-20", 83, "13500006666");
      const [a] = await service.linkMany([reg("PD-SH-01", "Q1", qian)], "collector");
      const [b] = await service.linkMany([reg("PD-TH-01", "F1", feng)], "collector");
      const [c] = await service.linkMany([reg("PD-SH-01", "Q9", person("钱小红", "female", "1993-05-05", 92, null))], "collector");
      await service.refresh();
      assert.equal(await service.personOf("PD-SH-01", "Q9"), c!.personId); // cached

      await service.merge(a!.personId, b!.personId, "collector-admin", "own merge");
      await screens.linkMany([reg("PD-CHC-03", "NEW1", person("郑新", "male", "2001-07-07", 11, null))], "another-collector");
      await repointSilently("PD-SH-01", "Q9", a!.personId);
      await service.refresh();
      assert.equal(await service.personOf("PD-SH-01", "Q9"), c!.personId, "own merge and plain links keep the cache");
      assert.equal(await service.personOf("PD-TH-01", "F1"), a!.personId, "the own merge's keys were forgotten at once");

      await screens.unmerge(b!.personId, "admin-1", "someone else's change");
      await service.refresh();
      assert.equal(await service.personOf("PD-SH-01", "Q9"), a!.personId, "another process's move clears the cache");
    });

    it("shares one check between concurrent refresh() calls", async () => {
      let queries = 0;
      const counting = createEmpi(new Proxy(database.prisma, {
        get(target, property) {
          if (property === "empiEvent") queries++;
          return Reflect.get(target, property) as unknown;
        },
      }));
      await Promise.all([counting.refresh(), counting.refresh(), counting.refresh()]);
      assert.equal(queries, 1, "one aggregate on a first check, whatever the number of callers");
    });
  });
}

describe("the move watch (cache.ts)", () => {
  /** A scan over a list of committed events, with their kinds. */
  const scanOf = (events: Map<number, string>) => async (after: number | null) => {
    const ids = [...events.keys()];
    const latest = ids.length === 0 ? 0 : Math.max(...ids);
    const moving = after === null ? [] : ids.filter((id) => id > after && events.get(id) !== "link");
    return { latest, moving };
  };

  it("catches a move committed late under a lower id than one already seen, within the lag (PostgreSQL)", async () => {
    let now = 0;
    const watch = createMoveWatch(60_000, () => now);
    const events = new Map<number, string>([[1, "link"], [2, "link"]]);
    assert.equal(await watch.check(scanOf(events)), true, "the first check clears");
    events.set(4, "link"); // id 3 handed out to a merge still in its transaction
    now += 5_000;
    assert.equal(await watch.check(scanOf(events)), false);
    events.set(3, "merge"); // it commits now, below the latest id seen
    now += 5_000;
    assert.equal(await watch.check(scanOf(events)), true);
    now += 5_000;
    assert.equal(await watch.check(scanOf(events)), false, "counted once");
  });

  it("settles ids once the lag has passed, and ignores its own moves", async () => {
    let now = 0;
    const watch = createMoveWatch(1_000, () => now);
    const events = new Map<number, string>([[1, "link"]]);
    await watch.check(scanOf(events));
    events.set(2, "merge");
    watch.own(2);
    now += 10;
    assert.equal(await watch.check(scanOf(events)), false, "own move");
    let scannedFrom: number | null = null;
    now += 5_000;
    await watch.check(async (after) => {
      scannedFrom = after;
      return scanOf(events)(after);
    });
    now += 10;
    await watch.check(async (after) => {
      scannedFrom = after;
      return scanOf(events)(after);
    });
    assert.equal(scannedFrom, 2, "ids older than the lag are settled: the scan starts above them");
  });

  it("on SQLite (no lag) scans only what was written since the last check", async () => {
    const watch = createMoveWatch(0);
    const events = new Map<number, string>([[1, "link"], [2, "merge"]]);
    await watch.check(scanOf(events));
    events.set(3, "link");
    const seen: (number | null)[] = [];
    await watch.check(async (after) => {
      seen.push(after);
      return scanOf(events)(after);
    });
    await watch.check(async (after) => {
      seen.push(after);
      return scanOf(events)(after);
    });
    assert.deepEqual(seen, [2, 3]);
  });
});
