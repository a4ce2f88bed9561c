// The SQL adapter's configuration: the column map is checked against the interchange vocabulary and
// against the database before anything is read, a deployment's own table and column names and codes
// work, and bad pull arguments, URLs and writer options are typed errors that change nothing.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Libsql from "libsql";
import { isPlatformError } from "@health-chain/sdk";
import {
  DEFAULT_SQL_COLUMN_MAP, INTERMEDIATE_TABLES, PAYLOAD_MEMBERS, type SqlColumnMap, type SqlTableMap, createIntermediateSchema, createSqlAdapter,
  intermediateSchemaDdl, resolveColumnMap, tableColumns, writeIntermediateTables,
} from "../src/adapters/sql/index.ts";
import { type SyntheticRecord, syntheticRecords } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "his-sql-map-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The `path` of each problem an INVALID_INPUT error names. */
function problemPaths(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), `expected INVALID_INPUT, got ${String(error)}`);
    assert.ok(error.message.length > 0 && error.messageZh.length > 0);
    return (error.details.problems as { path: string }[]).map((p) => p.path);
  }
  assert.fail("expected INVALID_INPUT");
}

const LAB = DEFAULT_SQL_COLUMN_MAP.zjk_jyjg!;
/** The default lab-result table with some members changed (or misspelled: the map comes from configuration). */
const withLab = (changes: Record<string, unknown>): SqlColumnMap => ({ zjk_jyjg: { ...LAB, ...changes } as SqlTableMap });

describe("SQL column map: checked against the interchange vocabulary", () => {
  it("describes every payload member of every kind in the default schema, and the default map is valid", () => {
    for (const table of INTERMEDIATE_TABLES) {
      assert.deepEqual(table.payload.map((column) => column.member).sort(), Object.keys(PAYLOAD_MEMBERS[table.kind]).sort(), table.name);
    }
    const resolved = resolveColumnMap(DEFAULT_SQL_COLUMN_MAP);
    assert.deepEqual(resolved.map((table) => table.kind).sort(), Object.keys(PAYLOAD_MEMBERS).sort());
  });

  it("refuses a member the kind does not have, a kind that does not exist and a column name that is not one", () => {
    assert.deepEqual(problemPaths(() => resolveColumnMap(withLab({ fields: { ...LAB.fields, loinc: "loinc" } }))), ["zjk_jyjg.fields.loinc"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap(withLab({ kind: "lab" }))), ["zjk_jyjg.kind"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap(withLab({ fields: { ...LAB.fields, unit: "jl dw; DROP TABLE x" } }))), ["zjk_jyjg.fields.unit.column"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap(withLab({ sequence: undefined }))), ["zjk_jyjg.sequence"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap({ "zjk jyjg": LAB })), ["zjk jyjg"]);
  });

  it("refuses options that do not fit the member's shape, and codes that name no interchange value", () => {
    const paths = problemPaths(() =>
      resolveColumnMap(withLab({
        fields: {
          ...LAB.fields,
          unit: { column: "jldw", codes: { a: "b" } },
          abnormalFlag: { column: "ycbz", codes: { "↑": "high" } },
          localName: { column: "xmmc", colunm: "x" },
        },
        status: { column: "gzbz", codes: { "1": "amended" } },
        feilds: {},
      })),
    );
    assert.deepEqual(paths.sort(), [
      "zjk_jyjg.feilds", "zjk_jyjg.fields.abnormalFlag.codes.↑", "zjk_jyjg.fields.localName.colunm", "zjk_jyjg.fields.unit.codes", "zjk_jyjg.status.codes.1",
    ]);
    const exam = DEFAULT_SQL_COLUMN_MAP.zjk_tjbg!;
    assert.deepEqual(problemPaths(() => resolveColumnMap({ zjk_tjbg: { ...exam, fields: { ...exam.fields, findings: { column: "ycfx", separator: "" } } } })), [
      "zjk_tjbg.fields.findings.separator",
    ]);
    const diagnosis = DEFAULT_SQL_COLUMN_MAP.zjk_zdjl!;
    assert.deepEqual(
      problemPaths(() => resolveColumnMap({ zjk_zdjl: { ...diagnosis, fields: { ...diagnosis.fields, primary: { column: "zzdbz", trueValues: ["1"], falseValues: ["0", "1"] } } } })),
      ["zjk_zdjl.fields.primary.falseValues"],
    );
  });

  it("refuses chosen tables outside the map, repeated, or the same table spelled twice", () => {
    assert.deepEqual(problemPaths(() => resolveColumnMap(DEFAULT_SQL_COLUMN_MAP, ["zjk_jyjg", "zjk_lis"])), ["tables.zjk_lis"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap(DEFAULT_SQL_COLUMN_MAP, [])), ["tables"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap(DEFAULT_SQL_COLUMN_MAP, ["zjk_jyjg", "zjk_jyjg"])), ["tables"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap({ zjk_jyjg: LAB, ZJK_JYJG: LAB })), ["ZJK_JYJG"]);
    assert.deepEqual(problemPaths(() => resolveColumnMap({})), ["columnMap"]);
  });

  it("names every problem of a map at once", () => {
    const paths = problemPaths(() => resolveColumnMap(withLab({ patientId: "", fields: { value: { column: "jgsz", separator: ";" }, nonsense: "x" } })));
    assert.deepEqual(paths.sort(), ["zjk_jyjg.fields.nonsense", "zjk_jyjg.fields.value.separator", "zjk_jyjg.patientId"]);
  });
});

