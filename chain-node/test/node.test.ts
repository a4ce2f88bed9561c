// The node in-process: genesis identity, seals and header links, transaction and receipt roots checked
// against ethereumjs' own tries, state at past blocks, the development methods (and their absence off dev
// mode), and permissioning by a registry contract that changes without a restart.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createBlockHeader, genTransactionsTrieRoot } from "@ethereumjs/block";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { createTxFromRLP } from "@ethereumjs/tx";
import { Bloom, encodeReceipt } from "@ethereumjs/vm";
import { Wallet, getBytes, hexlify, keccak256, type BaseWallet, type HDNodeWallet, type TransactionLike } from "ethers";
import { sealerOf } from "../src/chain.ts";
import { encodeHeader, fromHex, toHex, type Header } from "../src/codec.ts";
import { DEV_ACCOUNTS } from "../src/dev-accounts.ts";
import {
  CHAIN_ID,
  DEV_BALANCE,
  REGISTRY_RUNTIME,
  STORE_BYTECODE,
  STORE_RUNTIME,
  addressOfKey,
  devGenesis,
  devWallets,
  cleanup,
  registryCall,
  rpc,
  rpcError,
  sendAndWait,
  startInProcess,
  storeCall,
  tempDir,
  waitForReceipt,
  type Receipt,
} from "./helpers.ts";

type Node = Awaited<ReturnType<typeof startInProcess>>;

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  baseFeePerGas: string;
  withdrawalsRoot: string;
  transactions: string[];
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const word = (n: number | bigint | string): string => `0x${BigInt(n).toString(16).padStart(64, "0")}`;
const RECIPIENT = `0x${"5a".repeat(20)}`;

function sign(wallet: BaseWallet, fields: TransactionLike): Promise<string> {
  return wallet.signTransaction({ type: 2, chainId: CHAIN_ID, to: RECIPIENT, value: 0n, gasLimit: 200_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...fields });
}

async function nonceOf(url: string, address: string, tag = "pending"): Promise<number> {
  return Number(await rpc<string>(url, "eth_getTransactionCount", [address, tag]));
}

/** Deploys Store from `wallet` (automine) and returns its address. */
async function deployStore(url: string, wallet: BaseWallet): Promise<string> {
  const receipt = await sendAndWait(url, await sign(wallet, { nonce: await nonceOf(url, wallet.address), to: null, data: STORE_BYTECODE }));
  assert.equal(receipt.status, "0x1");
  return receipt.contractAddress!;
}

function headerOf(block: RpcBlock): Header {
  return {
    parentHash: fromHex(block.parentHash),
    uncleHash: fromHex(block.sha3Uncles),
    coinbase: fromHex(block.miner),
    stateRoot: fromHex(block.stateRoot),
    transactionsRoot: fromHex(block.transactionsRoot),
    receiptsRoot: fromHex(block.receiptsRoot),
    logsBloom: fromHex(block.logsBloom),
    difficulty: BigInt(block.difficulty),
    number: BigInt(block.number),
    gasLimit: BigInt(block.gasLimit),
    gasUsed: BigInt(block.gasUsed),
    timestamp: BigInt(block.timestamp),
    extraData: fromHex(block.extraData),
    mixHash: fromHex(block.mixHash),
    nonce: fromHex(block.nonce),
    baseFeePerGas: BigInt(block.baseFeePerGas),
    withdrawalsRoot: fromHex(block.withdrawalsRoot),
  };
}

const blockAt = (url: string, n: number | string, full = false) => rpc<RpcBlock>(url, "eth_getBlockByNumber", [typeof n === "number" ? hex(n) : n, full]);

after(async () => {
  await cleanup();
});

