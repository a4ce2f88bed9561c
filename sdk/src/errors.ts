// One error hierarchy for the whole platform: the sdk throws it, the gateway maps it to HTTP in one
// place, the services reuse it. Every error has a stable machine-readable `code`, an English and a
// Chinese message for the person who reads it, the offending details, and what to do next.

/** The kinds of error, each with its own class and HTTP status. */
export type ErrorKind =
  | "validation"
  | "crypto"
  | "integrity"
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "chain"
  | "internal";

interface CatalogEntry {
  readonly kind: ErrorKind;
  readonly en: string;
  readonly zh: string;
  readonly hintEn?: string;
  readonly hintZh?: string;
}

/** Every error code of the platform, with its kind and messages. Codes never change meaning. */
export const ERROR_CATALOG = {
  INVALID_INPUT: { kind: "validation", en: "The input is not valid.", zh: "输入无效。" },
  INVALID_HEX: { kind: "validation", en: "The value is not valid hexadecimal.", zh: "十六进制格式无效。" },
  INVALID_RECORD: {
    kind: "validation",
    en: "The record cannot be serialised canonically.",
    zh: "记录无法规范化序列化。",
    hintEn: "Use only strings, finite numbers, booleans, null, arrays, plain objects and dates.",
    hintZh: "只能使用字符串、有限数值、布尔值、null、数组、普通对象和日期。",
  },
  INVALID_KEY: {
    kind: "crypto",
    en: "The key is malformed or not a key of the expected algorithm.",
    zh: "密钥格式错误或算法不符。",
    hintEn: "SM2 keys are PEM/DER (SPKI, PKCS#8) or hex; SM4 keys are 16 bytes.",
    hintZh: "SM2 密钥应为 PEM/DER（SPKI、PKCS#8）或十六进制；SM4 密钥为 16 字节。",
  },
  INVALID_SIGNATURE: {
    kind: "crypto",
    en: "The signature is malformed.",
    zh: "签名格式错误。",
    hintEn: "SM2 signatures are DER or raw r‖s (64 bytes).",
    hintZh: "SM2 签名应为 DER 或 r‖s 原始格式（64 字节）。",
  },
  INVALID_CIPHERTEXT: { kind: "crypto", en: "The ciphertext is malformed.", zh: "密文格式错误。" },
  UNSUPPORTED_VERSION: {
    kind: "crypto",
    en: "The envelope version or algorithm is not supported.",
    zh: "不支持的信封版本或算法。",
  },
  UNKNOWN_KEY_ID: {
    kind: "crypto",
    en: "No key with this key id is available.",
    zh: "找不到该密钥标识对应的密钥。",
    hintEn: "Load the key ring that holds the key the data was encrypted with.",
    hintZh: "请加载包含加密所用密钥的密钥环。",
  },
  INTEGRITY_CHECK_FAILED: {
    kind: "integrity",
    en: "The data failed its integrity check: it was altered or the key is wrong.",
    zh: "数据完整性校验失败：数据被篡改或密钥错误。",
  },
  INVALID_PROOF: { kind: "integrity", en: "The Merkle proof is malformed.", zh: "默克尔证明格式错误。" },
  UNAUTHENTICATED: { kind: "unauthenticated", en: "Authentication is required.", zh: "需要身份认证。" },
  SIGN_IN_FAILED: {
    kind: "unauthenticated",
    en: "Sign-in failed: the challenge is unknown, used or expired, or the signature does not verify with a registered key.",
    zh: "登录失败：挑战未知、已使用或已过期，或签名无法用已登记的密钥验证。",
    hintEn: "Request a new challenge and sign it with the key registered for you.",
    hintZh: "请重新获取挑战，并用为您登记的密钥签名。",
  },
  SESSION_EXPIRED: {
    kind: "unauthenticated",
    en: "The session token is invalid, expired or was ended.",
    zh: "会话令牌无效、已过期或已结束。",
    hintEn: "Sign in again.",
    hintZh: "请重新登录。",
  },
  FORBIDDEN: { kind: "forbidden", en: "You are not allowed to do this.", zh: "无权执行此操作。" },
  ROLE_REQUIRED: {
    kind: "forbidden",
    en: "Your role does not allow this operation.",
    zh: "您的角色无权执行此操作。",
  },
  CONSENT_REQUIRED: {
    kind: "forbidden",
    en: "No valid grant of the resident allows this access; the refused attempt was recorded.",
    zh: "居民没有有效授权允许此访问；本次被拒绝的访问已留存证据。",
    hintEn: "Request access from the resident, for this purpose and these fields.",
    hintZh: "请就此用途和字段向居民申请授权。",
  },
  NOT_FOUND: { kind: "not-found", en: "Not found.", zh: "未找到。" },
  DEPLOYMENT_NOT_FOUND: {
    kind: "not-found",
    en: "No deployment of the contracts is known for this chain.",
    zh: "该链上没有已知的合约部署。",
    hintEn: "Deploy with `npm run deploy -- --network <name>` or point to the deployments file.",
    hintZh: "请使用 `npm run deploy -- --network <name>` 部署，或指定部署文件。",
  },
  CONFLICT: { kind: "conflict", en: "This conflicts with the current state.", zh: "与当前状态冲突。" },
  IDEMPOTENCY_KEY_REUSED: {
    kind: "conflict",
    en: "This idempotency key was already used for a different request.",
    zh: "该幂等键已用于另一个不同的请求。",
    hintEn: "Use a new Idempotency-Key for a new request; resend the same request to get its result.",
    hintZh: "新请求请使用新的 Idempotency-Key；重发同一请求可取回其结果。",
  },
  REQUEST_IN_PROGRESS: {
    kind: "conflict",
    en: "A request with this idempotency key is still being processed.",
    zh: "使用该幂等键的请求仍在处理中。",
    hintEn: "Retry after a moment.",
    hintZh: "请稍后重试。",
  },
  CONTRACT_REVERTED: {
    kind: "chain",
    en: "The contract refused the call.",
    zh: "合约拒绝了此调用。",
  },
  CHAIN_UNAVAILABLE: { kind: "chain", en: "The chain node cannot be reached.", zh: "无法连接区块链节点。" },
  STORE_UNAVAILABLE: {
    kind: "internal",
    en: "The institution's store of originals cannot be reached or does not hold the object.",
    zh: "无法访问机构的原始数据存储，或其中没有该对象。",
  },
  INTERNAL: { kind: "internal", en: "An internal error occurred.", zh: "发生内部错误。" },
} as const satisfies Record<string, CatalogEntry>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The HTTP status of each kind, for the gateway. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  validation: 400,
  crypto: 400,
  integrity: 422,
  unauthenticated: 401,
  forbidden: 403,
  "not-found": 404,
  conflict: 409,
  chain: 502,
  internal: 500,
};