describe("SQL adapter: checked against the database", () => {
  let url: string;

  before(async () => {
    url = `file:${join(dir, "platform.db")}`;
    await createIntermediateSchema(url);
  });

  it("refuses a map naming tables or columns the database does not have, before reading anything", async () => {
    const map: SqlColumnMap = {
      ...DEFAULT_SQL_COLUMN_MAP,
      zjk_jyjg: { ...LAB, fields: { ...LAB.fields, unit: "dw" } },
      zjk_bl: { ...LAB },
    };
    await assert.rejects(createSqlAdapter({ url, columnMap: map }), (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_INPUT"));
      assert.deepEqual(error.details.problems, [
        { table: "zjk_jyjg", column: "dw", problem: "a column of the table" },
        { table: "zjk_bl", problem: "a table of the database" },
      ]);
      assert.match(error.messageZh, /中间库中不存在/);
      return true;
    });
  });

  it("refuses a missing SQLite file without creating it, an in-memory database and a URL of no known database", async () => {
    const missing = join(dir, "nowhere", "platform.db");
    await assert.rejects(createSqlAdapter({ url: `file:${missing}` }), { code: "INVALID_INPUT" });
    assert.equal(existsSync(missing), false);
    await assert.rejects(createSqlAdapter({ url: "file::memory:" }), { code: "INVALID_INPUT" });
    await assert.rejects(createSqlAdapter({ url: "mysql://platform/zjk" }), { code: "INVALID_INPUT" });
    await assert.rejects(createSqlAdapter({ url, utcOffset: "CST" }), { code: "INVALID_INPUT" });
    await assert.rejects(createSqlAdapter({ url, table: ["zjk_jyjg"] } as never), { code: "INVALID_INPUT" });
  });

  it("refuses a page size or a cursor it did not hand out, as a typed error", async () => {
    const adapter = await createSqlAdapter({ url });
    try {
      for (const limit of [0, -1, 1.5, 50_001, Number.NaN]) await assert.rejects(adapter.pull(null, limit), { code: "INVALID_INPUT" }, `limit ${limit}`);
      for (const cursor of ["", "abc", "1.5", "1e3", "99999999999999999"]) await assert.rejects(adapter.pull(cursor, 10), { code: "INVALID_INPUT" }, `cursor ${cursor}`);
      // The adapter still answers after refusing.
      assert.deepEqual(await adapter.pull(null, 10), { items: [], rejected: [], cursor: null, done: true });
    } finally {
      await adapter.close();
    }
  });

  it("reads only the tables it is told to", async () => {
    const only = `file:${join(dir, "only.db")}`;
    const records = [...syntheticRecords({ seed: 5, residents: 20 })];
    await writeIntermediateTables(only, records);
    const adapter = await createSqlAdapter({ url: only, tables: ["zjk_jyjg", "zjk_hzjbxx"] });
    try {
      const { items, done } = await adapter.pull(null, 10_000);
      assert.equal(done, true);
      assert.deepEqual(items.map((item) => item.sourceKey), records.filter((r) => r.kind === "lab-result" || r.kind === "patient").map((r) => r.sourceKey));
    } finally {
      await adapter.close();
    }
  });
});

