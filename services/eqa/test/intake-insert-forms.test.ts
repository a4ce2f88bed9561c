// A lab's result set is inserted from one JSON parameter (SQLite json_each here; PostgreSQL's
// jsonb_to_recordset in intake-postgres) or, for a client whose provider is unknown, as plain
// multi-row VALUES: both forms must store the same rows.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eqaProviderOf, type EqaDb } from "../src/db.ts";
import { resultsOfRound, saveResults } from "../src/intake/index.ts";
import { fullSet, openRound, openTestDb, type TestDb } from "./intake-fixture.ts";

describe("result insertion forms", () => {
  let t: TestDb;
  before(async () => {
    t = await openTestDb();
    await openRound(t.db, 2);
  });
  after(() => t.close());

  it("stores the same rows from the JSON form and from plain VALUES", async () => {
    assert.equal(eqaProviderOf(t.db), "sqlite");
    // A client the opener did not register (a proxy of it) takes the plain VALUES form.
    const unregistered = new Proxy(t.db, {}) as EqaDb;
    assert.equal(eqaProviderOf(unregistered), null);
    const now = new Date("2025-03-10T02:00:00Z");
    await saveResults(t.db, { roundCode: "R1", labCode: "L1", entries: fullSet("S1"), actor: "a", now });
    await saveResults(unregistered, { roundCode: "R1", labCode: "L2", entries: fullSet("S1"), actor: "a", now });
    const rows = await t.db.result.findMany({ orderBy: [{ labId: "asc" }, { analyteCode: "asc" }], select: { labId: true, analyteCode: true, valueJson: true, instrument: true, reagent: true, method: true, enteredAt: true, enteredBy: true } });
    const byLab = (labId: number) => rows.filter((r) => r.labId === labId).map((r) => ({ ...r, labId: undefined }));
    assert.equal(byLab(1).length, 6);
    assert.deepEqual(byLab(1), byLab(2));
    assert.equal(byLab(1).find((r) => r.analyteCode === "GLU")?.instrument, "Cobas c702");
    assert.deepEqual(await resultsOfRound(t.db, "R1", { includeDrafts: true }).then((r) => r.length), 12);
  });
});
