// The canonical form of a health record and its SM3 fingerprint, the same in every component and
// language. The canonical form is RFC 8785 (JCS) with a few added rules (NFC strings, Dates, refusals);
// the full specification, with worked examples to reproduce elsewhere, is docs/FINGERPRINT.md.
import type { Hex } from "viem";
import { utf8 } from "./bytes.ts";
import { platformError } from "./errors.ts";
import { isWellFormedText, sm3Implementation } from "./sm3.ts";

/** Prepended to the canonical bytes before hashing, so a record fingerprint is never any other SM3 hash. */
export const FINGERPRINT_DOMAIN = "HCF1";

/** The deepest nesting of objects and arrays a record may have (the record itself is level 1). */
export const MAX_RECORD_DEPTH = 64;

/** Why a value has no canonical form. */
export type RecordProblemReason =
  | "undefined"
  | "non-finite-number"
  | "bigint"
  | "function"
  | "symbol"
  | "non-plain-object"
  | "invalid-date"
  | "date-out-of-range"
  | "lone-surrogate"
  | "duplicate-key"
  | "cycle"
  | "too-deep";

const EXPLAIN: Readonly<Record<RecordProblemReason, readonly [en: string, zh: string]>> = {
  undefined: ["undefined is not a JSON value: leave the member out, or give null", "undefined 不是 JSON 值：请省略该成员或使用 null"],
  "non-finite-number": ["NaN and Infinity have no JSON form: give a finite number, or null", "NaN 和 Infinity 没有 JSON 表示：请使用有限数值或 null"],
  bigint: ["a BigInt is not a JSON number: give large integers and identifiers as strings", "BigInt 不是 JSON 数值：大整数和标识符请用字符串"],
  function: ["a function is not data", "函数不是数据"],
  symbol: ["a symbol is not data", "Symbol 不是数据"],
  "non-plain-object": [
    "only plain objects, arrays and Dates are records: convert Maps with Object.fromEntries, bytes to hex, class instances to plain objects",
    "记录只能包含普通对象、数组和日期：Map 请用 Object.fromEntries 转换，字节转为十六进制，类实例转为普通对象",
  ],
  "invalid-date": ["the Date is invalid", "日期无效"],
  "date-out-of-range": ["a Date must lie in the years 0000 to 9999", "日期必须在 0000 至 9999 年之间"],
  "lone-surrogate": ["the text contains a lone UTF-16 surrogate, which is not Unicode text", "文本含有孤立的 UTF-16 代理项，不是有效的 Unicode 文本"],
  "duplicate-key": ["two member names are equal after Unicode NFC normalisation", "两个成员名在 Unicode NFC 规范化后相同"],
  cycle: ["the record contains itself", "记录包含自身（循环引用）"],
  "too-deep": [`the record nests objects and arrays more than ${MAX_RECORD_DEPTH} levels deep`, `记录中对象和数组的嵌套超过 ${MAX_RECORD_DEPTH} 层`],
};

// Thrown inside the serialiser (a plain object: no stack to capture) and turned into INVALID_RECORD at
// the top.
class RecordProblem {
  readonly reason: RecordProblemReason;
  readonly detail: Readonly<Record<string, unknown>>;
  constructor(reason: RecordProblemReason, detail: Readonly<Record<string, unknown>> = {}) {
    this.reason = reason;
    this.detail = detail;
  }
}

/**
 * The state of one serialisation. The first walk keeps none (speed); when it meets a problem, a second
 * walk keeps the path and the enclosing containers, meets the same problem, and says where it is and
 * whether a "too deep" is really a cycle.
 */
interface Walk {
  /** Member names and indexes down to the current value. */
  readonly path: (string | number)[] | undefined;
  /** The objects and arrays enclosing the current value. */
  readonly ancestors: object[] | undefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A JSONPath-like location: `$.items[2].value`, `$["名称"]`. */
function formatPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

// Text that is its own JSON string body and its own NFC form: no controls, `"` or `\`, and only
// characters that never decompose, never compose with a neighbour and have combining class 0 —
// below U+0300 (ICU's bound), CJK symbols and punctuation except the tone marks U+302A–302F, CJK
// Unified Ideographs, and fullwidth ASCII forms. Health records are mostly such text, and skipping
// ICU's normalisation for it is what keeps a fingerprint fast (sdk/test/fingerprint.test.ts checks
// every one of these characters against String.prototype.normalize).
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\u02ff\u3000-\u3029\u3030-\u303f\u4e00-\u9fff\uff01-\uff5e]*$/;
// eslint-disable-next-line no-control-regex -- these are exactly the characters JSON escapes
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;