describe("SQL adapter: a deployment's own table names, column names and codes", () => {
  // An Oracle-bred platform: upper-case names, sex written in Chinese, flags as arrows, a NUMBER sequence.
  const url = `file:${join(dir, "oracle-bred.db")}`;
  const map: SqlColumnMap = {
    T_LIS_RESULT: {
      kind: "lab-result",
      sequence: "SYNC_SEQ",
      changedAt: "UPD_TIME",
      institutionCode: "ORG_CODE",
      sourceKey: "RESULT_ID",
      patientId: "PAT_NO",
      status: { column: "REVISED", codes: { N: "final", Y: "corrected" } },
      fields: {
        encounterKey: "VISIT_NO",
        localCode: "ITEM_CODE",
        localName: "ITEM_NAME",
        value: "RESULT_VALUE",
        unit: "UNIT",
        abnormalFlag: { column: "FLAG", codes: { "↑": "H", "↓": "L", "-": "N" } },
        reportedAt: "REPORT_TIME",
      },
    },
    T_PATIENT: {
      kind: "patient",
      sequence: "sync_seq",
      changedAt: "upd_time",
      institutionCode: "org_code",
      sourceKey: "pat_no",
      patientId: "pat_no",
      fields: { name: "pat_name", sex: { column: "sex", codes: { 男: "male", 女: "female", 未知: null } }, birthDate: "birthday" },
    },
  };

  before(() => {
    const db = new Libsql(url.slice("file:".length));
    db.exec(`
      CREATE TABLE T_LIS_RESULT (SYNC_SEQ INTEGER PRIMARY KEY, ORG_CODE TEXT, RESULT_ID TEXT, PAT_NO TEXT, VISIT_NO TEXT, ITEM_CODE TEXT,
        ITEM_NAME TEXT, RESULT_VALUE TEXT, UNIT TEXT, FLAG TEXT, REPORT_TIME TEXT, REVISED TEXT, UPD_TIME TEXT);
      CREATE TABLE T_PATIENT (SYNC_SEQ INTEGER PRIMARY KEY, ORG_CODE CHAR(12), PAT_NO CHAR(12), PAT_NAME TEXT, SEX TEXT, BIRTHDAY TEXT, UPD_TIME TEXT);
      INSERT INTO T_PATIENT VALUES (101, 'PD-SH-03    ', '6000123     ', '赵磊', '男', '1990/04/18', '2024-03-05T07:55:12.000+08:00');
      INSERT INTO T_LIS_RESULT VALUES (102, 'PD-SH-03', '6000123-M001-118003', '6000123', '6000123-M001', '118003', '血糖', ' 6.40 ', 'mmol/L', '↑', '2024/03/05 09:12:00', 'N', '20240305091500');
      INSERT INTO T_LIS_RESULT VALUES (103, 'PD-SH-03', '6000123-M001-118003', '6000123', '6000123-M001', '118003', '血糖', '阴性', 'mmol/L', '↑', '2024/03/05 09:12:00', 'Y', '20240305101500');
      INSERT INTO T_PATIENT VALUES (104, 'PD-SH-03', '6000124', '孙丽', '未知', '19850101', '2024-03-05 08:00:00');`);
    db.close();
  });

  it("reads rows through the deployment's map: case-folded names, its own codes, trimmed keys, various date forms", async () => {
    const adapter = await createSqlAdapter({ url, columnMap: map });
    try {
      const page = await adapter.pull(null, 10);
      assert.deepEqual(page.items.map((item) => [item.itemKey, item.kind, item.institutionCode, item.sourceKey, item.changedAt, item.status]), [
        ["T_PATIENT#101", "patient", "PD-SH-03", "6000123", "2024-03-05T07:55:12+08:00", "final"],
        ["T_LIS_RESULT#102", "lab-result", "PD-SH-03", "6000123-M001-118003", "2024-03-05T09:15:00+08:00", "final"],
        ["T_PATIENT#104", "patient", "PD-SH-03", "6000124", "2024-03-05T08:00:00+08:00", "final"],
      ]);
      assert.deepEqual(page.items[0]!.fields, { name: "赵磊", sex: "male", birthDate: "1990-04-18" });
      assert.deepEqual(page.items[1]!.fields, {
        encounterKey: "6000123-M001", localCode: "118003", localName: "血糖", value: 6.4, unit: "mmol/L", abnormalFlag: "H", reportedAt: "2024-03-05T09:12:00+08:00",
      });
      assert.equal(page.items[2]!.fields.sex, null, "未知 is mapped to no sex");
      // A qualitative result where the interchange vocabulary wants a number is refused, not guessed.
      assert.deepEqual(page.rejected.map((r) => [r.itemKey, r.reason]), [["T_LIS_RESULT#103", "invalid-number"]]);
    } finally {
      await adapter.close();
    }
  });
});

