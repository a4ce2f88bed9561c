// The mirror's behaviour, run once per database provider (sqlite.test.ts, postgresql.test.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pad, type Abi, type Hex } from "viem";
import { dataIndexAbi, CONTRACT_NAMES } from "../../../sdk/src/index.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../../../test/helpers/chain.ts";
import type { DatabaseProvider } from "../../src/db/index.ts";
import { CONTRACT_ABIS } from "../../src/events.ts";
import { createIndexer, type IndexerOptions } from "../../src/indexer.ts";
import { createMirrorMetrics, serveMetrics } from "../../src/metrics.ts";
import { createMirrorQueries, eventRow } from "../../src/queries.ts";
import { verifyRange } from "../../src/verify.ts";
import { databaseFactory, snapshotOf, type DatabaseFactory } from "./databases.ts";
import { driver, runScenario, type Driver, type ScenarioResult } from "./scenario.ts";

const b32 = (n: number): Hex => pad(`0x${n.toString(16)}`, { size: 32 });

/** Waits until eth_blockNumber (which a node may answer from a short cache) reaches `block`. */
async function waitForHead(chain: TestChain, block: number): Promise<void> {
  while (Number(await chain.publicClient.getBlockNumber()) < block) await new Promise((r) => setTimeout(r, 10));
}

/** Anchors `count` records from the hospital (one event each), returning the last block. */
async function anchorRecords(d: Driver, count: number, seed: number): Promise<bigint> {
  let last = 0n;
  const now = await d.now();
  for (let i = 0; i < count; i++) {
    const { blockNumber } = await d.send(DEV.hospital, "DataIndex", dataIndexAbi as Abi, "anchorRecord", [
      {
        recordId: b32(seed * 1000 + i),
        residentRef: b32(7),
        institution: devAccount(DEV.hospital).address,
        category: b32(1),
        contentHash: b32(seed * 1000 + i + 1),
        schemaVersion: 1,
        pointerHash: b32(2),
        sourceTime: now,
      },
    ]);
    last = blockNumber;
  }
  await waitForHead(d.chain, Number(last));
  return last;
}