/** NFC form of a text that is not VERBATIM; lone surrogates are refused. */
function nfc(text: string): string {
  if (!isWellFormedText(text)) throw new RecordProblem("lone-surrogate");
  return text.normalize("NFC");
}

/** JCS's string form (ECMAScript JSON.stringify) of a text already in NFC. */
function quoteNfc(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function quote(text: string): string {
  return VERBATIM.test(text) ? `"${text}"` : quoteNfc(nfc(text));
}

const FIRST_INSTANT = -62167219200000; // 0000-01-01T00:00:00.000Z
const LAST_INSTANT = 253402300799999; // 9999-12-31T23:59:59.999Z

const objectToString = Object.prototype.toString;
const getTime = Date.prototype.getTime;
const toISOString = Date.prototype.toISOString;

/**
 * A Date of any realm, found by its tag rather than `instanceof`. getTime checks for a real Date
 * (an object that only claims the tag with Symbol.toStringTag is refused as not plain).
 */
function date(value: object): string {
  let time: number;
  try {
    time = getTime.call(value);
  } catch {
    throw new RecordProblem("non-plain-object", { type: "Date" });
  }
  if (Number.isNaN(time)) throw new RecordProblem("invalid-date");
  if (time < FIRST_INSTANT || time > LAST_INSTANT) throw new RecordProblem("date-out-of-range", { time });
  return `"${toISOString.call(value as Date)}"`;
}

const functionToString = Function.prototype.toString;
const OBJECT_SOURCE = functionToString.call(Object); // "function Object() { [native code] }" in every realm

/*
 * A plain object is one tagged "[object Object]" (so no arguments object, module namespace, or
 * object with its own Symbol.toStringTag) whose prototype is null or the Object.prototype of this or
 * another realm. Any other prototype — including an object without a prototype used as one
 * (`Object.create(defaults)`), whose inherited members would be silently left out — makes it not
 * plain. serialize() checks the tag, then the prototype with hasPlainPrototype().
 */
function hasPlainPrototype(value: object): boolean {
  const proto: object | null = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || isForeignObjectPrototype(proto);
}

/**
 * Another realm's Object.prototype, recognised as lodash does and then some: it has no prototype, its
 * own `constructor` is a function whose source is the native `Object`'s, and that function's
 * `prototype` is it (a non-writable property of the real `Object`).
 */
function isForeignObjectPrototype(proto: object): boolean {
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
  return (
    typeof ctor === "function" &&
    functionToString.call(ctor) === OBJECT_SOURCE &&
    (ctor as { prototype?: unknown }).prototype === proto
  );
}

function serialize(value: unknown, depth: number, walk: Walk): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      // ECMAScript Number::toString is JCS's number form; it already writes -0 as "0".
      if (!Number.isFinite(value)) throw new RecordProblem("non-finite-number", { value: String(value) });
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      throw new RecordProblem("undefined");
    case "bigint":
      throw new RecordProblem("bigint");
    case "function":
      throw new RecordProblem("function");
    case "symbol":
      throw new RecordProblem("symbol");
  }
  if (value === null) return "null";
  const container = value as object;
  if (Array.isArray(container)) {
    if (walk.ancestors?.includes(container)) throw new RecordProblem("cycle");
    if (depth >= MAX_RECORD_DEPTH) throw new RecordProblem("too-deep", { maxDepth: MAX_RECORD_DEPTH });
    return array(container, depth + 1, walk);
  }
  // Dates and non-plain objects by their tag, whatever their realm (not instanceof).
  const tag: string = objectToString.call(container);
  if (tag !== "[object Object]") {
    if (tag === "[object Date]") return date(container);
    throw new RecordProblem("non-plain-object", { type: tag.slice(8, -1) });
  }
  if (walk.ancestors?.includes(container)) throw new RecordProblem("cycle");
  if (depth >= MAX_RECORD_DEPTH) throw new RecordProblem("too-deep", { maxDepth: MAX_RECORD_DEPTH });
  if (!hasPlainPrototype(container)) throw new RecordProblem("non-plain-object", { type: "Object" });
  return object(container as Record<string, unknown>, depth + 1, walk);
}

