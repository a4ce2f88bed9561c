import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RpcError } from "../src/rpc/errors.ts";
import { matchLog, parseLogFilter, parseSubscriptionLogFilter } from "../src/rpc/filters.ts";
import type { RpcLog } from "../src/rpc/types.ts";

const ADDRESS_A = `0x${"aa".repeat(20)}`;
const ADDRESS_B = `0x${"bb".repeat(20)}`;
const TOPIC_1 = `0x${"01".repeat(32)}`;
const TOPIC_2 = `0x${"02".repeat(32)}`;
const TOPIC_3 = `0x${"03".repeat(32)}`;
const HASH = `0x${"cd".repeat(32)}`;

function rejects(raw: unknown, message: string, parse: (raw: unknown) => unknown = parseLogFilter): void {
  assert.throws(
    () => parse(raw),
    (error: unknown) => {
      assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
      assert.equal(error.code, -32602);
      assert.equal(error.message, message);
      return true;
    },
  );
}

function log(address: string, topics: string[]): RpcLog {
  return {
    address,
    topics,
    data: "0x",
    blockNumber: "0x1",
    blockHash: HASH,
    blockTimestamp: "0x0",
    transactionHash: HASH,
    transactionIndex: "0x0",
    logIndex: "0x0",
    removed: false,
  };
}

describe("parseLogFilter", () => {
  test("defaults to latest..latest, any address, any topics", () => {
    assert.deepEqual(parseLogFilter({}), { fromBlock: "latest", toBlock: "latest", addresses: null, topics: [] });
    assert.deepEqual(parseLogFilter({ fromBlock: null, toBlock: null, address: null, topics: null, blockHash: null }), {
      fromBlock: "latest",
      toBlock: "latest",
      addresses: null,
      topics: [],
    });
  });

  test("accepts block tags and hex quantities", () => {
    for (const tag of ["latest", "earliest", "pending", "safe", "finalized"]) assert.equal(parseLogFilter({ fromBlock: tag }).fromBlock, tag);
    assert.equal(parseLogFilter({ fromBlock: "0x0" }).fromBlock, 0n);
    assert.equal(parseLogFilter({ toBlock: "0x1f" }).toBlock, 31n);
    assert.equal(parseLogFilter({ toBlock: "0XFF" }).toBlock, 255n);
    assert.equal(parseLogFilter({ toBlock: "0x7fffffffffffffff" }).toBlock, (1n << 63n) - 1n);
  });

  test("rejects decimals and malformed quantities with -32602 and a precise message", () => {
    rejects({ fromBlock: 16 }, 'invalid argument 0: fromBlock: decimal block number 16 is not allowed, use a hex quantity such as "0x10"');
    rejects({ fromBlock: "16" }, 'invalid argument 0: fromBlock: expected a block tag (latest, earliest, pending, safe, finalized) or a 0x-prefixed hex quantity, got "16"');
    rejects({ toBlock: "newest" }, 'invalid argument 0: toBlock: expected a block tag (latest, earliest, pending, safe, finalized) or a 0x-prefixed hex quantity, got "newest"');
    rejects({ toBlock: "0x" }, 'invalid argument 0: toBlock: hex string "0x"');
    rejects({ toBlock: "" }, "invalid argument 0: toBlock: empty hex string");
    rejects({ fromBlock: "0x01" }, "invalid argument 0: fromBlock: hex number with leading zero digits");
    rejects({ fromBlock: "0x00" }, "invalid argument 0: fromBlock: hex number with leading zero digits");
    rejects({ fromBlock: "0xg1" }, "invalid argument 0: fromBlock: invalid hex string");
    rejects({ fromBlock: "0x8000000000000000" }, "invalid argument 0: fromBlock: block number larger than int64");
    rejects({ fromBlock: -1 }, "invalid argument 0: fromBlock: expected a block tag or a hex quantity");
    rejects({ fromBlock: true }, "invalid argument 0: fromBlock: expected a block tag or a hex quantity");
  });

  test("blockHash: 32-byte hex, lower-cased, exclusive with a block range", () => {
    assert.deepEqual(parseLogFilter({ blockHash: HASH.toUpperCase().replace("0X", "0x") }), {
      fromBlock: "latest",
      toBlock: "latest",
      blockHash: HASH,
      addresses: null,
      topics: [],
    });
    const conflict = "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other";
    rejects({ blockHash: HASH, fromBlock: "0x1" }, conflict);
    rejects({ blockHash: HASH, toBlock: "latest" }, conflict);
    rejects({ blockHash: "0x1234" }, "invalid argument 0: blockHash: hex has invalid length 2 after decoding; expected 32 for hash");
    rejects({ blockHash: 5 }, "invalid argument 0: blockHash: expected a hex string (hash)");
  });

  test("address: one or many, 20-byte hex, lower-cased; an empty list matches any", () => {
    assert.deepEqual(parseLogFilter({ address: ADDRESS_A.toUpperCase().replace("0X", "0x") }).addresses, [ADDRESS_A]);
    assert.deepEqual(parseLogFilter({ address: [ADDRESS_A, ADDRESS_B] }).addresses, [ADDRESS_A, ADDRESS_B]);
    assert.equal(parseLogFilter({ address: [] }).addresses, null);
    rejects({ address: "0x1234" }, "invalid argument 0: address: hex has invalid length 2 after decoding; expected 20 for address");
    rejects({ address: "aa".repeat(20) }, "invalid argument 0: address: hex string without 0x prefix");
    rejects({ address: `0x${"a".repeat(39)}` }, "invalid argument 0: address: hex string of odd length");
    rejects({ address: `0x${"zz".repeat(20)}` }, "invalid argument 0: address: invalid hex string");
    rejects({ address: [ADDRESS_A, "0x12"] }, "invalid argument 0: address[1]: hex has invalid length 1 after decoding; expected 20 for address");
    rejects({ address: [ADDRESS_A, 7] }, "invalid argument 0: address[1]: expected a hex string (address)");
    rejects({ address: 7 }, "invalid argument 0: address: expected an address or an array of addresses");
  });

  test("topics: null, a topic, or alternatives per position; nulls or empty alternatives are wildcards", () => {
    assert.deepEqual(parseLogFilter({ topics: [TOPIC_1.toUpperCase().replace("0X", "0x")] }).topics, [[TOPIC_1]]);
    assert.deepEqual(parseLogFilter({ topics: [null, [TOPIC_1, TOPIC_2], [], [TOPIC_3, null]] }).topics, [null, [TOPIC_1, TOPIC_2], null, null]);
    rejects({ topics: [null, null, null, null, null] }, "invalid argument 0: topics: too many topics");
    rejects({ topics: ["0x01"] }, "invalid argument 0: topics[0]: hex has invalid length 1 after decoding; expected 32 for topic");
    rejects({ topics: [null, [TOPIC_1, "0x02"]] }, "invalid argument 0: topics[1][1]: hex has invalid length 1 after decoding; expected 32 for topic");
    rejects({ topics: [5] }, "invalid argument 0: topics[0]: invalid topic(s)");
    rejects({ topics: [[TOPIC_1, 5]] }, "invalid argument 0: topics[0][1]: invalid topic(s)");
    rejects({ topics: TOPIC_1 }, "invalid argument 0: topics: invalid topic(s)");
  });

  test("rejects a filter that is not an object; ignores unknown keys", () => {
    rejects("latest", "invalid argument 0: expected a filter object");
    rejects(null, "invalid argument 0: expected a filter object");
    rejects([], "invalid argument 0: expected a filter object");
    assert.deepEqual(parseLogFilter({ limit: 5 }), { fromBlock: "latest", toBlock: "latest", addresses: null, topics: [] });
  });

  test("names the argument position it was given", () => {
    rejects({ fromBlock: "0x01" }, "invalid argument 2: fromBlock: hex number with leading zero digits", (raw) => parseLogFilter(raw, 2));
  });
});

