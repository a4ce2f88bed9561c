// `mirror verify`: the events of a block range as the chain holds them (eth_getLogs) against the
// mirror's rows, as one SM3 digest each over the canonical event lines (events.ts `eventLine`,
// each followed by "\n", in (blockNumber, logIndex) order), and the first event that differs.
import { createHash } from "node:crypto";
import type { Log, PublicClient } from "viem";
import { CONTRACT_NAMES, type Deployments } from "../../sdk/src/index.ts";
import type { MirrorPrisma } from "./database.ts";
import { canonicalJson, decodeLog, eventLine, LINE_FIELDS, lineValues, type ContractsByAddress, type LineField } from "./events.ts";

export interface VerifyOptions {
  prisma: MirrorPrisma;
  client: PublicClient;
  deployments: Deployments;
  from: number;
  to: number;
  /** eth_getLogs range per request (default 2000). */
  step?: number;
}

export interface Divergence {
  blockNumber: number;
  logIndex: number;
  /** The first field that differs; "missing" when one side has no event at this place. */
  field: LineField | "missing";
  chain?: string;
  mirror?: string;
}

export interface VerifyResult {
  ok: boolean;
  from: number;
  to: number;
  /** Hash function of the digests. */
  algorithm: "sm3";
  chain: { digest: string; events: number };
  mirror: { digest: string; events: number };
  firstDivergence?: Divergence;
}

type Values = Record<LineField, string>;

function digestOf(lines: Values[]): string {
  const hash = createHash("sm3");
  for (const values of lines) hash.update(`${eventLine(values)}\n`);
  return `0x${hash.digest("hex")}`;
}

/** Recomputes the range's digest from the chain and from SQL and compares them event by event. */
export async function verifyRange(options: VerifyOptions): Promise<VerifyResult> {
  const { prisma, client, deployments, from, to } = options;
  const step = options.step ?? 2000;
  const contracts: ContractsByAddress = new Map(
    CONTRACT_NAMES.map((name) => [deployments.contracts[name].address.toLowerCase(), { name, address: deployments.contracts[name].address }]),
  );
  const addresses = CONTRACT_NAMES.map((name) => deployments.contracts[name].address);

  // A range the node refuses (too many results) is read in halves.
  const read = async (start: number, end: number): Promise<Log[]> => {
    try {
      return await client.getLogs({ address: addresses, fromBlock: BigInt(start), toBlock: BigInt(end) });
    } catch (error) {
      if (start === end) throw error;
      const middle = start + Math.floor((end - start) / 2);
      return [...(await read(start, middle)), ...(await read(middle + 1, end))];
    }
  };
  const chainLines: Values[] = [];
  for (let start = from; start <= to; start += step) {
    const end = Math.min(to, start + step - 1);
    const logs = await read(start, end);
    for (const log of logs) {
      // The timestamp is not part of the line; 0 keeps decodeLog from fetching headers.
      const event = decodeLog(log, contracts, deployments.chainId, 0);
      if (event) chainLines.push(lineValues({ ...event, args: canonicalJson(event.args) }));
    }
  }
  chainLines.sort((a, b) => Number(a.blockNumber) - Number(b.blockNumber) || Number(a.logIndex) - Number(b.logIndex));

  const rows = await prisma.chainEvent.findMany({
    where: { blockNumber: { gte: from, lte: to } },
    orderBy: [{ blockNumber: "asc" }, { logIndex: "asc" }],
  });
  const mirrorLines = rows.map((row) => lineValues(row));

  let firstDivergence: Divergence | undefined;
  const n = Math.max(chainLines.length, mirrorLines.length);
  for (let i = 0; i < n && !firstDivergence; i++) {
    const c = chainLines[i];
    const m = mirrorLines[i];
    if (!c || !m || c.blockNumber !== m.blockNumber || c.logIndex !== m.logIndex) {
      // One side lacks the event that comes first at this position.
      const first = !c ? (m as Values) : !m ? c : Number(c.blockNumber) * 1e6 + Number(c.logIndex) < Number(m.blockNumber) * 1e6 + Number(m.logIndex) ? c : m;
      firstDivergence = {
        blockNumber: Number(first.blockNumber),
        logIndex: Number(first.logIndex),
        field: "missing",
        ...(first === c ? { chain: eventLine(c) } : { mirror: eventLine(first) }),
      };
      break;
    }
    const field = LINE_FIELDS.find((f) => c[f] !== m[f]);
    if (field) firstDivergence = { blockNumber: Number(c.blockNumber), logIndex: Number(c.logIndex), field, chain: c[field], mirror: m[field] };
  }
  const chain = { digest: digestOf(chainLines), events: chainLines.length };
  const mirror = { digest: digestOf(mirrorLines), events: mirrorLines.length };
  return {
    ok: firstDivergence === undefined && chain.digest === mirror.digest,
    from,
    to,
    algorithm: "sm3",
    chain,
    mirror,
    ...(firstDivergence ? { firstDivergence } : {}),
  };
}