function array(items: readonly unknown[], depth: number, walk: Walk): string {
  walk.ancestors?.push(items);
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    walk.path?.push(i);
    // Unlike JSON.stringify, an undefined (or missing) element is refused rather than turned into null.
    out += (i === 0 ? "" : ",") + serialize(items[i], depth, walk);
    walk.path?.pop();
  }
  walk.ancestors?.pop();
  return out + "]";
}

// Member names already seen to be verbatim, with their quoted form and colon: records of one kind
// repeat the same names, and a lookup is cheaper than testing and quoting each again. Bounded, so
// that names from odd records only cost speed, never memory.
const QUOTED_NAMES = new Map<string, string>();
const MAX_QUOTED_NAMES = 4096;

/** `"name":` for a verbatim member name, else undefined. */
function quotedVerbatimName(name: string): string | undefined {
  const known = QUOTED_NAMES.get(name);
  if (known !== undefined) return known;
  if (!VERBATIM.test(name)) return undefined;
  const quoted = `"${name}":`;
  if (QUOTED_NAMES.size < MAX_QUOTED_NAMES) QUOTED_NAMES.set(name, quoted);
  return quoted;
}

function object(members: Record<string, unknown>, depth: number, walk: Walk): string {
  walk.ancestors?.push(members);
  const names = Object.keys(members);
  let originalOf: Map<string, string> | undefined; // NFC name → name as given, where they differ
  let verbatim = true;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (quotedVerbatimName(name) !== undefined) continue;
    verbatim = false;
    walk.path?.push(name);
    const normalised = nfc(name);
    walk.path?.pop();
    if (normalised !== name) {
      (originalOf ??= new Map()).set(normalised, name);
      names[i] = normalised;
    }
  }
  sortByCodeUnits(names);
  let out = "{";
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    walk.path?.push(name);
    if (i > 0 && name === names[i - 1]) throw new RecordProblem("duplicate-key");
    const member = members[originalOf === undefined ? name : (originalOf.get(name) ?? name)];
    // An undefined member is an absent optional one, left out as JSON.stringify does.
    if (member !== undefined) {
      const key = verbatim ? (QUOTED_NAMES.get(name) ?? `"${name}":`) : `${quoteNfc(name)}:`;
      out += `${out.length === 1 ? "" : ","}${key}${serialize(member, depth, walk)}`;
    }
    walk.path?.pop();
  }
  walk.ancestors?.pop();
  return out + "}";
}

/** Sorts strings by UTF-16 code units (JCS's order; also what `<` compares), in place. */
function sortByCodeUnits(names: string[]): void {
  if (names.length > 24) {
    names.sort();
    return;
  }
  // Insertion sort: a record's objects are small, and for them it is several times faster than sort().
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!;
    let j = i - 1;
    for (; j >= 0 && names[j]! > name; j--) names[j + 1] = names[j]!;
    names[j + 1] = name;
  }
}

/**
 * The canonical JSON text of a record (RFC 8785 JCS plus the rules of docs/FINGERPRINT.md): sorted
 * members, NFC strings, shortest round-trip numbers, Dates as UTC ISO 8601 strings, undefined members
 * left out. Anything else (NaN, BigInt, Map, cycles, …) → INVALID_RECORD with the JSON path.
 */
export function canonicalize(record: unknown): string {
  try {
    return serialize(record, 0, { path: undefined, ancestors: undefined });
  } catch (first) {
    if (!(first instanceof RecordProblem)) throw first;
    const path: (string | number)[] = [];
    let problem = first;
    try {
      serialize(record, 0, { path, ancestors: [] });
    } catch (located) {
      if (located instanceof RecordProblem) problem = located; // and `path` leads to it
    }
    const where = formatPath(path);
    const [en, zh] = EXPLAIN[problem.reason];
    throw platformError("INVALID_RECORD", {
      details: { path: where, reason: problem.reason, ...problem.detail },
      message: `The record cannot be serialised canonically at ${where}: ${en}.`,
      messageZh: `记录在 ${where} 处无法规范化序列化：${zh}。`,
    });
  }
}

/** The UTF-8 bytes of {@link canonicalize}. */
export function canonicalBytes(record: unknown): Uint8Array {
  return utf8(canonicalize(record));
}

/** The record's fingerprint: SM3("HCF1" ‖ canonical bytes), as 0x-prefixed lower-case hex (32 bytes). */
export function fingerprint(record: unknown): Hex {
  // canonicalize() has refused lone surrogates, so the text's UTF-8 form is exact.
  return `0x${sm3Implementation.digestUtf8Hex(FINGERPRINT_DOMAIN + canonicalize(record))}`;
}
