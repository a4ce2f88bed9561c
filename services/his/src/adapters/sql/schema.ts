// The regional platform's intermediate database (中间库 / 前置库) as this platform reads it by
// default: one table per record kind, columns named the way Chinese platforms name them (pinyin
// initials), and a change sequence shared by all tables. Declared once here; the DDL of both
// dialects, the default column map and the synthetic writer are derived from it.
import type { RecordKind } from "../../synthetic/records.ts";

export type SqlDialect = "sqlite" | "postgresql";

/** A column's storage type; rendered per dialect by `columnTypeSql`. */
export type SqlColumnType =
  | { readonly type: "varchar"; readonly length: number }
  | { readonly type: "text" }
  | { readonly type: "bigint" }
  | { readonly type: "integer" }
  | { readonly type: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly type: "timestamp" };

/** A closed set of source codes and the interchange value each stands for (null: "not stated"). */
export type CodeDomain = Readonly<Record<string, string | null>>;

/** GB/T 2261.1 人的性别代码: 0 未知的性别 and 9 未说明的性别 carry no sex, so they read as null. */
export const SEX_CODES: CodeDomain = { "0": null, "1": "male", "2": "female", "9": null };

/** 就诊类型 (platform-local domain): 1 门诊, 2 急诊, 3 住院, 4 体检. 门急诊 are one ambulatory class. */
export const ENCOUNTER_TYPE_CODES: CodeDomain = { "1": "outpatient", "2": "outpatient", "3": "inpatient", "4": "physical-exam" };

/** 异常标志 of a lab result: N 正常, H 偏高, L 偏低. */
export const ABNORMAL_FLAG_CODES: CodeDomain = { N: "N", H: "H", L: "L" };

/**
 * 转归情况 (出院情况): 1 治愈, 2 好转, 3 未愈, 4 死亡, 9 其他. Only 治愈 and 好转 exist in the
 * interchange vocabulary, so the others are unknown codes (quarantined) until it grows.
 */
export const OUTCOME_CODES: CodeDomain = { "1": "治愈", "2": "好转" };

/** 更正标志: 0 原始上传, 1 更正 (replaces an earlier upload of the same business key). Empty reads as 0. */
export const CORRECTION_CODES: CodeDomain = { "0": "final", "1": "corrected" };

/** A payload column: which member it carries and how it is stored. */
export interface PayloadColumn {
  readonly member: string;
  readonly column: string;
  readonly nameZh: string;
  readonly sqlType: SqlColumnType;
  readonly codes?: CodeDomain;
  /** For list members: what separates the items in the column. */
  readonly separator?: string;
}

export interface IntermediateTable {
  readonly name: string;
  readonly nameZh: string;
  readonly kind: RecordKind;
  /** The column of the record's business key in the institution's system (the patient table uses brbh). */
  readonly sourceKey: { readonly column: string; readonly nameZh: string } | null;
  readonly payload: readonly PayloadColumn[];
}

const varchar = (length: number): SqlColumnType => ({ type: "varchar", length });
const decimal = (precision: number, scale: number): SqlColumnType => ({ type: "decimal", precision, scale });
const TIMESTAMP: SqlColumnType = { type: "timestamp" };
const INTEGER: SqlColumnType = { type: "integer" };
const TEXT: SqlColumnType = { type: "text" };
/** WS 363 data element format D8 (YYYYMMDD), as the platform's data sets write dates. */
const D8 = varchar(8);

/** The change sequence table: one row per sequence, its last value handed out. */
export const SEQUENCE_TABLE = { name: "zjk_tbxl", nameZh: "同步序列", key: "xlmc", value: "dqz", sequence: "tbxh" } as const;

