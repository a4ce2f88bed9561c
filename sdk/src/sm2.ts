// SM2 (GM/T 0003-2012, GB/T 32918-2016) on the recommended curve sm2p256v1: keys and their standard
// encodings (PKCS#8, SEC1, SPKI, PEM), signatures over the Z-value digest with the standard user id,
// and public-key encryption (C1C3C2, C1C2C3, and the GM/T 0009 DER form OpenSSL uses).
//
// The curve arithmetic is sm-crypto-v2's, on noble-curves: its scalar multiplication (k·G, d·C1) is
// constant-time, but the modular arithmetic around it is not: signing computes (1 + d)⁻¹ and
// k − r·d with plain BigInt inversion and multiplication, whose timing depends on the values, and
// JavaScript gives no constant-time guarantee anyway. Fine for a gateway or an app signing its own
// requests; where an attacker can time many signatures with one key (an HSM-like signing service),
// OpenSSL (or a certified crypto module) remains the reference. Everything around the curve
// arithmetic — DER/PEM, Z and digests, KDF framing, range and curve checks, errors — is here and
// needs no node:crypto, so the module runs in browsers as well as on Node.
// Node's own crypto is not used on purpose: it computes Z with an empty user id and cannot be told
// otherwise, so its SM2 signatures are not GM/T 0003 signatures.
import { kdf, sm2, sm3 } from "sm-crypto-v2";
import { type BytesLike, concatBytes, constantTimeEqual, toBytes, toHex, utf8 } from "./bytes.ts";
import { type ErrorCode, isPlatformError, platformError } from "./errors.ts";
import { isWellFormedText } from "./sm3.ts";

// ---------------------------------------------------------------------------------------------
// Public types and constants
// ---------------------------------------------------------------------------------------------

/** The user id of GM/T 0009-2012 §10 (and OpenSSL's `distid:1234567812345678`), used by default. */
export const SM2_DEFAULT_USER_ID = "1234567812345678";

/** An SM2 key pair: private key 32 bytes, public key 65 bytes `04‖x‖y`. */
export interface Sm2KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A message to sign or encrypt: bytes, a hex string, or `{ utf8: "text" }` for UTF-8 text. */
export type Sm2Message = BytesLike | { readonly utf8: string };

/** `der`: SEQUENCE { r INTEGER, s INTEGER } as OpenSSL writes it; `raw`: r‖s, 64 bytes. */
export type Sm2SignatureFormat = "der" | "raw";

/**
 * `c1c3c2` (GM/T 0003.4-2012 recommendation, default) and `c1c2c3` (the 2010 draft order) with
 * C1 = `04‖x1‖y1`; `der`: SM2Ciphertext ::= SEQUENCE { x, y INTEGER, hash, ciphertext OCTET STRING }
 * (GM/T 0009), the form of `openssl pkeyutl -encrypt`.
 */
export type Sm2CiphertextFormat = "c1c3c2" | "c1c2c3" | "der";

/** The signer's identity hashed into Z: text (UTF-8) or bytes; at most 8191 bytes. */
export type Sm2UserId = string | Uint8Array;

/** Options of the operations that hash Z. */
export interface Sm2UserIdOptions {
  /** Defaults to {@link SM2_DEFAULT_USER_ID}. */
  readonly userId?: Sm2UserId;
}

/** Options of signing. */
export interface Sm2SignOptions extends Sm2UserIdOptions {
  /** Defaults to `der`. */
  readonly format?: Sm2SignatureFormat;
}

/** Options of verification. */
export interface Sm2VerifyOptions extends Sm2UserIdOptions {
  /** The encoding of the signature; defaults to `der`. */
  readonly format?: Sm2SignatureFormat;
}

/** Options of encryption and decryption. */
export interface Sm2CipherOptions {
  /** Defaults to `c1c3c2`. */
  readonly format?: Sm2CiphertextFormat;
}

/** A signer bound to one private key, with its public key and Z computed once. */
export interface Sm2Signer {
  readonly publicKey: Uint8Array;
  /** Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA) of this key and user id. */
  readonly z: Uint8Array;
  sign(message: Sm2Message, options?: { readonly format?: Sm2SignatureFormat }): Uint8Array;
}

/** A verifier bound to one public key, with its precomputed tables and Z. */
export interface Sm2Verifier {
  readonly publicKey: Uint8Array;
  /** Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA) of this key and user id. */
  readonly z: Uint8Array;
  verify(message: Sm2Message, signature: BytesLike, options?: { readonly format?: Sm2SignatureFormat }): boolean;
}

// ---------------------------------------------------------------------------------------------
// Curve sm2p256v1 (GM/T 0003.5-2012) and small big-integer helpers
// ---------------------------------------------------------------------------------------------

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

const MAX_USER_ID_BYTES = 8191; // ENTL is the id's length in bits, in two bytes
const MAX_DIGEST_BYTES = 64;
const DEFAULT_WINDOW_SIZE = 4;

function bigintFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(toHex(bytes));
}

function bytes32(value: bigint): Uint8Array {
  return toBytes(value.toString(16).padStart(64, "0"));
}

