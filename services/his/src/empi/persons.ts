// Persons and their merge chains: the current person of a (possibly merged) person id, and the
// persons merged into one.
import { platformError } from "@health-chain/sdk";
import type { HisTx } from "../db.ts";

/** Merge chains are short; a longer one means a cycle, which merge() never makes. */
const MAX_CHAIN = 1000;

/** The chain of a person id through its merges, itself first, the current (active) person last; [] if unknown. */
export async function mergeChain(tx: HisTx, personId: string): Promise<string[]> {
  const chain: string[] = [];
  let id: string | null = personId;
  while (id !== null) {
    if (chain.length >= MAX_CHAIN || chain.includes(id)) {
      throw platformError("INTERNAL", { message: `The merge chain of person ${personId} loops.`, messageZh: `居民 ${personId} 的合并链存在环路。`, details: { chain } });
    }
    const person: { status: string; mergedInto: string | null } | null = await tx.empiPerson.findUnique({ where: { id }, select: { status: true, mergedInto: true } });
    if (person === null) return chain.length === 0 ? [] : chain;
    chain.push(id);
    id = person.status === "merged" ? person.mergedInto : null;
  }
  return chain;
}

/** The current person of a person id (following merges), or null if there is no such person. */
export async function currentPerson(tx: HisTx, personId: string): Promise<string | null> {
  const chain = await mergeChain(tx, personId);
  return chain.at(-1) ?? null;
}

/** Every person merged into `personId`, directly or through others (not itself). */
export async function mergedInto(tx: HisTx, personId: string): Promise<string[]> {
  const out: string[] = [];
  let frontier = [personId];
  while (frontier.length > 0 && out.length < 100_000) {
    const rows = await tx.empiPerson.findMany({ where: { mergedInto: { in: frontier }, status: "merged" }, select: { id: true } });
    frontier = rows.map((row) => row.id).filter((id) => !out.includes(id) && id !== personId);
    out.push(...frontier);
  }
  return out;
}

/** The person, or NOT_FOUND. */
export async function requirePerson(tx: HisTx, personId: string) {
  const person = await tx.empiPerson.findUnique({ where: { id: personId } });
  if (person === null) {
    throw platformError("NOT_FOUND", { message: `No person ${personId} in the master patient index.`, messageZh: `居民主索引中没有居民 ${personId}。`, details: { personId } });
  }
  return person;
}

/** The person, active, or NOT_FOUND / CONFLICT (naming the person it was merged into). */
export async function requireActivePerson(tx: HisTx, personId: string) {
  const person = await requirePerson(tx, personId);
  if (person.status !== "active") {
    throw platformError("CONFLICT", {
      message: `Person ${personId} was merged into ${person.mergedInto}; act on ${person.mergedInto} instead.`,
      messageZh: `居民 ${personId} 已合并至 ${person.mergedInto}，请对 ${person.mergedInto} 操作。`,
      details: { personId, mergedInto: person.mergedInto },
    });
  }
  return person;
}
