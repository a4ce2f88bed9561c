// The de-identification policy (脱敏策略): plain JSON, published as versioned configuration of kind
// "deid-policy". It names what happens to each member of each record model; it never holds a secret
// or a key, only their ids, which a DeidSecrets provider resolves at the time of use.

/** What a rule does to a value. */
export type DeidActionName = "keep" | "drop" | "mask" | "replace" | "generalise" | "hash" | "encrypt";

export const DEID_ACTIONS: readonly DeidActionName[] = ["keep", "drop", "mask", "replace", "generalise", "hash", "encrypt"];

/** The generalisation methods of a `generalise` rule. */
export type GeneraliseMethod = "age-band" | "date-shift" | "date-truncate" | "address-truncate" | "number-round" | "number-range";

export const GENERALISE_METHODS: readonly GeneraliseMethod[] = [
  "age-band", "date-shift", "date-truncate", "address-truncate", "number-round", "number-range",
];

/** Administrative levels of a Chinese address, coarsest first. */
export type AddressLevel = "province" | "city" | "district";

export const ADDRESS_LEVELS: readonly AddressLevel[] = ["province", "city", "district"];

/** Text encodings of an encrypted value. */
export type CipherEncoding = "base64url" | "base64" | "hex";

export const CIPHER_ENCODINGS: readonly CipherEncoding[] = ["base64url", "base64", "hex"];

/** How a hashed value is normalised first, so that `" 31011519900101123x"` and `"…123X"` link. */
export type HashNormalise = "none" | "trim" | "trim-upper";

export const HASH_NORMALISE: readonly HashNormalise[] = ["none", "trim", "trim-upper"];

/** What every rule may add to its action. */
interface RuleBase {
  /** The output member name (default: the source member's), e.g. birthDate → "ageBand". */
  readonly as?: string;
  /**
   * A quasi-identifier (准标识符): a member that, combined with others, may single a person out. The
   * research export (issue 8) checks k-anonymity over these and generalises them further when it fails.
   */
  readonly quasiIdentifier?: boolean;
}

export interface KeepRule extends RuleBase {
  readonly action: "keep";
}

export interface DropRule {
  readonly action: "drop";
}

/** Keeps the first `keepFirst` and the last `keepLast` characters (code points) and masks the rest. */
export interface MaskRule extends RuleBase {
  readonly action: "mask";
  readonly keepFirst?: number;
  readonly keepLast?: number;
  /** One character; default "*". */
  readonly char?: string;
}

/** A constant, or a pseudonym derived from the value (HMAC-SM3 under a secret: same value, same pseudonym). */
export type ReplaceRule =
  | (RuleBase & { readonly action: "replace"; readonly value: string | number | boolean | null })
  | (RuleBase & { readonly action: "replace"; readonly pseudonym: PseudonymSpec });

export interface PseudonymSpec {
  readonly secretId: string;
  /** Put before the hex, e.g. "P-". */
  readonly prefix?: string;
  /** Hex characters kept, 8 to 64; default 16. */
  readonly length?: number;
}

export interface AgeBandRule extends RuleBase {
  readonly action: "generalise";
  readonly method: "age-band";
  /** Years per band; default 5 ("40-44"). */
  readonly width?: number;
  /** Ages at or above this are one band "90+"; default 90. */
  readonly top?: number;
  /** The day ages are computed at (YYYY-MM-DD); default: the context's reference date. */
  readonly referenceDate?: string;
}

/** Shifts a date by the person's offset (the policy's `dateShift` says how it is derived). */
export interface DateShiftRule extends RuleBase {
  readonly action: "generalise";
  readonly method: "date-shift";
}

export interface DateTruncateRule extends RuleBase {
  readonly action: "generalise";
  readonly method: "date-truncate";
  readonly to: "month" | "year";
}

export interface AddressTruncateRule extends RuleBase {
  readonly action: "generalise";
  readonly method: "address-truncate";
  readonly level: AddressLevel;
}