describe("genesis", () => {
  const validatorKey = Uint8Array.from(randomBytes(32));
  const validator = addressOfKey(validatorKey);

  async function genesisHash(genesis: ReturnType<typeof devGenesis>, dir?: string): Promise<string> {
    const node = await startInProcess({ genesis, validatorKey, dir });
    try {
      return (await blockAt(node.url, 0)).hash;
    } finally {
      await node.close();
    }
  }

  test("the same genesis gives the same hash in any directory; another alloc or validator set another hash", async () => {
    const base = devGenesis(validator);
    const first = await genesisHash(base);
    assert.equal(await genesisHash(devGenesis(validator)), first);
    const richer = devGenesis(validator, { alloc: { ...Object.fromEntries(DEV_ACCOUNTS.map((a) => [a, { balance: hex(DEV_BALANCE) }])), [RECIPIENT]: { balance: "0x1" } } });
    assert.notEqual(await genesisHash(richer), first);
    const otherValidator = addressOfKey(Uint8Array.from(randomBytes(32)));
    assert.notEqual(await genesisHash(devGenesis(validator, { validators: [validator, otherValidator] })), first);
    assert.notEqual(await genesisHash(devGenesis(validator, { timestamp: 1_700_000_001 })), first);
  });

  test("the genesis block carries the validator list and the vanity in extraData", async () => {
    const node = await startInProcess({ genesis: devGenesis(validator, { vanity: "consortium-test" }), validatorKey });
    try {
      const genesis = await blockAt(node.url, 0);
      const extra = getBytes(genesis.extraData);
      assert.equal(Buffer.from(extra.subarray(0, 15)).toString(), "consortium-test");
      assert.equal(hexlify(extra.subarray(32, 52)), validator);
      assert.equal(genesis.parentHash, `0x${"00".repeat(32)}`);
      assert.equal(genesis.number, "0x0");
    } finally {
      await node.close();
    }
  });

  test("a data directory holding another chain's genesis is refused with a clear error, and left intact", async () => {
    const dir = await tempDir();
    const original = await genesisHash(devGenesis(validator), dir);
    const other = devGenesis(validator, { alloc: { [DEV_ACCOUNTS[0]!]: { balance: "0x1" } } });
    await assert.rejects(startInProcess({ dir, genesis: other, validatorKey }), (error: Error) => {
      assert.match(error.message, /^the data directory holds another chain \(genesis 0x[0-9a-f]{64}, the genesis file gives 0x[0-9a-f]{64}\)$/);
      assert.ok(error.message.includes(original));
      return true;
    });
    assert.equal(await genesisHash(devGenesis(validator), dir), original, "the directory still opens with its own genesis");
  });

  test("a data directory is refused with a genesis that differs only in chain id (the chain id is not in the genesis hash)", async () => {
    const dir = await tempDir();
    await genesisHash(devGenesis(validator), dir);
    const opened = startInProcess({ dir, genesis: devGenesis(validator, { chainId: CHAIN_ID + 1 }), validatorKey }).then(async (node) => {
      const chainId = await rpc<string>(node.url, "eth_chainId");
      await node.close();
      return chainId;
    });
    await assert.rejects(opened, /chain id/i, "the node opened the directory and serves its blocks under another chain id");
  });
});

