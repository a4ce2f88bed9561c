// The EVM's view of state: a flat, checkpointed overlay on the versioned state in SQLite.
// ethereumjs' Merkle-trie state manager costs ~3x the execution itself on this machine; the node
// keeps state flat (see docs/CHAIN-NODE.md, "State commitment") and only journals checkpoints.
import { Account, type Address } from "@ethereumjs/util";
import type { StateManagerInterface } from "@ethereumjs/common";
import { RLP } from "@ethereumjs/rlp";
import type { ChainDb, StoredAccount } from "./db.ts";
import { EMPTY_BYTES, fromHex, intToBytes, keccak256, toHex } from "./codec.ts";

/** keccak256 of empty code. */
export const EMPTY_CODE_HASH = keccak256(EMPTY_BYTES);

/** Read access to committed state as of one block. */
export interface StateReader {
  account(address: Uint8Array, key: string): StoredAccount | undefined;
  storage(address: Uint8Array, slot: Uint8Array, key: string, epoch: number): Uint8Array;
  code(hash: Uint8Array): Uint8Array | undefined;
}

/** Committed state as of block `at`, straight from the database. */
export class DbStateView implements StateReader {
  readonly #db: ChainDb;
  readonly at: number;

  constructor(db: ChainDb, at: number) {
    this.#db = db;
    this.at = at;
  }

  account(address: Uint8Array): StoredAccount | undefined {
    return this.#db.account(address, this.at);
  }

  storage(address: Uint8Array, slot: Uint8Array, _key: string, epoch: number): Uint8Array {
    return this.#db.storage(address, slot, this.at, epoch);
  }

  code(hash: Uint8Array): Uint8Array | undefined {
    return this.#db.code(hash);
  }
}

const CACHE_LIMIT = 500_000;

/**
 * Committed state at the head, with a write-through cache: the block builder and head reads go
 * through it; each committed block's changes are applied to it (`apply`).
 */
export class HeadStateCache implements StateReader {
  readonly #db: ChainDb;
  #at: number;
  #accounts = new Map<string, StoredAccount | null>();
  #storage = new Map<string, Uint8Array>();
  #code = new Map<string, Uint8Array>();

  constructor(db: ChainDb, at: number) {
    this.#db = db;
    this.#at = at;
  }

  get at(): number {
    return this.#at;
  }

  account(address: Uint8Array, key: string): StoredAccount | undefined {
    const cached = this.#accounts.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const account = this.#db.account(address, this.#at);
    this.#remember(this.#accounts, key, account ?? null);
    return account;
  }

  storage(address: Uint8Array, slot: Uint8Array, key: string, epoch: number): Uint8Array {
    const cached = this.#storage.get(key);
    if (cached !== undefined) return cached;
    const value = this.#db.storage(address, slot, this.#at, epoch);
    this.#remember(this.#storage, key, value);
    return value;
  }

  code(hash: Uint8Array): Uint8Array | undefined {
    const key = toHex(hash);
    const cached = this.#code.get(key);
    if (cached !== undefined) return cached;
    const code = this.#db.code(hash);
    if (code !== undefined) this.#remember(this.#code, key, code);
    return code;
  }

  /** Moves the view to a newly committed block whose changes are `changes`. */
  apply(at: number, changes: StateChanges): void {
    this.#at = at;
    for (const [key, account] of changes.accounts) this.#remember(this.#accounts, key, account);
    for (const address of changes.epochBumped) {
      // The account's storage was wiped: drop its cached slots (rare: self-destruct, re-creation).
      const prefix = address;
      for (const key of this.#storage.keys()) if (key.startsWith(prefix)) this.#storage.delete(key);
    }
    for (const [key, value] of changes.storageValues) this.#remember(this.#storage, key, value);
    for (const [key, code] of changes.code) this.#remember(this.#code, key, code);
  }

  /** Forgets everything (after a development revert). */
  reset(at: number): void {
    this.#at = at;
    this.#accounts.clear();
    this.#storage.clear();
    this.#code.clear();
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= CACHE_LIMIT) map.clear();
    map.set(key, value);
  }
}

interface AccountRecord {
  nonce: bigint;
  balance: bigint;
  codeHash: Uint8Array;
}

interface Layer {
  /** null: deleted. */
  accounts: Map<string, AccountRecord | null>;
  /** address key -> slot key -> value. */
  storage: Map<string, Map<string, Uint8Array>>;
  /** Accounts whose storage was wiped in this layer (reads below it see nothing). */
  cleared: Set<string>;
  /** code hash hex -> code. */
  code: Map<string, Uint8Array>;
}

const newLayer = (): Layer => ({ accounts: new Map(), storage: new Map(), cleared: new Set(), code: new Map() });

