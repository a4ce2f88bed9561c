// The indexer: follows the chain over standard JSON-RPC and writes the five contracts' events
// into SQL (docs/MIRROR.md). One loop step:
//   1. head and target (head − confirmations);
//   2. reorg check: the checkpoints' block hash against the chain's; on a mismatch, walk back
//      over the stored blocks to the fork point and roll back (one transaction);
//   3. eth_getLogs over [cursor+1, min(target, cursor+range)] for the five addresses, the range
//      halved on errors (too many results, timeouts) and grown back after successes;
//   4. headers, by number, of the blocks with logs and of the range's end, checked against the
//      logs' block hashes, the end read before eth_getLogs and the cursor's hash: rows and
//      checkpoints always describe one canonical chain (else the step is retried); the blocks with
//      logs are stored (Block), the end's hash goes into the checkpoints;
//   5. one transaction: the range's rows replace whatever was there, checkpoints move to its end.
import type { Logger } from "pino";
import type { Address, Hex, Log, PublicClient } from "viem";
import { CONTRACT_NAMES, type ContractName, type Deployments } from "../../sdk/src/index.ts";
import type { MirrorPrisma } from "./database.ts";
import { decodeLog, type ContractsByAddress, type MirrorEvent } from "./events.ts";
import type { MirrorMetrics } from "./metrics.ts";
import { rollbackAfter, writeRange, type BlockHeader, type WriteHooks } from "./store.ts";

export interface IndexerOptions {
  prisma: MirrorPrisma;
  client: PublicClient;
  deployments: Deployments;
  /** Blocks to stay behind the head (default 0). */
  confirmations?: number;
  /** Poll interval when caught up, ms (default 1000). */
  pollIntervalMs?: number;
  /** Widest eth_getLogs range (default 5000). */
  maxBlockRange?: number;
  log?: Logger;
  metrics?: MirrorMetrics;
  hooks?: WriteHooks & {
    /** After each committed range (tests: stop between ranges). */
    afterRange?(range: RangeResult): void | Promise<void>;
  };
}

export interface RangeResult {
  from: number;
  to: number;
  events: number;
}

export interface ContractProgress {
  contract: ContractName;
  address: Address;
  deploymentBlock: number;
  /** Last indexed block (deploymentBlock − 1 before the first range). */
  indexedBlock: number;
}

export interface Indexer {
  /** Indexes one range (after a reorg check); undefined when there is nothing to index yet. */
  syncOnce(): Promise<RangeResult | undefined>;
  /** Indexes until the target (head − confirmations) is reached; returns the events written. */
  syncToTarget(): Promise<number>;
  /** Follows the chain until `stop()`; errors are logged, counted and retried. */
  run(): Promise<void>;
  /** Stops `run()` after the current step; resolves when it has returned. */
  stop(): Promise<void>;
  progress(): Promise<ContractProgress[]>;
}

const HEADER_CONCURRENCY = 16;
/** Attempts of a step whose reads saw the chain change under them (reorganisation). */
const CHAIN_CHANGE_ATTEMPTS = 3;
/** Logs per eth_getLogs the range width aims at (nodes commonly refuse 10,000+). */
const TARGET_LOGS = 5000;