function hex32(value: bigint): string {
  return value.toString(16).padStart(64, "0");
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function powMod(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

function curveRhs(x: bigint): bigint {
  return mod(x * x * x + A * x + B, P);
}

function sm3Bytes(data: Uint8Array): Uint8Array {
  return toBytes(sm3(data));
}

const CURVE_ZBYTES = concatBytes(bytes32(A), bytes32(B), bytes32(GX), bytes32(GY));
const DEFAULT_USER_ID_BYTES = utf8(SM2_DEFAULT_USER_ID);

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

// No error of this module carries a key, a plaintext or the rejected value itself, neither in its
// details nor as its cause: only names, lengths, reasons and positions.
function fail(code: ErrorCode, message: string, messageZh: string, details: Record<string, unknown>): never {
  throw platformError(code, { message, messageZh, details });
}

/**
 * Bytes of a BytesLike input, or the given error (not INVALID_HEX) when it is neither bytes nor hex.
 * The INVALID_HEX error is not kept as the cause: only its reason, length and index are passed on.
 */
function inputBytes(value: unknown, code: ErrorCode, what: string, whatZh: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" && value.includes("-----BEGIN")) {
    fail(
      code,
      `The ${what} is PEM text; decode it first (sm2PrivateKeyFromPem / sm2PublicKeyFromPem).`,
      `${whatZh}是 PEM 文本；请先解码（sm2PrivateKeyFromPem / sm2PublicKeyFromPem）。`,
      { what },
    );
  }
  try {
    return toBytes(value as BytesLike, what);
  } catch (error) {
    const inner: Readonly<Record<string, unknown>> = isPlatformError(error, "INVALID_HEX") ? error.details : {};
    const where =
      typeof inner.index === "number"
        ? ` (${String(inner.reason)} at index ${inner.index})`
        : inner.reason === undefined
          ? ""
          : ` (${String(inner.reason)})`;
    return fail(code, `The ${what} is neither bytes nor hexadecimal${where}.`, `${whatZh}既不是字节也不是十六进制。`, {
      what,
      type: value === null ? "null" : typeof value,
      ...(inner.reason === undefined ? {} : { reason: inner.reason }),
      ...(typeof inner.length === "number" ? { length: inner.length } : {}),
      ...(typeof inner.index === "number" ? { index: inner.index } : {}),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

function privateScalar(privateKey: unknown, what = "private key"): bigint {
  const bytes = inputBytes(privateKey, "INVALID_KEY", what, "私钥");
  if (bytes.length !== 32) {
    fail(
      "INVALID_KEY",
      `An SM2 private key is 32 bytes, not ${bytes.length}.`,
      `SM2 私钥应为 32 字节，而不是 ${bytes.length} 字节。`,
      {
        what,
        length: bytes.length,
        expected: 32,
      },
    );
  }
  const d = bigintFromBytes(bytes);
  // d = n−1 is excluded too: signing divides by 1 + d (GM/T 0003.1 §6.1).
  if (d < 1n || d > N - 2n) {
    fail(
      "INVALID_KEY",
      "The SM2 private key is out of range: it must be in [1, n−2].",
      "SM2 私钥超出范围：应在 [1, n−2] 之内。",
      {
        what,
        reason: d === 0n ? "zero" : "not below n−1",
      },
    );
  }
  return d;
}

interface Point {
  readonly x: bigint;
  readonly y: bigint;
}

function encodePoint(point: Point): Uint8Array {
  return concatBytes(Uint8Array.of(4), bytes32(point.x), bytes32(point.y));
}

/** Decodes 65-byte `04‖x‖y`, 33-byte compressed or 64-byte `x‖y`, checking the point is on the curve. */
function decodePoint(bytes: Uint8Array, code: ErrorCode, what: string, whatZh: string): Point {
  let x: bigint;
  let y: bigint;
  if (bytes.length === 65 && bytes[0] === 4) {
    x = bigintFromBytes(bytes.subarray(1, 33));
    y = bigintFromBytes(bytes.subarray(33));
  } else if (bytes.length === 64) {
    x = bigintFromBytes(bytes.subarray(0, 32));
    y = bigintFromBytes(bytes.subarray(32));
  } else if (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) {
    x = bigintFromBytes(bytes.subarray(1));
    if (x >= P)
      fail(code, `The ${what}'s x coordinate is not below p.`, `${whatZh}的 x 坐标不小于 p。`, {
        what,
        reason: "x ≥ p",
      });
    const rhs = curveRhs(x);
    y = powMod(rhs, (P + 1n) / 4n, P); // p ≡ 3 (mod 4)
    if ((y * y) % P !== rhs)
      fail(code, `The ${what} is not a point on sm2p256v1.`, `${whatZh}不是 sm2p256v1 曲线上的点。`, {
        what,
        reason: "not on curve",
      });
    if (Number(y & 1n) !== (bytes[0]! & 1)) y = P - y;
    return { x, y };
  } else {
    return fail(
      code,
      `The ${what} must be 65 bytes 04‖x‖y (or 33 compressed, or 64 x‖y), not ${bytes.length} bytes starting with 0x${(bytes[0] ?? 0).toString(16).padStart(2, "0")}.`,
      `${whatZh}应为 65 字节的 04‖x‖y（或 33 字节压缩形式、64 字节 x‖y），实际为 ${bytes.length} 字节。`,
      { what, length: bytes.length, prefix: bytes[0] },
    );
  }
  if (x >= P || y >= P)
    fail(code, `The ${what} has a coordinate not below p.`, `${whatZh}的坐标不小于 p。`, {
      what,
      reason: "coordinate ≥ p",
    });
  if ((y * y) % P !== curveRhs(x)) {
    fail(code, `The ${what} is not a point on sm2p256v1.`, `${whatZh}不是 sm2p256v1 曲线上的点。`, {
      what,
      reason: "not on curve",
    });
  }
  return { x, y };
}

function publicPoint(publicKey: unknown, what = "public key"): Point {
  return decodePoint(inputBytes(publicKey, "INVALID_KEY", what, "公钥"), "INVALID_KEY", what, "公钥");
}

function derivePoint(d: bigint): Uint8Array {
  return toBytes(sm2.getPublicKeyFromPrivateKey(hex32(d)));
}

/** Generates an SM2 key pair from the platform's CSPRNG (`crypto.getRandomValues`). */
export function generateSm2KeyPair(): Sm2KeyPair {
  for (;;) {
    const pair = sm2.generateKeyPairHex();
    const d = BigInt(`0x${pair.privateKey}`);
    if (d >= 1n && d <= N - 2n) return { privateKey: toBytes(pair.privateKey), publicKey: toBytes(pair.publicKey) };
  }
}

/** The public key `04‖x‖y` (65 bytes) of a private key; INVALID_KEY if the private key is malformed. */
export function deriveSm2PublicKey(privateKey: BytesLike): Uint8Array {
  return derivePoint(privateScalar(privateKey));
}

/** Checks a private key (32 bytes, in [1, n−2]) and returns its bytes; INVALID_KEY with details otherwise. */
export function validateSm2PrivateKey(privateKey: BytesLike): Uint8Array {
  return bytes32(privateScalar(privateKey));
}

/**
 * Checks a public key (65-byte `04‖x‖y`, 33-byte compressed or 64-byte `x‖y`; coordinates below p;
 * on the curve) and returns it as 65 bytes `04‖x‖y`; INVALID_KEY with details otherwise.
 */
export function validateSm2PublicKey(publicKey: BytesLike): Uint8Array {
  return encodePoint(publicPoint(publicKey));
}

// ---------------------------------------------------------------------------------------------
// DER: the little of X.690 that keys, signatures and ciphertexts need (strict: definite minimal
// lengths, minimal non-negative INTEGERs, no trailing bytes)
// ---------------------------------------------------------------------------------------------

interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly next: number;
}

type Bad = (reason: string) => never;

function derProblem(code: ErrorCode, what: string, whatZh: string): Bad {
  return (reason) =>
    fail(code, `The ${what} is not valid DER: ${reason}.`, `${whatZh}不是有效的 DER 编码（${reason}）。`, {
      what,
      reason,
    });
}

function readTlv(bytes: Uint8Array, offset: number, bad: Bad): Tlv {
  if (offset + 2 > bytes.length) bad("truncated");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) bad("unexpected multi-byte tag");
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) bad("indefinite length");
    if (count > 4) bad("length too large");
    if (start + count > bytes.length) bad("truncated length");
    if (bytes[start] === 0) bad("non-minimal length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    if (length < 0x80) bad("non-minimal length");
    start += count;
  }
  if (start + length > bytes.length) bad("truncated");
  return { tag, value: bytes.subarray(start, start + length), next: start + length };
}

/** The single element that spans all of `bytes`, with the expected tag. */
function readWhole(bytes: Uint8Array, tag: number, bad: Bad): Tlv {
  const tlv = readTlv(bytes, 0, bad);
  if (tlv.tag !== tag) bad(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  if (tlv.next !== bytes.length) bad("trailing bytes");
  return tlv;
}

function readChildren(value: Uint8Array, bad: Bad): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = 0; offset < value.length;) {
    const child = readTlv(value, offset, bad);
    children.push(child);
    offset = child.next;
  }
  return children;
}

function readUnsigned(tlv: Tlv | undefined, bad: Bad, name: string): bigint {
  if (tlv === undefined || tlv.tag !== 0x02) bad(`${name} is not an INTEGER`);
  const v = tlv.value;
  if (v.length === 0) bad(`${name} is empty`);
  if (v[0]! & 0x80) bad(`${name} is negative`);
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) bad(`${name} is not minimally encoded`);
  return bigintFromBytes(v);
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const out: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) out.unshift(rest % 256);
  return Uint8Array.of(0x80 | out.length, ...out);
}

function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  return concatBytes(Uint8Array.of(tag), derLength(body.length), body);
}

