import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { describe, it } from "node:test";
import { utf8 } from "../src/bytes.ts";
import { isPlatformError } from "../src/errors.ts";
import { FINGERPRINT_DOMAIN, MAX_RECORD_DEPTH, canonicalBytes, canonicalize, fingerprint, type RecordProblemReason } from "../src/fingerprint.ts";
import { sm3Implementations } from "../src/sm3.ts";
import { LAB_REPORT } from "./fixtures/lab-report.ts";

// The document wraps long canonical lines with "⏎" at the end of each piece.
const doc = readFileSync(fileURLToPath(new URL("../../docs/FINGERPRINT.md", import.meta.url)), "utf8").replaceAll("⏎\n", "");

/** Asserts that canonicalising `value` fails with INVALID_RECORD, for `reason`, at `path`. */
function refuses(value: unknown, reason: RecordProblemReason, path: string): void {
  assert.throws(
    () => canonicalize(value),
    (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_RECORD"), String(error));
      assert.equal(error.details.reason, reason);
      assert.equal(error.details.path, path);
      assert.ok(error.message.includes(path) && error.messageZh.includes(path));
      return true;
    },
    `${reason} at ${path}`,
  );
  assert.throws(() => fingerprint(value), (error: unknown) => isPlatformError(error, "INVALID_RECORD"));
}

const WORKED_EXAMPLES: readonly { name: string; input: unknown; canonical: string; fingerprint: string }[] = [
  {
    name: "1 member order",
    input: { b: 2, a: 1 },
    canonical: '{"a":1,"b":2}',
    fingerprint: "0xddf5a9a07360ff9473d2ccc504ca420c2f145b1b3c19f0f08813e4cc2275e5e0",
  },
  {
    name: "2 numbers",
    input: JSON.parse('{"n":[5.60, -0, 1e21, 1e-7, 0.1, 100, 2.5e-3, 333333333.33333329, 9007199254740993]}'),
    canonical: '{"n":[5.6,0,1e+21,1e-7,0.1,100,0.0025,333333333.3333333,9007199254740992]}',
    fingerprint: "0x8a7fc31c5673f2be645830059d09e3f42f8b8bf06d4e652a9fcebc24a9eecdd2",
  },
  {
    name: "3 text",
    input: {
      名称: "空腹血糖",
      "Zoe\u0308": "decomposed",
      "\uf900": "compatibility ideograph",
      note: 'line 1\nline 2 "quoted" \\ \u0007',
      "\uff61": "halfwidth full stop",
      "\ud83d\ude00": "emoji",
    },
    canonical:
      '{"Zo\u00eb":"decomposed","note":"line 1\\nline 2 \\"quoted\\" \\\\ \\u0007","名称":"空腹血糖","\u8c48":"compatibility ideograph","\ud83d\ude00":"emoji","\uff61":"halfwidth full stop"}',
    fingerprint: "0x98019038a11f2836d1428b01c50078b9ec99b6862be2de9267caab6ddd10e8d7",
  },
  {
    name: "4 dates, undefined and null",
    input: { recordedAt: new Date(Date.UTC(2025, 2, 14, 8, 30)), birthDate: "1980-05-01", dischargedAt: undefined, note: null },
    canonical: '{"birthDate":"1980-05-01","note":null,"recordedAt":"2025-03-14T08:30:00.000Z"}',
    fingerprint: "0x20934657fbf93c558c6266be7d23fe6cae55564b84c2b12632ec1cffefc15b60",
  },
  {
    name: "5 lab report",
    input: LAB_REPORT,
    canonical:
      '{"attachments":[],"category":"lab-report","conclusion":"空腹血糖正常，糖化血红蛋白升高，建议内分泌科随访。","institutionId":"310101-H-0007",' +
      '"orderedBy":{"department":"内分泌科","doctorId":"D-0042"},"patient":{"birthDate":"1980-05-01","gender":"male","name":"张三"},' +
      '"recordId":"rec-310101-2025-000123","reportedAt":"2025-03-14T02:15:00.000Z",' +
      '"residentRef":"0x7a3f5c2e9b1d4a8f6e0c3b2a1d9f8e7c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e",' +
      '"results":[{"code":"GLU","flag":null,"name":"葡萄糖","referenceRange":"3.9-6.1","unit":"mmol/L","value":"5.60"},' +
      '{"code":"HBA1C","flag":"H","name":"糖化血红蛋白","referenceRange":"4.0-6.0","unit":"%","value":"6.8"},' +
      '{"code":"TC","flag":null,"name":"总胆固醇","referenceRange":"<5.2","unit":"mmol/L","value":"5.12"},' +
      '{"code":"HDL-C","flag":null,"name":"高密度脂蛋白胆固醇","referenceRange":">1.0","unit":"mmol/L","value":"1.08"},' +
      '{"code":"CREA","flag":null,"name":"肌酐","referenceRange":"57-111","unit":"\u03bcmol/L","value":"78"}],' +
      '"schemaVersion":"1.2","specimen":{"collectedAt":"2025-03-14T00:30:00.000Z","type":"venous blood"},"verified":true}',
    fingerprint: "0xab38788cd1468835c339b02d6bf51ec903f493eae4fbbce0e0d661b2cd81465d",
  },
];

