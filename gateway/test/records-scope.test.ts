// Who may see a record's index entry. A batched entry exists only in the gateway (the chain holds the
// root): its residentRef, hashes and proof belong to the anchoring institution, its auditors and
// admins — staff of another member must not look entries up by (institution, recordId).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { labRecord } from "../../test/e2e/fixtures.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

describe("records: an index entry is shown to its institution, auditors and admins only", () => {
  let gw: TestGateway;
  let recordId: string;
  before(async () => {
    gw = await startTestGateway();
    const his = (await gw.signInStaff("hospital-his")).token;
    const records = [labRecord("scope-1", devAccount(6).address)];
    const res = await gw.call("POST", "/v1/records/batch", { token: his, json: { records } });
    assert.equal(res.status, 201, await res.clone().text());
    recordId = records[0]!.recordId;
  });
  after(() => gw.close());

  test("the institution's own staff and the platform's auditor see the entry", async () => {
    for (const staff of ["hospital-his", "hospital-doctor", "platform-auditor"] as const) {
      const { token } = await gw.signInStaff(staff);
      const res = await gw.call("GET", `/v1/records/${INSTITUTIONS.hospital}/${recordId}`, { token });
      assert.equal(res.status, 200, `${staff}: ${await res.clone().text()}`);
    }
  });

  test("a system of another institution is refused (403) and learns nothing of the entry", async () => {
    const { token } = await gw.signInStaff("eqa-system");
    const res = await gw.call("GET", `/v1/records/${INSTITUTIONS.hospital}/${recordId}`, { token });
    assert.equal(res.status, 403);
    const refused = await body<{ code: string; details?: Record<string, unknown> }>(res);
    assert.equal(refused.code, "FORBIDDEN");
    assert.doesNotMatch(JSON.stringify(refused), /residentRef|contentHash|proof/);
  });
});
