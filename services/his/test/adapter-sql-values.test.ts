// Column values to interchange values: the date, time, number, code, flag and list forms the
// platforms' tables hold, what is refused (with the reason code the rejected item carries), and the
// writer's inverse.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SEX_CODES } from "../src/adapters/sql/index.ts";
import {
  FALSE_VALUES, TRUE_VALUES, ValueProblem, offsetMinutes, readCode, readDate, readDatetime, readFlag, readInteger, readKey, readList, readNumber,
  readText, writeDate, writeDatetime,
} from "../src/adapters/sql/values.ts";

const reasonOf = (value: unknown) => (value instanceof ValueProblem ? value.reason : value);

describe("SQL column values: dates and times", () => {
  it("reads local date-times in the forms platforms write them, as ISO 8601 at the local offset", () => {
    const cases: [unknown, string][] = [
      ["2024-03-05 08:12:00", "2024-03-05T08:12:00+08:00"],
      ["2024-03-05T08:12:00", "2024-03-05T08:12:00+08:00"],
      ["2024/03/05 08:12:00", "2024-03-05T08:12:00+08:00"],
      ["2024-03-05 08:12", "2024-03-05T08:12:00+08:00"],
      ["20240305081200", "2024-03-05T08:12:00+08:00"],
      [" 2024-03-05 08:12:00 ", "2024-03-05T08:12:00+08:00"],
      ["2024-03-05 08:12:00.000", "2024-03-05T08:12:00+08:00"],
      ["2024-03-05 08:12:00.250", "2024-03-05T08:12:00.25+08:00"],
    ];
    for (const [value, iso] of cases) assert.equal(readDatetime(value, "+08:00"), iso, String(value));
  });

  it("keeps an offset the value states (PostgreSQL timestamptz text, ISO), and reads a JS Date at the local offset", () => {
    assert.equal(readDatetime("2024-03-05 08:12:00+08", "+08:00"), "2024-03-05T08:12:00+08:00");
    assert.equal(readDatetime("2024-03-05T00:12:00Z", "+08:00"), "2024-03-05T00:12:00Z");
    assert.equal(readDatetime("2024-03-05T08:12:00+0530", "+08:00"), "2024-03-05T08:12:00+05:30");
    assert.equal(readDatetime(new Date("2024-03-05T00:12:00Z"), "+08:00"), "2024-03-05T08:12:00+08:00");
  });

  it("refuses impossible calendar days and times, dates without time, and numbers as invalid-date", () => {
    for (const value of ["2024-02-30 08:00:00", "2023-02-29 08:00:00", "2024-03-05 24:00:00", "2024-03-05 08:60:00", "2024-03-05", "yesterday", 20240305081200, "2024-03-05 08:12:00+15:00"]) {
      assert.equal(reasonOf(readDatetime(value, "+08:00")), "invalid-date", String(value));
    }
    assert.equal(readDatetime("2024-02-29 08:00:00", "+08:00"), "2024-02-29T08:00:00+08:00", "a leap day");
  });

  it("reads D8 and dashed dates, and a date kept in a DATETIME column at midnight", () => {
    assert.equal(readDate("19580312"), "1958-03-12");
    assert.equal(readDate("1958-03-12"), "1958-03-12");
    assert.equal(readDate("1958/03/12"), "1958-03-12");
    assert.equal(readDate("1958-03-12 00:00:00"), "1958-03-12");
    for (const value of ["19800230", "1958-0312", "1958-03-12 08:00:00", "580312", 19580312]) assert.equal(reasonOf(readDate(value)), "invalid-date", String(value));
  });

  it("treats NULL and blank as left empty", () => {
    for (const read of [readText, readNumber, readDate, (v: unknown) => readDatetime(v, "+08:00"), (v: unknown) => readCode(v, SEX_CODES)]) {
      assert.equal(read(null), null);
      assert.equal(read("  "), null);
    }
  });
});

describe("SQL column values: numbers, codes, flags, lists, keys", () => {
  it("reads numbers from REAL columns and NUMERIC text, and refuses what is not one", () => {
    assert.equal(readNumber(7.8), 7.8);
    assert.equal(readNumber("0.830000"), 0.83);
    assert.equal(readNumber(" -1.5e2 "), -150);
    assert.equal(readInteger("28"), 28);
    for (const value of ["阴性", ">1000", "1,5", Number.NaN, true]) assert.equal(reasonOf(readNumber(value)), "invalid-number", String(value));
    assert.equal(reasonOf(readInteger("7.5")), "invalid-number");
  });

  it("reads GB/T 2261.1 sex codes whether stored as text or integer; 0 and 9 state no sex", () => {
    assert.deepEqual([readCode("1", SEX_CODES), readCode(2, SEX_CODES), readCode("0", SEX_CODES), readCode(" 9 ", SEX_CODES)], ["male", "female", null, null]);
    assert.equal(reasonOf(readCode("M", SEX_CODES)), "unknown-code");
    assert.equal(reasonOf(readCode("3", SEX_CODES)), "unknown-code");
    assert.equal(reasonOf(readCode("toString", SEX_CODES)), "unknown-code", "inherited members are not codes");
  });

  it("reads yes/no flags in their usual spellings and refuses others", () => {
    assert.deepEqual(["1", "Y", "是", 1, true].map((v) => readFlag(v, TRUE_VALUES, FALSE_VALUES)), [true, true, true, true, true]);
    assert.deepEqual(["0", "N", "否", 0, false].map((v) => readFlag(v, TRUE_VALUES, FALSE_VALUES)), [false, false, false, false, false]);
    assert.equal(reasonOf(readFlag("2", TRUE_VALUES, FALSE_VALUES)), "invalid-value");
  });

  it("splits list columns, dropping blank items; an empty text is an empty list", () => {
    assert.deepEqual(readList("血压偏高；肥胖", "；"), ["血压偏高", "肥胖"]);
    assert.deepEqual(readList(" I10 , E11.9,", ","), ["I10", "E11.9"]);
    assert.deepEqual(readList("", "；"), []);
    assert.equal(readList(null, "；"), null);
  });

  it("trims key columns (CHAR padding), reads a number key as text, and calls an empty one missing", () => {
    assert.equal(readKey("ZY0012345   "), "ZY0012345");
    assert.equal(readKey(40012377), "40012377");
    assert.equal(reasonOf(readKey("")), "missing-key");
    assert.equal(reasonOf(readKey(null)), "missing-key");
    assert.equal(readText(13816624597), "13816624597", "a phone number kept in an INTEGER column");
  });
});

describe("SQL column values: writing the synthetic source database", () => {
  it("writes dates as D8 and ISO times as local time at the platform's offset, the inverse of reading", () => {
    assert.equal(writeDate("1958-03-12"), "19580312");
    assert.equal(writeDatetime("2024-03-05T08:12:00+08:00", "+08:00"), "2024-03-05 08:12:00");
    assert.equal(writeDatetime("2024-03-04T23:30:00Z", "+08:00"), "2024-03-05 07:30:00");
    assert.equal(writeDatetime("2024-03-05T08:12:00", "+08:00"), undefined, "a time without offset is ambiguous");
    for (const iso of ["2024-03-05T08:12:00+08:00", "2024-12-31T23:59:00+08:00"]) assert.equal(readDatetime(writeDatetime(iso, "+08:00"), "+08:00"), iso);
  });

  it("accepts offsets ±HH:MM up to 14 hours", () => {
    assert.deepEqual(["+08:00", "-05:30", "+14:00", "+14:01", "+8", "08:00"].map(offsetMinutes), [480, -330, 840, undefined, undefined, undefined]);
  });
});