describe("worked examples of docs/FINGERPRINT.md", () => {
  for (const example of WORKED_EXAMPLES) {
    it(`example ${example.name}: canonical form and fingerprint`, () => {
      assert.equal(canonicalize(example.input), example.canonical);
      assert.equal(fingerprint(example.input), example.fingerprint);
      assert.ok(doc.includes(example.canonical), "the canonical form appears in the document");
      assert.ok(doc.includes(example.fingerprint), "the fingerprint appears in the document");
    });
  }

  it("are SM3(\"HCF1\" ‖ canonical UTF-8) as openssl dgst -sm3 computes it, and as the pure path does", () => {
    assert.equal(FINGERPRINT_DOMAIN, "HCF1");
    for (const example of WORKED_EXAMPLES) {
      const out = execFileSync("openssl", ["dgst", "-sm3", "-r"], { input: utf8(`HCF1${example.canonical}`) }).toString();
      assert.equal(`0x${out.slice(0, 64)}`, example.fingerprint, example.name);
      assert.equal(`0x${sm3Implementations.pure.digestUtf8Hex(`HCF1${example.canonical}`)}`, example.fingerprint, example.name);
    }
  });

  it("give the lab report's fingerprint from its JSON text, the date as a string", () => {
    const fromJson = JSON.parse(JSON.stringify(LAB_REPORT)) as unknown;
    assert.equal(fingerprint(fromJson), WORKED_EXAMPLES[4]!.fingerprint);
    assert.equal(canonicalBytes(LAB_REPORT).length, 1117);
  });
});

// cyberphone/json-canonicalization testdata (the JCS reference implementation's vectors).
const JCS_VECTORS: readonly { name: string; input: string; output: string }[] = [
  { name: "arrays", input: '[56, {"d": true, "10": null, "1": [ ]}]', output: '[56,{"1":[],"10":null,"d":true}]' },
  {
    name: "french",
    input: '{"peach": "This sorting order", "péché": "is wrong according to French", "pêche": "but canonicalization MUST", "sin": "ingnore locale"}',
    output: '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ingnore locale"}',
  },
  {
    name: "structures",
    input: '{"1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0}, "10": { }, "": "empty", "a": { }, "111": [ { } ], "A": { }}',
    output: '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}',
  },
  {
    name: "values",
    input: String.raw`{"numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001], "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}`,
    output: String.raw`{"escaping":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}`,
  },
  // Already NFC (U+1E0D U+0307 has no precomposed form): JCS and this profile agree.
  { name: "unicode", input: String.raw`{"Unnormalized Unicode":"\u1e0d\u0307"}`, output: '{"Unnormalized Unicode":"\u1e0d\u0307"}' },
];

