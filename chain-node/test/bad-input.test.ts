// Bad input over raw HTTP JSON-RPC: malformed and invalid requests, bad parameters, and transactions the
// node must refuse, each with the code and wording clients recognise; then proof that none of it changed
// the chain, and how a transaction with a nonce gap waits for the gap to close.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Transaction, Wallet, concat, encodeRlp, keccak256, toBeHex, type BaseWallet, type HDNodeWallet, type TransactionLike } from "ethers";
import {
  CHAIN_ID,
  DEV_BALANCE,
  devWallets,
  cleanup,
  post,
  rpc,
  rpcError,
  sendAndWait,
  startInProcess,
  waitForReceipt,
  type Receipt,
  type RpcResponse,
} from "./helpers.ts";

const MAX_BODY = 64 * 1024;
const MAX_BATCH = 20;
const GAS_LIMIT = 1_000_000_000n; // the genesis block gas limit
const RECIPIENT = `0x${"5a".repeat(20)}`;

type Node = Awaited<ReturnType<typeof startInProcess>>;

function sign(wallet: BaseWallet, fields: TransactionLike): Promise<string> {
  return wallet.signTransaction({ type: 2, chainId: CHAIN_ID, to: RECIPIENT, value: 1n, gasLimit: 21_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, ...fields });
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * A signed EIP-1559 transaction built field by field, for what ethers refuses to sign: a tip above the fee
 * cap, or the signature's malleable twin (s' = n - s, the other y parity; geth and EIP-2 refuse it).
 */
function rawType2(wallet: BaseWallet, fields: { nonce: bigint; maxPriorityFeePerGas?: bigint; maxFeePerGas?: bigint }, options: { highS?: boolean } = {}): string {
  const q = (n: bigint) => (n === 0n ? "0x" : toBeHex(n));
  const body = [q(BigInt(CHAIN_ID)), q(fields.nonce), q(fields.maxPriorityFeePerGas ?? 0n), q(fields.maxFeePerGas ?? 0n), q(21_000n), RECIPIENT, q(1n), "0x", []];
  const signature = wallet.signingKey.sign(keccak256(concat(["0x02", encodeRlp(body)])));
  let [yParity, s] = [BigInt(signature.yParity), BigInt(signature.s)];
  if (options.highS) [yParity, s] = [1n - yParity, SECP256K1_N - s];
  return concat(["0x02", encodeRlp([...body, q(yParity), q(BigInt(signature.r)), q(s)])]);
}