/** The chain changed between the reads of a range: the step is retried from the reorg check. */
export class ChainChangedError extends Error {
  override name = "ChainChangedError";
  constructor(detail: string) {
    super(`chain changed while indexing (reorganisation): ${detail}; retrying`);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createIndexer(options: IndexerOptions): Indexer {
  const { prisma, client, deployments, log, metrics, hooks } = options;
  const confirmations = options.confirmations ?? 0;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxBlockRange = options.maxBlockRange ?? 5000;
  const contracts = CONTRACT_NAMES.map((name) => ({
    name,
    address: deployments.contracts[name].address,
    deploymentBlock: deployments.contracts[name].blockNumber,
  }));
  const byAddress: ContractsByAddress = new Map(contracts.map((c) => [c.address.toLowerCase(), { name: c.name, address: c.address }]));
  const firstBlock = Math.min(...contracts.map((c) => c.deploymentBlock));
  let range = maxBlockRange;
  let stopping = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const toHeader = (b: { number: bigint | null; hash: Hex | null; parentHash: Hex; timestamp: bigint }): BlockHeader => {
    if (b.number === null || b.hash === null) throw new Error("pending block");
    return { number: Number(b.number), hash: b.hash.toLowerCase(), parentHash: b.parentHash.toLowerCase(), timestamp: Number(b.timestamp) };
  };
  /** The chain's block at `number`, or undefined when the chain is shorter. */
  const headerByNumber = async (number: number): Promise<BlockHeader | undefined> => {
    try {
      return toHeader(await client.getBlock({ blockNumber: BigInt(number) }));
    } catch (error) {
      if ((error as Error).name === "BlockNotFoundError") return undefined;
      throw error;
    }
  };

  async function progress(): Promise<ContractProgress[]> {
    const rows = await prisma.checkpoint.findMany();
    const at = new Map(rows.map((r) => [r.contract, r.blockNumber]));
    return contracts.map((c) => ({
      contract: c.name,
      address: c.address,
      deploymentBlock: c.deploymentBlock,
      indexedBlock: Math.max(at.get(c.name) ?? -1, c.deploymentBlock - 1),
    }));
  }

  const cursorOf = (list: ContractProgress[]) => Math.min(...list.map((p) => p.indexedBlock));

  /** The hash the checkpoints hold for the cursor block (undefined before the first range). */
  const checkpointHash = async (cursor: number): Promise<string | undefined> =>
    (await prisma.checkpoint.findMany({ where: { blockNumber: cursor } })).find((c) => c.blockHash !== "")?.blockHash;

  /**
   * Rolls back when the chain no longer holds the block the checkpoints point at; returns whether
   * it did. The fork point is the newest stored block (blocks with events) the chain still holds.
   */
  async function checkReorg(cursor: number, stored: string | undefined): Promise<boolean> {
    if (stored === undefined) return false;
    const chain = await headerByNumber(cursor);
    if (chain && chain.hash === stored) return false;
    const last = { number: cursor, hash: stored };
    // Walk back over the stored blocks to the newest one the chain still holds.
    let fork = firstBlock - 1;
    let forkHash = "";
    let forkTime: Date | null = null;
    let below = last.number;
    search: for (;;) {
      const page = await prisma.block.findMany({ where: { number: { lt: below } }, orderBy: { number: "desc" }, take: 64 });
      if (page.length === 0) break;
      for (const block of page) {
        const onChain = await headerByNumber(block.number);
        if (onChain && onChain.hash === block.hash) {
          fork = block.number;
          forkHash = block.hash;
          forkTime = block.timestamp;
          break search;
        }
      }
      below = (page.at(-1) as { number: number }).number;
    }
    const depth = cursor - fork;
    await rollbackAfter(prisma, fork, forkHash, forkTime);
    metrics?.reorgs.inc();
    metrics?.rollbackDepth.set(depth);
    metrics?.rolledBackBlocks.inc(depth);
    log?.warn({ fork, depth, storedHash: last.hash, chainHash: chain?.hash ?? null }, "reorganisation: rolled back to the fork point");
    return true;
  }

  /**
   * eth_getLogs over [from, to]; on an error the range shrinks and is retried down to one block
   * (nodes refuse wide ranges in their own words: "more than 10000 results", "block range too
   * large", timeouts, -32005), and `range` remembers the width that worked.
   */
  async function getLogs(from: number, to: number, addresses: Address[]): Promise<{ logs: Log[]; to: number }> {
    let end = to;
    // Each refusal costs the node a scan: shrink faster on repeated refusals (1/2, 1/4, 1/8, …);
    // the width grows back from the logs' density afterwards.
    let divisor = 2;
    for (;;) {
      try {
        const logs = await client.getLogs({ address: addresses, fromBlock: BigInt(from), toBlock: BigInt(end) });
        return { logs, to: end };
      } catch (error) {
        if (end === from) throw error;
        metrics?.errors.inc({ kind: "range_split" });
        end = from + Math.floor((end - from) / divisor);
        divisor *= 2;
        range = Math.max(1, end - from + 1);
        log?.debug({ from, to: end, reason: (error as Error).message.split("\n")[0] }, "eth_getLogs failed: range halved");
      }
    }
  }

  interface FetchedRange {
    from: number;
    to: number;
    logCount: number;
    end: BlockHeader;
    events: MirrorEvent[];
    blocks: BlockHeader[];
  }

  /**
   * Logs, headers and decoded events of a range (not written), checked to be one canonical chain
   * that continues the block `parentHash` (the cursor's, when known). eth_getLogs and the headers
   * are separate reads: a reorganisation between them could pair orphaned logs with the new chain's
   * hashes (nodes such as geth still serve side-chain blocks by hash). So the headers are read by
   * number, the block at `toLimit` before and after eth_getLogs (unchanged: the node answered from
   * one chain up to it), the blocks with logs (their hash must be the logs' block hash) and the
   * first block (its parent must be the cursor's block); any difference is a ChainChangedError.
   */
  async function fetchRange(from: number, toLimit: number, parentHash: string | undefined): Promise<FetchedRange> {
    const active = contracts.filter((c) => c.deploymentBlock <= toLimit);
    const anchor = await headerByNumber(toLimit);
    if (!anchor) throw new ChainChangedError(`block ${toLimit} disappeared`);
    const fetched = await getLogs(from, toLimit, active.map((c) => c.address));
    const to = fetched.to;
    const logBlock = (l: Log) => Number(l.blockNumber);
    const numbers = [...new Set([toLimit, to, ...(parentHash === undefined ? [] : [from]), ...fetched.logs.map(logBlock)])];
    const read = await mapLimit(numbers, HEADER_CONCURRENCY, headerByNumber);
    const byNumber = new Map<number, BlockHeader>();
    read.forEach((header, i) => {
      if (!header) throw new ChainChangedError(`block ${numbers[i]} disappeared`);
      byNumber.set(numbers[i] as number, header);
    });
    if (byNumber.get(toLimit)?.hash !== anchor.hash) throw new ChainChangedError(`block ${toLimit} changed during eth_getLogs`);
    if (parentHash !== undefined && byNumber.get(from)?.parentHash !== parentHash) {
      throw new ChainChangedError(`block ${from} no longer follows the indexed block ${from - 1}`);
    }
    const events: MirrorEvent[] = [];
    for (const raw of fetched.logs) {
      const header = byNumber.get(logBlock(raw));
      if (raw.removed || !header || header.hash !== (raw.blockHash as string | null)?.toLowerCase()) {
        throw new ChainChangedError(`block ${logBlock(raw)} of a log is not the chain's`);
      }
      const event = decodeLog(raw, byAddress, deployments.chainId, header.timestamp);
      if (event) events.push(event);
    }
    const end = byNumber.get(to) as BlockHeader;
    const blocks = [...new Set(fetched.logs.map(logBlock))].map((n) => byNumber.get(n) as BlockHeader);
    return { from, to, logCount: fetched.logs.length, end, events, blocks };
  }

  // While a range is written, the next one is already being read (backfill): RPC and database
  // overlap. A prefetched range is used only if it starts where the cursor is; the reorg check of
  // the next step covers a reorganisation that happens after it was read.
  let prefetched: { from: number; promise: Promise<FetchedRange | undefined> } | undefined;

  /** One step; a step whose reads saw the chain change is retried (from the reorg check). */
  async function syncOnce(): Promise<RangeResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof ChainChangedError) || attempt >= CHAIN_CHANGE_ATTEMPTS) throw error;
        metrics?.errors.inc({ kind: "chain_changed" });
        log?.warn({ attempt, reason: error.message }, "chain changed while indexing: step retried");
      }
    }
  }

  async function step(): Promise<RangeResult | undefined> {
    const head = Number(await client.getBlockNumber());
    metrics?.chainHead.set(head);
    const target = head - confirmations;
    let list = await progress();
    let cursor = cursorOf(list);
    let cursorHash = await checkpointHash(cursor);
    if (await checkReorg(cursor, cursorHash)) {
      list = await progress();
      cursor = cursorOf(list);
      cursorHash = await checkpointHash(cursor);
      prefetched = undefined;
    }
    updateLag(list, head);
    if (cursor >= target) return undefined;
    const from = cursor + 1;
    const ahead = prefetched?.from === from ? await prefetched.promise : undefined;
    prefetched = undefined;
    const batch = ahead && ahead.to <= target ? ahead : await fetchRange(from, Math.min(target, from + range - 1), cursorHash);
    const { to, end, events } = batch;
    if (to < target) {
      const next = to + 1;
      const promise = fetchRange(next, Math.min(target, next + range - 1), end.hash).catch(() => undefined);
      prefetched = { from: next, promise };
    }
    const moved = contracts.filter((c) => c.deploymentBlock <= to + 1);
    try {
      await writeRange(
        prisma,
        { from, to, toHash: end.hash, toTime: end.timestamp, events, blocks: batch.blocks, contracts: moved.map((c) => ({ name: c.name, address: c.address })) },
        hooks,
      );
    } catch (error) {
      await prefetched?.promise;
      prefetched = undefined;
      throw error;
    }
    // Next width: aim at TARGET_LOGS logs per request from this range's density, at most doubling.
    const width = to - from + 1;
    range = Math.max(1, Math.min(maxBlockRange, width * 2, Math.floor((width * TARGET_LOGS) / Math.max(1, batch.logCount))));
    for (const e of events) metrics?.events.inc({ contract: e.contract });
    for (const c of moved) metrics?.indexedBlock.set({ contract: c.name }, to);
    metrics?.lagBlocks.set(Math.max(0, head - to));
    metrics?.lagSeconds.set(Math.max(0, Date.now() / 1000 - end.timestamp));
    const result = { from, to, events: events.length };
    log?.debug(result, "range indexed");
    await hooks?.afterRange?.(result);
    return result;
  }

  function updateLag(list: ContractProgress[], head: number): void {
    if (!metrics) return;
    for (const p of list) metrics.indexedBlock.set({ contract: p.contract }, p.indexedBlock);
    metrics.lagBlocks.set(Math.max(0, head - cursorOf(list)));
  }

  async function syncToTarget(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await syncOnce();
      if (!result) return total;
      total += result.events;
    }
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      let idle: boolean;
      try {
        idle = (await syncOnce()) === undefined;
        failures = 0;
      } catch (error) {
        failures++;
        idle = true;
        metrics?.errors.inc({ kind: /prisma|database|sqlite|postgres/i.test(String(error)) ? "database" : "rpc" });
        log?.error({ err: error, failures }, "indexing step failed; retrying");
      }
      if (idle && !stopping) {
        const wait = failures > 0 ? Math.min(30_000, pollIntervalMs * 2 ** Math.min(failures, 5)) : pollIntervalMs;
        await new Promise<void>((resolveWait) => {
          const timer = setTimeout(resolveWait, wait);
          wake = () => {
            clearTimeout(timer);
            resolveWait();
          };
        });
        wake = undefined;
      }
    }
  }

  return {
    syncOnce,
    syncToTarget,
    progress,
    run() {
      stopping = false;
      running ??= loop().finally(() => {
        running = undefined;
      });
      return running;
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      await prefetched?.promise;
      prefetched = undefined;
    },
  };
}
