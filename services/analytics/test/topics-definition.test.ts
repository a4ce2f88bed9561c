// Topic definitions: accepted with defaults, refused with INVALID_INPUT in English and Chinese naming
// the field (JSON Pointer), criteria refusals keeping their node path under /criteria; the
// definition hash ignores the schedule and nothing else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { definitionHash, parseTopicDefinition, parseTopicDefinitions } from "../src/topics/index.ts";

const VALID = {
  name: "t2dm",
  title: { zh: "2 型糖尿病", en: "Type 2 diabetes" },
  criteria: { type: "diagnosis", codes: ["E11"] },
  schedule: "0 2 * * *",
};

function refusedAt(run: () => unknown, path: string, reason?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    const details = error.details as { path: string; reason: string };
    assert.equal(details.path, path);
    if (reason !== undefined) assert.equal(details.reason, reason);
    assert.ok(error.message.includes(path));
    assert.match(error.messageZh, /[\u4e00-\u9fff]/);
    return true;
  });
}

describe("topic definitions", () => {
  it("accepts a definition, defaulting the index date to the build date, and null criteria for the whole population", () => {
    const topic = parseTopicDefinition(VALID);
    assert.equal(topic.indexDate, "build-date");
    assert.deepEqual(topic.criteria, VALID.criteria);
    assert.equal(parseTopicDefinition({ ...VALID, name: "all", criteria: null, indexDate: "2026-12-31" }).criteria, null);
    assert.equal(parseTopicDefinition({ ...VALID, schedule: "*/30 * * * * *" }).schedule, "*/30 * * * * *");
  });

  it("refuses each bad field, naming it", () => {
    refusedAt(() => parseTopicDefinition({ ...VALID, name: "T2DM" }), "/name");
    refusedAt(() => parseTopicDefinition({ ...VALID, name: "../etc" }), "/name");
    refusedAt(() => parseTopicDefinition({ ...VALID, title: { zh: "糖尿病" } }), "/title/en", "missing");
    refusedAt(() => parseTopicDefinition({ ...VALID, description: "text" }), "/description");
    refusedAt(() => parseTopicDefinition({ ...VALID, schedule: "every night" }), "/schedule", "invalid-cron");
    refusedAt(() => parseTopicDefinition({ ...VALID, schedule: "0 0 30 2 *" }), "/schedule");
    refusedAt(() => parseTopicDefinition({ ...VALID, indexDate: "2026-02-30" }), "/indexDate");
    refusedAt(() => parseTopicDefinition({ ...VALID, owner: "me" }), "", "unknown-key");
    const withoutCriteria = { name: VALID.name, title: VALID.title, schedule: VALID.schedule };
    refusedAt(() => parseTopicDefinition(withoutCriteria), "/criteria", "missing");
    refusedAt(() => parseTopicDefinition("t2dm"), "");
  });

  it("refuses bad criteria at the node's path under /criteria", () => {
    const criteria = { type: "and", children: [{ type: "diagnosis", codes: ["E11"] }, { type: "diagnosis", codes: ["diabetes"] }] };
    refusedAt(() => parseTopicDefinition({ ...VALID, criteria }), "/criteria/children/1/codes/0");
    refusedAt(() => parseTopicDefinition({ ...VALID, criteria: { type: "lab", loinc: "4548-4", comparator: ">", value: 7, unit: "kg" } }), "/criteria/unit");
  });

  it("refuses duplicate names in a set, naming the definition", () => {
    refusedAt(() => parseTopicDefinitions([VALID, { ...VALID, schedule: "0 3 * * *" }]), "/1/name", "duplicate-name");
    refusedAt(() => parseTopicDefinitions([VALID, { ...VALID, name: "x", schedule: "nope" }]), "/1/schedule");
  });

  it("hashes what the topic holds, not when it is refreshed", () => {
    const base = definitionHash(parseTopicDefinition(VALID));
    assert.equal(definitionHash(parseTopicDefinition({ ...VALID, schedule: "0 5 * * 1" })), base);
    assert.notEqual(definitionHash(parseTopicDefinition({ ...VALID, indexDate: "2026-12-31" })), base);
    assert.notEqual(definitionHash(parseTopicDefinition({ ...VALID, criteria: { type: "diagnosis", codes: ["E10"] } })), base);
    assert.notEqual(definitionHash(parseTopicDefinition({ ...VALID, title: { ...VALID.title, en: "T2DM" } })), base);
  });
});