// RFC 8785 Appendix B: IEEE-754 bit patterns and their JCS form.
const APPENDIX_B: readonly [string, string][] = [
  ["0000000000000000", "0"],
  ["8000000000000000", "0"],
  ["0000000000000001", "5e-324"],
  ["8000000000000001", "-5e-324"],
  ["7fefffffffffffff", "1.7976931348623157e+308"],
  ["ffefffffffffffff", "-1.7976931348623157e+308"],
  ["4340000000000000", "9007199254740992"],
  ["c340000000000000", "-9007199254740992"],
  ["4430000000000000", "295147905179352830000"],
  ["44b52d02c7e14af5", "9.999999999999997e+22"],
  ["44b52d02c7e14af6", "1e+23"],
  ["44b52d02c7e14af7", "1.0000000000000001e+23"],
  ["444b1ae4d6e2ef4e", "999999999999999700000"],
  ["444b1ae4d6e2ef4f", "999999999999999900000"],
  ["444b1ae4d6e2ef50", "1e+21"],
  ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
  ["3eb0c6f7a0b5ed8d", "0.000001"],
  ["41b3de4355555553", "333333333.3333332"],
  ["41b3de4355555554", "333333333.33333325"],
  ["41b3de4355555555", "333333333.3333333"],
  ["41b3de4355555556", "333333333.3333334"],
  ["41b3de4355555557", "333333333.33333343"],
  ["becbf647612f3696", "-0.0000033333333333333333"],
  ["43143ff3c1cb0959", "1424953923781206.2"],
];

const fromBits = (bits: string) => new DataView(Uint8Array.from(Buffer.from(bits, "hex")).buffer).getFloat64(0);