describe("sealing, header links, and the transaction and receipt roots", () => {
  let node: Node;
  const wallets = devWallets();

  before(async () => {
    // Interval sealing with an interval that never comes: blocks are sealed by evm_mine only, so that one
    // block can hold many transactions of every kind.
    node = await startInProcess({ config: { blockTime: 3_600_000 } });
  });

  after(() => node?.close());

  test("a block of mixed transactions: its roots equal ethereumjs' transaction trie and receipt trie, its bloom the receipts'", async () => {
    const url = node.url;
    const [w0, w1, w2, w3] = wallets.slice(0, 4) as [HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet];
    const storeAddress = (await import("ethers")).getCreateAddress({ from: w0.address, nonce: 0 });
    const raws = [
      await sign(w0, { nonce: 0, to: null, data: STORE_BYTECODE }), // creation
      await sign(w0, { nonce: 1, to: storeAddress, data: storeCall.set(5n) }), // a log
      await sign(w0, { nonce: 2, to: storeAddress, data: storeCall.fail(1n) }), // reverted: status 0
      await w1.signTransaction({ type: 0, chainId: CHAIN_ID, nonce: 0, to: RECIPIENT, value: 3n, gasLimit: 21_000n, gasPrice: 0n }), // legacy
      await w2.signTransaction({ type: 1, chainId: CHAIN_ID, nonce: 0, to: storeAddress, data: storeCall.set(6n), gasLimit: 100_000n, gasPrice: 0n, accessList: [{ address: storeAddress, storageKeys: [word(0)] }] }),
      await sign(w3, { nonce: 0, to: storeAddress, data: storeCall.set(7n) }),
    ];
    const hashes = [];
    for (const raw of raws) hashes.push(await rpc<string>(url, "eth_sendRawTransaction", [raw]));
    const head = Number(await rpc<string>(url, "eth_blockNumber"));
    assert.equal(await rpc(url, "eth_getTransactionReceipt", [hashes[0]]), null, "nothing is sealed before evm_mine");
    await rpc(url, "evm_mine", []);
    const block = await blockAt(url, head + 1);
    assert.deepEqual(block.transactions, hashes);

    const receipts = await rpc<Receipt[]>(url, "eth_getBlockReceipts", [block.number]);
    assert.deepEqual(
      receipts.map((r) => [r.type, r.status]),
      [
        ["0x2", "0x1"],
        ["0x2", "0x1"],
        ["0x2", "0x0"],
        ["0x0", "0x1"],
        ["0x1", "0x1"],
        ["0x2", "0x1"],
      ],
    );

    // Transactions: ethereumjs decodes each raw transaction and builds the trie itself.
    const txs = raws.map((raw) => createTxFromRLP(getBytes(raw), { common: node.chain.common }));
    assert.deepEqual(txs.map((tx) => toHex(tx.hash())), hashes);
    assert.equal(toHex(await genTransactionsTrieRoot(txs)), block.transactionsRoot);

    // Receipts: ethereumjs' consensus encoding, in a Merkle-Patricia trie keyed by rlp(index).
    const trie = new MerklePatriciaTrie();
    const blockBloom = new Bloom();
    for (const [i, receipt] of receipts.entries()) {
      const logs = receipt.logs.map((log) => [fromHex(log.address), log.topics.map(fromHex), fromHex(log.data)] as [Uint8Array, Uint8Array[], Uint8Array]);
      const bloom = new Bloom();
      for (const [address, topics] of logs) [address, ...topics].forEach((value) => bloom.add(value));
      assert.equal(toHex(bloom.bitvector), receipt.logsBloom, `receipt ${i} bloom`);
      blockBloom.or(bloom);
      const encoded = encodeReceipt({ status: Number(receipt.status) as 0 | 1, cumulativeBlockGasUsed: BigInt(receipt.cumulativeGasUsed), bitvector: bloom.bitvector, logs }, Number(receipt.type) as 0 | 1 | 2);
      await trie.put(RLP.encode(i), encoded);
    }
    assert.equal(toHex(trie.root()), block.receiptsRoot);
    assert.equal(toHex(blockBloom.bitvector), block.logsBloom);
    assert.equal(BigInt(block.gasUsed), BigInt(receipts.at(-1)!.cumulativeGasUsed));
  });

  test("an empty block (evm_mine) has the empty tries' roots", async () => {
    await rpc(node.url, "evm_mine", []);
    const block = await blockAt(node.url, "latest");
    const empty = toHex(new MerklePatriciaTrie().root());
    assert.deepEqual([block.transactions, block.transactionsRoot, block.receiptsRoot], [[], empty, empty]);
  });

  test("every header hashes to its block hash (also by ethereumjs), its seal recovers to the validator, and parentHash links to genesis", async () => {
    const url = node.url;
    await rpc(url, "hardhat_mine", ["0x3"]);
    const head = Number(await rpc<string>(url, "eth_blockNumber"));
    assert.ok(head >= 5);
    const validator = addressOfKey(node.validatorKey);
    let parent = await blockAt(url, 0);
    for (let n = 1; n <= head; n++) {
      const block = await blockAt(url, n);
      const header = headerOf(block);
      assert.equal(keccak256(encodeHeader(header)), block.hash, `block ${n}: hash of its header`);
      const { transactionsRoot, receiptsRoot, ...rest } = header;
      const ethereumjs = createBlockHeader({ ...rest, transactionsTrie: transactionsRoot, receiptTrie: receiptsRoot }, { common: node.chain.common, skipConsensusFormatValidation: true });
      assert.equal(toHex(ethereumjs.hash()), block.hash, `block ${n}: ethereumjs' hash of the header`);
      assert.equal(toHex(sealerOf(header)), validator, `block ${n}: sealer`);
      assert.equal(block.miner, validator);
      assert.equal(block.parentHash, parent.hash, `block ${n}: parent`);
      assert.ok(BigInt(block.timestamp) > BigInt(parent.timestamp), `block ${n}: time moves forward`);
      parent = block;
    }
    // The check can fail: a header changed after sealing no longer recovers to the validator.
    const tampered = { ...headerOf(parent), timestamp: BigInt(parent.timestamp) + 1n };
    assert.notEqual(toHex(sealerOf(tampered)), validator);
  });
});