function derUnsigned(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = toBytes(hex);
  return der(0x02, bytes[0]! & 0x80 ? concatBytes(Uint8Array.of(0), bytes) : bytes);
}

/**
 * The dotted form of an OBJECT IDENTIFIER's content, strictly (X.690 §8.19): not empty, every
 * subidentifier minimal (never starting with 0x80) and complete (the last byte has no continuation
 * bit), and small enough to be exact in a double. Anything else is refused, so one OID has one encoding.
 */
function oidToString(content: Uint8Array, bad: Bad): string {
  if (content.length === 0) bad("empty OBJECT IDENTIFIER");
  if (content[content.length - 1]! & 0x80) bad("OBJECT IDENTIFIER ends inside a subidentifier");
  const parts: number[] = [];
  let value = 0;
  let fresh = true; // at the first byte of a subidentifier
  for (const byte of content) {
    if (fresh && byte === 0x80) bad("OBJECT IDENTIFIER subidentifier is not minimally encoded");
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) bad("OBJECT IDENTIFIER subidentifier too large");
    fresh = !(byte & 0x80);
    if (fresh) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_SM2 = "1.2.156.10197.1.301";
const OID_EC_PUBLIC_KEY_DER = der(0x06, Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01));
const OID_SM2_DER = der(0x06, Uint8Array.of(0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d));
const SM2_ALGORITHM_DER = der(0x30, OID_EC_PUBLIC_KEY_DER, OID_SM2_DER);