describe("RFC 8785 (JCS) conformance", () => {
  for (const vector of JCS_VECTORS) {
    it(`gives the JCS reference output for ${vector.name}.json`, () => {
      assert.equal(canonicalize(JSON.parse(vector.input)), vector.output);
    });
  }

  it("orders the members of RFC 8785 §3.2.3 as JCS does, except where NFC changes a name", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // (Read the names from the text: JavaScript objects list integer-like names such as "1" first.)
    const names = [...canonicalize(input).matchAll(/[{,]("(?:[^"\\]|\\.)*"):/g)].map((m) => JSON.parse(m[1]!) as string);
    // JCS: \r, 1, \u0080, ö, €, 😀, \ufb33. NFC decomposes U+FB33 (a composition exclusion) to U+05D3 U+05BC.
    assert.deepEqual(names, ["\r", "1", "\u0080", "\u00f6", "\u05d3\u05bc", "\u20ac", "\ud83d\ude00"]);
  });

  it("gives the JCS reference output for weird.json, with the one NFC difference", () => {
    const input = String.raw`{"\u20ac": "Euro Sign", "1": "One", "\u0080": "Control\u007f", "\ud83d\ude02": "Smiley", "\u00f6": "Latin Small Letter O With Diaeresis", "\ufb33": "Hebrew Letter Dalet With Dagesh", "</script>": "Browser Challenge"}`;
    assert.equal(
      canonicalize(JSON.parse(input)),
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u05d3\u05bc":"Hebrew Letter Dalet With Dagesh","\u20ac":"Euro Sign","\ud83d\ude02":"Smiley"}',
    );
  });

  it("serialises the numbers of RFC 8785 Appendix B", () => {
    for (const [bits, text] of APPENDIX_B) assert.equal(canonicalize(fromBits(bits)), text, bits);
    refuses(fromBits("7fffffffffffffff"), "non-finite-number", "$");
    refuses(fromBits("7ff0000000000000"), "non-finite-number", "$");
  });
});

describe("canonical form", () => {
  it("sorts member names by UTF-16 code units, not code points, locale or insertion order", () => {
    // U+1F600 is D83D DE00 in UTF-16: before U+FF61 by code unit, after it by code point.
    assert.equal(canonicalize({ "\uff61": 1, "\ud83d\ude00": 2 }), '{"\ud83d\ude00":2,"\uff61":1}');
    assert.equal(canonicalize({ b: 1, B: 2, a: 3, _: 4, "10": 5, "9": 6, "": 7 }), '{"":7,"10":5,"9":6,"B":2,"_":4,"a":3,"b":1}');
    const names = Array.from({ length: 40 }, (_, i) => `k${(i * 7919) % 97}`);
    const forward = Object.fromEntries(names.map((n) => [n, n]));
    const backward = Object.fromEntries([...names].reverse().map((n) => [n, n]));
    assert.equal(canonicalize(forward), canonicalize(backward));
    assert.equal(canonicalize(forward), `{${[...new Set(names)].sort().map((n) => `"${n}":"${n}"`).join(",")}}`);
  });

  it("normalises strings and member names to Unicode NFC", () => {
    assert.equal(fingerprint({ name: "Zo\u00eb" }), fingerprint({ name: "Zoe\u0308" }));
    assert.equal(fingerprint({ "Zo\u00eb": 1 }), fingerprint({ "Zoe\u0308": 1 }));
    assert.equal(canonicalize("\u1100\u1161\u11a8"), '"\uac01"'); // Hangul jamo compose
    assert.equal(canonicalize("\uf900"), '"\u8c48"'); // CJK compatibility ideograph
    assert.equal(canonicalize("q\u0307\u0323"), '"q\u0323\u0307"'); // combining marks reordered
    // NFC, not NFKC: compatibility characters that are not canonical equivalents stay as they are.
    assert.equal(canonicalize("\ufb01 \u00b5 \u2163 \uff21"), '"\ufb01 \u00b5 \u2163 \uff21"');
  });

  it("escapes strings as JCS (ECMAScript JSON.stringify) does", () => {
    const all = Array.from({ length: 0x30 }, (_, i) => String.fromCharCode(i)).join("") + '"\\/\u007f\u0080\u2028\u2029';
    assert.equal(canonicalize(all), JSON.stringify(all));
    assert.equal(canonicalize("\u0000\b\t\n\f\r\u001f"), '"\\u0000\\b\\t\\n\\f\\r\\u001f"');
  });

  it("writes numbers as ECMAScript's shortest round trip, -0 as 0", () => {
    const cases: [number, string][] = [
      [-0, "0"], [0, "0"], [5.6, "5.6"], [5.60, "5.6"], [0.1 + 0.2, "0.30000000000000004"], [1e21, "1e+21"],
      [1e20, "100000000000000000000"], [1e-6, "0.000001"], [1e-7, "1e-7"], [-1.5, "-1.5"], [2 ** 53 + 2, "9007199254740994"],
      [Number.MIN_VALUE, "5e-324"], [Number.MAX_VALUE, "1.7976931348623157e+308"], [123456789012, "123456789012"],
    ];
    for (const [value, text] of cases) assert.equal(canonicalize(value), text, text);
    assert.equal(fingerprint({ v: -0 }), fingerprint({ v: 0 }));
    assert.notEqual(fingerprint({ v: 5.6 }), fingerprint({ v: "5.60" }), "decimals given as strings keep their figures");
  });

  it("writes Dates as UTC ISO 8601 with milliseconds, the same as the equivalent string", () => {
    assert.equal(canonicalize(new Date(0)), '"1970-01-01T00:00:00.000Z"');
    assert.equal(canonicalize(new Date("2025-03-14T16:30:00.5+08:00")), '"2025-03-14T08:30:00.500Z"');
    assert.equal(fingerprint({ at: new Date(Date.UTC(2025, 2, 14)) }), fingerprint({ at: "2025-03-14T00:00:00.000Z" }));
    assert.equal(canonicalize(new Date(-62167219200000)), '"0000-01-01T00:00:00.000Z"');
    assert.equal(canonicalize(new Date(253402300799999)), '"9999-12-31T23:59:59.999Z"');
    // Strings are never parsed: a date-only value stays as given, and another offset is another string.
    assert.equal(canonicalize({ birthDate: "1980-05-01" }), '{"birthDate":"1980-05-01"}');
    assert.notEqual(fingerprint({ at: "2025-03-14T16:30:00+08:00" }), fingerprint({ at: "2025-03-14T08:30:00.000Z" }));
  });

  it("leaves out undefined members but keeps null ones", () => {
    assert.equal(canonicalize({ a: 1, b: undefined }), '{"a":1}');
    assert.equal(fingerprint({ a: 1, b: undefined }), fingerprint({ a: 1 }));
    assert.equal(canonicalize({ a: null }), '{"a":null}');
    assert.notEqual(fingerprint({ a: null }), fingerprint({}));
    assert.equal(canonicalize({ b: undefined }), "{}");
  });

  it("accepts objects without a prototype and plain objects of another realm", () => {
    const bare = Object.assign(Object.create(null) as object, { b: 1, a: [true] });
    assert.equal(canonicalize(bare), '{"a":[true],"b":1}');
    assert.equal(canonicalize(vm.runInNewContext('({ b: [1, { c: "x" }], a: null })')), '{"a":null,"b":[1,{"c":"x"}]}');
    assert.equal(canonicalize(vm.runInNewContext("Object.assign(Object.create(null), { a: 1 })")), '{"a":1}');
    assert.equal(canonicalize(JSON.parse('{"__proto__":{"x":1},"a":2}')), '{"__proto__":{"x":1},"a":2}');
  });

  it("accepts Dates of another realm (found by tag, not instanceof), and Date subclasses", () => {
    const foreign = vm.runInNewContext("new Date(Date.UTC(2025, 2, 14, 8, 30))") as Date;
    assert.equal(foreign instanceof Date, false);
    assert.equal(canonicalize({ at: foreign }), '{"at":"2025-03-14T08:30:00.000Z"}');
    assert.equal(fingerprint({ at: foreign }), fingerprint({ at: new Date(Date.UTC(2025, 2, 14, 8, 30)) }));
    refuses({ at: vm.runInNewContext("new Date(NaN)") }, "invalid-date", "$.at");
    refuses({ at: vm.runInNewContext("new Date(253402300800000)") }, "date-out-of-range", "$.at");
    class Instant extends Date {}
    assert.equal(canonicalize(new Instant(0)), '"1970-01-01T00:00:00.000Z"');
  });

  it("reads own enumerable string-named members only, getters included", () => {
    const value: Record<string | symbol, unknown> = { a: 1 };
    value[Symbol("tag")] = "ignored";
    Object.defineProperty(value, "hidden", { value: 2, enumerable: false });
    Object.defineProperty(value, "computed", { get: () => "yes", enumerable: true });
    const proto = Object.assign(Object.create(null) as object, { inherited: 3 });
    const child = Object.assign(Object.create(proto) as object, { own: 4 });
    assert.equal(canonicalize(value), '{"a":1,"computed":"yes"}');
    // An object inheriting members is not plain (it used to give {"own":4}, the inherited member lost).
    refuses(child, "non-plain-object", "$");
    const withArrayExtras = Object.assign([1, 2], { extra: true });
    assert.equal(canonicalize(withArrayExtras), "[1,2]");
  });

  it("accepts nesting up to the maximum depth, and no deeper", () => {
    let value: unknown = "leaf";
    for (let i = 0; i < MAX_RECORD_DEPTH; i++) value = [value];
    assert.equal(canonicalize(value), `${"[".repeat(MAX_RECORD_DEPTH)}"leaf"${"]".repeat(MAX_RECORD_DEPTH)}`);
    refuses([value], "too-deep", `$${"[0]".repeat(MAX_RECORD_DEPTH)}`);
    refuses({ a: { b: [value] } }, "too-deep", `$.a.b${"[0]".repeat(MAX_RECORD_DEPTH - 2)}`);
  });

  it("repeats a shared (acyclic) sub-object wherever it appears", () => {
    const shared = { code: "GLU" };
    assert.equal(canonicalize({ a: shared, b: [shared, shared] }), '{"a":{"code":"GLU"},"b":[{"code":"GLU"},{"code":"GLU"}]}');
  });

  it("does not change the record", () => {
    const record = structuredClone({ ...LAB_REPORT, reportedAt: "x", "Zoe\u0308": "e\u0301" });
    const before = JSON.stringify(record);
    canonicalize(record);
    assert.equal(JSON.stringify(record), before);
  });

  it("gives UTF-8 bytes and a 0x-prefixed 32-byte lower-case hex fingerprint", () => {
    assert.deepEqual(canonicalBytes({ 名: "值" }), utf8('{"名":"值"}'));
    assert.match(fingerprint({ a: 1 }), /^0x[0-9a-f]{64}$/);
    assert.match(fingerprint(null), /^0x[0-9a-f]{64}$/);
  });
});

describe("refusals (INVALID_RECORD with the JSON path)", () => {
  class Patient {
    name = "张三";
  }
  const cyclic: Record<string, unknown> = { id: 1 };
  cyclic.self = { again: [cyclic] };
  const cyclicArray: unknown[] = [1];
  cyclicArray.push({ list: cyclicArray });
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays

  const cases: readonly [string, unknown, RecordProblemReason, string][] = [
    ["top-level undefined", undefined, "undefined", "$"],
    ["undefined array element", { items: [1, undefined] }, "undefined", "$.items[1]"],
    ["hole in an array", { items: sparse }, "undefined", "$.items[1]"],
    ["NaN", { results: [{ value: Number.NaN }] }, "non-finite-number", "$.results[0].value"],
    ["Infinity", { v: Number.POSITIVE_INFINITY }, "non-finite-number", "$.v"],
    ["-Infinity", [Number.NEGATIVE_INFINITY], "non-finite-number", "$[0]"],
    ["BigInt", { id: 10n }, "bigint", "$.id"],
    ["function", { f: () => 1 }, "function", "$.f"],
    ["symbol value", { s: Symbol("x") }, "symbol", "$.s"],
    ["Map", { m: new Map([["a", 1]]) }, "non-plain-object", "$.m"],
    ["Set", { s: new Set([1]) }, "non-plain-object", "$.s"],
    ["class instance", { patient: new Patient() }, "non-plain-object", "$.patient"],
    ["Uint8Array", { bytes: new Uint8Array(2) }, "non-plain-object", "$.bytes"],
    ["Buffer", { bytes: Buffer.from("ab") }, "non-plain-object", "$.bytes"],
    ["RegExp", { r: /x/ }, "non-plain-object", "$.r"],
    ["boxed string", { s: new String("x") }, "non-plain-object", "$.s"],
    ["Promise", { p: Promise.resolve(1) }, "non-plain-object", "$.p"],
    ["Error", { e: new Error("x") }, "non-plain-object", "$.e"],
    ["object with a non-plain prototype", { o: Object.create({ a: 1 }) }, "non-plain-object", "$.o"],
    [
      "object inheriting defaults from a prototype-less object",
      { o: Object.assign(Object.create(Object.assign(Object.create(null) as object, { allergy: "penicillin" })) as object, { name: "张三" }) },
      "non-plain-object",
      "$.o",
    ],
    [
      "the same, made in another realm",
      { o: vm.runInNewContext('Object.assign(Object.create(Object.assign(Object.create(null), { allergy: "penicillin" })), { name: "x" })') },
      "non-plain-object",
      "$.o",
    ],
    [
      "prototype-less object passing itself off as Object.prototype",
      { o: Object.create(Object.assign(Object.create(null) as object, { constructor: Object, a: 1 })) },
      "non-plain-object",
      "$.o",
    ],
    // eslint-disable-next-line prefer-rest-params -- the arguments object is the value under test
    ["arguments object", { a: (function () { return arguments; })() }, "non-plain-object", "$.a"],
    ["object tagged as something else", { o: { [Symbol.toStringTag]: "Record", a: 1 } }, "non-plain-object", "$.o"],
    ["object with Date.prototype, not a Date", { at: Object.create(Date.prototype) }, "non-plain-object", "$.at"],
    ["object claiming to be a Date by its tag", { at: { [Symbol.toStringTag]: "Date" } }, "non-plain-object", "$.at"],
    ["invalid Date", { at: new Date("not a date") }, "invalid-date", "$.at"],
    ["Date after 9999", { at: new Date(253402300800000) }, "date-out-of-range", "$.at"],
    ["Date before year 0", { at: new Date(-62167219200001) }, "date-out-of-range", "$.at"],
    ["lone high surrogate in a value", { name: "a\ud800" }, "lone-surrogate", "$.name"],
    ["lone low surrogate in a value", ["\udc00"], "lone-surrogate", "$[0]"],
    ["lone surrogate in a name", { ok: { "k\ud800": 1 } }, "lone-surrogate", '$.ok["k\\ud800"]'],
    ["names equal after NFC", { x: { "\u00e9": 1, "e\u0301": 2 } }, "duplicate-key", '$.x["\u00e9"]'],
    ["cycle through an object", cyclic, "cycle", "$.self.again[0]"],
    ["cycle through an array", { a: cyclicArray }, "cycle", "$.a[1].list"],
    ["path with a non-identifier name", { "检验 项目": [{ "a-b": NaN }] }, "non-finite-number", '$["检验 项目"][0]["a-b"]'],
  ];
  for (const [name, value, reason, path] of cases) {
    it(`refuses ${name}`, () => refuses(value, reason, path));
  }

  it("explains in English and Chinese, with what to do next", () => {
    try {
      canonicalize({ a: new Map() });
      assert.fail("expected a refusal");
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_RECORD"));
      assert.equal(error.httpStatus, 400);
      assert.match(error.message, /Object\.fromEntries/);
      assert.match(error.messageZh, /Object\.fromEntries/);
      assert.deepEqual(error.details, { path: "$.a", reason: "non-plain-object", type: "Map" });
    }
  });

  it("passes on an error thrown by a getter as it is", () => {
    const value = {};
    Object.defineProperty(value, "broken", { enumerable: true, get: () => { throw new RangeError("boom"); } });
    assert.throws(() => canonicalize(value), RangeError);
  });
});

// A deliberately plain second implementation of the same rules, for random records.
function reference(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "string") return JSON.stringify(value.normalize("NFC"));
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, member]) => member !== undefined)
    .map(([name, member]) => [name.normalize("NFC"), member] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${reference(member)}`).join(",")}}`;
}

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const PIECES = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\u0000", "\u001f", "\u007f", "é", "e\u0301", "\u00b5", "血", "糖", "\uf900", "\u1100\u1161", "\u0323\u0307", "\ud83d\ude00", "\uff61", "\u2028", "ﬁ"];

