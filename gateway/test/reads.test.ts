// The hot lookups as prepared SQL (src/reads.ts) give exactly the rows Prisma gives, on SQLite and
// on PostgreSQL (DateTime columns as Dates, nulls as nulls, the same order).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { migrateGatewayDatabase, openGatewayDatabase } from "../src/db.ts";
import { accessLinesOfRecord, indexEntriesOfResidentRef, indexEntryRowOf, originalOf, residentRefsOfWallet, sessionRowOf } from "../src/reads.ts";

// In the district's time zone (UTC+8), not UTC: dates must come back as the UTC instants Prisma wrote.
process.env.TZ = "Asia/Shanghai";

const INSTITUTION = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const hex32 = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const REF = hex32(7);
const OTHER_REF = hex32(8);
const WALLET = "0x0000000000000000000000000000000000000001";

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`the gateway's prepared reads on ${provider}`, () => {
    let postgres: TestPostgres | undefined;
    let dir: string;
    let database: ReturnType<typeof openGatewayDatabase>;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "gateway-reads-"));
      let url = `file:${join(dir, "gateway.db")}`;
      if (provider === "postgresql") {
        postgres = await startPostgres();
        url = await postgres.createDatabase("gateway_reads");
      }
      await migrateGatewayDatabase(url);
      database = openGatewayDatabase(url);
      const db = database.prisma;
      const original = (i: number, residentRef: string) => ({
        institution: INSTITUTION,
        recordId: hex32(i),
        cid: `bafkrei${i}`,
        keyId: "k1",
        wrappedDataKey: "00",
        fieldsSchemaJson: "{}",
        contentHash: hex32(100 + i),
        residentRef,
        residentAddress: WALLET,
        category: hex32(1),
        anchoring: i === 1 ? "single" : "batch",
        txHash: hex32(200 + i),
        blockNumber: i,
      });
      for (let i = 1; i <= 3; i++) {
        await db.original.create({ data: original(i, REF) });
        await db.indexEntry.create({
          data: {
            institution: INSTITUTION,
            recordId: hex32(i),
            residentRef: REF,
            category: hex32(1),
            contentHash: hex32(100 + i),
            schemaVersion: 1,
            pointerHash: hex32(300 + i),
            sourceTime: 1_700_000_000 - i, // newest record first in time: the order is by sourceTime
            ...(i === 1 ? {} : { batchId: "4", root: hex32(400), leafIndex: i - 2, proofJson: "[]", txHash: hex32(500), blockNumber: 9 }),
          },
        });
      }
      // Record 4: a second reference linked to the same wallet, after the first.
      await db.original.create({ data: original(4, OTHER_REF) });
      for (const [id, seconds] of [["b", 20], ["a", 10], ["c", 20]] as const) {
        await db.accessLogLine.create({
          data: {
            id,
            requestId: `r-${id}`,
            accessor: hex32(9),
            residentRef: REF,
            recordId: hex32(2),
            institution: INSTITUTION,
            fieldsJson: "[]",
            purpose: 0,
            outcome: "granted",
            accessedAt: new Date(Date.UTC(2026, 10, 23, 2, 0, seconds)),
            lineHash: hex32(600),
            ...(id === "c" ? { claimedBy: "p1", claimedUntil: new Date(Date.UTC(2026, 10, 23, 3)) } : {}),
          },
        });
      }
    });
    after(async () => {
      await database?.close();
      await postgres?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it("finds an original and an index entry by institution and record, or null", async () => {
      const deps = { sql: database.sql };
      const where = { institution_recordId: { institution: INSTITUTION, recordId: hex32(2) } };
      assert.deepEqual(await originalOf(deps, INSTITUTION, hex32(2)), await database.prisma.original.findUnique({ where }));
      assert.deepEqual(await indexEntryRowOf(deps, INSTITUTION, hex32(2)), await database.prisma.indexEntry.findUnique({ where }));
      assert.equal(await originalOf(deps, INSTITUTION, hex32(99)), null);
      assert.equal(await indexEntryRowOf(deps, INSTITUTION, hex32(99)), null);
      assert.ok((await originalOf(deps, INSTITUTION, hex32(2)))?.createdAt instanceof Date);
    });

    it("finds a session row as Prisma does, ended or not", async () => {
      const deps = { sql: database.sql };
      const expiresAt = new Date(Date.UTC(2026, 10, 23, 12));
      await database.prisma.session.create({ data: { id: "s-open", subject: "a", principalJson: "{}", expiresAt } });
      await database.prisma.session.create({ data: { id: "s-ended", subject: "a", principalJson: "{}", sessionPublicKey: "0x04", expiresAt, endedAt: new Date(Date.UTC(2026, 10, 23, 3)) } });
      for (const id of ["s-open", "s-ended"]) assert.deepEqual(await sessionRowOf(deps, id), await database.prisma.session.findUnique({ where: { id } }));
      assert.equal(await sessionRowOf(deps, "s-none"), null);
    });

    it("lists the residentRefs linked to a wallet once each, first linked first", async () => {
      const deps = { sql: database.sql };
      assert.deepEqual(await residentRefsOfWallet(deps, WALLET), [REF, OTHER_REF]);
      assert.deepEqual(await residentRefsOfWallet(deps, "0x0000000000000000000000000000000000000002"), []);
    });

    it("lists a residentRef's entries and a record's access lines in Prisma's order", async () => {
      const deps = { sql: database.sql };
      assert.deepEqual(
        await indexEntriesOfResidentRef(deps, REF, 2),
        await database.prisma.indexEntry.findMany({ where: { residentRef: REF }, orderBy: [{ sourceTime: "asc" }, { id: "asc" }], take: 2 }),
      );
      const lines = await accessLinesOfRecord(deps, INSTITUTION, hex32(2));
      assert.deepEqual(lines.map((l) => l.id), ["a", "b", "c"]);
      assert.deepEqual(
        lines,
        await database.prisma.accessLogLine.findMany({ where: { institution: INSTITUTION, recordId: hex32(2) }, orderBy: [{ accessedAt: "asc" }, { id: "asc" }] }),
      );
    });
  });
}