describe("state at past blocks", () => {
  let node: Node;
  let store: string;
  const blocks: Record<string, number> = {};
  const w = devWallets()[4]!;
  const other = `0x${"77".repeat(20)}`;

  before(async () => {
    node = await startInProcess();
    const url = node.url;
    blocks.beforeDeploy = Number(await rpc<string>(url, "eth_blockNumber"));
    store = await deployStore(url, w);
    blocks.deployed = Number(await rpc<string>(url, "eth_blockNumber"));
    blocks.one = Number((await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: store, data: storeCall.set(1n) }))).blockNumber);
    blocks.paid = Number((await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: other, value: 5n }))).blockNumber);
    blocks.two = Number((await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: store, data: storeCall.set(2n) }))).blockNumber);
    blocks.paidAgain = Number((await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: other, value: 7n }))).blockNumber);
  });

  after(() => node?.close());

  test("eth_getBalance, eth_getTransactionCount, eth_getStorageAt, eth_getCode and eth_call answer as of the block asked", async () => {
    const url = node.url;
    const at = (n: number) => hex(n);
    assert.equal(await rpc(url, "eth_getBalance", [other, at(blocks.one!)]), "0x0");
    assert.equal(await rpc(url, "eth_getBalance", [other, at(blocks.paid!)]), "0x5");
    assert.equal(await rpc(url, "eth_getBalance", [other, at(blocks.two!)]), "0x5");
    assert.equal(await rpc(url, "eth_getBalance", [other, "latest"]), "0xc");
    assert.equal(await rpc(url, "eth_getBalance", [w.address, "earliest"]), hex(DEV_BALANCE));

    assert.equal(await nonceOf(url, w.address, at(blocks.beforeDeploy!)), 0);
    assert.equal(await nonceOf(url, w.address, at(blocks.one!)), 2);
    assert.equal(await nonceOf(url, w.address, "latest"), 5);

    assert.equal(await rpc(url, "eth_getCode", [store, at(blocks.beforeDeploy!)]), "0x");
    assert.equal(await rpc(url, "eth_getCode", [store, at(blocks.deployed!)]), STORE_RUNTIME);

    const slot = (n: number | string) => rpc<string>(url, "eth_getStorageAt", [store, "0x0", typeof n === "number" ? at(n) : n]);
    assert.equal(await slot(blocks.deployed!), word(0));
    assert.equal(await slot(blocks.one!), word(1));
    assert.equal(await slot(blocks.paid!), word(1));
    assert.equal(await slot(blocks.two!), word(2));
    assert.equal(await slot("latest"), word(2));

    const get = (n: unknown) => rpc<string>(url, "eth_call", [{ to: store, data: storeCall.get() }, n]);
    assert.equal(await get(at(blocks.beforeDeploy!)), "0x", "no code yet");
    assert.equal(await get(at(blocks.deployed!)), word(0));
    assert.equal(await get(at(blocks.one!)), word(1));
    assert.equal(await get(at(blocks.paid!)), word(1));
    assert.equal(await get(at(blocks.two!)), word(2));
    assert.equal(await get("latest"), word(2));
    // EIP-1898: by block hash too.
    const oneHash = (await blockAt(url, blocks.one!)).hash;
    assert.equal(await get({ blockHash: oneHash }), word(1));
    assert.equal(await rpc(url, "eth_getBalance", [other, { blockHash: (await blockAt(url, blocks.paid!)).hash }]), "0x5");
    // Beyond the head: geth's "header not found".
    assert.deepEqual(await rpcError(url, "eth_getBalance", [other, at(blocks.paidAgain! + 1)]), { code: -32000, message: "header not found" });
  });
});