/** Rounds to the nearest multiple of `step` (e.g. weight 73.4 kg, step 5 → 75). */
export interface NumberRoundRule extends RuleBase {
  readonly action: "generalise";
  readonly method: "number-round";
  readonly step: number;
}

/**
 * Replaces a number by the band it falls in: equal bands of `width` (labels "[20,30)"), or bands
 * between ascending `bounds` (labels "<18.5", "[18.5,24)", ">=28"), optionally renamed by `labels`
 * (one more than the bounds, e.g. 偏瘦 / 正常 / 超重 / 肥胖).
 */
export type NumberRangeRule =
  | (RuleBase & { readonly action: "generalise"; readonly method: "number-range"; readonly width: number })
  | (RuleBase & {
      readonly action: "generalise";
      readonly method: "number-range";
      readonly bounds: readonly number[];
      readonly labels?: readonly string[];
    });

export type GeneraliseRule = AgeBandRule | DateShiftRule | DateTruncateRule | AddressTruncateRule | NumberRoundRule | NumberRangeRule;

/** HMAC-SM3 of the value under a secret, lower-case hex: the same value gives the same hash, so records still link. */
export interface HashRule extends RuleBase {
  readonly action: "hash";
  readonly secretId: string;
  /** Hex characters kept, 16 to 64; default 64. */
  readonly length?: number;
  /** Default "trim". */
  readonly normalise?: HashNormalise;
}

/** SM4 envelope (sdk sealEnvelope) of the value's JSON under the key `keyId`; only its holder can open it. */
export interface EncryptRule extends RuleBase {
  readonly action: "encrypt";
  readonly keyId: string;
  /** Default "base64url". */
  readonly encoding?: CipherEncoding;
}

export type DeidRuleObject = KeepRule | DropRule | MaskRule | ReplaceRule | GeneraliseRule | HashRule | EncryptRule;

/** A rule: an object, or the shorthands "keep" and "drop". */
export type DeidRule = DeidRuleObject | "keep" | "drop";

/** Rules of one model's members; the member "*" is the default for members not named. */
export type ModelRules = Readonly<Record<string, DeidRule>>;

export interface DeidPolicy {
  /** The configuration name it is published under: lower-case letters, digits and "-". */
  readonly name: string;
  readonly description: { readonly zh: string; readonly en: string };
  /**
   * What happens to a member no rule names (in a model without a "*" rule). Default "drop": a member a
   * source adds later is then withheld until someone decides about it, rather than shared unseen.
   */
  readonly defaultAction?: "keep" | "drop";
  /** Per record model (e.g. "patient", "lab-result"), per member of its content. */
  readonly rules: Readonly<Record<string, ModelRules>>;
  /**
   * Rules for the record's own fields beside `model` and `content` (e.g. "institution"); any field
   * not named here is dropped, whatever `defaultAction` says.
   */
  readonly recordFields?: ModelRules;
  /** The record field that holds the person's key (default "personId"); the context may give it instead. */
  readonly personKeyField?: string;
  /**
   * Adds `personRef` to every output record: HMAC-SM3 of the person key under `secretId`, so an export
   * links one person's records without revealing who the person is.
   */
  readonly personRef?: { readonly secretId: string; readonly length?: number };
  /** How date-shift rules derive a person's offset: HMAC-SM3 of the person key, within ±maxDays, never 0. */
  readonly dateShift?: { readonly secretId: string; readonly maxDays: number };
}

/** Hex characters a pseudonym keeps by default. */
export const DEFAULT_PSEUDONYM_LENGTH = 16;
/** Hex characters a hash keeps by default (the whole HMAC-SM3). */
export const DEFAULT_HASH_LENGTH = 64;
export const DEFAULT_AGE_BAND_WIDTH = 5;
export const DEFAULT_AGE_BAND_TOP = 90;
export const DEFAULT_MASK_CHAR = "*";
export const DEFAULT_PERSON_KEY_FIELD = "personId";
/** The name of the member each output record carries the person's reference in. */
export const PERSON_REF_FIELD = "personRef";
