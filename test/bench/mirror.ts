// Benchmark of the mirror (docs/MIRROR.md, "Figures"): how fast the indexer ingests a backfill
// into SQLite and PostgreSQL, and whether it keeps up with a chain-node written to at full speed.
//
//   node test/bench/mirror.ts [--events 50000] [--follow-events 30000] [--no-postgres] [--cpu-prof]
//
// The chain-node runs in its own process (test/helpers/chain.ts, separateProcess). Events are
// DataIndex.RecordAnchored, one per anchorRecord transaction, signed locally by the hospital's
// accounts (the hospital plus three accounts allowlisted for it by governance) and sent raw.
// Only the indexer is timed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeFunctionData, keccak256, pad, toHex, type Abi, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { dataIndexAbi } from "../../sdk/src/index.ts";
import { submitAll } from "../../chain-node/bench/workload.ts";
import { DEV, devAccount, startTestChain, type TestChain } from "../helpers/chain.ts";
import { driver, enact } from "../../mirror/test/helpers/scenario.ts";
import { databaseFactory } from "../../mirror/test/helpers/databases.ts";
import { createIndexer } from "../../mirror/src/indexer.ts";
import { createMirrorMetrics } from "../../mirror/src/metrics.ts";
import { verifyRange } from "../../mirror/src/verify.ts";
import type { MirrorPrisma } from "../../mirror/src/database.ts";
import { summariseProfile } from "./gateway/profile.ts";