function randomRecord(next: () => number, depth = 0): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const text = (max: number) => Array.from({ length: Math.floor(next() * max) }, () => pick(PIECES)).join("");
  const kind = depth > 4 ? Math.floor(next() * 5) : Math.floor(next() * 8);
  switch (kind) {
    case 0:
      return text(8);
    case 1: {
      const bits = new DataView(new ArrayBuffer(8));
      bits.setUint32(0, Math.floor(next() * 2 ** 32));
      bits.setUint32(4, Math.floor(next() * 2 ** 32));
      const float = bits.getFloat64(0);
      return Number.isFinite(float) ? pick([float, Math.round(next() * 1e6) / 100, -0, 2 ** 53]) : 0;
    }
    case 2:
      return pick([true, false, null]);
    case 3:
      return new Date(Math.floor(next() * 4e12) - 1e12);
    case 4:
      return text(3);
    case 5:
    case 6: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 6); i > 0; i--) out[text(4)] = next() < 0.1 ? undefined : randomRecord(next, depth + 1);
      return out;
    }
    default:
      return Array.from({ length: Math.floor(next() * 5) }, () => randomRecord(next, depth + 1));
  }
}

describe("random records", () => {
  it("agree with a plain reference implementation, are stable, and read back as the same record", () => {
    const next = random(20250314);
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const record = randomRecord(next);
      const expected = reference(record); // blind to names that NFC makes equal: those are refused below
      let actual: string | undefined;
      try {
        actual = canonicalize(record);
      } catch (error) {
        assert.ok(isPlatformError(error, "INVALID_RECORD"));
        assert.equal(error.details.reason, "duplicate-key", `record ${i}`);
        continue;
      }
      assert.equal(actual, expected, `record ${i}`);
      assert.equal(canonicalize(JSON.parse(actual)), actual, `record ${i} read back`);
      compared++;
    }
    assert.ok(compared > 2500, `compared ${compared}`);
  });
});