/** Options of an error: the offending values, and the underlying cause. */
export interface ErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
  /** Overrides the catalogue's English message with a more specific one. */
  readonly message?: string;
  /** Overrides the catalogue's Chinese message with a more specific one. */
  readonly messageZh?: string;
}

/** The base of every error the platform raises on purpose. */
export class HealthChainError extends Error {
  override readonly name: string = "HealthChainError";
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** The message in Chinese; `message` is English. */
  readonly messageZh: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** What to do next, in English and Chinese, where the catalogue says. */
  readonly hint?: { readonly en: string; readonly zh: string };

  constructor(code: ErrorCode, options: ErrorOptions = {}) {
    const entry: CatalogEntry = ERROR_CATALOG[code];
    super(options.message ?? entry.en, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = entry.kind;
    this.messageZh = options.messageZh ?? entry.zh;
    this.details = options.details ?? {};
    if (entry.hintEn !== undefined && entry.hintZh !== undefined) this.hint = { en: entry.hintEn, zh: entry.hintZh };
  }

  /** The HTTP status the gateway answers with. */
  get httpStatus(): number {
    return HTTP_STATUS[this.kind];
  }

  /** The body the gateway sends: stable code, both messages, details and hint. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      messageZh: this.messageZh,
      details: this.details,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

/** Input that does not have the expected shape. */
export class ValidationError extends HealthChainError {
  override readonly name = "ValidationError";
}
/** A malformed key, signature or ciphertext, an unknown key id or an unsupported format. */
export class CryptoError extends HealthChainError {
  override readonly name = "CryptoError";
}
/** Data that fails its integrity check: tampered ciphertext, wrong key, malformed proof. */
export class IntegrityError extends HealthChainError {
  override readonly name = "IntegrityError";
}
/** Missing or invalid credentials. */
export class AuthenticationError extends HealthChainError {
  override readonly name = "AuthenticationError";
}
/** Valid credentials without the right to act. */
export class ForbiddenError extends HealthChainError {
  override readonly name = "ForbiddenError";
}
/** Something that does not exist. */
export class NotFoundError extends HealthChainError {
  override readonly name = "NotFoundError";
}
/** A change that conflicts with the current state. */
export class ConflictError extends HealthChainError {
  override readonly name = "ConflictError";
}
/** The chain refused or could not be reached. */
export class ChainError extends HealthChainError {
  override readonly name = "ChainError";
}
/** A bug or an unexpected failure. */
export class InternalError extends HealthChainError {
  override readonly name = "InternalError";
}

const CLASS_OF_KIND: Readonly<Record<ErrorKind, new (code: ErrorCode, options?: ErrorOptions) => HealthChainError>> = {
  validation: ValidationError,
  crypto: CryptoError,
  integrity: IntegrityError,
  unauthenticated: AuthenticationError,
  forbidden: ForbiddenError,
  "not-found": NotFoundError,
  conflict: ConflictError,
  chain: ChainError,
  internal: InternalError,
};

/** Creates the error of a code, as an instance of its kind's class. */
export function platformError(code: ErrorCode, options: ErrorOptions = {}): HealthChainError {
  return new CLASS_OF_KIND[ERROR_CATALOG[code].kind](code, options);
}

/** Whether a value is an error of the platform (optionally of one code). */
export function isPlatformError(value: unknown, code?: ErrorCode): value is HealthChainError {
  return value instanceof HealthChainError && (code === undefined || value.code === code);
}
