// Log filters as eth_getLogs, eth_newFilter and eth_subscribe("logs") take them: parsing with geth's
// rules and wording (go-ethereum eth/filters/api.go, common/hexutil), and geth's matching semantics.

import { z } from "zod";
import { RpcCode, RpcError } from "./errors.ts";
import type { BlockTag, LogFilter, RpcLog } from "./types.ts";

/** The part of a LogFilter that selects logs within a block (what eth_subscribe("logs") takes). */
export type LogCriteria = Pick<LogFilter, "addresses" | "topics">;

const MAX_TOPICS = 4;
const BLOCK_TAGS: ReadonlySet<string> = new Set<BlockTag>(["latest", "earliest", "pending", "safe", "finalized"]);
const INT64_MAX = (1n << 63n) - 1n;
const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/** Records a validation failure with geth's wording; the transform's value is then discarded. */
function fail(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

/** Fixed-size hex data (addresses, hashes, topics), returned lower-case; hexutil's checks and wording. */
function hexBytes(size: number, what: string) {
  return z.string({ error: `expected a hex string (${what})` }).transform((value, ctx) => {
    if (value === "") return fail(ctx, "empty hex string");
    if (!value.startsWith("0x") && !value.startsWith("0X")) return fail(ctx, "hex string without 0x prefix");
    if (value.length % 2 !== 0) return fail(ctx, "hex string of odd length");
    if (!HEX_DIGITS.test(value.slice(2))) return fail(ctx, "invalid hex string");
    const length = (value.length - 2) / 2;
    if (length !== size) return fail(ctx, `hex has invalid length ${length} after decoding; expected ${size} for ${what}`);
    return `0x${value.slice(2).toLowerCase()}`;
  });
}

const address = hexBytes(20, "address");
const hash = hexBytes(32, "hash");
const topic = hexBytes(32, "topic");

/** A block tag or a hex quantity (no leading zeros, "0x0" allowed, at most int64), as rpc.BlockNumber. */
const blockSpecifier = z.union(
  [
    z.number().transform((value, ctx) =>
      fail(
        ctx,
        Number.isSafeInteger(value) && value >= 0
          ? `decimal block number ${value} is not allowed, use a hex quantity such as "0x${value.toString(16)}"`
          : "expected a block tag or a hex quantity",
      ),
    ),
    z.string().transform((value, ctx): bigint | BlockTag => {
      if (BLOCK_TAGS.has(value)) return value as BlockTag;
      if (value === "") return fail(ctx, "empty hex string");
      if (!value.startsWith("0x") && !value.startsWith("0X")) {
        return fail(ctx, `expected a block tag (latest, earliest, pending, safe, finalized) or a 0x-prefixed hex quantity, got "${value}"`);
      }
      const digits = value.slice(2);
      if (digits === "") return fail(ctx, 'hex string "0x"');
      if (!HEX_DIGITS.test(digits)) return fail(ctx, "invalid hex string");
      if (digits.length > 1 && digits.startsWith("0")) return fail(ctx, "hex number with leading zero digits");
      const number = BigInt(value.toLowerCase());
      if (number > INT64_MAX) return fail(ctx, "block number larger than int64");
      return number;
    }),
  ],
  { error: "expected a block tag or a hex quantity" },
);

/** Most addresses, and most alternatives in one topic position, of a filter (geth's limits and words). */
const MAX_ALTERNATIVES = 1000;
const LIMIT_MESSAGE = "exceed max addresses or topics per search position";

/** One address or a list of them; an empty list, like an absent one, matches any address. */
const addresses = z
  .union([address.transform((one) => [one]), z.array(address).max(MAX_ALTERNATIVES, { error: LIMIT_MESSAGE })], { error: "expected an address or an array of addresses" })
  .nullish()
  .transform((list) => (list === null || list === undefined || list.length === 0 ? null : list));

/**
 * Per position: null (any), one topic, or a list of alternatives. As geth, a null inside a list or an
 * empty list makes the whole position a wildcard.
 */
const topicPosition = z.union(
  [
    z.null(),
    topic.transform((one) => [one]),
    z.array(z.union([z.null(), topic], { error: "invalid topic(s)" })).max(MAX_ALTERNATIVES, { error: LIMIT_MESSAGE }).transform((list) => (list.length === 0 || list.includes(null) ? null : (list as string[]))),
  ],
  { error: "invalid topic(s)" },
);

const topics = z
  .array(topicPosition, { error: "invalid topic(s)" })
  .max(MAX_TOPICS, { error: "too many topics" })
  .nullish()
  .transform((list) => list ?? []);

const logFilterSchema = z
  .object(
    {
      fromBlock: blockSpecifier.nullish(),
      toBlock: blockSpecifier.nullish(),
      blockHash: hash.nullish(),
      address: addresses,
      topics,
    },
    { error: "expected a filter object" },
  )
  .superRefine((filter, ctx) => {
    const hasRange = filter.fromBlock != null || filter.toBlock != null;
    if (filter.blockHash != null && hasRange) ctx.addIssue({ code: "custom", message: "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other" });
  });

const subscriptionFilterSchema = z.object({ address: addresses, topics }, { error: "expected a filter object" });

/**
 * The most specific message for an issue: for a failed union, the issue of the branch whose type the
 * input had (the branch that did not fail with invalid_type at its root), followed recursively.
 */
function explain(issue: z.core.$ZodIssue, path: PropertyKey[] = []): { path: PropertyKey[]; message: string } {
  const here = [...path, ...issue.path];
  if (issue.code === "invalid_union") {
    const branch = issue.errors.find((issues) => issues.length > 0 && !issues.some((inner) => inner.code === "invalid_type" && inner.path.length === 0));
    const inner = branch?.[0];
    if (inner !== undefined) return explain(inner, here);
  }
  return { path: here, message: issue.message };
}

/** "address[1]", "topics[0][2]", "fromBlock". */
function formatPath(path: PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, argument: number): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const { path, message } = first === undefined ? { path: [], message: "invalid filter" } : explain(first);
  const where = path.length === 0 ? "" : `${formatPath(path)}: `;
  // geth's wording for a parameter that does not decode: "invalid argument <index>: <reason>".
  throw new RpcError(RpcCode.INVALID_PARAMS, `invalid argument ${argument}: ${where}${message}`);
}

