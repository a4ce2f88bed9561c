// A batch at the route's limit: 1,000 records anchor under one root (the queries that look the ids
// up go a few hundred at a time, under SQLite's bound-parameter limit), and 1,001 are refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { labRecord } from "../../test/e2e/fixtures.ts";
import { MAX_BATCH_RECORDS } from "../src/routes/records.ts";
import { body, devAccount, startTestGateway, type TestGateway } from "./helpers.ts";

describe("records: the batch limit", () => {
  let gw: TestGateway;
  let his: string;
  before(async () => {
    gw = await startTestGateway();
    his = (await gw.signInStaff("hospital-his")).token;
  });
  after(() => gw.close());

  test(`a batch of ${MAX_BATCH_RECORDS} records is anchored under one root`, async () => {
    const records = Array.from({ length: MAX_BATCH_RECORDS }, (_, i) => labRecord(`limit-${i}`, devAccount(7).address));
    const res = await gw.call("POST", "/v1/records/batch", { token: his, json: { records } });
    assert.equal(res.status, 201, await res.clone().text());
    const out = await body<{ batchId: string; leafCount: number }>(res);
    assert.equal(out.leafCount, MAX_BATCH_RECORDS);
    assert.equal(await gw.deps.db.indexEntry.count({ where: { batchId: out.batchId } }), MAX_BATCH_RECORDS);
    assert.equal(await gw.deps.db.recordReservation.count(), 0);
  });

  test(`a batch of ${MAX_BATCH_RECORDS + 1} is refused as invalid input, changing nothing`, async () => {
    const before = await gw.deps.db.original.count();
    const records = Array.from({ length: MAX_BATCH_RECORDS + 1 }, (_, i) => labRecord(`over-${i}`, devAccount(7).address));
    const res = await gw.call("POST", "/v1/records/batch", { token: his, json: { records } });
    assert.equal(res.status, 400);
    assert.equal((await body<{ code: string }>(res)).code, "INVALID_INPUT");
    assert.equal(await gw.deps.db.original.count(), before);
  });
});