const OTHER_CURVES: Readonly<Record<string, string>> = {
  "1.3.132.0.10": "secp256k1",
  "1.2.840.10045.3.1.7": "P-256 (prime256v1)",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

// ---------------------------------------------------------------------------------------------
// Key encodings: SPKI, PKCS#8, SEC1, PEM
// ---------------------------------------------------------------------------------------------

/** Checks an AlgorithmIdentifier names SM2: id-ecPublicKey + the SM2 curve, or the SM2 OID itself. */
function checkSm2Algorithm(algorithm: Tlv | undefined, bad: Bad): void {
  if (algorithm === undefined || algorithm.tag !== 0x30) bad("missing AlgorithmIdentifier");
  const [oid, params, extra] = readChildren(algorithm.value, bad);
  if (oid === undefined || oid.tag !== 0x06 || extra !== undefined) bad("malformed AlgorithmIdentifier");
  const algorithmOid = oidToString(oid.value, bad);
  if (params?.tag === 0x05 && params.value.length !== 0) bad("NULL parameters with content");
  if (
    algorithmOid === OID_SM2 &&
    (params === undefined || params.tag === 0x05 || (params.tag === 0x06 && oidToString(params.value, bad) === OID_SM2))
  ) {
    return;
  }
  if (algorithmOid !== OID_EC_PUBLIC_KEY) {
    fail(
      "INVALID_KEY",
      `The key is not an elliptic-curve key (algorithm ${algorithmOid}).`,
      `该密钥不是椭圆曲线密钥（算法 ${algorithmOid}）。`,
      {
        algorithm: algorithmOid,
        expected: `${OID_EC_PUBLIC_KEY} with curve ${OID_SM2}`,
      },
    );
  }
  if (params === undefined || params.tag !== 0x06) {
    const explicit = params?.tag === 0x30;
    fail(
      "INVALID_KEY",
      explicit
        ? "The key's curve is given by explicit parameters; only the named curve SM2 is supported. Re-encode it with `openssl ec -in key.pem -param_enc named_curve -out named.pem`."
        : "The key names no curve; an SM2 key carries the curve OID 1.2.156.10197.1.301.",
      explicit
        ? "密钥曲线以显式参数给出；仅支持命名曲线 SM2。请用 `openssl ec -in key.pem -param_enc named_curve -out named.pem` 重新编码。"
        : "密钥未标明曲线；SM2 密钥应带有曲线 OID 1.2.156.10197.1.301。",
      { algorithm: algorithmOid, parameters: params === undefined ? "absent" : `tag 0x${params.tag.toString(16)}` },
    );
  }
  const curve = oidToString(params.value, bad);
  if (curve !== OID_SM2) {
    const name = OTHER_CURVES[curve];
    fail(
      "INVALID_KEY",
      `The key is on ${name ?? `curve ${curve}`}, not SM2 (sm2p256v1, ${OID_SM2}).`,
      `该密钥属于${name ?? `曲线 ${curve}`}，不是 SM2（sm2p256v1，${OID_SM2}）。`,
      { curve, curveName: name, expected: OID_SM2 },
    );
  }
}

/** Reads a BIT STRING holding an EC point (no unused bits). */
function readPointBitString(tlv: Tlv, bad: Bad, what: string, whatZh: string): Point {
  if (tlv.tag !== 0x03 || tlv.value.length < 1 || tlv.value[0] !== 0)
    bad("public key is not a BIT STRING without unused bits");
  return decodePoint(tlv.value.subarray(1), "INVALID_KEY", what, whatZh);
}

/** Parses ECPrivateKey (SEC1 / RFC 5915); `inPkcs8` when the curve is already named outside. */
function parseEcPrivateKey(bytes: Uint8Array, inPkcs8: boolean): bigint {
  const bad: Bad = derProblem("INVALID_KEY", inPkcs8 ? "PKCS#8 inner ECPrivateKey" : "SEC1 EC private key", "EC 私钥");
  const [version, octets, ...rest] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
  if (readUnsigned(version, bad, "version") !== 1n) bad("version is not 1");
  if (octets === undefined || octets.tag !== 0x04) bad("privateKey is not an OCTET STRING");
  if (octets.value.length === 0 || octets.value.length > 32) bad(`privateKey is ${octets.value.length} bytes`);
  const padded = new Uint8Array(32);
  padded.set(octets.value, 32 - octets.value.length);
  const d = privateScalar(padded);
  let expectTag = 0xa0;
  for (const field of rest) {
    if (field.tag < expectTag || field.tag > 0xa1) bad(`unexpected field 0x${field.tag.toString(16)}`);
    expectTag = field.tag + 1;
    const inner = readWhole(field.value, field.tag === 0xa0 ? readTlv(field.value, 0, bad).tag : 0x03, bad);
    if (field.tag === 0xa0) {
      checkSm2Algorithm(
        { tag: 0x30, value: concatBytes(OID_EC_PUBLIC_KEY_DER, der(inner.tag, inner.value)), next: 0 },
        bad,
      );
    } else {
      const embedded = readPointBitString(inner, bad, "embedded public key", "内嵌公钥");
      if (!constantTimeEqual(encodePoint(embedded), derivePoint(d))) {
        fail(
          "INVALID_KEY",
          "The public key stored with the private key does not belong to it: the file is corrupt or spliced.",
          "与私钥一同存储的公钥与私钥不匹配：文件已损坏或被拼接。",
          { reason: "embedded public key mismatch" },
        );
      }
    }
  }
  return d;
}

/** Parses PKCS#8 PrivateKeyInfo / OneAsymmetricKey (v1 or v2). */
function parsePkcs8(bytes: Uint8Array): bigint {
  const bad: Bad = derProblem("INVALID_KEY", "PKCS#8 private key", "PKCS#8 私钥");
  const [version, algorithm, octets, ...rest] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
  const v = readUnsigned(version, bad, "version");
  if (v !== 0n && v !== 1n) bad(`version ${v}`);
  checkSm2Algorithm(algorithm, bad);
  if (octets === undefined || octets.tag !== 0x04) bad("privateKey is not an OCTET STRING");
  const d = parseEcPrivateKey(octets.value, true);
  for (const field of rest) {
    if (field.tag === 0xa0) continue; // attributes
    if (field.tag !== 0x81 || v !== 1n) bad(`unexpected field 0x${field.tag.toString(16)}`);
    const embedded = readPointBitString(
      { tag: 0x03, value: field.value, next: 0 },
      bad,
      "embedded public key",
      "内嵌公钥",
    );
    if (!constantTimeEqual(encodePoint(embedded), derivePoint(d))) {
      fail(
        "INVALID_KEY",
        "The public key stored with the private key does not belong to it.",
        "与私钥一同存储的公钥与私钥不匹配。",
        {
          reason: "embedded public key mismatch",
        },
      );
    }
  }
  return d;
}

/**
 * The private key (32 bytes) in a DER PKCS#8 PrivateKeyInfo or SEC1 ECPrivateKey; INVALID_KEY if it is
 * malformed, encrypted, for another curve, or its embedded public key does not match.
 */
export function sm2PrivateKeyFromDer(der: BytesLike): Uint8Array {
  const bytes = inputBytes(der, "INVALID_KEY", "DER private key", "DER 私钥");
  const bad: Bad = derProblem("INVALID_KEY", "DER private key", "DER 私钥");
  const [first, second] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
  if (first?.tag === 0x30 && second?.tag === 0x04) {
    fail(
      "INVALID_KEY",
      "The private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); decrypt it first, e.g. `openssl pkey -in enc.pem -out key.pem`.",
      "私钥已加密（PKCS#8 EncryptedPrivateKeyInfo）；请先解密，例如 `openssl pkey -in enc.pem -out key.pem`。",
      { reason: "encrypted" },
    );
  }
  return bytes32(second?.tag === 0x04 ? parseEcPrivateKey(bytes, false) : parsePkcs8(bytes));
}

/** The public key (65 bytes `04‖x‖y`) in a DER SubjectPublicKeyInfo; INVALID_KEY if malformed or not SM2. */
export function sm2PublicKeyFromDer(der: BytesLike): Uint8Array {
  const bytes = inputBytes(der, "INVALID_KEY", "DER public key", "DER 公钥");
  const bad: Bad = derProblem("INVALID_KEY", "SubjectPublicKeyInfo", "SubjectPublicKeyInfo 公钥");
  const [algorithm, bitString, extra] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
  if (bitString === undefined || extra !== undefined) bad("not a SubjectPublicKeyInfo");
  checkSm2Algorithm(algorithm, bad);
  return encodePoint(readPointBitString(bitString, bad, "public key", "公钥"));
}

/** The private key as DER: PKCS#8 (default, as `openssl genpkey` writes) or SEC1 ECPrivateKey; both embed the public key. */
export function sm2PrivateKeyToDer(
  privateKey: BytesLike,
  options: { readonly format?: "pkcs8" | "sec1" } = {},
): Uint8Array {
  const format = options.format ?? "pkcs8";
  if (format !== "pkcs8" && format !== "sec1") {
    fail(
      "INVALID_INPUT",
      `Unknown private key format "${String(format)}"; use "pkcs8" or "sec1".`,
      `未知的私钥格式 "${String(format)}"；请使用 "pkcs8" 或 "sec1"。`,
      {
        format,
      },
    );
  }
  const d = privateScalar(privateKey);
  const publicKey = der(0xa1, der(0x03, Uint8Array.of(0), derivePoint(d)));
  const version = der(0x02, Uint8Array.of(1));
  const secret = der(0x04, bytes32(d));
  if (format === "sec1") return der(0x30, version, secret, der(0xa0, OID_SM2_DER), publicKey);
  return der(0x30, der(0x02, Uint8Array.of(0)), SM2_ALGORITHM_DER, der(0x04, der(0x30, version, secret, publicKey)));
}

/** The public key as DER SubjectPublicKeyInfo (id-ecPublicKey, curve SM2, uncompressed point). */
export function sm2PublicKeyToDer(publicKey: BytesLike): Uint8Array {
  return der(0x30, SM2_ALGORITHM_DER, der(0x03, Uint8Array.of(0), encodePoint(publicPoint(publicKey))));
}

function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function toPem(label: string, der: Uint8Array): string {
  const lines = base64Encode(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface PemBlock {
  readonly label: string;
  readonly body: string;
}

/** The longest PEM text read: an SM2 key is under 1 KiB, even with parameters and comments around it. */
export const MAX_PEM_LENGTH = 64 * 1024;

const PEM_BEGIN = "-----BEGIN ";
const PEM_END = "-----END ";
const PEM_DASHES = "-----";
const PEM_LABEL = /^[A-Z0-9 ]{1,64}$/;

/**
 * The `-----BEGIN L-----` … `-----END L-----` blocks of a text, in order. A BEGIN with a later BEGIN
 * before its END is unterminated and skipped; a block whose END names another label is dropped. Found
 * with indexOf, each character looked at a bounded number of times, so the time is linear in the
 * length (a lazy regular expression was quadratic on a BEGIN repeated without END); and the text is
 * at most {@link MAX_PEM_LENGTH} long.
 */
function pemBlocks(text: unknown, what: string, whatZh: string): PemBlock[] {
  if (typeof text !== "string") {
    fail("INVALID_KEY", `The ${what} must be PEM text.`, `${whatZh}应为 PEM 文本。`, { what, type: typeof text });
  }
  if (text.length > MAX_PEM_LENGTH) {
    fail(
      "INVALID_KEY",
      `The ${what} PEM text is ${text.length} characters; a key is far shorter, and more than ${MAX_PEM_LENGTH} are not read.`,
      `${whatZh} PEM 文本长 ${text.length} 个字符；密钥远比这短，超过 ${MAX_PEM_LENGTH} 个字符不予读取。`,
      { what, reason: "too-long", length: text.length, max: MAX_PEM_LENGTH },
    );
  }
  const blocks: PemBlock[] = [];
  let position = 0;
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, position);
    if (begin < 0) break;
    const labelStart = begin + PEM_BEGIN.length;
    const labelEnd = text.indexOf(PEM_DASHES, labelStart);
    if (labelEnd < 0) break;
    // No BEGIN starts inside the label (it would contain "-----"), so the search goes on from its end.
    position = labelEnd;
    const label = text.slice(labelStart, labelEnd);
    if (!PEM_LABEL.test(label)) continue;
    const bodyStart = labelEnd + PEM_DASHES.length;
    const end = text.indexOf(PEM_END, bodyStart);
    if (end < 0) break; // no END anywhere after: no later BEGIN has one either
    const inner = text.lastIndexOf(PEM_BEGIN, end);
    if (inner > begin) {
      position = inner; // this BEGIN is unterminated; the last BEGIN before the END may not be
      continue;
    }
    const endLabelStart = end + PEM_END.length;
    const endLabelEnd = text.indexOf(PEM_DASHES, endLabelStart);
    if (endLabelEnd < 0) break;
    position = endLabelEnd + PEM_DASHES.length;
    if (text.slice(endLabelStart, endLabelEnd) === label) blocks.push({ label, body: text.slice(bodyStart, end) });
  }
  return blocks;
}

function pemBody(block: PemBlock, what: string, whatZh: string): Uint8Array {
  if (block.body.includes("Proc-Type:")) {
    fail(
      "INVALID_KEY",
      `The ${what} is encrypted (legacy PEM encryption); decrypt it first, e.g. \`openssl pkey -in enc.pem -out key.pem\`.`,
      `${whatZh}已加密（旧式 PEM 加密）；请先解密，例如 \`openssl pkey -in enc.pem -out key.pem\`。`,
      { what, label: block.label, reason: "encrypted" },
    );
  }
  const base64 = block.body.replace(/\s+/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) {
    fail("INVALID_KEY", `The ${what}'s PEM body is not valid base64.`, `${whatZh}的 PEM 内容不是有效的 base64。`, {
      what,
      label: block.label,
    });
  }
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The private key (32 bytes) in PEM: `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` / `SM2 PRIVATE KEY`
 * (SEC1); parameter blocks before it (`openssl ecparam -genkey`) are skipped. Encrypted keys raise
 * INVALID_KEY.
 */
export function sm2PrivateKeyFromPem(pem: string): Uint8Array {
  const blocks = pemBlocks(pem, "private key", "私钥");
  const block = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  if (block === undefined) {
    const labels = blocks.map((b) => b.label);
    fail(
      "INVALID_KEY",
      labels.includes("PUBLIC KEY")
        ? "This PEM holds a public key, not a private key; use sm2PublicKeyFromPem."
        : "No PEM private key block (-----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----) was found.",
      labels.includes("PUBLIC KEY")
        ? "该 PEM 是公钥而不是私钥；请使用 sm2PublicKeyFromPem。"
        : "未找到 PEM 私钥块（PRIVATE KEY 或 EC PRIVATE KEY）。",
      { labels },
    );
  }
  if (block.label === "ENCRYPTED PRIVATE KEY") {
    fail(
      "INVALID_KEY",
      "The private key is encrypted (PKCS#8); decrypt it first, e.g. `openssl pkey -in enc.pem -out key.pem`.",
      "私钥已加密（PKCS#8）；请先解密，例如 `openssl pkey -in enc.pem -out key.pem`。",
      { label: block.label, reason: "encrypted" },
    );
  }
  // `openssl ec` labels SEC1 SM2 keys "SM2 PRIVATE KEY"
  if (block.label !== "PRIVATE KEY" && block.label !== "EC PRIVATE KEY" && block.label !== "SM2 PRIVATE KEY") {
    fail(
      "INVALID_KEY",
      `A "${block.label}" PEM block is not an SM2 private key.`,
      `"${block.label}" PEM 块不是 SM2 私钥。`,
      { label: block.label },
    );
  }
  const der = pemBody(block, "private key", "私钥");
  return bytes32(block.label === "PRIVATE KEY" ? parsePkcs8(der) : parseEcPrivateKey(der, false));
}

/** The public key (65 bytes `04‖x‖y`) in a `PUBLIC KEY` PEM (SubjectPublicKeyInfo). */
export function sm2PublicKeyFromPem(pem: string): Uint8Array {
  const blocks = pemBlocks(pem, "public key", "公钥");
  const block = blocks.find((b) => b.label === "PUBLIC KEY");
  if (block === undefined) {
    const labels = blocks.map((b) => b.label);
    const isPrivate = labels.some((l) => l.endsWith("PRIVATE KEY"));
    const isCertificate = labels.includes("CERTIFICATE");
    fail(
      "INVALID_KEY",
      isPrivate
        ? "This PEM holds a private key; read it with sm2PrivateKeyFromPem and derive the public key with deriveSm2PublicKey."
        : isCertificate
          ? "This PEM is a certificate; extract its key with `openssl x509 -in cert.pem -pubkey -noout`."
          : "No PEM public key block (-----BEGIN PUBLIC KEY-----) was found.",
      isPrivate
        ? "该 PEM 是私钥；请用 sm2PrivateKeyFromPem 读取，再用 deriveSm2PublicKey 求公钥。"
        : isCertificate
          ? "该 PEM 是证书；请用 `openssl x509 -in cert.pem -pubkey -noout` 提取公钥。"
          : "未找到 PEM 公钥块（PUBLIC KEY）。",
      { labels },
    );
  }
  return sm2PublicKeyFromDer(pemBody(block, "public key", "公钥"));
}

/** The private key as PEM: `PRIVATE KEY` (PKCS#8, default) or `EC PRIVATE KEY` (SEC1); readable by `openssl pkey`. */
export function sm2PrivateKeyToPem(
  privateKey: BytesLike,
  options: { readonly format?: "pkcs8" | "sec1" } = {},
): string {
  const derBytes = sm2PrivateKeyToDer(privateKey, options);
  return toPem(options.format === "sec1" ? "EC PRIVATE KEY" : "PRIVATE KEY", derBytes);
}

/** The public key as a `PUBLIC KEY` PEM (SubjectPublicKeyInfo); readable by `openssl pkey -pubin`. */
export function sm2PublicKeyToPem(publicKey: BytesLike): string {
  return toPem("PUBLIC KEY", sm2PublicKeyToDer(publicKey));
}

// ---------------------------------------------------------------------------------------------
// Z value and the signature digest (GM/T 0003.2-2012 §5.5, §6.1)
// ---------------------------------------------------------------------------------------------

/**
 * UTF-8 bytes of a text that is hashed or encrypted. Lone surrogates are refused rather than replaced
 * by U+FFFD, which TextEncoder does: else "a\ud800" and "a\udbff" would be one id or one message, and
 * a signature made for one would verify for the other.
 */
function wellFormedUtf8(text: string, what: string, whatZh: string): Uint8Array {
  if (!isWellFormedText(text)) {
    fail(
      "INVALID_INPUT",
      `The ${what} contains a lone UTF-16 surrogate, which has no UTF-8 encoding. Repair the text, or pass bytes.`,
      `${whatZh}含有孤立的 UTF-16 代理项，无法编码为 UTF-8。请修复文本，或传入字节。`,
      { what, reason: "lone-surrogate" },
    );
  }
  return utf8(text);
}

function userIdBytes(userId: unknown): Uint8Array {
  if (userId === undefined) return DEFAULT_USER_ID_BYTES;
  const bytes = typeof userId === "string" ? wellFormedUtf8(userId, "userId", "SM2 用户标识") : userId;
  if (!(bytes instanceof Uint8Array)) {
    fail("INVALID_INPUT", "The SM2 user id must be a string or bytes.", "SM2 用户标识应为字符串或字节。", {
      what: "userId",
      type: typeof userId,
    });
  }
  if (bytes.length > MAX_USER_ID_BYTES) {
    fail(
      "INVALID_INPUT",
      `The SM2 user id is ${bytes.length} bytes; at most ${MAX_USER_ID_BYTES} fit ENTL.`,
      `SM2 用户标识为 ${bytes.length} 字节，最多 ${MAX_USER_ID_BYTES} 字节。`,
      {
        what: "userId",
        length: bytes.length,
        max: MAX_USER_ID_BYTES,
      },
    );
  }
  return bytes;
}

function messageBytes(message: unknown, what: string): Uint8Array {
  if (typeof message === "object" && message !== null && !(message instanceof Uint8Array)) {
    const text = (message as { utf8?: unknown }).utf8;
    if (typeof text !== "string") {
      fail(
        "INVALID_INPUT",
        `The ${what} must be bytes, hex, or { utf8: string }.`,
        `${what === "message" ? "消息" : "明文"}应为字节、十六进制或 { utf8: string }。`,
        {
          what,
        },
      );
    }
    return wellFormedUtf8(text, what, what === "message" ? "消息" : "明文");
  }
  return toBytes(message as BytesLike, what);
}

function zOf(point: Point, userId: unknown): Uint8Array {
  const id = userIdBytes(userId);
  const entl = id.length * 8;
  return sm3Bytes(
    concatBytes(Uint8Array.of(entl >> 8, entl & 0xff), id, CURVE_ZBYTES, bytes32(point.x), bytes32(point.y)),
  );
}

/** Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA) of a public key and user id (default `1234567812345678`); 32 bytes. */
export function computeSm2Z(publicKey: BytesLike, options: Sm2UserIdOptions = {}): Uint8Array {
  return zOf(publicPoint(publicKey), options.userId);
}

/** The digest e = SM3(Z‖M) that an SM2 signature signs; 32 bytes. */
export function hashSm2Message(message: Sm2Message, publicKey: BytesLike, options: Sm2UserIdOptions = {}): Uint8Array {
  const z = zOf(publicPoint(publicKey), options.userId);
  return sm3Bytes(concatBytes(z, messageBytes(message, "message")));
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

interface RS {
  readonly r: bigint;
  readonly s: bigint;
}

function signatureFormat(format: unknown): Sm2SignatureFormat {
  if (format === undefined) return "der";
  if (format !== "der" && format !== "raw") {
    fail(
      "INVALID_INPUT",
      `Unknown signature format "${String(format)}"; use "der" or "raw".`,
      `未知的签名格式 "${String(format)}"；请使用 "der" 或 "raw"。`,
      {
        format,
      },
    );
  }
  return format;
}

function checkRange(rs: RS): RS {
  for (const [name, v] of [
    ["r", rs.r],
    ["s", rs.s],
  ] as const) {
    if (v < 1n || v >= N) {
      fail(
        "INVALID_SIGNATURE",
        `The signature's ${name} is out of range: it must be in [1, n−1].`,
        `签名的 ${name} 超出范围：应在 [1, n−1] 之内。`,
        {
          component: name,
          reason: v === 0n ? "zero" : "not below n",
        },
      );
    }
  }
  return rs;
}

function decodeSignature(signature: unknown, format: Sm2SignatureFormat): RS {
  const bytes = inputBytes(signature, "INVALID_SIGNATURE", "signature", "签名");
  if (format === "raw") {
    if (bytes.length !== 64) {
      fail(
        "INVALID_SIGNATURE",
        `A raw SM2 signature r‖s is 64 bytes, not ${bytes.length}.${bytes[0] === 0x30 ? ' It looks like DER: pass format "der".' : ""}`,
        `原始 SM2 签名 r‖s 应为 64 字节，而不是 ${bytes.length} 字节。${bytes[0] === 0x30 ? '看起来是 DER 格式：请传 format: "der"。' : ""}`,
        { format, length: bytes.length, expected: 64 },
      );
    }
    return checkRange({ r: bigintFromBytes(bytes.subarray(0, 32)), s: bigintFromBytes(bytes.subarray(32)) });
  }
  const bad: Bad = (reason) =>
    fail(
      "INVALID_SIGNATURE",
      `The signature is not a DER SM2 signature: ${reason}.${bytes.length === 64 ? ' If it is raw r‖s, pass format "raw".' : ""}`,
      `签名不是 DER 编码的 SM2 签名（${reason}）。${bytes.length === 64 ? '若为 r‖s 原始格式，请传 format: "raw"。' : ""}`,
      { format, reason, length: bytes.length },
    );
  const [r, s, extra] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
  if (extra !== undefined) bad("more than two INTEGERs");
  return checkRange({ r: readUnsigned(r, bad, "r"), s: readUnsigned(s, bad, "s") });
}

function encodeSignature(rs: RS, format: Sm2SignatureFormat): Uint8Array {
  return format === "raw" ? concatBytes(bytes32(rs.r), bytes32(rs.s)) : der(0x30, derUnsigned(rs.r), derUnsigned(rs.s));
}

function digestBytes(digest: unknown): Uint8Array {
  const bytes = toBytes(digest as BytesLike, "digest");
  if (bytes.length === 0 || bytes.length > MAX_DIGEST_BYTES) {
    fail(
      "INVALID_INPUT",
      `The digest to sign is ${bytes.length} bytes; expected 1 to ${MAX_DIGEST_BYTES} (SM3: 32).`,
      `待签名摘要为 ${bytes.length} 字节；应为 1 到 ${MAX_DIGEST_BYTES} 字节（SM3 为 32 字节）。`,
      {
        length: bytes.length,
      },
    );
  }
  return bytes;
}

function signDigestWith(e: Uint8Array, d: bigint): RS {
  const raw = sm2.doSignature(e, hex32(d), { hash: false });
  return { r: BigInt(`0x${raw.slice(0, 64)}`), s: BigInt(`0x${raw.slice(64)}`) };
}

type PreparedKey = string | ReturnType<typeof sm2.precomputePublicKey>;

/**
 * GM/T 0003.2 §7.1 verification of (r, s) over the digest e: (x1, y1) = s·G + t·P with t = r + s,
 * accepted when r = (e + x1) mod n. When s·G + t·P is the point at infinity, which has no x1, the
 * library's affine conversion yields x1 = 0 and so accepted any such (r, s) with r ≡ e (mod n). Making
 * one takes the private key (s = −r·d·(1 + d)⁻¹), so it is not a forgery; but it is a signature this
 * sdk accepted and OpenSSL refuses ("point at infinity"), i.e. two verifiers disagreeing on one
 * signature. We refuse it as OpenSSL does, by returning false for r ≡ e (mod n) before the library
 * runs. An honest signature has r ≡ e only if x1 ≡ 0 (mod n) for its random k: probability ≈ 2⁻²⁵⁶.
 */
function verifyDigestWith(e: Uint8Array, rs: RS, key: PreparedKey): boolean {
  if (mod(bigintFromBytes(e), N) === rs.r) return false;
  return sm2.doVerifySignature(e, hex32(rs.r) + hex32(rs.s), key, { hash: false });
}

/**
 * Signs a message with SM2 (GM/T 0003.2): e = SM3(Z‖M) with the user id (default `1234567812345678`),
 * a fresh random k. Returns DER (default) or raw r‖s. For many signatures with one key use
 * {@link createSm2Signer}, which skips deriving the public key and Z each time.
 */
export function signSm2(message: Sm2Message, privateKey: BytesLike, options: Sm2SignOptions = {}): Uint8Array {
  const format = signatureFormat(options.format);
  const d = privateScalar(privateKey);
  const point = decodePoint(derivePoint(d), "INTERNAL", "derived public key", "派生公钥");
  const e = sm3Bytes(concatBytes(zOf(point, options.userId), messageBytes(message, "message")));
  return encodeSignature(signDigestWith(e, d), format);
}

/**
 * Verifies an SM2 signature over a message with the user id (default `1234567812345678`). Returns
 * false for a well-formed signature that does not match; throws INVALID_SIGNATURE for a malformed one
 * (not DER, wrong length, r or s out of range) and INVALID_KEY for a malformed public key.
 */
export function verifySm2(
  message: Sm2Message,
  signature: BytesLike,
  publicKey: BytesLike,
  options: Sm2VerifyOptions = {},
): boolean {
  const point = publicPoint(publicKey);
  const rs = decodeSignature(signature, signatureFormat(options.format));
  const e = sm3Bytes(concatBytes(zOf(point, options.userId), messageBytes(message, "message")));
  return verifyDigestWith(e, rs, toHex(encodePoint(point), false));
}

/**
 * Signs a precomputed digest e directly (no Z, no hashing), as OpenSSL's `EVP_PKEY_sign` does for SM2
 * keys. Use {@link signSm2} unless the digest e = SM3(Z‖M) was computed elsewhere.
 */
export function signSm2Digest(
  digest: BytesLike,
  privateKey: BytesLike,
  options: { readonly format?: Sm2SignatureFormat } = {},
): Uint8Array {
  const format = signatureFormat(options.format);
  return encodeSignature(signDigestWith(digestBytes(digest), privateScalar(privateKey)), format);
}

/** Verifies a signature over a precomputed digest e (no Z); the counterpart of {@link signSm2Digest}. */
export function verifySm2Digest(
  digest: BytesLike,
  signature: BytesLike,
  publicKey: BytesLike,
  options: { readonly format?: Sm2SignatureFormat } = {},
): boolean {
  const point = publicPoint(publicKey);
  const rs = decodeSignature(signature, signatureFormat(options.format));
  return verifyDigestWith(digestBytes(digest), rs, toHex(encodePoint(point), false));
}

/** A signer for one private key and user id: derives the public key and Z once. */
export function createSm2Signer(privateKey: BytesLike, options: Sm2UserIdOptions = {}): Sm2Signer {
  const d = privateScalar(privateKey);
  const publicKey = derivePoint(d);
  const z = zOf(decodePoint(publicKey, "INTERNAL", "derived public key", "派生公钥"), options.userId);
  return Object.freeze({
    get publicKey() {
      return publicKey.slice();
    },
    get z() {
      return z.slice();
    },
    sign(message: Sm2Message, signOptions: { readonly format?: Sm2SignatureFormat } = {}): Uint8Array {
      const format = signatureFormat(signOptions.format);
      const e = sm3Bytes(concatBytes(z, messageBytes(message, "message")));
      return encodeSignature(signDigestWith(e, d), format);
    },
  });
}

/**
 * A verifier for one public key and user id: validates the key, computes Z and precomputes the key's
 * multiplication tables once, for repeated verification (several times faster than {@link verifySm2}).
 * `windowSize` trades memory for speed: 4 (default) ≈ tens of KB and 5 ms to build; 8 ≈ 1.2 MB and
 * 30 ms, about 40 % faster.
 */
export function createSm2Verifier(
  publicKey: BytesLike,
  options: Sm2UserIdOptions & { readonly windowSize?: number } = {},
): Sm2Verifier {
  const windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
  if (!Number.isInteger(windowSize) || windowSize < 2 || windowSize > 8) {
    fail(
      "INVALID_INPUT",
      "The precomputation window size must be an integer from 2 to 8.",
      "预计算窗口大小应为 2 到 8 之间的整数。",
      { windowSize },
    );
  }
  const point = publicPoint(publicKey);
  const encoded = encodePoint(point);
  const z = zOf(point, options.userId);
  const prepared = sm2.precomputePublicKey(toHex(encoded, false), windowSize);
  return Object.freeze({
    get publicKey() {
      return encoded.slice();
    },
    get z() {
      return z.slice();
    },
    verify(
      message: Sm2Message,
      signature: BytesLike,
      verifyOptions: { readonly format?: Sm2SignatureFormat } = {},
    ): boolean {
      const rs = decodeSignature(signature, signatureFormat(verifyOptions.format));
      const e = sm3Bytes(concatBytes(z, messageBytes(message, "message")));
      return verifyDigestWith(e, rs, prepared);
    },
  });
}

/** Converts a DER signature to raw r‖s (64 bytes); INVALID_SIGNATURE if it is malformed or out of range. */
export function sm2SignatureToRaw(signature: BytesLike): Uint8Array {
  return encodeSignature(decodeSignature(signature, "der"), "raw");
}

/** Converts a raw r‖s signature (64 bytes) to DER; INVALID_SIGNATURE if it is malformed or out of range. */
export function sm2SignatureToDer(signature: BytesLike): Uint8Array {
  return encodeSignature(decodeSignature(signature, "raw"), "der");
}

// ---------------------------------------------------------------------------------------------
// Encryption (GM/T 0003.4-2012 §6, §7)
// ---------------------------------------------------------------------------------------------

interface Ciphertext {
  readonly c1: Point;
  readonly c3: Uint8Array;
  readonly c2: Uint8Array;
}

function ciphertextFormat(format: unknown): Sm2CiphertextFormat {
  if (format === undefined) return "c1c3c2";
  if (format !== "c1c3c2" && format !== "c1c2c3" && format !== "der") {
    fail(
      "INVALID_INPUT",
      `Unknown ciphertext format "${String(format)}"; use "c1c3c2", "c1c2c3" or "der".`,
      `未知的密文格式 "${String(format)}"；请使用 "c1c3c2"、"c1c2c3" 或 "der"。`,
      { format },
    );
  }
  return format;
}

function badCiphertext(reason: string, reasonZh: string, details: Record<string, unknown> = {}): never {
  return fail("INVALID_CIPHERTEXT", `The SM2 ciphertext is malformed: ${reason}`, `SM2 密文格式错误：${reasonZh}`, {
    reason,
    ...details,
  });
}

function decodeCiphertext(bytes: Uint8Array, format: Sm2CiphertextFormat): Ciphertext {
  if (format === "der") {
    const bad: Bad = (reason) =>
      badCiphertext(
        `not DER SM2Ciphertext (${reason}).${bytes[0] === 4 ? ' It looks like raw C1‖C3‖C2: pass format "c1c3c2" or "c1c2c3".' : ""}`,
        `不是 DER 编码的 SM2Ciphertext（${reason}）。`,
        { format },
      );
    const [x, y, hash, cipher, extra] = readChildren(readWhole(bytes, 0x30, bad).value, bad);
    if (extra !== undefined) bad("more than four fields");
    const xv = readUnsigned(x, bad, "x");
    const yv = readUnsigned(y, bad, "y");
    if (hash === undefined || hash.tag !== 0x04 || hash.value.length !== 32) bad("hash is not a 32-byte OCTET STRING");
    if (cipher === undefined || cipher.tag !== 0x04) bad("ciphertext is not an OCTET STRING");
    if (cipher.value.length === 0) bad("ciphertext is empty");
    if (xv >= P || yv >= P) bad("C1 coordinate not below p");
    const c1 = decodePoint(concatBytes(bytes32(xv), bytes32(yv)), "INVALID_CIPHERTEXT", "C1 point", "C1 点");
    return { c1, c3: hash.value, c2: cipher.value };
  }
  const prefix = bytes[0];
  const c1Length = prefix === 4 ? 65 : prefix === 2 || prefix === 3 ? 33 : 0;
  if (c1Length === 0) {
    badCiphertext(
      prefix === 0x30
        ? 'it looks like DER: pass format "der".'
        : `C1 must start with 04 (uncompressed point), not 0x${(prefix ?? 0).toString(16).padStart(2, "0")}. Ciphertexts from sm-crypto omit it: prepend 04.`,
      prefix === 0x30
        ? '看起来是 DER 格式：请传 format: "der"。'
        : "C1 应以 04（未压缩点）开头；sm-crypto 生成的密文省略了 04，请补上。",
      { format, prefix },
    );
  }
  if (bytes.length <= c1Length + 32) {
    badCiphertext(
      `${bytes.length} bytes is too short for C1 (${c1Length}), C3 (32) and a non-empty C2.`,
      `${bytes.length} 字节不足以容纳 C1、C3 和非空 C2。`,
      {
        format,
        length: bytes.length,
      },
    );
  }
  const c1 = decodePoint(bytes.subarray(0, c1Length), "INVALID_CIPHERTEXT", "C1 point", "C1 点");
  const rest = bytes.subarray(c1Length);
  return format === "c1c3c2"
    ? { c1, c3: rest.subarray(0, 32), c2: rest.subarray(32) }
    : { c1, c3: rest.subarray(rest.length - 32), c2: rest.subarray(0, rest.length - 32) };
}

function encodeCiphertext(ct: Ciphertext, format: Sm2CiphertextFormat): Uint8Array {
  if (format === "der")
    return der(0x30, derUnsigned(ct.c1.x), derUnsigned(ct.c1.y), der(0x04, ct.c3), der(0x04, ct.c2));
  const c1 = encodePoint(ct.c1);
  return format === "c1c3c2" ? concatBytes(c1, ct.c3, ct.c2) : concatBytes(c1, ct.c2, ct.c3);
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** The shared point (x2, y2) = k·P of an ephemeral private key k (hex). */
type SharedPoint = (ephemeralPrivateKey: string) => { readonly x2: Uint8Array; readonly y2: Uint8Array };

/** GM/T 0003.4 encryption given how k·P is computed (plain, or with the recipient's precomputed tables). */
function encryptWith(plaintext: Sm2Message, shared: SharedPoint, options: Sm2CipherOptions): Uint8Array {
  const format = ciphertextFormat(options.format);
  const message = messageBytes(plaintext, "plaintext");
  if (message.length === 0) {
    fail("INVALID_INPUT", "SM2 cannot encrypt an empty plaintext.", "SM2 不能加密空明文。", {
      what: "plaintext",
      length: 0,
    });
  }
  for (;;) {
    const ephemeral = sm2.generateKeyPairHex();
    const { x2, y2 } = shared(ephemeral.privateKey);
    const t = kdf(concatBytes(x2, y2), message.length);
    if (isAllZero(t)) continue; // GM/T 0003.4 §6.1 A5: choose another k
    const c2 = t.map((b, i) => b ^ message[i]!);
    const c3 = sm3Bytes(concatBytes(x2, message, y2));
    const c1 = decodePoint(toBytes(ephemeral.publicKey), "INTERNAL", "ephemeral point", "临时点");
    return encodeCiphertext({ c1, c3, c2 }, format);
  }
}

/**
 * Encrypts to an SM2 public key (GM/T 0003.4): C1 = kG, (x2, y2) = kP, t = KDF(x2‖y2, |M|),
 * C2 = M ⊕ t, C3 = SM3(x2‖M‖y2). Output `c1c3c2` (default), `c1c2c3` or `der` (OpenSSL's form).
 * The plaintext must not be empty.
 */
export function encryptSm2(plaintext: Sm2Message, publicKey: BytesLike, options: Sm2CipherOptions = {}): Uint8Array {
  const recipient = toHex(encodePoint(publicPoint(publicKey)), false);
  return encryptWith(
    plaintext,
    (k) => {
      const point = sm2.ecdh(k, recipient, false);
      return { x2: point.subarray(1, 33), y2: point.subarray(33, 65) };
    },
    options,
  );
}

/** An encryptor bound to one recipient's public key, with its precomputed multiplication tables. */
export interface Sm2Encryptor {
  readonly publicKey: Uint8Array;
  /** As {@link encryptSm2} to this key; the same output formats. */
  encrypt(plaintext: Sm2Message, options?: Sm2CipherOptions): Uint8Array;
}

/**
 * Prepares a recipient's public key for many encryptions (e.g. every read sealed to one session's
 * key): k·P then uses precomputed tables, about ten times faster than {@link encryptSm2}, which
 * prepares nothing. Preparing costs about one unprepared encryption; the tables take ~80 KB at the
 * default window of 4.
 */
export function createSm2Encryptor(publicKey: BytesLike, options: { readonly windowSize?: number } = {}): Sm2Encryptor {
  const windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
  if (!Number.isInteger(windowSize) || windowSize < 2 || windowSize > 8) {
    fail("INVALID_INPUT", "The precomputation window size must be an integer from 2 to 8.", "预计算窗口大小应为 2 到 8 之间的整数。", {
      windowSize,
    });
  }
  const encoded = encodePoint(publicPoint(publicKey));
  const prepared = sm2.precomputePublicKey(toHex(encoded, false), windowSize);
  const shared: SharedPoint = (k) => {
    const point = prepared.multiply(BigInt(`0x${k}`)).toAffine();
    return { x2: bytes32(point.x), y2: bytes32(point.y) };
  };
  return Object.freeze({
    get publicKey() {
      return encoded.slice();
    },
    encrypt: (plaintext: Sm2Message, encryptOptions: Sm2CipherOptions = {}) => encryptWith(plaintext, shared, encryptOptions),
  });
}

/**
 * Decrypts an SM2 ciphertext with the private key. INVALID_CIPHERTEXT if it is malformed (bad
 * framing, C1 not on the curve, empty C2); INTEGRITY_CHECK_FAILED if C3 does not match — the data was
 * altered or the key is wrong. Never returns unauthenticated plaintext.
 *
 * Ciphertexts are malleable in their encoding: C1 is accepted compressed (`02`/`03`‖x, which
 * GM/T 0003.1 §4.2.9 allows and other implementations send) as well as uncompressed, and the DER form
 * carries the same point again, so one plaintext under one C1 has several valid byte strings, all of
 * which decrypt. Never deduplicate or index ciphertexts by their bytes; compare plaintexts, or
 * re-encode with {@link convertSm2Ciphertext} first (it always writes C1 uncompressed).
 */
export function decryptSm2(ciphertext: BytesLike, privateKey: BytesLike, options: Sm2CipherOptions = {}): Uint8Array {
  const format = ciphertextFormat(options.format);
  const d = privateScalar(privateKey);
  const { c1, c3, c2 } = decodeCiphertext(inputBytes(ciphertext, "INVALID_CIPHERTEXT", "ciphertext", "密文"), format);
  const shared = sm2.ecdh(hex32(d), toHex(encodePoint(c1), false), false);
  const x2 = shared.subarray(1, 33);
  const y2 = shared.subarray(33, 65);
  const t = kdf(concatBytes(x2, y2), c2.length);
  if (isAllZero(t)) {
    badCiphertext(
      "the derived key stream is all zero (GM/T 0003.4 §7.1 B4).",
      "派生密钥流全为零（GM/T 0003.4 §7.1 B4）。",
      { format },
    );
  }
  const message = t.map((b, i) => b ^ c2[i]!);
  if (!constantTimeEqual(sm3Bytes(concatBytes(x2, message, y2)), c3)) {
    message.fill(0);
    fail(
      "INTEGRITY_CHECK_FAILED",
      "The SM2 ciphertext failed its integrity check (C3): it was altered, or it was not encrypted to this key.",
      "SM2 密文完整性校验（C3）失败：密文被篡改，或并非用此密钥加密。",
      { format, check: "C3" },
    );
  }
  return message;
}

/** Re-encodes a ciphertext between `c1c3c2`, `c1c2c3` and `der` (checks framing and C1, not C3). */
export function convertSm2Ciphertext(
  ciphertext: BytesLike,
  options: { readonly from: Sm2CiphertextFormat; readonly to: Sm2CiphertextFormat },
): Uint8Array {
  const from = ciphertextFormat(options.from);
  const to = ciphertextFormat(options.to);
  return encodeCiphertext(
    decodeCiphertext(inputBytes(ciphertext, "INVALID_CIPHERTEXT", "ciphertext", "密文"), from),
    to,
  );
}
