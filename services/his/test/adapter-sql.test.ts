// The SQL intermediate-table adapter on SQLite and on PostgreSQL (a throwaway cluster): the same
// behaviour on both, against a hand-written increment of the platform's tables and against a
// synthetic source database written by `writeIntermediateTables`.
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Libsql from "libsql";
import pg from "pg";
import { startPostgres, type TestPostgres } from "../../../test/helpers/postgres.ts";
import { INTERMEDIATE_TABLES, createIntermediateSchema, createSqlAdapter, tableColumns, writeIntermediateTables } from "../src/adapters/sql/index.ts";
import type { PullAdapter, PullPage, RejectedItem, SourceItem } from "../src/adapters/types.ts";
import { type SyntheticRecord, syntheticRecords } from "../src/index.ts";

const FIXTURE = readFileSync(join(import.meta.dirname, "fixtures", "sql", "platform-increment-2024-03-05.sql"), "utf8");

type Backend = "sqlite" | "postgresql";

/** Fresh empty databases of one backend. */
interface Databases {
  create(name: string): Promise<string>;
  /** Runs a script of statements (the fixture) on the database of `url`. */
  run(url: string, sql: string): Promise<void>;
  close(): Promise<void>;
}

async function databases(backend: Backend): Promise<Databases> {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "his-sql-adapter-"));
    return {
      create: async (name) => `file:${join(dir, `${name}.db`)}`,
      async run(url, sql) {
        const db = new Libsql(url.slice("file:".length));
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const cluster: TestPostgres = await startPostgres();
  return {
    create: (name) => cluster.createDatabase(`his_sql_${name}`),
    async run(url, sql) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    close: () => cluster.stop(),
  };
}

/** Every page from `cursor` to the end. */
async function readAll(adapter: PullAdapter, cursor: string | null, limit: number): Promise<PullPage[]> {
  const pages: PullPage[] = [];
  for (let guard = 0; guard < 100_000; guard++) {
    const page = await adapter.pull(cursor, limit);
    pages.push(page);
    cursor = page.cursor;
    if (page.done) return pages;
  }
  throw new Error("the adapter never said done");
}

const sequenceOf = (key: string) => Number(key.slice(key.indexOf("#") + 1));

/** The keys of a page in the order handed out: items and rejections merged by sequence. */
const keysOf = (pages: readonly PullPage[]) =>
  pages.flatMap((page) => [...page.items, ...page.rejected].map((entry) => entry.itemKey).sort((a, b) => sequenceOf(a) - sequenceOf(b)));

const itemsOf = (pages: readonly PullPage[]) => pages.flatMap((page) => page.items);

function byKey<T extends SourceItem | RejectedItem>(entries: readonly T[], key: string): T {
  const found = entries.find((entry) => entry.itemKey === key);
  assert.ok(found, `no entry ${key}`);
  return found;
}

/** What a synthetic record must read back as. */
function expectedItem(record: SyntheticRecord) {
  return {
    kind: record.kind, institutionCode: record.institutionCode, sourceKey: record.sourceKey, patientId: record.patientId,
    changedAt: record.changedAt, status: record.status, fields: record.payload,
  };
}

const asExpected = (item: SourceItem) => ({
  kind: item.kind, institutionCode: item.institutionCode, sourceKey: item.sourceKey, patientId: item.patientId,
  changedAt: item.changedAt, status: item.status, fields: item.fields,
});

const FIXTURE_KEYS = [
  "zjk_hzjbxx#1", "zjk_jzjl#2", "zjk_zdjl#3", "zjk_zdjl#4", "zjk_jyjg#5", "zjk_jyjg#6", "zjk_hzjbxx#7", "zjk_cfmx#8", "zjk_cyxj#9",
  "zjk_jyjg#10", "zjk_hzjbxx#11", "zjk_jyjg#12", "zjk_jzjl#13", "zjk_tjbg#14", "zjk_jzjl#15", "zjk_zdjl#16",
];

for (const backend of ["sqlite", "postgresql"] as const) {
  describe(`SQL intermediate-table adapter on ${backend}`, () => {
    let dbs: Databases;
    let fixtureUrl: string;
    let fixture: PullAdapter;

    before(async () => {
      dbs = await databases(backend);
      fixtureUrl = await dbs.create("fixture");
      await createIntermediateSchema(fixtureUrl);
      await dbs.run(fixtureUrl, FIXTURE);
      fixture = await createSqlAdapter({ url: fixtureUrl });
    });
    after(async () => {
      await fixture?.close();
      await dbs?.close();
    });

    describe("a hand-written increment of the platform's tables", () => {
      it("hands out every row once, in change-sequence order across tables", async () => {
        const [page, ...more] = await readAll(fixture, null, 100);
        assert.equal(more.length, 0);
        assert.deepEqual(keysOf([page!]), FIXTURE_KEYS);
        assert.deepEqual(page!.items.map((item) => item.itemKey), FIXTURE_KEYS.filter((key) => !["zjk_hzjbxx#11", "zjk_jyjg#12", "zjk_jzjl#13"].includes(key)));
        assert.equal(page!.cursor, "16");
        assert.equal(page!.done, true);
      });

      it("brings codes, D8 dates and local times to the interchange vocabulary", async () => {
        const { items } = await fixture.pull(null, 100);
        assert.deepEqual(asExpected(byKey(items, "zjk_hzjbxx#1")), {
          kind: "patient", institutionCode: "PD-TH-01", sourceKey: "ZY0012345", patientId: "ZY0012345", changedAt: "2024-03-05T08:12:00+08:00", status: "final",
          fields: {
            name: "王建国", sex: "male", birthDate: "1958-03-12", idNumber: "310115195803120379", phone: "13816624597",
            address: "上海市浦东新区花木街道梅花路118弄6号502室",
          },
        });
        assert.deepEqual(byKey(items, "zjk_jzjl#2").fields, { type: "inpatient", department: "心血管内科", start: "2024-02-26T09:30:00+08:00", end: "2024-03-05T10:15:00+08:00" });
        assert.deepEqual(byKey(items, "zjk_zdjl#3").fields, {
          encounterKey: "ZY0012345-Z001", icd10: "I10", nameZh: "原发性高血压", primary: true, diagnosedAt: "2024-02-26T10:05:00+08:00",
        });
        assert.equal(byKey(items, "zjk_zdjl#4").fields.primary, false);
        assert.deepEqual(byKey(items, "zjk_cfmx#8").fields, {
          encounterKey: "ZY0012345-Z001", drugName: "苯磺酸氨氯地平片", atc: "C08CA01", specification: "5mg×28片", dose: "5mg", route: "口服",
          frequency: "qd", days: 28, forDiagnosis: "I10", prescribedAt: "2024-03-05T10:40:00+08:00",
        });
        const summary = byKey(items, "zjk_cyxj#9");
        assert.equal(summary.kind, "discharge-summary");
        assert.deepEqual(summary.fields.dischargeDiagnoses, ["I10", "E11.9"]);
        assert.equal(summary.fields.outcome, "好转");
        assert.equal(summary.fields.lengthOfStayDays, 8);
        // A 'Y' primary flag and an ISO time with T, as some institutions send them.
        assert.deepEqual(byKey(items, "zjk_zdjl#16").fields, {
          encounterKey: "S050522451-T001", icd10: "Z00.0", nameZh: "一般医学检查", primary: true, diagnosedAt: "2024-02-27T08:30:00+08:00",
        });
      });

      it("reads values the source left empty (NULL or '') as null, and an empty list column as a list", async () => {
        const { items } = await fixture.pull(null, 100);
        const lab = byKey(items, "zjk_jyjg#6");
        assert.equal(lab.fields.unit, null);
        assert.equal(lab.fields.referenceRange, null);
        assert.equal(lab.fields.value, 6.9);
        assert.deepEqual(byKey(items, "zjk_hzjbxx#7").fields, {
          name: "李秀英", sex: "female", birthDate: "1962-07-21", idNumber: "310115196207211180", phone: null, address: null,
        });
        const exam = byKey(items, "zjk_tjbg#14");
        assert.deepEqual(exam.fields, {
          encounterKey: "S050522451-T001", examDate: "2024-02-27", heightCm: 168.5, weightKg: null, bmi: 24.1, systolicMmHg: 146, diastolicMmHg: 92,
          findings: ["血压偏高", "空腹血糖偏高"], conclusion: "发现异常：血压偏高；空腹血糖偏高。", advice: null,
        });
      });

      it("marks a correction as corrected under the business key it corrects, and an empty flag as final", async () => {
        const { items } = await fixture.pull(null, 100);
        const original = byKey(items, "zjk_jyjg#5");
        const correction = byKey(items, "zjk_jyjg#10");
        assert.equal(original.status, "final");
        assert.equal(correction.status, "corrected");
        assert.equal(correction.sourceKey, original.sourceKey);
        assert.deepEqual([original.fields.value, correction.fields.value], [7.8, 7.1]);
        assert.equal((JSON.parse(correction.raw) as Record<string, unknown>).ysclsh, "PT20240305000005");
        assert.equal(byKey(items, "zjk_jzjl#15").status, "final");
      });

      it("rejects unreadable rows with a reason, both messages and the row, while the rest of the page proceeds", async () => {
        const page = await fixture.pull("10", 6);
        assert.deepEqual(page.items.map((item) => item.itemKey), ["zjk_tjbg#14", "zjk_jzjl#15", "zjk_zdjl#16"]);
        assert.deepEqual(page.rejected.map((r) => [r.itemKey, r.reason]), [
          ["zjk_hzjbxx#11", "invalid-date"], ["zjk_jyjg#12", "missing-key"], ["zjk_jzjl#13", "unknown-code"],
        ]);
        const [badDate, noPatient, unknownType] = page.rejected as [RejectedItem, RejectedItem, RejectedItem];
        assert.match(badDate.message, /csrq \(birthDate\) holds "19800230"/);
        assert.match(badDate.messageZh, /列 csrq（birthDate）的值 "19800230" 日期无效/);
        assert.deepEqual((badDate.details?.problems as unknown[]).length, 1);
        // Every problem of the row is listed, not only the first.
        assert.deepEqual((noPatient.details?.problems as { column: string; reason: string }[]).map((p) => [p.column, p.reason]), [
          ["brbh", "missing-key"], ["ycbz", "unknown-code"],
        ]);
        assert.match(noPatient.message, /has no patientId \(column brbh is empty\); 1 more problem in details/);
        assert.match(unknownType.messageZh, /jzlx（type）的值 "9" 未知代码/);
        for (const rejected of page.rejected) {
          assert.equal(rejected.format, "sql");
          const row = JSON.parse(rejected.raw) as Record<string, unknown>;
          assert.equal(Number(row.tbxh), sequenceOf(rejected.itemKey), "the raw row is the rejected one");
          assert.equal(rejected.details?.table, rejected.itemKey.split("#")[0]);
        }
        assert.equal(page.cursor, "16");
      });

      for (const limit of [1, 2, 3, 5, 15, 16, 17]) {
        it(`gives the same rows in the same order in pages of ${limit}`, async () => {
          const pages = await readAll(fixture, null, limit);
          assert.deepEqual(keysOf(pages), FIXTURE_KEYS);
          assert.equal(pages.length, Math.floor(FIXTURE_KEYS.length / limit) + 1, "full pages, then one short (possibly empty) page");
          assert.ok(pages.slice(0, -1).every((page) => !page.done && page.items.length + page.rejected.length === limit));
          assert.equal(pages.at(-1)!.done, true);
        });
      }

      it("resumes from any stored cursor with the remainder, no duplicates and no gaps", async () => {
        const pages = await readAll(fixture, null, 3);
        const all = keysOf(pages);
        let seen = 0;
        for (const page of pages) {
          seen += page.items.length + page.rejected.length;
          assert.deepEqual(keysOf(await readAll(fixture, page.cursor, 4)), all.slice(seen), `from cursor ${page.cursor}`);
        }
        const end = await fixture.pull("16", 10);
        assert.deepEqual([end.items.length, end.rejected.length, end.cursor, end.done], [0, 0, "16", true]);
      });

      it("takes every row of a sequence shared by two tables into the same page", async () => {
        const url = await dbs.create("ties");
        await createIntermediateSchema(url);
        await dbs.run(url, `
          INSERT INTO zjk_hzjbxx (tbxh, jgdm, brbh, xm, xb, csrq, gxsj) VALUES (1, 'PD-CHC-01', 'S010000001', '张伟', '1', '19700101', '2024-03-05 08:00:00');
          INSERT INTO zjk_hzjbxx (tbxh, jgdm, brbh, xm, xb, csrq, gxsj) VALUES (2, 'PD-CHC-01', 'S010000002', '刘洋', '2', '19750505', '2024-03-05 08:01:00');
          INSERT INTO zjk_jzjl (tbxh, jgdm, jzlsh, brbh, jzlx, jzsj, gxsj) VALUES (2, 'PD-CHC-01', 'S010000002-M001', 'S010000002', '1', '2024-03-05 08:05:00', '2024-03-05 09:00:00');
          INSERT INTO zjk_jzjl (tbxh, jgdm, jzlsh, brbh, jzlx, jzsj, gxsj) VALUES (3, 'PD-CHC-01', 'S010000001-M001', 'S010000001', '1', '2024-03-05 08:10:00', '2024-03-05 09:10:00');`);
        const adapter = await createSqlAdapter({ url });
        try {
          const first = await adapter.pull(null, 2);
          assert.deepEqual(first.items.map((item) => item.itemKey).sort(), ["zjk_hzjbxx#1", "zjk_hzjbxx#2", "zjk_jzjl#2"]);
          assert.equal(first.cursor, "2");
          const second = await adapter.pull(first.cursor, 2);
          assert.deepEqual(second.items.map((item) => item.itemKey), ["zjk_jzjl#3"]);
          assert.equal(second.done, true);
        } finally {
          await adapter.close();
        }
      });

      if (backend === "postgresql") {
        it("replaces a connection the server drops and continues from the cursor", async () => {
          const adapter = await createSqlAdapter({ url: fixtureUrl });
          const admin = new pg.Client({ connectionString: fixtureUrl });
          await admin.connect();
          try {
            const first = await adapter.pull(null, 5);
            const { rows } = await admin.query(`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'health-chain-his-sql'`);
            assert.ok(rows.length >= 1);
            // The page in flight when the connection went may fail; the next one reads on a new connection.
            const rest = await adapter.pull(first.cursor, 100).catch(() => adapter.pull(first.cursor, 100));
            assert.deepEqual(keysOf([first, rest]), FIXTURE_KEYS);
          } finally {
            await admin.end();
            await adapter.close();
          }
        });
      }

      it("refuses to pull after close", async () => {
        const adapter = await createSqlAdapter({ url: fixtureUrl });
        await adapter.close();
        await assert.rejects(adapter.pull(null, 10), { code: "CONFLICT" });
      });
    });

    describe("a synthetic source database", () => {
      const records = [...syntheticRecords({ seed: 11, residents: 240 })];
      const firstDay = records.slice(0, 4_000);
      const nextDay = records.slice(4_000);
      let url: string;
      let adapter: PullAdapter;

      before(async () => {
        url = await dbs.create("synthetic");
        const written = await writeIntermediateTables(url, firstDay, { batchSize: 1_500 });
        assert.deepEqual(written, { written: firstDay.length, firstSequence: "1", lastSequence: String(firstDay.length) });
        adapter = await createSqlAdapter({ url });
      });
      after(() => adapter?.close());

      for (const limit of [1_000, 1_777]) {
        it(`gives back every record written exactly once, in write order, as written (pages of ${limit})`, async () => {
          const pages = await readAll(adapter, null, limit);
          const items = itemsOf(pages);
          assert.deepEqual(pages.flatMap((page) => page.rejected), []);
          assert.equal(items.length, firstDay.length);
          assert.equal(new Set(items.map((item) => item.itemKey)).size, items.length);
          items.forEach((item, i) => {
            assert.equal(sequenceOf(item.itemKey), i + 1);
            assert.deepEqual(asExpected(item), expectedItem(firstDay[i]!), `record ${i} (${firstDay[i]!.recordId})`);
          });
          assert.ok(items.some((item) => item.status === "corrected"), "the dataset has late corrections");
          assert.ok(items.some((item) => Object.values(item.fields).includes(null)), "the dataset has missing fields");
        });
      }

      it("writes the table's columns and nothing of the generator's ground truth", async () => {
        const { items } = await adapter.pull(null, 200);
        items.forEach((item, i) => {
          const table = INTERMEDIATE_TABLES.find((t) => t.name === item.itemKey.split("#")[0])!;
          assert.deepEqual(Object.keys(JSON.parse(item.raw) as object), tableColumns(table).map((c) => c.column));
          assert.ok(!item.raw.includes(firstDay[i]!.truth.personId));
        });
      });

      it("picks up a later increment after the old cursor, continuing the sequence", async () => {
        const firstPages = await readAll(adapter, null, 2_000);
        const cursor = firstPages.at(-1)!.cursor;
        assert.equal(cursor, String(firstDay.length));
        const appended = await writeIntermediateTables(url, nextDay);
        assert.equal(appended.firstSequence, String(firstDay.length + 1));
        const increment = itemsOf(await readAll(adapter, cursor, 1_000));
        assert.equal(increment.length, nextDay.length);
        increment.forEach((item, i) => {
          assert.equal(sequenceOf(item.itemKey), firstDay.length + i + 1);
          assert.deepEqual(asExpected(item), expectedItem(nextDay[i]!));
        });
      });
    });
  });
}