it("text skipped by normalisation is NFC already: every character of the fast path, probed against ICU", () => {
  // A character may bypass String.prototype.normalize only if, alone and between neighbours, NFC
  // leaves it as it is: it does not decompose, and it is a starter (combining class 0), so it never
  // lets a following accent reach back to compose with the character before it.
  const ranges: [number, number][] = [
    [0x3000, 0x3029],
    [0x3030, 0x303f],
    [0x4e00, 0x9fff],
    [0xff01, 0xff5e],
  ];
  const unchangedByNfc = (c: string) =>
    c.normalize("NFC") === c &&
    c.normalize("NFD") === c &&
    `a${c}\u0301`.normalize("NFC") === `a${c}\u0301` &&
    `${c}\u0301`.normalize("NFC") === `${c}\u0301`;
  let probed = 0;
  for (const [from, to] of ranges) {
    for (let cp = from; cp <= to; cp++) {
      const c = String.fromCodePoint(cp);
      assert.ok(unchangedByNfc(c), `U+${cp.toString(16).toUpperCase()} is not NFC-stable`);
      assert.equal(canonicalize(`x${c}y`), `"x${c}y"`);
      probed++;
    }
  }
  assert.equal(probed, 0x2a + 0x10 + 0x5200 + 0x5e);
  // The probe does catch a non-starter: the tone marks left out of the fast path fail it.
  for (let cp = 0x302a; cp <= 0x302f; cp++) assert.equal(unchangedByNfc(String.fromCodePoint(cp)), false);
});

it("serialises member names the same once the cache of quoted names is full", () => {
  // More distinct verbatim names than the cache holds (4,096), then names seen before and after.
  const wide: Record<string, number> = {};
  for (let i = 0; i < 5_000; i++) wide[`field_${i.toString(36).padStart(4, "0")}`] = i;
  const names = Object.keys(wide).sort();
  const expected = `{${names.map((n) => `"${n}":${wide[n]}`).join(",")}}`;
  assert.equal(canonicalize(wide), expected);
  assert.equal(canonicalize(wide), expected);
  assert.equal(canonicalize({ late_name_after_the_cache_is_full: 1, field_0000: 2 }), '{"field_0000":2,"late_name_after_the_cache_is_full":1}');
  // A name that needs quoting or normalisation is never taken from the cache.
  // (sorted by UTF-16 code units: "q" U+0071 before "é" U+00E9, the NFC form of "e" + U+0301)
  assert.equal(canonicalize({ 'quote"d': 1, "e\u0301": 2 }), '{"quote\\"d":1,"\u00e9":2}');
});