describe("development methods", () => {
  let node: Node;
  let store: string;
  const w = devWallets()[5]!;

  before(async () => {
    node = await startInProcess();
    store = await deployStore(node.url, w);
  });

  after(() => node?.close());

  async function state() {
    const url = node.url;
    return {
      head: await blockAt(url, "latest"),
      balance: await rpc<string>(url, "eth_getBalance", [RECIPIENT, "latest"]),
      senderBalance: await rpc<string>(url, "eth_getBalance", [w.address, "latest"]),
      nonce: await nonceOf(url, w.address, "latest"),
      pending: await nonceOf(url, w.address, "pending"),
      slot: await rpc<string>(url, "eth_getStorageAt", [store, "0x0", "latest"]),
    };
  }

  test("evm_snapshot / evm_revert restore head, state and nonces; the nonces can be used again", async () => {
    const url = node.url;
    await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: store, data: storeCall.set(10n) }));
    const saved = await state();
    const id = await rpc<string>(url, "evm_snapshot", []);
    assert.match(id, /^0x[0-9a-f]+$/);

    const changed = [
      await sendAndWait(url, await sign(w, { nonce: saved.nonce, to: store, data: storeCall.set(11n) })),
      await sendAndWait(url, await sign(w, { nonce: saved.nonce + 1, to: RECIPIENT, value: 9n })),
    ];
    await rpc(url, "hardhat_mine", ["0x2"]);
    // A transaction left waiting behind a gap is dropped by the revert too.
    const waiting = await rpc<string>(url, "eth_sendRawTransaction", [await sign(w, { nonce: saved.nonce + 5 })]);
    const moved = await state();
    assert.equal(Number(moved.head.number), Number(saved.head.number) + 4);
    assert.notDeepEqual(moved, saved);

    assert.equal(await rpc(url, "evm_revert", [id]), true);
    assert.deepEqual(await state(), saved);
    for (const receipt of changed) assert.equal(await rpc(url, "eth_getTransactionReceipt", [receipt.transactionHash]), null);
    assert.equal(await rpc(url, "eth_getTransactionByHash", [waiting]), null);
    assert.equal(await blockAt(url, Number(saved.head.number) + 1), null);
    assert.equal(await rpc(url, "evm_revert", [id]), false, "a snapshot is used up by reverting to it");

    const reused = await sendAndWait(url, await sign(w, { nonce: saved.nonce, to: store, data: storeCall.set(12n) }));
    assert.equal(Number(reused.blockNumber), Number(saved.head.number) + 1);
    assert.equal((await blockAt(url, reused.blockNumber)).parentHash, saved.head.hash);
    assert.equal(await rpc(url, "eth_getStorageAt", [store, "0x0", "latest"]), word(12));
  });

  test("evm_setNextBlockTimestamp sets the next block's time; an earlier time is refused", async () => {
    const url = node.url;
    const head = await blockAt(url, "latest");
    const target = BigInt(head.timestamp) + 1_000n;
    assert.equal(await rpc(url, "evm_setNextBlockTimestamp", [hex(target)]), null);
    const receipt = await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: RECIPIENT, value: 1n }));
    assert.equal(BigInt((await blockAt(url, receipt.blockNumber)).timestamp), target);
    await rpc(url, "evm_mine", []);
    const next = BigInt((await blockAt(url, "latest")).timestamp);
    assert.ok(next > target && next < target + 30n, `the clock goes on from the set time: ${next} after ${target}`);

    const error = await rpcError(url, "evm_setNextBlockTimestamp", [hex(next)]);
    assert.equal(error.code, -32602);
    assert.match(error.message, /lower than or equal to previous block's timestamp/);
  });

  test("hardhat_mine N seals N linked blocks, interval seconds apart", async () => {
    const url = node.url;
    const head = await blockAt(url, "latest");
    assert.equal(await rpc(url, "hardhat_mine", ["0x5", "0x10"]), true);
    assert.equal(Number(await rpc<string>(url, "eth_blockNumber")), Number(head.number) + 5);
    let parent = head;
    for (let i = 1; i <= 5; i++) {
      const block = await blockAt(url, Number(head.number) + i);
      assert.equal(block.parentHash, parent.hash);
      assert.deepEqual(block.transactions, []);
      if (i > 1) assert.equal(BigInt(block.timestamp) - BigInt(parent.timestamp), 16n);
      parent = block;
    }
  });

  test("hardhat_setCode, hardhat_setBalance, hardhat_setStorageAt and hardhat_setNonce edit state, visible to reads and calls", async () => {
    const url = node.url;
    const target = `0x${"ce".repeat(20)}`;
    const before = Number(await rpc<string>(url, "eth_blockNumber"));
    assert.equal(await rpc(url, "hardhat_setCode", [target, STORE_RUNTIME]), true);
    assert.equal(await rpc(url, "eth_getCode", [target, "latest"]), STORE_RUNTIME);
    assert.equal(await rpc(url, "eth_call", [{ to: target, data: storeCall.get() }, "latest"]), word(0));
    assert.equal(await rpc(url, "hardhat_setStorageAt", [target, "0x0", word(0xabc)]), true);
    assert.equal(await rpc(url, "eth_call", [{ to: target, data: storeCall.get() }, "latest"]), word(0xabc));
    assert.equal(await rpc(url, "hardhat_setBalance", [target, "0x1234"]), true);
    assert.equal(await rpc(url, "eth_getBalance", [target, "latest"]), "0x1234");
    assert.equal(await rpc(url, "hardhat_setNonce", [target, "0x7"]), true);
    assert.equal(await nonceOf(url, target, "latest"), 7);
    assert.equal(await rpc(url, "eth_getCode", [target, "latest"]), STORE_RUNTIME, "code survives the other edits");
    // Each edit is a block of its own, so history before it still reads the old state.
    assert.equal(Number(await rpc<string>(url, "eth_blockNumber")), before + 4);
    assert.equal(await rpc(url, "eth_getCode", [target, hex(before)]), "0x");
    assert.equal(await rpc(url, "eth_getBalance", [target, hex(before + 2)]), "0x0");
    // A transaction calls the edited contract like any other.
    const receipt = await sendAndWait(url, await sign(w, { nonce: await nonceOf(url, w.address), to: target, data: storeCall.set(3n) }));
    assert.equal(receipt.logs.length, 1);
    assert.equal(await rpc(url, "eth_getStorageAt", [target, "0x0", "latest"]), word(3));
  });

  test("with dev off, every development method answers -32601", async () => {
    const prod = await startInProcess({ dev: false });
    try {
      const calls: Array<[string, unknown[]]> = [
        ["evm_snapshot", []],
        ["evm_revert", ["0x1"]],
        ["evm_mine", []],
        ["evm_increaseTime", [10]],
        ["evm_setNextBlockTimestamp", [hex(2_000_000_000)]],
        ["hardhat_mine", ["0x2"]],
        ["hardhat_getAutomine", []],
        ["hardhat_setCode", [RECIPIENT, STORE_RUNTIME]],
        ["hardhat_setBalance", [RECIPIENT, "0x1"]],
        ["hardhat_setNonce", [RECIPIENT, "0x1"]],
        ["hardhat_setStorageAt", [RECIPIENT, "0x0", word(1)]],
      ];
      for (const [method, params] of calls) {
        const error = await rpcError(prod.url, method, params);
        assert.equal(error.code, -32601, method);
      }
      assert.equal(await rpc(prod.url, "eth_blockNumber"), "0x0");
      assert.equal(await rpc(prod.url, "eth_getCode", [RECIPIENT, "latest"]), "0x");
      assert.equal(await rpc(prod.url, "eth_getBalance", [RECIPIENT, "latest"]), "0x0");
    } finally {
      await prod.close();
    }
  });
});