/**
 * Validates an eth_getLogs / eth_newFilter filter. fromBlock and toBlock default to "latest".
 * `argument` is the filter's position in the params, for the error message.
 * @throws RpcError -32602 with a message naming the offending field.
 */
export function parseLogFilter(raw: unknown, argument = 0): LogFilter {
  const parsed = parse(logFilterSchema, raw, argument);
  const filter: LogFilter = {
    fromBlock: parsed.fromBlock ?? "latest",
    toBlock: parsed.toBlock ?? "latest",
    addresses: parsed.address,
    topics: parsed.topics,
  };
  if (parsed.blockHash != null) filter.blockHash = parsed.blockHash;
  return filter;
}

/**
 * Validates the filter of eth_subscribe("logs", filter): address and topics. A subscription delivers the
 * logs of blocks committed from now on, so other keys (fromBlock, toBlock, blockHash) are ignored; an
 * absent filter matches every log.
 * @throws RpcError -32602.
 */
export function parseSubscriptionLogFilter(raw: unknown, argument = 1): LogCriteria {
  if (raw === undefined || raw === null) return { addresses: null, topics: [] };
  const parsed = parse(subscriptionFilterSchema, raw, argument);
  return { addresses: parsed.address, topics: parsed.topics };
}

/**
 * geth's filterLogs: the log's address must be one of the filter's (if any), and every topic position
 * must match. A filter with more topic positions than the log has topics never matches, even if the
 * extra positions are null (as geth: "if the filtered topics are more than the log's topics, skip").
 * Expects lower-case hex on both sides, as RpcLog and the parsers guarantee.
 */
export function matchLog(filter: LogCriteria, log: RpcLog): boolean {
  if (filter.addresses !== null && !filter.addresses.includes(log.address)) return false;
  if (filter.topics.length > log.topics.length) return false;
  for (let i = 0; i < filter.topics.length; i++) {
    const wanted = filter.topics[i];
    if (wanted !== null && wanted !== undefined && !wanted.includes(log.topics[i] as string)) return false;
  }
  return true;
}