/** A block's net state changes, in the forms the database, the cache and the state commitment need. */
export interface StateChanges {
  /** address key -> new account (null: deleted). */
  accounts: Map<string, StoredAccount | null>;
  /** addressKey+slotKey -> value (empty: zero). */
  storageValues: Map<string, Uint8Array>;
  /** Addresses whose storage epoch moved to this block. */
  epochBumped: Set<string>;
  code: Map<string, Uint8Array>;
  rows: {
    accounts: Array<{ address: Uint8Array; account: StoredAccount }>;
    storage: Array<{ address: Uint8Array; slot: Uint8Array; value: Uint8Array }>;
    code: Array<{ hash: Uint8Array; code: Uint8Array }>;
  };
  /** keccak256 of the canonical encoding of the changes (input of the state commitment). */
  digest: Uint8Array;
}

const addressKey = (address: Address): string => toHex(address.bytes);

/** Strips leading zero bytes (storage values are kept minimal, as in the trie). */
function trimLeadingZeros(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return i === 0 ? value : value.subarray(i);
}

/**
 * ethereumjs StateManagerInterface over a StateReader. Checkpoints are journal layers; lookups walk
 * them top-down (depth is the EVM call depth with writes, usually 2-4).
 */
export class FlatStateManager implements StateManagerInterface {
  readonly #base: StateReader;
  #layers: Layer[] = [newLayer()];
  readonly originalStorageCache: { get(address: Address, key: Uint8Array): Promise<Uint8Array>; clear(): void };
  #original = new Map<string, Uint8Array>();

  constructor(base: StateReader) {
    this.#base = base;
    this.originalStorageCache = {
      // The value of a slot at the start of the transaction (EIP-2200 gas): the first read wins.
      get: async (address, key) => {
        const id = addressKey(address) + toHex(key);
        const known = this.#original.get(id);
        if (known !== undefined) return known;
        const value = this.#storageOf(address, key);
        this.#original.set(id, value);
        return value;
      },
      clear: () => this.#original.clear(),
    };
  }

  get base(): StateReader {
    return this.#base;
  }