describe("bad input over HTTP JSON-RPC", () => {
  let node: Node;
  let url: string;
  const [a, b, c] = devWallets().slice(0, 3) as [HDNodeWallet, HDNodeWallet, HDNodeWallet];
  const stranger = Wallet.createRandom();
  /** Hashes of transactions the node refused: none may ever be found. */
  const refused: string[] = [];
  let mined: { raw: string; receipt: Receipt };
  let before_: Awaited<ReturnType<typeof snapshot>>;

  /** Head, and balance and nonces of every account involved. */
  async function snapshot() {
    const accounts = [a.address, b.address, c.address, stranger.address, RECIPIENT];
    const head = await rpc<{ number: string; hash: string }>(url, "eth_getBlockByNumber", ["latest", false]);
    const state = await Promise.all(
      accounts.map(async (address) => ({
        address,
        balance: await rpc<string>(url, "eth_getBalance", [address, "latest"]),
        nonce: await rpc<string>(url, "eth_getTransactionCount", [address, "latest"]),
        pending: await rpc<string>(url, "eth_getTransactionCount", [address, "pending"]),
      })),
    );
    return { number: head.number, hash: head.hash, state };
  }

  async function refusedTx(raw: string, code: number, message: RegExp): Promise<void> {
    const error = await rpcError(url, "eth_sendRawTransaction", [raw]);
    refused.push(keccak256(raw));
    assert.equal(error.code, code, `${error.message}`);
    assert.match(error.message, message);
  }

  before(async () => {
    node = await startInProcess({ config: { rpc: { maxBodyBytes: MAX_BODY, maxBatch: MAX_BATCH } } });
    url = node.url;
    const raw = await sign(a, { nonce: 0 });
    mined = { raw, receipt: await sendAndWait(url, raw) };
    assert.equal(mined.receipt.status, "0x1");
    before_ = await snapshot();
  });

  after(async () => {
    await node?.close();
    await cleanup();
  });

  test("malformed JSON: -32700 with a null id", async () => {
    for (const body of ['{"jsonrpc":"2.0","id":1,"method":"eth_chainId"', "not json", '[{"jsonrpc":"2.0",', "", "\u0000"]) {
      const { status, json } = await post(url, body);
      assert.equal(status, 200, body);
      assert.deepEqual(json, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }, JSON.stringify(body));
    }
  });

  test("invalid requests: -32600", async () => {
    const cases: Array<[unknown, unknown]> = [
      [{ jsonrpc: "1.0", id: 1, method: "eth_chainId" }, 1],
      [{ id: 2, method: "eth_chainId" }, 2],
      [{ jsonrpc: "2.0", id: 3 }, 3],
      [{ jsonrpc: "2.0", id: 4, method: "" }, 4],
      [{ jsonrpc: "2.0", id: 5, method: 42 }, 5],
      [{ jsonrpc: "2.0", id: { nested: true }, method: "eth_chainId" }, null],
      [42, null],
      [JSON.stringify("eth_chainId"), null],
      [null, null],
    ];
    for (const [body, id] of cases) {
      const { status, json } = await post(url, body);
      assert.equal(status, 200);
      const response = json as RpcResponse;
      assert.equal(response.error?.code, -32600, JSON.stringify(body));
      assert.equal(response.id, id, JSON.stringify(body));
    }
    const empty = (await post(url, [])).json as RpcResponse;
    assert.equal(empty.error?.code, -32600);
    // A batch of invalid members: one error per member.
    const batch = (await post(url, [1, { jsonrpc: "2.0", id: 7 }])).json as RpcResponse[];
    assert.deepEqual(
      batch.map((r) => r.error?.code),
      [-32600, -32600],
    );
    const wrongType = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }), { "content-type": "text/plain" });
    assert.equal(wrongType.status, 415);
    assert.equal((wrongType.json as RpcResponse).error?.code, -32600);
  });

  test("unknown methods: -32601, including names every object has", async () => {
    for (const method of ["eth_foo", "debug_traceTransaction", "admin_addPeer", "toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const error = await rpcError(url, method, []);
      assert.equal(error.code, -32601, method);
      assert.match(error.message, /does not exist\/is not available/, method);
    }
    // The node holds no keys: eth_sendTransaction is not available either.
    assert.equal((await rpcError(url, "eth_sendTransaction", [{ from: a.address, to: RECIPIENT }])).code, -32601);
  });

  test("invalid params: -32602 naming the problem, for many methods", async () => {
    const zeroHash = `0x${"00".repeat(32)}`;
    const cases: Array<[string, unknown]> = [
      ["eth_getBalance", ["0x1234", "latest"]],
      ["eth_getBalance", [a.address, "0x01"]],
      ["eth_getBalance", [a.address, "newest"]],
      ["eth_getTransactionCount", [42, "latest"]],
      ["eth_getCode", [`${a.address}00`, "latest"]],
      ["eth_getStorageAt", [RECIPIENT, `0x${"1".repeat(65)}`, "latest"]],
      ["eth_getBlockByNumber", [1, false]],
      ["eth_getBlockByNumber", ["latest", "yes"]],
      ["eth_getBlockByHash", ["0x1234", false]],
      ["eth_getTransactionByHash", [zeroHash.slice(0, 40)]],
      ["eth_getTransactionReceipt", ["0xnothex"]],
      ["eth_call", [{ to: "0xnothex" }, "latest"]],
      ["eth_call", [{ to: RECIPIENT, value: "12" }, "latest"]],
      ["eth_call", [{ to: RECIPIENT, data: "0x123" }, "latest"]],
      ["eth_call", [{ to: RECIPIENT, data: "0x12", input: "0x34" }, "latest"]],
      ["eth_estimateGas", [{ to: RECIPIENT, gas: "0x0001" }]],
      ["eth_getLogs", [{ fromBlock: 5 }]],
      ["eth_getLogs", [{ address: "0x12" }]],
      ["eth_getLogs", [{ topics: [["0x12"]] }]],
      ["eth_getLogs", [{ fromBlock: "0x1", blockHash: zeroHash }]],
      ["eth_newFilter", [{ topics: [null, null, null, null, null] }]],
      ["eth_feeHistory", ["0x2", "latest", [101]]],
      ["eth_feeHistory", ["two", "latest"]],
      ["eth_sendRawTransaction", ["0xzz"]],
      ["eth_sendRawTransaction", [12345]],
      ["eth_sendRawTransaction", ["0xc0"]],
      ["eth_sendRawTransaction", ["0x02c0"]],
      ["eth_blockNumber", { not: "an array" }],
    ];
    for (const [method, params] of cases) {
      const { json } = await post(url, { jsonrpc: "2.0", id: 1, method, params });
      const error = (json as RpcResponse).error;
      assert.equal(error?.code, -32602, `${method} ${JSON.stringify(params)} -> ${JSON.stringify(json)}`);
      assert.match(error.message, /argument|params|invalid|expected|both "data" and "input"/i, `${method}: ${error.message}`);
    }
  });

  test("transactions refused with geth's codes and wording", async () => {
    // Resending a mined transaction; reusing a mined nonce.
    const again = await rpcError(url, "eth_sendRawTransaction", [mined.raw]);
    assert.deepEqual(again, { code: -32000, message: "already known" });
    await refusedTx(await sign(a, { nonce: 0, value: 2n }), -32000, /^nonce too low: address 0x[0-9a-f]{40}, tx: 0 state: 1$/);
    // Value beyond the balance.
    await refusedTx(await sign(a, { nonce: 1, value: DEV_BALANCE + 1n }), -32000, /^insufficient funds for gas \* price \+ value: address 0x[0-9a-f]{40} have \d+ want \d+$/);
    // A legacy transaction without EIP-155 replay protection.
    await refusedTx(await a.signTransaction({ type: 0, chainId: 0n, nonce: 1, to: RECIPIENT, value: 1n, gasLimit: 21_000n, gasPrice: 0n }), -32000, /only replay-protected \(EIP-155\) transactions allowed over RPC/);
    // Gas below the intrinsic cost, above the block gas limit.
    await refusedTx(await sign(a, { nonce: 1, gasLimit: 20_999n }), -32000, /^intrinsic gas too low: gas 20999, minimum needed 21000$/);
    await refusedTx(await sign(a, { nonce: 1, gasLimit: GAS_LIMIT + 1n }), -32000, /^exceeds block gas limit$/);
    // A sender that is neither an operator nor on a registry's allowlist (there is no registry here).
    const error = await rpcError(url, "eth_sendRawTransaction", [await sign(stranger, { nonce: 0, value: 0n })]);
    assert.equal(error.code, -32003);
    assert.match(error.message, new RegExp(`sender ${stranger.address.toLowerCase()} is not on the consortium allowlist`));
    refused.push(keccak256(await sign(stranger, { nonce: 0, value: 0n })));
  });

  test("a transaction signed for another chain: -32000 'invalid chain id for signer', as geth", async () => {
    const typed = await sign(a, { nonce: 1, chainId: 1n });
    const legacy = await a.signTransaction({ type: 0, chainId: 1n, nonce: 1, to: RECIPIENT, value: 1n, gasLimit: 21_000n, gasPrice: 0n });
    for (const raw of [typed, legacy]) {
      assert.equal(Transaction.from(raw).chainId, 1n);
      await refusedTx(raw, -32000, /^invalid chain id for signer: have 1 want 424242$/);
    }
  });

  test("well-formed transactions of types a Shanghai chain does not run (blob, set-code) or unknown: -32000 'transaction type not supported'", async () => {
    const blob = await a.signTransaction({ type: 3, chainId: CHAIN_ID, nonce: 1, to: RECIPIENT, gasLimit: 100_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, maxFeePerBlobGas: 1n, blobVersionedHashes: [`0x01${"22".repeat(31)}`] });
    const authorization = await a.authorize({ address: RECIPIENT, nonce: 2, chainId: CHAIN_ID });
    const setCode = await a.signTransaction({ type: 4, chainId: CHAIN_ID, nonce: 1, to: RECIPIENT, gasLimit: 100_000n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, authorizationList: [authorization] });
    assert.equal(Transaction.from(blob).type, 3);
    assert.equal(Transaction.from(setCode).type, 4);
    for (const raw of [blob, setCode, "0x7ec0"]) await refusedTx(raw, -32000, /^transaction type not supported$/);
  });

  test("a fee-market transaction with a tip above its fee cap: -32000 in geth's words, not 'transaction type not supported'", async () => {
    await refusedTx(rawType2(a, { nonce: 1n, maxPriorityFeePerGas: 2n, maxFeePerGas: 1n }), -32000, /^max priority fee per gas higher than max fee per gas$/);
  });

  test("a fee-market transaction with a high-s (malleable) signature: refused as an invalid signature, not as an unsupported type", async () => {
    const raw = rawType2(a, { nonce: 1n }, { highS: true });
    const error = await rpcError(url, "eth_sendRawTransaction", [raw]);
    refused.push(keccak256(raw));
    assert.ok(error.code === -32000 || error.code === -32602, `code ${error.code}`);
    assert.doesNotMatch(error.message, /type not supported/);
    assert.match(error.message, /signature|v, r, s/i);
  });

  test("oversized bodies: HTTP 413; batches beyond the limit: -32600", async () => {
    const padding = "x".repeat(MAX_BODY + 1);
    const big = await post(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [padding] }));
    assert.equal(big.status, 413);
    assert.equal((big.json as RpcResponse).error?.code, -32600);
    assert.match((big.json as RpcResponse).error!.message, /request body too large \(max 65536 bytes\)/);
    const raw = await sign(a, { nonce: 1, data: `0x${"ab".repeat(MAX_BODY / 2)}`, gasLimit: 2_000_000n });
    const bigTx = await post(url, { jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [raw] });
    assert.equal(bigTx.status, 413);
    refused.push(keccak256(raw));

    const batch = await post(
      url,
      Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: "2.0", id: i + 1, method: "eth_chainId" })),
    );
    assert.deepEqual(batch.json, [{ jsonrpc: "2.0", id: 1, error: { code: -32600, message: "batch too large" } }]);
  });

  test("after all of it the node still serves, and its head and the accounts involved are unchanged", async () => {
    assert.equal(await rpc(url, "eth_chainId"), `0x${CHAIN_ID.toString(16)}`);
    assert.deepEqual(await snapshot(), before_);
    for (const hash of refused) {
      assert.equal(await rpc(url, "eth_getTransactionByHash", [hash]), null, `refused ${hash} is unknown`);
      assert.equal(await rpc(url, "eth_getTransactionReceipt", [hash]), null);
    }
    assert.ok(refused.length >= 9);
    assert.equal(node.chain.pool.size, 0);
    // And it still takes a good transaction.
    const receipt = await sendAndWait(url, await sign(a, { nonce: 1 }));
    assert.equal(receipt.status, "0x1");
    assert.equal(Number(receipt.blockNumber), Number(before_.number) + 1);
  });

  test("a future-nonce transaction waits in the pool until the gap closes, then both are mined in order", async () => {
    const nonce = Number(await rpc<string>(url, "eth_getTransactionCount", [b.address, "latest"]));
    const later = await sign(b, { nonce: nonce + 1 });
    const laterHash = await rpc<string>(url, "eth_sendRawTransaction", [later]);
    assert.equal(laterHash, keccak256(later));
    const pooled = await rpc<{ blockNumber: string | null; nonce: string }>(url, "eth_getTransactionByHash", [laterHash]);
    assert.equal(pooled.blockNumber, null);
    assert.equal(Number(pooled.nonce), nonce + 1);
    assert.equal(Number(await rpc<string>(url, "eth_getTransactionCount", [b.address, "pending"])), nonce, "the gap keeps the pending nonce");

    // Another sender's transaction is mined meanwhile; the waiting one is not in that block.
    const head = Number(await rpc<string>(url, "eth_blockNumber"));
    const other = await sendAndWait(url, await sign(c, { nonce: Number(await rpc<string>(url, "eth_getTransactionCount", [c.address, "pending"])) }));
    assert.equal(Number(other.blockNumber), head + 1);
    assert.equal(await rpc(url, "eth_getTransactionReceipt", [laterHash]), null);
    assert.deepEqual((await rpc<{ transactions: string[] }>(url, "eth_getBlockByNumber", [other.blockNumber, false])).transactions, [other.transactionHash]);
    assert.equal(Number(await rpc<string>(url, "eth_blockNumber")), head + 1);
    assert.equal(Number(await rpc<string>(url, "eth_getTransactionCount", [b.address, "pending"])), nonce);
    assert.deepEqual(await rpcError(url, "eth_sendRawTransaction", [later]), { code: -32000, message: "already known" });

    // The gap closes: both are mined, in nonce order.
    const first = await sendAndWait(url, await sign(b, { nonce }));
    const second = await waitForReceipt(url, laterHash);
    assert.equal(first.status, "0x1");
    assert.equal(second.status, "0x1");
    const position = (r: Receipt) => [Number(r.blockNumber), Number(r.transactionIndex)] as const;
    const [firstBlock, firstIndex] = position(first);
    const [secondBlock, secondIndex] = position(second);
    assert.ok(secondBlock > firstBlock || (secondBlock === firstBlock && secondIndex > firstIndex), `nonce ${nonce} at ${position(first)}, nonce ${nonce + 1} at ${position(second)}`);
    assert.equal(Number(await rpc<string>(url, "eth_getTransactionCount", [b.address, "latest"])), nonce + 2);
    assert.equal(Number(await rpc<string>(url, "eth_getTransactionCount", [b.address, "pending"])), nonce + 2);
    assert.equal(node.chain.pool.size, 0);
  });
});