describe("parseSubscriptionLogFilter", () => {
  test("takes address and topics; nothing or null matches everything", () => {
    assert.deepEqual(parseSubscriptionLogFilter(undefined), { addresses: null, topics: [] });
    assert.deepEqual(parseSubscriptionLogFilter(null), { addresses: null, topics: [] });
    assert.deepEqual(parseSubscriptionLogFilter({ address: ADDRESS_A, topics: [TOPIC_1], fromBlock: "latest" }), { addresses: [ADDRESS_A], topics: [[TOPIC_1]] });
  });

  test("reports errors as argument 1, the position of the filter in eth_subscribe", () => {
    rejects({ address: "0x12" }, "invalid argument 1: address: hex has invalid length 1 after decoding; expected 20 for address", parseSubscriptionLogFilter);
    rejects({ topics: [1, 2, 3, 4, 5] }, "invalid argument 1: topics: too many topics", parseSubscriptionLogFilter);
    rejects("logs", "invalid argument 1: expected a filter object", parseSubscriptionLogFilter);
  });
});

describe("matchLog", () => {
  test("matches any log with an empty filter", () => {
    assert.equal(matchLog({ addresses: null, topics: [] }, log(ADDRESS_A, [])), true);
    assert.equal(matchLog({ addresses: null, topics: [] }, log(ADDRESS_B, [TOPIC_1, TOPIC_2])), true);
  });

  test("requires one of the addresses", () => {
    const filter = { addresses: [ADDRESS_A, `0x${"cc".repeat(20)}`], topics: [] };
    assert.equal(matchLog(filter, log(ADDRESS_A, [])), true);
    assert.equal(matchLog(filter, log(ADDRESS_B, [])), false);
  });

  test("matches topics by position: null is any, a list is any of", () => {
    const event = log(ADDRESS_A, [TOPIC_1, TOPIC_2, TOPIC_3]);
    assert.equal(matchLog({ addresses: null, topics: [[TOPIC_1]] }, event), true);
    assert.equal(matchLog({ addresses: null, topics: [[TOPIC_2]] }, event), false);
    assert.equal(matchLog({ addresses: null, topics: [null, [TOPIC_3, TOPIC_2]] }, event), true);
    assert.equal(matchLog({ addresses: null, topics: [null, null, [TOPIC_1]] }, event), false);
    assert.equal(matchLog({ addresses: null, topics: [[TOPIC_1], null, [TOPIC_3]] }, event), true);
    assert.equal(matchLog({ addresses: [ADDRESS_B], topics: [[TOPIC_1]] }, event), false);
  });

  test("as geth, a filter with more positions than the log has topics never matches, even with nulls", () => {
    const event = log(ADDRESS_A, [TOPIC_1]);
    assert.equal(matchLog({ addresses: null, topics: [[TOPIC_1], [TOPIC_2]] }, event), false);
    assert.equal(matchLog({ addresses: null, topics: [[TOPIC_1], null] }, event), false);
    assert.equal(matchLog({ addresses: null, topics: [null] }, log(ADDRESS_A, [])), false);
  });

  test("works on what parseLogFilter returns", () => {
    const filter = parseLogFilter({ address: ADDRESS_A.toUpperCase().replace("0X", "0x"), topics: [TOPIC_1.toUpperCase().replace("0X", "0x")] });
    assert.equal(matchLog(filter, log(ADDRESS_A, [TOPIC_1, TOPIC_2])), true);
  });
});