describe("permissioning by a registry contract", () => {
  const REGISTRY = `0x${"4e".repeat(20)}`;
  const operator = devWallets()[0]!;
  const stranger = Wallet.createRandom();
  const preallowed = Wallet.createRandom();
  let node: Node;

  before(async () => {
    node = await startInProcess({
      dev: false,
      genesis: (validator) =>
        devGenesis(validator, {
          operators: [operator.address],
          permissioning: { registry: REGISTRY },
          alloc: {
            [operator.address]: { balance: hex(DEV_BALANCE) },
            [REGISTRY]: { code: REGISTRY_RUNTIME, storage: { [preallowed.address.toLowerCase()]: "0x01" } },
          },
        }),
    });
  });

  after(() => node?.close());

  const isAllowed = async (account: string) => BigInt(await rpc<string>(node.url, "eth_call", [{ to: REGISTRY, data: registryCall.isAllowedAccount(account) }, "latest"])) === 1n;

  async function setAllowed(account: string, on: boolean): Promise<void> {
    const raw = await sign(operator, { nonce: await nonceOf(node.url, operator.address), to: REGISTRY, data: registryCall.setAllowed(account, on) });
    assert.equal((await sendAndWait(node.url, raw)).status, "0x1");
    assert.equal(await isAllowed(account), on);
  }

  test("an operator may send; an account listed in the registry's genesis storage may send; others are refused with -32003", async () => {
    assert.equal((await sendAndWait(node.url, await sign(operator, { nonce: 0 }))).status, "0x1");
    assert.equal(await isAllowed(preallowed.address), true);
    assert.equal((await sendAndWait(node.url, await sign(preallowed, { nonce: 0 }))).status, "0x1");
    assert.equal(await isAllowed(stranger.address), false);
    const error = await rpcError(node.url, "eth_sendRawTransaction", [await sign(stranger, { nonce: 0 })]);
    assert.equal(error.code, -32003);
    assert.match(error.message, new RegExp(`sender ${stranger.address.toLowerCase()} is not on the consortium allowlist`));
  });

  test("allowing an account in the registry lets the same transaction in without a restart; revoking shuts it out again", async () => {
    const first = await sign(stranger, { nonce: 0 });
    assert.equal((await rpcError(node.url, "eth_sendRawTransaction", [first])).code, -32003);

    await setAllowed(stranger.address, true);
    const hash = await rpc<string>(node.url, "eth_sendRawTransaction", [first]);
    assert.equal(hash, keccak256(first));
    assert.equal((await waitForReceipt(node.url, hash)).status, "0x1");
    assert.equal(await nonceOf(node.url, stranger.address, "latest"), 1);

    await setAllowed(stranger.address, false);
    const second = await sign(stranger, { nonce: 1 });
    const error = await rpcError(node.url, "eth_sendRawTransaction", [second]);
    assert.equal(error.code, -32003);
    assert.match(error.message, /allowlist/);
    assert.equal(await nonceOf(node.url, stranger.address, "pending"), 1);

    // And back again.
    await setAllowed(stranger.address, true);
    assert.equal((await waitForReceipt(node.url, await rpc<string>(node.url, "eth_sendRawTransaction", [second]))).status, "0x1");
  });

  test("a pooled transaction whose sender is revoked before it is sealed is dropped, not mined", async () => {
    // Sealing only on request, one transaction per block: the revocation is sealed first, and the
    // revoked sender's transaction, accepted while it was still allowed, comes up in the next block.
    const late = Wallet.createRandom();
    const held = await startInProcess({
      dev: true,
      config: { blockTime: 3_600_000, maxBlockTransactions: 1 },
      genesis: (validator) =>
        devGenesis(validator, {
          operators: [operator.address],
          permissioning: { registry: REGISTRY },
          alloc: {
            [operator.address]: { balance: hex(DEV_BALANCE) },
            [REGISTRY]: { code: REGISTRY_RUNTIME, storage: { [late.address.toLowerCase()]: "0x01" } },
          },
        }),
    });
    try {
      const revoke = await sign(operator, { nonce: 0, to: REGISTRY, data: registryCall.setAllowed(late.address, false) });
      const revokeHash = await rpc<string>(held.url, "eth_sendRawTransaction", [revoke]);
      const lateHash = await rpc<string>(held.url, "eth_sendRawTransaction", [await sign(late, { nonce: 0 })]);
      await rpc(held.url, "hardhat_mine", ["0x2"]);
      assert.equal((await waitForReceipt(held.url, revokeHash)).status, "0x1");
      assert.equal(await rpc(held.url, "eth_getTransactionReceipt", [lateHash]), null);
      assert.equal(await rpc(held.url, "eth_getTransactionByHash", [lateHash]), null);
      assert.equal(await nonceOf(held.url, late.address, "pending"), 0);
      const head = await rpc<{ transactions: string[] }>(held.url, "eth_getBlockByNumber", ["latest", false]);
      assert.deepEqual(head.transactions, []);
    } finally {
      await held.close();
    }
  });

  test("an operator is allowed whatever the registry says", async () => {
    await setAllowed(operator.address, false);
    assert.equal((await sendAndWait(node.url, await sign(operator, { nonce: await nonceOf(node.url, operator.address) }))).status, "0x1");
  });
});