/** Columns every table has, before and after its own. */
export const COMMON_COLUMNS = {
  sequence: { column: "tbxh", nameZh: "同步序号（全库唯一、严格递增）", sqlType: { type: "bigint" } },
  transmissionId: { column: "sclsh", nameZh: "上传流水号", sqlType: varchar(32) },
  institutionCode: { column: "jgdm", nameZh: "机构代码", sqlType: varchar(32) },
  patientId: { column: "brbh", nameZh: "病人编号（机构内）", sqlType: varchar(32) },
  status: { column: "gzbz", nameZh: "更正标志（0 原始，1 更正）", sqlType: varchar(1) },
  corrects: { column: "ysclsh", nameZh: "被更正记录的上传流水号", sqlType: varchar(32) },
  changedAt: { column: "gxsj", nameZh: "更新时间（北京时间）", sqlType: TIMESTAMP },
} as const satisfies Record<string, { column: string; nameZh: string; sqlType: SqlColumnType }>;

export const INTERMEDIATE_TABLES: readonly IntermediateTable[] = [
  {
    name: "zjk_hzjbxx", nameZh: "患者基本信息", kind: "patient", sourceKey: null,
    payload: [
      { member: "name", column: "xm", nameZh: "姓名", sqlType: varchar(50) },
      { member: "sex", column: "xb", nameZh: "性别代码（GB/T 2261.1）", sqlType: varchar(1), codes: SEX_CODES },
      { member: "birthDate", column: "csrq", nameZh: "出生日期（YYYYMMDD）", sqlType: D8 },
      { member: "idNumber", column: "sfzh", nameZh: "身份证号", sqlType: varchar(18) },
      { member: "phone", column: "lxdh", nameZh: "联系电话", sqlType: varchar(20) },
      { member: "address", column: "xzz", nameZh: "现住址", sqlType: varchar(200) },
    ],
  },
  {
    name: "zjk_jzjl", nameZh: "就诊记录", kind: "encounter", sourceKey: { column: "jzlsh", nameZh: "就诊流水号" },
    payload: [
      { member: "type", column: "jzlx", nameZh: "就诊类型（1 门诊 2 急诊 3 住院 4 体检）", sqlType: varchar(2), codes: ENCOUNTER_TYPE_CODES },
      { member: "department", column: "ksmc", nameZh: "科室名称", sqlType: varchar(50) },
      { member: "start", column: "jzsj", nameZh: "就诊（入院）时间", sqlType: TIMESTAMP },
      { member: "end", column: "cysj", nameZh: "出院时间", sqlType: TIMESTAMP },
    ],
  },
  {
    name: "zjk_zdjl", nameZh: "诊断记录", kind: "diagnosis", sourceKey: { column: "zdjlh", nameZh: "诊断记录号" },
    payload: [
      { member: "encounterKey", column: "jzlsh", nameZh: "就诊流水号", sqlType: varchar(40) },
      { member: "icd10", column: "zdbm", nameZh: "诊断编码（ICD-10）", sqlType: varchar(20) },
      { member: "nameZh", column: "zdmc", nameZh: "诊断名称", sqlType: varchar(100) },
      { member: "primary", column: "zzdbz", nameZh: "主诊断标志（1 是 0 否）", sqlType: varchar(1) },
      { member: "diagnosedAt", column: "zdsj", nameZh: "诊断时间", sqlType: TIMESTAMP },
    ],
  },
  {
    name: "zjk_jyjg", nameZh: "检验结果", kind: "lab-result", sourceKey: { column: "jymxh", nameZh: "检验明细号" },
    payload: [
      { member: "encounterKey", column: "jzlsh", nameZh: "就诊流水号", sqlType: varchar(40) },
      { member: "localCode", column: "xmdm", nameZh: "检验项目代码（院内）", sqlType: varchar(30) },
      { member: "localName", column: "xmmc", nameZh: "检验项目名称", sqlType: varchar(100) },
      { member: "value", column: "jgsz", nameZh: "结果数值", sqlType: decimal(18, 6) },
      { member: "unit", column: "jldw", nameZh: "计量单位", sqlType: varchar(20) },
      { member: "referenceRange", column: "ckfw", nameZh: "参考范围", sqlType: varchar(50) },
      { member: "abnormalFlag", column: "ycbz", nameZh: "异常标志（N 正常 H 偏高 L 偏低）", sqlType: varchar(2), codes: ABNORMAL_FLAG_CODES },
      { member: "collectedAt", column: "cjsj", nameZh: "标本采集时间", sqlType: TIMESTAMP },
      { member: "reportedAt", column: "bgsj", nameZh: "报告时间", sqlType: TIMESTAMP },
    ],
  },
  {
    name: "zjk_cfmx", nameZh: "处方明细", kind: "prescription", sourceKey: { column: "cfmxh", nameZh: "处方明细号" },
    payload: [
      { member: "encounterKey", column: "jzlsh", nameZh: "就诊流水号", sqlType: varchar(40) },
      { member: "drugName", column: "ypmc", nameZh: "药品名称", sqlType: varchar(100) },
      { member: "atc", column: "atcdm", nameZh: "ATC 代码", sqlType: varchar(10) },
      { member: "specification", column: "ypgg", nameZh: "药品规格", sqlType: varchar(50) },
      { member: "dose", column: "mcjl", nameZh: "每次剂量", sqlType: varchar(20) },
      { member: "route", column: "yytj", nameZh: "用药途径", sqlType: varchar(20) },
      { member: "frequency", column: "yypc", nameZh: "用药频次", sqlType: varchar(20) },
      { member: "days", column: "yyts", nameZh: "用药天数", sqlType: INTEGER },
      { member: "forDiagnosis", column: "dyzd", nameZh: "对应诊断编码", sqlType: varchar(20) },
      { member: "prescribedAt", column: "kfsj", nameZh: "开方时间", sqlType: TIMESTAMP },
    ],
  },
  {
    name: "zjk_tjbg", nameZh: "体检报告", kind: "physical-exam", sourceKey: { column: "tjbgh", nameZh: "体检报告号" },
    payload: [
      { member: "encounterKey", column: "jzlsh", nameZh: "就诊流水号", sqlType: varchar(40) },
      { member: "examDate", column: "tjrq", nameZh: "体检日期（YYYYMMDD）", sqlType: D8 },
      { member: "heightCm", column: "sg", nameZh: "身高（cm）", sqlType: decimal(5, 1) },
      { member: "weightKg", column: "tz", nameZh: "体重（kg）", sqlType: decimal(5, 1) },
      { member: "bmi", column: "tzzs", nameZh: "体质指数", sqlType: decimal(4, 1) },
      { member: "systolicMmHg", column: "ssy", nameZh: "收缩压（mmHg）", sqlType: INTEGER },
      { member: "diastolicMmHg", column: "szy", nameZh: "舒张压（mmHg）", sqlType: INTEGER },
      { member: "findings", column: "ycfx", nameZh: "异常发现（以“；”分隔）", sqlType: varchar(500), separator: "；" },
      { member: "conclusion", column: "tjjl", nameZh: "体检结论", sqlType: TEXT },
      { member: "advice", column: "jkjy", nameZh: "健康建议", sqlType: TEXT },
    ],
  },
  {
    name: "zjk_cyxj", nameZh: "出院小结", kind: "discharge-summary", sourceKey: { column: "cyxjh", nameZh: "出院小结号" },
    payload: [
      { member: "encounterKey", column: "jzlsh", nameZh: "就诊流水号", sqlType: varchar(40) },
      { member: "admittedAt", column: "rysj", nameZh: "入院时间", sqlType: TIMESTAMP },
      { member: "dischargedAt", column: "cysj", nameZh: "出院时间", sqlType: TIMESTAMP },
      { member: "lengthOfStayDays", column: "zyts", nameZh: "住院天数", sqlType: INTEGER },
      { member: "admissionDiagnosis", column: "ryzd", nameZh: "入院诊断编码", sqlType: varchar(20) },
      { member: "dischargeDiagnoses", column: "cyzd", nameZh: "出院诊断编码（以“,”分隔）", sqlType: varchar(200), separator: "," },
      { member: "course", column: "zljg", nameZh: "诊疗经过", sqlType: TEXT },
      { member: "outcome", column: "zgqk", nameZh: "转归情况（1 治愈 2 好转 3 未愈 4 死亡 9 其他）", sqlType: varchar(1), codes: OUTCOME_CODES },
      { member: "dischargeAdvice", column: "cyyz", nameZh: "出院医嘱", sqlType: TEXT },
    ],
  },
];