export function mirrorSuite(provider: DatabaseProvider): void {
  describe(`mirror on ${provider}`, () => {
    let chain: TestChain;
    let d: Driver;
    let s: ScenarioResult;
    let dbs: DatabaseFactory;

    before(async () => {
      dbs = await databaseFactory(provider);
      chain = await startTestChain();
      d = driver(chain);
      s = await runScenario(d);
    });
    after(async () => {
      await chain?.stop();
      await dbs?.close();
    });

    const indexerFor = (prisma: IndexerOptions["prisma"], options: Partial<IndexerOptions> = {}) =>
      createIndexer({ prisma, client: chain.publicClient, deployments: chain.deployments, pollIntervalMs: 20, ...options });

    it("writes every event of every contract, as the chain holds them", async () => {
      const db = await dbs.create();
      await indexerFor(db.prisma).syncToTarget();
      const logs = await chain.publicClient.getLogs({
        address: CONTRACT_NAMES.map((n) => chain.deployments.contracts[n].address),
        fromBlock: 0n,
        toBlock: "latest",
      });
      assert.equal(await db.prisma.chainEvent.count(), logs.length);
      const seen = new Set((await db.prisma.chainEvent.findMany({ select: { contract: true, eventName: true } })).map((e) => `${e.contract}.${e.eventName}`));
      for (const name of CONTRACT_NAMES) {
        for (const item of CONTRACT_ABIS[name]) {
          if (item.type !== "event" || item.name === "EIP712DomainChanged") continue;
          assert.ok(seen.has(`${name}.${item.name}`), `${name}.${item.name} is in the mirror`);
        }
      }
      const head = Number(await chain.publicClient.getBlockNumber());
      for (const checkpoint of await db.prisma.checkpoint.findMany()) assert.equal(checkpoint.blockNumber, head);
      assert.equal(await db.prisma.chainEvent.count({ where: { blockHash: { not: { startsWith: "0x" } } } }), 0);
      const verified = await verifyRange({ prisma: db.prisma, client: chain.publicClient, deployments: chain.deployments, from: 0, to: head });
      assert.equal(verified.ok, true);
      assert.equal(verified.chain.events, logs.length);
    });

    it("reads every event table by prepared SQL exactly as Prisma reads it", async () => {
      const db = await dbs.create();
      await indexerFor(db.prisma).syncToTarget();
      const tables = {
        RecordEvent: () => db.prisma.recordEvent.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
        BatchAnchor: () => db.prisma.batchAnchor.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
        GrantEvent: () => db.prisma.grantEvent.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
        RequestEvent: () => db.prisma.requestEvent.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
        AccessEvidence: () => db.prisma.accessEvidence.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
        AccessBatch: () => db.prisma.accessBatch.findMany({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] }),
      };
      for (const [table, viaPrisma] of Object.entries(tables)) {
        const expected = await viaPrisma();
        assert.ok(expected.length > 0, `the scenario wrote ${table} rows`);
        const rows = await db.sql.all(`SELECT * FROM "${table}" ORDER BY "blockNumber" ASC, "logIndex" ASC`);
        assert.deepEqual(rows.map((row) => ({ ...eventRow<object>(row) })), expected.map((row) => ({ ...row })), table);
      }
      // Booleans of both values came through (mayReshare false, an answer approved).
      const grants = await db.sql.all(`SELECT * FROM "GrantEvent" WHERE "kind" = 'created'`);
      assert.ok(grants.map((g) => eventRow<{ mayReshare: boolean | null }>(g).mayReshare).includes(false));
      const answers = await db.sql.all(`SELECT * FROM "RequestEvent" WHERE "kind" = 'answered'`);
      assert.ok(answers.map((a) => eventRow<{ approved: boolean | null }>(a).approved).includes(true));
    });

    it("answers the gateway's queries with what the chain holds", async () => {
      const db = await dbs.create();
      await indexerFor(db.prisma).syncToTarget();
      // The dev chain's clock runs ahead of the wall clock (a new second per block): statuses at chain time.
      const chainNow = Number((await chain.publicClient.getBlock()).timestamp) * 1000;
      const q = createMirrorQueries(db, { chainHead: () => chain.publicClient.getBlockNumber(), now: () => chainNow });

      // Records: the identity merge moved the record to the surviving reference.
      assert.deepEqual((await q.records.ofResident(s.residentRef)).items, []);
      const merged = await q.records.ofResident(s.mergedRef);
      assert.equal(merged.items.length, 1);
      const record = merged.items[0];
      const onChain = (await d.read("DataIndex", dataIndexAbi as Abi, "getRecord", [s.hospital, s.recordId])) as Record<string, unknown>;
      assert.equal(record?.residentRef, (onChain.residentRef as string).toLowerCase());
      assert.equal(record?.contentHash, (onChain.contentHash as string).toLowerCase());
      assert.equal(record?.institution, s.hospital);
      assert.match(record?.anchored.txHash ?? "", /^0x[0-9a-f]{64}$/);
      const history = await q.records.history(s.hospital, s.recordId);
      assert.equal(history?.changes.length, 2);
      assert.equal(history?.changes[1]?.newResidentRef, s.mergedRef);
      assert.equal(await q.records.history(s.hospital, b32(999)), undefined);

      const batch = await q.batches.byId(s.batchId);
      assert.equal(batch?.leafCount, 4);
      assert.deepEqual(await q.batches.byRoot(s.hospital, batch?.root ?? "0x"), batch);

      // Grants: created, narrowed, re-shared; the re-share revoked; the approved request's grant.
      const grant = await q.grants.byId(s.grantId);
      assert.equal(grant?.status, "active");
      assert.equal(grant?.narrowings.length, 1);
      assert.equal(grant?.scope.fields.length, 1);
      assert.equal(grant?.grantedScope.fields.length, 2);
      assert.equal(grant?.purposes, 1);
      assert.deepEqual(grant?.reshares, [s.reshareId]);
      const reshare = await q.grants.byId(s.reshareId);
      assert.equal(reshare?.parentId, s.grantId);
      assert.equal(reshare?.status, "revoked");
      assert.equal((await q.grants.ofResident(s.resident)).items.length, 2);
      const forHospital = await q.grants.forGrantee(s.hospital);
      assert.deepEqual(forHospital.items.map((g) => g.grantId).sort(), [s.grantId, s.answerGrantId].sort());
      const firstPage = await q.grants.forGrantee(s.hospital, { limit: 1 });
      assert.equal(firstPage.items.length, 1);
      assert.ok(firstPage.nextCursor);
      const secondPage = await q.grants.forGrantee(s.hospital, { limit: 1, cursor: firstPage.nextCursor });
      assert.equal(secondPage.items.length, 1);
      assert.equal(secondPage.nextCursor, undefined);
      assert.notEqual(secondPage.items[0]?.grantId, firstPage.items[0]?.grantId);

      const delegations = await q.delegations.ofResident(s.resident);
      assert.equal(delegations.length, 1);
      assert.equal(delegations[0]?.active, false);
      assert.ok(delegations[0]?.revocation);

      const request = await q.requests.byId(s.requestId);
      assert.equal(request?.status, "approved");
      assert.equal(request?.answer?.grantId, s.answerGrantId);
      assert.equal((await q.requests.byRequester(s.hospital)).items.length, 1);
      assert.equal((await q.requests.ofResident(request?.resident ?? "")).items.length, 1);

      const evidence = await q.evidence.ofRecord(s.recordId);
      assert.equal(evidence.items.length, 1);
      assert.equal(evidence.items[0]?.grantId, s.grantId);
      assert.equal((await q.evidence.accessBatch(s.accessBatchId))?.lineCount, 10);

      const cert = await q.certificates.byId(s.certId);
      assert.equal(cert?.revocation?.reason, 1);

      const members = await q.consortium.members();
      assert.equal(members.length, 5);
      assert.equal((await q.consortium.member(s.newMember))?.status, 3);
      const alliances = await q.consortium.alliances();
      assert.equal(alliances[0]?.lead, null);
      const proposals = await q.consortium.proposals({ limit: 500 });
      assert.equal(proposals.items.length, 13);
      assert.equal(proposals.items.filter((p) => p.state === "executed").length, 12);
      assert.equal(proposals.items.at(-1)?.state, "rejected");
      assert.ok((proposals.items[0]?.votes.length ?? 0) > 0);
      assert.deepEqual(await q.consortium.nodes(), []);
      assert.equal((await q.consortium.contracts())[0]?.nameText, "DataIndex");
      assert.equal((await q.workflows.steps(s.workflowId)).length, 2);

      const status = await q.chain.status();
      assert.equal(status.lagBlocks, 0);
      assert.match(status.indexedHeadTime ?? "", /^\d{4}-\d{2}-\d{2}T/);
      assert.equal(status.contracts.length, 5);
      await assert.rejects(q.grants.byId("0x12"), { code: "INVALID_INPUT" });
      await assert.rejects(q.grants.ofResident(s.resident, { limit: 501 }), { code: "INVALID_INPUT" });
    });

    it("verify reports the first divergence after a row is tampered with", async () => {
      const db = await dbs.create();
      await indexerFor(db.prisma).syncToTarget();
      const head = Number(await chain.publicClient.getBlockNumber());
      const args = { prisma: db.prisma, client: chain.publicClient, deployments: chain.deployments, from: 0, to: head };
      const ok = await verifyRange(args);
      assert.equal(ok.ok, true);
      assert.equal(ok.chain.digest, ok.mirror.digest);
      const victim = await db.prisma.chainEvent.findFirstOrThrow({ where: { eventName: "GrantCreated" }, orderBy: { blockNumber: "asc" } });
      await db.prisma.chainEvent.update({
        where: { blockNumber_logIndex: { blockNumber: victim.blockNumber, logIndex: victim.logIndex } },
        data: { args: victim.args.replace(/"purposes":3/, '"purposes":7') },
      });
      const bad = await verifyRange(args);
      assert.equal(bad.ok, false);
      assert.notEqual(bad.chain.digest, bad.mirror.digest);
      assert.deepEqual(
        { block: bad.firstDivergence?.blockNumber, log: bad.firstDivergence?.logIndex, field: bad.firstDivergence?.field },
        { block: victim.blockNumber, log: victim.logIndex, field: "args" },
      );
      const first = await db.prisma.chainEvent.findFirstOrThrow({ orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }] });
      await db.prisma.chainEvent.delete({ where: { blockNumber_logIndex: { blockNumber: first.blockNumber, logIndex: first.logIndex } } });
      const missing = await verifyRange(args);
      assert.equal(missing.firstDivergence?.field, "missing");
      assert.equal(missing.firstDivergence?.blockNumber, first.blockNumber);
    });

    it("restarts between ranges and after a crash inside a write transaction with the same rows", async () => {
      const reference = await dbs.create();
      await indexerFor(reference.prisma).syncToTarget();
      const expected = await snapshotOf(reference.prisma);

      // Stopped after three ranges of 4 blocks, then a fresh indexer continues.
      const db = await dbs.create();
      const first = indexerFor(db.prisma, { maxBlockRange: 4 });
      for (let i = 0; i < 3; i++) await first.syncOnce();
      assert.ok((await db.prisma.checkpoint.findFirstOrThrow()).blockNumber < Number(await chain.publicClient.getBlockNumber()));
      await indexerFor(db.prisma, { maxBlockRange: 4 }).syncToTarget();
      assert.deepEqual(await snapshotOf(db.prisma), expected);

      // A crash inside the transaction of the 3rd range: nothing of it is kept, the checkpoint stays.
      const crashed = await dbs.create();
      let ranges = 0;
      const crashing = indexerFor(crashed.prisma, {
        maxBlockRange: 4,
        hooks: {
          beforeCommit() {
            if (++ranges === 3) throw new Error("simulated crash");
          },
        },
      });
      await assert.rejects(crashing.syncToTarget(), /simulated crash/);
      const checkpoint = (await crashed.prisma.checkpoint.findFirstOrThrow()).blockNumber;
      assert.equal(await crashed.prisma.chainEvent.count({ where: { blockNumber: { gt: checkpoint } } }), 0);
      assert.equal(await crashed.prisma.block.count({ where: { number: { gt: checkpoint } } }), 0);
      await indexerFor(crashed.prisma).syncToTarget();
      assert.deepEqual(await snapshotOf(crashed.prisma), expected);

      // Rewriting ranges already written (checkpoints moved back) changes nothing.
      await crashed.prisma.checkpoint.updateMany({ data: { blockNumber: 2 } });
      await indexerFor(crashed.prisma, { maxBlockRange: 3 }).syncToTarget();
      assert.deepEqual(await snapshotOf(crashed.prisma), expected);
    });

    it("halves eth_getLogs ranges the node refuses and still writes every event", async () => {
      const reference = await dbs.create();
      await indexerFor(reference.prisma).syncToTarget();
      const db = await dbs.create();
      const metrics = createMirrorMetrics();
      // A node that answers at most 4 blocks per eth_getLogs, as providers limit ranges.
      const picky = {
        ...chain.publicClient,
        getLogs: (async (args: { fromBlock: bigint; toBlock: bigint }) => {
          if (args.toBlock - args.fromBlock > 3n) throw new Error("query returned more than 10000 results");
          return chain.publicClient.getLogs(args as never);
        }) as never,
      } as typeof chain.publicClient;
      await createIndexer({ prisma: db.prisma, client: picky, deployments: chain.deployments, metrics, maxBlockRange: 64 }).syncToTarget();
      assert.deepEqual(await snapshotOf(db.prisma), await snapshotOf(reference.prisma));
      assert.ok(((await metrics.errors.get()).values.find((v) => v.labels.kind === "range_split")?.value ?? 0) > 0);
    });

    it("serves its metrics on /metrics", async () => {
      const db = await dbs.create();
      const metrics = createMirrorMetrics();
      await indexerFor(db.prisma, { metrics }).syncToTarget();
      const { server, port } = await serveMetrics(metrics.registry, 0, "127.0.0.1");
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        assert.match(text, /mirror_events_total\{contract="ConsortiumRegistry"\} \d+/);
        assert.match(text, /mirror_lag_blocks 0/);
        assert.match(text, /mirror_indexed_block\{contract="AuditTrail"\} \d+/);
        assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
      } finally {
        server.close();
      }
    });

    describe("on a chain that reorganises", () => {
      let fork: TestChain;
      let fd: Driver;
      before(async () => {
        fork = await startTestChain();
        fd = driver(fork);
      });
      after(async () => {
        await fork?.stop();
      });

      it("rolls back the rows of orphaned blocks and indexes the new ones", async () => {
        const db = await dbs.create();
        const metrics = createMirrorMetrics();
        const indexer = createIndexer({ prisma: db.prisma, client: fork.publicClient, deployments: fork.deployments, metrics });
        await indexer.syncToTarget();
        const snapshotId = (await fork.publicClient.request({ method: "evm_snapshot" as never })) as Hex;
        const forkPoint = Number(await fork.publicClient.getBlockNumber());
        await anchorRecords(fd, 3, 1);
        await indexer.syncToTarget();
        const orphaned = await db.prisma.recordEvent.findMany({ where: { blockNumber: { gt: forkPoint } } });
        assert.equal(orphaned.length, 3);

        assert.equal(await fork.publicClient.request({ method: "evm_revert" as never, params: [snapshotId] as never }), true);
        await fork.publicClient.request({ method: "evm_mine" as never });
        await anchorRecords(fd, 4, 2);
        await indexer.syncToTarget();

        const rows = await db.prisma.recordEvent.findMany({ where: { blockNumber: { gt: forkPoint } } });
        assert.equal(rows.length, 4);
        for (const row of orphaned) assert.ok(!rows.some((r) => r.recordId === row.recordId), "orphaned record gone");
        const head = Number(await fork.publicClient.getBlockNumber());
        const verified = await verifyRange({ prisma: db.prisma, client: fork.publicClient, deployments: fork.deployments, from: 0, to: head });
        assert.equal(verified.ok, true);
        for (const block of await db.prisma.block.findMany({ where: { number: { gt: forkPoint } } })) {
          const chainBlock = await fork.publicClient.getBlock({ blockNumber: BigInt(block.number) });
          assert.equal(block.hash, chainBlock.hash);
        }
        assert.equal((await metrics.reorgs.get()).values[0]?.value, 1);
        assert.ok(((await metrics.rollbackDepth.get()).values[0]?.value ?? 0) >= 3);
      });

      it("waits for the configured confirmations", async () => {
        const db = await dbs.create();
        const indexer = createIndexer({ prisma: db.prisma, client: fork.publicClient, deployments: fork.deployments, confirmations: 3 });
        await indexer.syncToTarget();
        const before = Number(await fork.publicClient.getBlockNumber());
        const last = Number(await anchorRecords(fd, 2, 3));
        await indexer.syncToTarget();
        assert.equal((await db.prisma.checkpoint.findFirstOrThrow()).blockNumber, last - 3);
        assert.equal(await db.prisma.chainEvent.count({ where: { blockNumber: { gt: before } } }), 0);
        for (let i = 0; i < 3; i++) await fork.publicClient.request({ method: "evm_mine" as never });
        await waitForHead(fork, last + 3);
        await indexer.syncToTarget();
        assert.equal(await db.prisma.chainEvent.count({ where: { blockNumber: { gt: before } } }), 2);
      });

      it("never commits the rows of blocks orphaned between eth_getLogs and the header reads", async () => {
        const db = await dbs.create();
        const indexer = (client: typeof fork.publicClient) => createIndexer({ prisma: db.prisma, client, deployments: fork.deployments });
        await indexer(fork.publicClient).syncToTarget();
        const snapshotId = (await fork.publicClient.request({ method: "evm_snapshot" as never })) as Hex;
        const forkPoint = Number(await fork.publicClient.getBlockNumber());
        await anchorRecords(fd, 1, 5);
        for (let i = 0; i < 2; i++) await fork.publicClient.request({ method: "evm_mine" as never });
        await waitForHead(fork, forkPoint + 3);

        // A node that answers eth_getLogs from the chain it holds, then reorganises (the snapshot's
        // chain plus 3 empty blocks) before the indexer reads the headers, and, as geth and Erigon
        // do, still serves the side chain's blocks by hash.
        const sideBlocks = new Map<string, Awaited<ReturnType<typeof fork.publicClient.getBlock>>>();
        let armed = true;
        const reorging = {
          ...fork.publicClient,
          getLogs: (async (args: { fromBlock: bigint; toBlock: bigint }) => {
            const logs = await fork.publicClient.getLogs(args as never);
            if (armed) {
              armed = false;
              for (let n = args.fromBlock; n <= args.toBlock; n++) {
                const block = await fork.publicClient.getBlock({ blockNumber: n });
                sideBlocks.set((block.hash as string).toLowerCase(), block);
              }
              assert.equal(await fork.publicClient.request({ method: "evm_revert" as never, params: [snapshotId] as never }), true);
              for (let i = 0; i < 3; i++) await fork.publicClient.request({ method: "evm_mine" as never });
              await waitForHead(fork, forkPoint + 3);
            }
            return logs;
          }) as never,
          getBlock: (async (args: { blockHash?: Hex }) => {
            const side = args.blockHash ? sideBlocks.get(args.blockHash.toLowerCase()) : undefined;
            return side ?? fork.publicClient.getBlock(args as never);
          }) as never,
        } as typeof fork.publicClient;

        const mirror = indexer(reorging);
        await mirror.syncToTarget();
        await mirror.syncToTarget();
        assert.equal(armed, false, "the node reorganised during eth_getLogs");
        assert.ok(sideBlocks.size >= 3);

        assert.deepEqual(await db.prisma.recordEvent.findMany({ where: { blockNumber: { gt: forkPoint } } }), [], "no orphaned record");
        const head = Number(await fork.publicClient.getBlockNumber());
        for (const checkpoint of await db.prisma.checkpoint.findMany()) {
          assert.equal(checkpoint.blockNumber, head);
          assert.equal(checkpoint.blockHash, (await fork.publicClient.getBlock({ blockNumber: BigInt(head) })).hash);
        }
        const verified = await verifyRange({ prisma: db.prisma, client: fork.publicClient, deployments: fork.deployments, from: 0, to: head });
        assert.equal(verified.ok, true, `verify: first divergence ${JSON.stringify(verified.firstDivergence)}`);
      });
    });
  });
}