describe("synthetic source database writer", () => {
  it("renders the schema for both dialects from one definition", () => {
    for (const dialect of ["sqlite", "postgresql"] as const) {
      const ddl = intermediateSchemaDdl(dialect).join(";\n");
      for (const table of INTERMEDIATE_TABLES) {
        assert.match(ddl, new RegExp(`CREATE TABLE IF NOT EXISTS ${table.name} \\(`));
        for (const { column } of tableColumns(table)) assert.match(ddl, new RegExp(`\\n  ${column} `), `${dialect} ${table.name}.${column}`);
      }
    }
    assert.match(intermediateSchemaDdl("postgresql").join(";"), /tbxh BIGINT NOT NULL PRIMARY KEY/);
    assert.match(intermediateSchemaDdl("sqlite").join(";"), /tbxh INTEGER NOT NULL PRIMARY KEY/);
  });

  it("refuses bad options and a record it cannot write, keeping the batches before it and not its own", async () => {
    const url = `file:${join(dir, "writer.db")}`;
    await assert.rejects(writeIntermediateTables(url, [], { batchSize: 0 }), { code: "INVALID_INPUT" });
    await assert.rejects(writeIntermediateTables(url, [], { utcOffset: "+8" }), { code: "INVALID_INPUT" });
    const records = [...syntheticRecords({ seed: 3, residents: 5 })].slice(0, 25);
    const broken = { ...records[22]!, changedAt: "yesterday" } as SyntheticRecord;
    await assert.rejects(writeIntermediateTables(url, [...records.slice(0, 22), broken], { batchSize: 10 }), (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_INPUT"));
      assert.equal(error.details.written, 20);
      assert.equal(error.details.recordId, broken.recordId);
      return true;
    });
    const adapter = await createSqlAdapter({ url });
    try {
      const page = await adapter.pull(null, 100);
      assert.deepEqual(page.items.map((item) => item.sourceKey), records.slice(0, 20).map((r) => r.sourceKey));
    } finally {
      await adapter.close();
    }
    // The sequence continues after the batches that were written.
    assert.deepEqual(await writeIntermediateTables(url, records.slice(20)), { written: 5, firstSequence: "21", lastSequence: "25" });
  });

  it("writes times given at another offset as the platform's local time", async () => {
    const url = `file:${join(dir, "offsets.db")}`;
    const [record] = [...syntheticRecords({ seed: 3, residents: 1 })];
    await writeIntermediateTables(url, [{ ...record!, changedAt: "2024-03-04T23:30:00Z" } as SyntheticRecord]);
    const db = new Libsql(url.slice("file:".length));
    try {
      const table = INTERMEDIATE_TABLES.find((t) => t.kind === record!.kind)!;
      assert.deepEqual(db.prepare(`SELECT gxsj FROM ${table.name}`).get(), { gxsj: "2024-03-05 07:30:00" });
    } finally {
      db.close();
    }
  });
});