/** The table of each kind (one per kind). */
export const INTERMEDIATE_TABLE_OF_KIND = new Map(INTERMEDIATE_TABLES.map((table) => [table.kind, table])) as ReadonlyMap<RecordKind, IntermediateTable>;

/** A table's columns in storage order, with their names in Chinese. */
export function tableColumns(table: IntermediateTable): readonly { readonly column: string; readonly nameZh: string; readonly sqlType: SqlColumnType }[] {
  const c = COMMON_COLUMNS;
  return [
    c.sequence, c.transmissionId, c.institutionCode,
    ...(table.sourceKey === null ? [] : [{ ...table.sourceKey, sqlType: varchar(40) }]),
    c.patientId,
    ...table.payload,
    c.status, c.corrects, c.changedAt,
  ];
}

function columnTypeSql(sqlType: SqlColumnType, dialect: SqlDialect): string {
  switch (sqlType.type) {
    case "varchar":
      return dialect === "postgresql" ? `VARCHAR(${sqlType.length})` : "TEXT";
    case "text":
      return "TEXT";
    case "bigint":
      return dialect === "postgresql" ? "BIGINT" : "INTEGER";
    case "integer":
      return "INTEGER";
    case "decimal":
      // REAL in SQLite: NUMERIC affinity would turn a text value that looks numeric into a number silently.
      return dialect === "postgresql" ? `NUMERIC(${sqlType.precision}, ${sqlType.scale})` : "REAL";
    case "timestamp":
      // TEXT in SQLite: 'YYYY-MM-DD HH:MM:SS' as the platform writes it, no affinity conversions.
      return dialect === "postgresql" ? "TIMESTAMP(0)" : "TEXT";
  }
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The statements that create the intermediate database (idempotent: IF NOT EXISTS). Only the change
 * sequence is NOT NULL: the platform's ETL fills these tables and the adapter checks everything else.
 */
export function intermediateSchemaDdl(dialect: SqlDialect): string[] {
  const statements: string[] = [];
  const s = SEQUENCE_TABLE;
  const bigint = columnTypeSql({ type: "bigint" }, dialect);
  statements.push(
    `CREATE TABLE IF NOT EXISTS ${s.name} (\n  ${s.key} ${columnTypeSql(varchar(32), dialect)} NOT NULL PRIMARY KEY,\n  ${s.value} ${bigint} NOT NULL\n)`,
    `INSERT INTO ${s.name} (${s.key}, ${s.value}) VALUES (${literal(s.sequence)}, 0) ON CONFLICT (${s.key}) DO NOTHING`,
  );
  if (dialect === "postgresql") {
    statements.push(`COMMENT ON TABLE ${s.name} IS ${literal(`${s.nameZh}：${s.sequence} 为各表共用的同步序号，写入方在事务内加锁取号，提交顺序即序号顺序`)}`);
  }
  for (const table of INTERMEDIATE_TABLES) {
    const columns = tableColumns(table);
    const lines = columns.map(({ column, sqlType, nameZh }, i) => {
      const constraint = column === COMMON_COLUMNS.sequence.column ? " NOT NULL PRIMARY KEY" : "";
      const comma = i < columns.length - 1 ? "," : "";
      // SQLite keeps comments in the stored CREATE statement; PostgreSQL gets COMMENT ON below.
      const comment = dialect === "sqlite" ? ` -- ${nameZh}` : "";
      return `  ${column} ${columnTypeSql(sqlType, dialect)}${constraint}${comma}${comment}`;
    });
    const heading = dialect === "sqlite" ? ` -- ${table.nameZh}` : "";
    statements.push(`CREATE TABLE IF NOT EXISTS ${table.name} (${heading}\n${lines.join("\n")}\n)`);
    if (dialect === "postgresql") {
      statements.push(`COMMENT ON TABLE ${table.name} IS ${literal(table.nameZh)}`);
      for (const { column, nameZh } of columns) statements.push(`COMMENT ON COLUMN ${table.name}.${column} IS ${literal(nameZh)}`);
    }
  }
  return statements;
}