/** The V8 sampling profiler of this process (--cpu-prof): only the timed backfill is profiled. */
async function startProfiler(): Promise<{ stop(name: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(name) {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      const file = join(mkdtempSync(join(tmpdir(), "mirror-bench-")), `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "50000" },
    "follow-events": { type: "string", default: "30000" },
    "no-postgres": { type: "boolean", default: false },
    "max-block-range": { type: "string", default: "5000" },
    "cpu-prof": { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const FOLLOW_EVENTS = Number(values["follow-events"]);
const MAX_BLOCK_RANGE = Number(values["max-block-range"]);
const SENDERS = [DEV.hospital, 13, 14, 15];

async function signAnchors(chain: TestChain, count: number, firstId: number): Promise<Hex[]> {
  const hospital = devAccount(DEV.hospital).address;
  const to = chain.deployments.contracts.DataIndex.address;
  const client = chain.publicClient;
  const nonces = await Promise.all(SENDERS.map((i) => client.getTransactionCount({ address: devAccount(i).address, blockTag: "pending" })));
  const block = await client.getBlock();
  const base = block.baseFeePerGas ?? 0n;
  const fees = { maxFeePerGas: base * 2n, maxPriorityFeePerGas: 0n };
  const now = block.timestamp;
  const raws: Hex[] = [];
  // Deriving an HD account is slow (PBKDF2): once per sender, then a plain private-key account.
  const accounts = SENDERS.map((i) => privateKeyToAccount(toHex(devAccount(i).getHdKey().privateKey as Uint8Array)));
  for (let i = 0; i < count; i++) {
    const s = i % SENDERS.length;
    const account = accounts[s] as (typeof accounts)[number];
    const id = firstId + i;
    const data = encodeFunctionData({
      abi: dataIndexAbi as Abi,
      functionName: "anchorRecord",
      args: [
        {
          recordId: keccak256(toHex(`bench-record-${id}`)),
          residentRef: pad(toHex(id % 1000), { size: 32 }),
          institution: hospital,
          category: pad("0x01", { size: 32 }),
          contentHash: keccak256(toHex(`bench-content-${id}`)),
          schemaVersion: 1,
          pointerHash: keccak256(toHex(`bench-pointer-${id}`)),
          sourceTime: now,
        },
      ],
    });
    raws.push(
      await account.signTransaction({
        type: "eip1559",
        chainId: chain.chainId,
        nonce: (nonces[s] as number)++,
        to,
        value: 0n,
        gas: 300_000n,
        ...fees,
        data,
      }),
    );
  }
  return raws;
}

async function waitMined(chain: TestChain, raws: Hex[]): Promise<void> {
  // The last transaction of each sender: once mined, all of that sender's are.
  for (const raw of raws.slice(-SENDERS.length)) {
    await chain.publicClient.waitForTransactionReceipt({ hash: keccak256(raw), pollingInterval: 50, timeout: 120_000 });
  }
}

/** Sends the transactions in chunks (each mined before the next), as fast as the node takes them. */
async function write(chain: TestChain, raws: Hex[], chunk = 2000): Promise<{ accepted: number; ms: number }> {
  const start = performance.now();
  let accepted = 0;
  for (let i = 0; i < raws.length; i += chunk) {
    const part = raws.slice(i, i + chunk);
    const result = await submitAll(chain.rpcUrl, part, { concurrency: 32 });
    if (result.errorCount > 0) throw new Error(`${result.errorCount} transactions refused, e.g. ${result.errors[0]?.message}`);
    accepted += result.accepted;
    await waitMined(chain, part);
  }
  return { accepted, ms: performance.now() - start };
}

async function countEvents(prisma: MirrorPrisma): Promise<number> {
  return prisma.chainEvent.count();
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function main(): Promise<void> {
  console.log(`mirror benchmark — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`configuration: ${EVENTS} backfill events, ${FOLLOW_EVENTS} follow events, maxBlockRange ${MAX_BLOCK_RANGE}, chain-node in its own process (dev, instant sealing)`);
  const chain = await startTestChain({ separateProcess: true });
  const d = driver(chain);
  try {
    for (const account of SENDERS.slice(1)) {
      await enact(d, DEV.healthAuthority, "proposeAddAccount", [devAccount(account).address, devAccount(DEV.hospital).address]);
    }
    const t = performance.now();
    const raws = await signAnchors(chain, EVENTS, 0);
    console.log(`signed ${EVENTS} anchorRecord transactions in ${((performance.now() - t) / 1000).toFixed(1)} s (not timed)`);
    const submitted = await write(chain, raws);
    const writeMs = submitted.ms;
    const head = Number(await chain.publicClient.getBlockNumber());
    console.log(`chain: ${submitted.accepted} transactions in ${head} blocks, written at ${rate(submitted.accepted, writeMs)} tx/s (submit → last receipt)`);

    const results: string[] = [];
    const providers = values["no-postgres"] ? (["sqlite"] as const) : (["sqlite", "postgresql"] as const);
    for (const provider of providers) {
      const dbs = await databaseFactory(provider);
      try {
        const db = await dbs.create();
        const indexer = createIndexer({ prisma: db.prisma, client: chain.publicClient, deployments: chain.deployments, maxBlockRange: MAX_BLOCK_RANGE });
        const profiler = values["cpu-prof"] ? await startProfiler() : undefined;
        const start = performance.now();
        await indexer.syncToTarget();
        const ms = performance.now() - start;
        if (profiler) {
          const file = await profiler.stop(`mirror-backfill-${provider}`);
          console.log(`CPU profile of the backfill (this process: indexer, RPC client, database driver): ${file}`);
          console.log(summariseProfile(file, 15));
        }
        const n = await countEvents(db.prisma);
        results.push(`| backfill | ${provider} | ${n} | ${(ms / 1000).toFixed(2)} | ${rate(n, ms)} |`);
        console.log(`backfill into ${provider}: ${n} events in ${(ms / 1000).toFixed(2)} s = ${rate(n, ms)} events/s`);
        const indexedTo = (await db.prisma.checkpoint.findFirstOrThrow({ orderBy: { blockNumber: "asc" } })).blockNumber;
        const check = await verifyRange({ prisma: db.prisma, client: chain.publicClient, deployments: chain.deployments, from: 0, to: indexedTo });
        console.log(`verify 0..${indexedTo}: ${check.ok ? "OK" : "DIVERGENCE"} (${check.chain.events} events on chain, ${check.mirror.events} in ${provider}, sm3 ${check.mirror.digest.slice(0, 18)}…)`);
        if (!check.ok) throw new Error(`the mirror differs from the chain: ${JSON.stringify(check.firstDivergence)}`);

        if (provider === "sqlite" && FOLLOW_EVENTS > 0) {
          // Following: the indexer polls every 100 ms while a writer saturates the node.
          const metrics = createMirrorMetrics();
          const follower = createIndexer({
            prisma: db.prisma,
            client: chain.publicClient,
            deployments: chain.deployments,
            maxBlockRange: MAX_BLOCK_RANGE,
            pollIntervalMs: 100,
            metrics,
          });
          const more = await signAnchors(chain, FOLLOW_EVENTS, EVENTS);
          const running = follower.run();
          // Lag of a block = when the mirror's checkpoint passed it − when eth_blockNumber first showed it.
          let maxLagBlocks = 0;
          const seenAt = new Map<number, number>();
          const lags: number[] = [];
          let sampling = true;
          let indexedSeen = (await db.prisma.checkpoint.findFirst({ orderBy: { blockNumber: "asc" } }))?.blockNumber ?? 0;
          const sampler = (async () => {
            while (sampling) {
              const [chainHead, indexed] = await Promise.all([
                chain.publicClient.getBlockNumber(),
                db.prisma.checkpoint.findFirst({ orderBy: { blockNumber: "asc" } }),
              ]);
              const now = performance.now();
              for (let b = Number(chainHead); b > indexedSeen && !seenAt.has(b); b--) seenAt.set(b, now);
              const at = indexed?.blockNumber ?? 0;
              for (let b = indexedSeen + 1; b <= at; b++) lags.push(now - (seenAt.get(b) ?? now));
              indexedSeen = Math.max(indexedSeen, at);
              maxLagBlocks = Math.max(maxLagBlocks, Number(chainHead) - at);
              await new Promise((r) => setTimeout(r, 20));
            }
          })();
          const writeStart = performance.now();
          const follow = await write(chain, more);
          const writeEnd = performance.now();
          const finalHead = Number(await chain.publicClient.getBlockNumber());
          while (((await db.prisma.checkpoint.findFirst({ orderBy: { blockNumber: "asc" } }))?.blockNumber ?? 0) < finalHead) {
            await new Promise((r) => setTimeout(r, 20));
          }
          const caughtUp = performance.now();
          await new Promise((r) => setTimeout(r, 60)); // one more sample for the last blocks' lag
          sampling = false;
          await sampler;
          await follower.stop();
          await running;
          const nodeRate = rate(follow.accepted, follow.ms);
          const total = await countEvents(db.prisma);
          const lagMs = (caughtUp - writeEnd).toFixed(0);
          lags.sort((x, y) => x - y);
          const pct = (q: number) => (lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0).toFixed(0);
          const lagText = `block lag p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${pct(1)} ms (${lags.length} blocks); max ${maxLagBlocks} blocks behind`;
          console.log(
            `follow (sqlite): node written at ${nodeRate} tx/s for ${((writeEnd - writeStart) / 1000).toFixed(1)} s; ` +
              `indexer caught up ${lagMs} ms after the last receipt; ${lagText} (sampled every 20 ms, polling every 100 ms); ${total} events in the mirror`,
          );
          results.push(
            `| follow while the node is written at full speed (${nodeRate} tx/s) | sqlite | ${follow.accepted} | ${((caughtUp - writeStart) / 1000).toFixed(2)} | ${lagText}; caught up ${lagMs} ms after the last receipt |`,
          );
        }
      } finally {
        await dbs.close();
      }
    }
    console.log("\n| part | database | events | seconds | events/s or lag |\n| --- | --- | --- | --- | --- |");
    for (const line of results) console.log(line);
  } finally {
    await chain.stop();
  }
}

await main();