  #top(): Layer {
    return this.#layers[this.#layers.length - 1]!;
  }

  #record(address: Address): AccountRecord | undefined {
    const key = addressKey(address);
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const layer = this.#layers[i]!;
      if (layer.accounts.has(key)) return layer.accounts.get(key) ?? undefined;
    }
    const stored = this.#base.account(address.bytes, key);
    if (stored === undefined || stored.deleted) return undefined;
    return { nonce: stored.nonce, balance: stored.balance, codeHash: stored.codeHash };
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const record = this.#record(address);
    return record === undefined ? undefined : new Account(record.nonce, record.balance, undefined, record.codeHash);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    this.#top().accounts.set(addressKey(address), { nonce: account.nonce, balance: account.balance, codeHash: account.codeHash });
  }

  async deleteAccount(address: Address): Promise<void> {
    const key = addressKey(address);
    const top = this.#top();
    top.accounts.set(key, null);
    top.storage.delete(key);
    top.cleared.add(key);
  }

  async modifyAccountFields(address: Address, fields: { nonce?: bigint; balance?: bigint; codeHash?: Uint8Array }): Promise<void> {
    const record = this.#record(address) ?? { nonce: 0n, balance: 0n, codeHash: EMPTY_CODE_HASH };
    this.#top().accounts.set(addressKey(address), {
      nonce: fields.nonce ?? record.nonce,
      balance: fields.balance ?? record.balance,
      codeHash: fields.codeHash ?? record.codeHash,
    });
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const hash = keccak256(value);
    this.#top().code.set(toHex(hash), value);
    await this.modifyAccountFields(address, { codeHash: hash });
  }

  #codeByHash(hash: Uint8Array): Uint8Array {
    const key = toHex(hash);
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const code = this.#layers[i]!.code.get(key);
      if (code !== undefined) return code;
    }
    return this.#base.code(hash) ?? EMPTY_BYTES;
  }

  async getCode(address: Address): Promise<Uint8Array> {
    const record = this.#record(address);
    if (record === undefined || equalBytes(record.codeHash, EMPTY_CODE_HASH)) return EMPTY_BYTES;
    return this.#codeByHash(record.codeHash);
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  #storageOf(address: Address, key: Uint8Array): Uint8Array {
    const account = addressKey(address);
    const slot = toHex(key);
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const layer = this.#layers[i]!;
      const value = layer.storage.get(account)?.get(slot);
      if (value !== undefined) return value;
      if (layer.cleared.has(account)) return EMPTY_BYTES;
    }
    const stored = this.#base.account(address.bytes, account);
    return this.#base.storage(address.bytes, key, account + slot, stored?.storageEpoch ?? 0);
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return this.#storageOf(address, key);
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const account = addressKey(address);
    const top = this.#top();
    let slots = top.storage.get(account);
    if (slots === undefined) top.storage.set(account, (slots = new Map()));
    slots.set(toHex(key), trimLeadingZeros(value));
  }

  async clearStorage(address: Address): Promise<void> {
    const key = addressKey(address);
    const top = this.#top();
    top.storage.delete(key);
    top.cleared.add(key);
  }

  async checkpoint(): Promise<void> {
    this.#layers.push(newLayer());
  }

  async commit(): Promise<void> {
    const top = this.#layers.pop()!;
    const below = this.#top();
    for (const address of top.cleared) {
      below.storage.delete(address);
      below.cleared.add(address);
    }
    for (const [key, account] of top.accounts) below.accounts.set(key, account);
    for (const [address, slots] of top.storage) {
      let target = below.storage.get(address);
      if (target === undefined) below.storage.set(address, (target = new Map()));
      for (const [slot, value] of slots) target.set(slot, value);
    }
    for (const [key, code] of top.code) below.code.set(key, code);
  }

  async revert(): Promise<void> {
    this.#layers.pop();
    if (this.#layers.length === 0) this.#layers.push(newLayer());
  }

  async flush(): Promise<void> {}

  clearCaches(): void {}

  // The node commits to state with a chained digest of each block's changes, not a Merkle-Patricia
  // trie (docs/CHAIN-NODE.md): there is no per-account trie root to report or restore here.
  async getStateRoot(): Promise<Uint8Array> {
    throw new Error("the flat state has no Merkle-Patricia root; the block header carries the state commitment");
  }

  async setStateRoot(): Promise<void> {
    throw new Error("the flat state is addressed by block number, not by trie root");
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  shallowCopy(): StateManagerInterface {
    return new FlatStateManager(this.#base);
  }

  /** Drops all uncommitted changes. */
  discard(): void {
    this.#layers = [newLayer()];
    this.#original.clear();
  }

  /**
   * The net changes of everything committed to the bottom layer, as of block `number`, and resets
   * the overlay. Must be called between transactions (no open checkpoint).
   */
  takeChanges(number: number): StateChanges {
    if (this.#layers.length !== 1) throw new Error("takeChanges with an open checkpoint");
    const layer = this.#layers[0]!;
    this.#layers = [newLayer()];
    this.#original.clear();

    const accounts = new Map<string, StoredAccount | null>();
    const rows: StateChanges["rows"] = { accounts: [], storage: [], code: [] };
    const touched = new Set<string>([...layer.accounts.keys(), ...layer.cleared]);
    for (const key of [...touched].sort()) {
      const address = fromHex(key);
      const previous = this.#base.account(address, key);
      const record = layer.accounts.has(key) ? layer.accounts.get(key) : previous && !previous.deleted ? previous : null;
      const stored: StoredAccount = {
        nonce: record?.nonce ?? 0n,
        balance: record?.balance ?? 0n,
        codeHash: record?.codeHash ?? EMPTY_CODE_HASH,
        storageEpoch: layer.cleared.has(key) ? number : (previous?.storageEpoch ?? 0),
        deleted: record === null || record === undefined,
      };
      accounts.set(key, stored.deleted ? null : stored);
      rows.accounts.push({ address, account: stored });
    }
    const storageValues = new Map<string, Uint8Array>();
    for (const address of [...layer.storage.keys()].sort()) {
      const addressBytes = fromHex(address);
      const slots = layer.storage.get(address)!;
      for (const slot of [...slots.keys()].sort()) {
        const value = slots.get(slot)!;
        storageValues.set(address + slot, value);
        rows.storage.push({ address: addressBytes, slot: fromHex(slot), value });
      }
    }
    for (const [key, code] of layer.code) rows.code.push({ hash: fromHex(key), code });
    rows.code.sort((a, b) => Buffer.compare(a.hash, b.hash));

    const digest = keccak256(
      RLP.encode([
        rows.accounts.map(({ address, account: a }) => [address, intToBytes(a.nonce), intToBytes(a.balance), a.codeHash, intToBytes(a.storageEpoch), a.deleted ? Uint8Array.of(1) : EMPTY_BYTES]),
        rows.storage.map(({ address, slot, value }) => [address, slot, value]),
      ]),
    );
    // Cached slots need dropping only where the account had storage to lose: a contract created at
    // a fresh address (every CREATE clears first) had only empty slots, which stay right.
    const epochBumped = new Set([...layer.cleared].filter((key) => {
      const previous = this.#base.account(fromHex(key), key);
      return previous !== undefined && !previous.deleted;
    }));
    return { accounts, storageValues, epochBumped, code: layer.code, rows, digest };
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
