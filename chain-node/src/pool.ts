// The transaction pool: per-sender nonce-ordered queues. A transaction whose nonce is the sender's
// next one (or follows one that is) is executable; one with a gap waits until the gap closes.
import type { TypedTransaction } from "@ethereumjs/tx";

export interface PooledTx {
  tx: TypedTransaction;
  hash: Uint8Array;
  hashHex: string;
  sender: Uint8Array;
  senderHex: string;
  raw: Uint8Array;
  nonce: bigint;
  /** Arrival order, for fairness between senders. */
  seq: number;
}

export interface PoolLimits {
  /** All transactions in the pool. */
  maxTransactions: number;
  /** Transactions of one sender. */
  maxPerSender: number;
  /** How far beyond its sender's nonce a transaction may be. */
  maxNonceGap: number;
}

export class TxPool {
  readonly limits: PoolLimits;
  readonly #bySender = new Map<string, Map<bigint, PooledTx>>();
  readonly #byHash = new Map<string, PooledTx>();
  #seq = 0;

  constructor(limits: PoolLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.#byHash.size;
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  has(hashHex: string): boolean {
    return this.#byHash.has(hashHex);
  }

  get(hashHex: string): PooledTx | undefined {
    return this.#byHash.get(hashHex);
  }

  /** The pooled transaction of `senderHex` with `nonce`, if any. */
  at(senderHex: string, nonce: bigint): PooledTx | undefined {
    return this.#bySender.get(senderHex)?.get(nonce);
  }

  countOf(senderHex: string): number {
    return this.#bySender.get(senderHex)?.size ?? 0;
  }

  add(entry: PooledTx): PooledTx | undefined {
    let queue = this.#bySender.get(entry.senderHex);
    if (queue === undefined) this.#bySender.set(entry.senderHex, (queue = new Map()));
    const replaced = queue.get(entry.nonce);
    if (replaced !== undefined) this.#byHash.delete(replaced.hashHex);
    queue.set(entry.nonce, entry);
    this.#byHash.set(entry.hashHex, entry);
    return replaced;
  }

  remove(entry: PooledTx): void {
    this.#byHash.delete(entry.hashHex);
    const queue = this.#bySender.get(entry.senderHex);
    if (queue === undefined) return;
    if (queue.get(entry.nonce)?.hashHex === entry.hashHex) queue.delete(entry.nonce);
    if (queue.size === 0) this.#bySender.delete(entry.senderHex);
  }

  /** The nonce after the sender's run of executable transactions starting at `stateNonce`. */
  pendingNonce(senderHex: string, stateNonce: bigint): bigint {
    const queue = this.#bySender.get(senderHex);
    let nonce = stateNonce;
    while (queue?.has(nonce)) nonce++;
    return nonce;
  }

  /** Drops transactions whose nonce is below the sender's state nonce (already mined or replaced). */
  prune(senderHex: string, stateNonce: bigint): PooledTx[] {
    const queue = this.#bySender.get(senderHex);
    if (queue === undefined) return [];
    const dropped: PooledTx[] = [];
    for (const [nonce, entry] of queue) if (nonce < stateNonce) dropped.push(entry);
    for (const entry of dropped) this.remove(entry);
    return dropped;
  }

  /**
   * Executable transactions in arrival order across senders and nonce order within each, at most
   * `max`; `stateNonce` gives each sender's current nonce.
   */
  executable(max: number, stateNonce: (senderHex: string, sender: Uint8Array) => bigint): PooledTx[] {
    // Each sender's executable run, then merged by the arrival of each run's next transaction.
    const runs: PooledTx[][] = [];
    for (const [senderHex, queue] of this.#bySender) {
      const first = queue.values().next().value!;
      let nonce = stateNonce(senderHex, first.sender);
      const run: PooledTx[] = [];
      for (let entry = queue.get(nonce); entry !== undefined && run.length < max; entry = queue.get(++nonce)) run.push(entry);
      if (run.length > 0) runs.push(run);
    }
    if (runs.length === 1) return runs[0]!.slice(0, max);
    const picked: PooledTx[] = [];
    const positions = runs.map(() => 0);
    while (picked.length < max) {
      let best = -1;
      for (let i = 0; i < runs.length; i++) {
        const candidate = runs[i]![positions[i]!];
        if (candidate !== undefined && (best < 0 || candidate.seq < runs[best]![positions[best]!]!.seq)) best = i;
      }
      if (best < 0) break;
      picked.push(runs[best]![positions[best]!++]!);
    }
    return picked;
  }

  /** Counts of executable and waiting transactions. */
  counts(stateNonce: (senderHex: string, sender: Uint8Array) => bigint): { pending: number; queued: number } {
    let pending = 0;
    for (const [senderHex, queue] of this.#bySender) {
      const first = queue.values().next().value!;
      let nonce = stateNonce(senderHex, first.sender);
      while (queue.has(nonce)) {
        pending++;
        nonce++;
      }
    }
    return { pending, queued: this.size - pending };
  }

  all(): PooledTx[] {
    return [...this.#byHash.values()];
  }

  clear(): void {
    this.#bySender.clear();
    this.#byHash.clear();
  }
}

