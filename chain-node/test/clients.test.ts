// ethers v6 and viem 2 against a node started with the command line, over real HTTP and WebSocket: what an
// application does (deploy, call, send, wait, read logs, watch events, filters, batches, fees, reverts).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Network,
  NonceManager,
  WebSocketProvider,
  Wallet,
  isCallException,
  zeroPadValue,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type EventLog,
  type JsonRpcPayload,
  type JsonRpcResult,
} from "ethers";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseAbi,
  parseEventLogs,
  webSocket,
  type Block,
  type Hex,
  type Log,
  type PublicClient,
  type WalletClient,
  type WebSocketTransport,
  type Chain as ViemChain,
  type Transport,
  type Account,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  CHAIN_ID,
  NodeProcess,
  STORED_TOPIC,
  STORE_ABI,
  STORE_BYTECODE,
  STORE_RUNTIME,
  devWallets,
  initDevDir,
  cleanup,
  rpc,
  rpcBatch,
  rpcError,
  selector,
  storeCall,
  subscribeCount,
  tempDir,
  waitFor,
} from "./helpers.ts";

const EMPTY_TRIE_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";
const HASH32 = /^0x[0-9a-f]{64}$/;
const abi = parseAbi(STORE_ABI);

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  transactionsRoot: string;
  receiptsRoot: string;
  stateRoot: string;
  transactions: string[];
  baseFeePerGas: string;
}

/** Records every payload ethers sends, to show that it batches. */
class RecordingProvider extends JsonRpcProvider {
  readonly payloads: Array<JsonRpcPayload | JsonRpcPayload[]> = [];
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.payloads.push(payload);
    return super._send(payload);
  }
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** The custom error a viem error carries, found by walking its causes. */
function viemRevert(error: unknown): { errorName?: string; args?: readonly unknown[] } | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data : undefined;
}

describe("ethers and viem against a node process (HTTP + WebSocket)", () => {
  let node: NodeProcess;
  let network: Network;
  let provider: RecordingProvider;
  let wallet: Wallet;
  /** ethers caches identical requests for 250 ms, eth_getTransactionCount too: a NonceManager counts nonces locally. */
  let signer: NonceManager;
  let store: Contract; // deployed by ethers
  let chain: ViemChain;
  let publicClient: PublicClient<Transport, ViemChain>;
  let walletClient: WalletClient<Transport, ViemChain, Account>;
  let viemStore: Hex; // deployed by viem

  before(async () => {
    const dir = await tempDir("chain-node-clients-");
    node = await NodeProcess.start(initDevDir(dir));
    network = new Network("health-chain", CHAIN_ID);
    provider = new RecordingProvider(node.url, network, { staticNetwork: network, pollingInterval: 20 });
    wallet = new Wallet(devWallets()[0]!.privateKey, provider);
    signer = new NonceManager(wallet);
    chain = defineChain({
      id: CHAIN_ID,
      name: "health-chain",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [node.url], webSocket: [node.wsUrl] } },
    });
    publicClient = createPublicClient({ chain, transport: http(node.url), pollingInterval: 20 });
    walletClient = createWalletClient({ chain, transport: http(node.url), account: privateKeyToAccount(devWallets()[1]!.privateKey as Hex), pollingInterval: 20 });
  });

  after(async () => {
    provider?.destroy();
    await node?.stop();
    await cleanup();
  });

  test("ethers: ContractFactory deploys; the view reads; a transaction's receipt agrees with its block", async () => {
    // Raw reads here: ethers answers a repeated identical request from a 250 ms cache.
    const balanceOf = async () => BigInt(await rpc<string>(node.url, "eth_getBalance", [wallet.address, "latest"]));
    const balanceBefore = await balanceOf();
    const factory = new ContractFactory(STORE_ABI, STORE_BYTECODE, signer);
    store = (await factory.deploy()) as Contract;
    await store.waitForDeployment();
    const deployment = (await store.deploymentTransaction()!.wait())!;
    assert.equal(deployment.status, 1);
    assert.equal(deployment.contractAddress, await store.getAddress());
    assert.equal(await provider.getCode(await store.getAddress()), STORE_RUNTIME);
    assert.equal(await store.get!(), 0n);

    const tx = (await store.set!(42n)) as ContractTransactionResponse;
    const receipt = (await tx.wait())!;
    assert.equal(receipt.status, 1);
    assert.equal(receipt.hash, tx.hash);
    assert.ok(receipt.gasUsed > 21_000n && receipt.gasUsed < tx.gasLimit, `gasUsed ${receipt.gasUsed} within (21000, ${tx.gasLimit})`);
    assert.equal(receipt.logs.length, 1);
    const event = receipt.logs[0] as EventLog;
    assert.equal(event.eventName, "Stored");
    assert.deepEqual([...event.args], [wallet.address, 42n]);
    assert.equal(event.topics[0], STORED_TOPIC);
    assert.equal(event.blockHash, receipt.blockHash);
    assert.equal(await store.get!(), 42n);

    const block = (await provider.getBlock(receipt.blockHash))!;
    assert.equal(block.hash, receipt.blockHash);
    assert.equal(block.number, receipt.blockNumber);
    assert.ok(block.transactions.includes(tx.hash));
    const raw = await rpc<RawBlock>(node.url, "eth_getBlockByHash", [receipt.blockHash, false]);
    assert.equal(raw.hash, receipt.blockHash);
    assert.match(raw.transactionsRoot, HASH32);
    assert.match(raw.receiptsRoot, HASH32);
    assert.notEqual(raw.transactionsRoot, EMPTY_TRIE_ROOT);
    assert.notEqual(raw.receiptsRoot, EMPTY_TRIE_ROOT);
    assert.equal((await rpc<RawBlock>(node.url, "eth_getBlockByNumber", [`0x${receipt.blockNumber.toString(16)}`, false])).hash, receipt.blockHash);
    const parent = await rpc<RawBlock>(node.url, "eth_getBlockByNumber", [`0x${(receipt.blockNumber - 1).toString(16)}`, false]);
    assert.equal(raw.parentHash, parent.hash);

    // Gas is free: nothing but value leaves the sender.
    assert.equal(receipt.gasPrice, 0n);
    assert.equal(await balanceOf(), balanceBefore);
  });

  test("viem: deployContract, readContract, writeContract and waitForTransactionReceipt", async () => {
    const account = walletClient.account.address;
    const balanceBefore = await publicClient.getBalance({ address: account });
    const deployHash = await walletClient.deployContract({ abi, bytecode: STORE_BYTECODE as Hex });
    const deployment = await publicClient.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 20 });
    assert.equal(deployment.status, "success");
    assert.ok(deployment.contractAddress);
    viemStore = deployment.contractAddress;
    assert.equal(await publicClient.getCode({ address: viemStore }), STORE_RUNTIME);
    assert.equal(await publicClient.readContract({ address: viemStore, abi, functionName: "get" }), 0n);

    const hash = await walletClient.writeContract({ address: viemStore, abi, functionName: "set", args: [7n] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(receipt.status, "success");
    assert.ok(receipt.gasUsed > 21_000n);
    const events = parseEventLogs({ abi, logs: receipt.logs, eventName: "Stored" });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.args.by, account);
    assert.equal(events[0]!.args.value, 7n);
    assert.equal(await publicClient.readContract({ address: viemStore, abi, functionName: "get" }), 7n);

    const block = await publicClient.getBlock({ blockHash: receipt.blockHash });
    assert.equal(block.hash, receipt.blockHash);
    assert.equal(block.number, receipt.blockNumber);
    assert.ok(block.transactions.includes(hash));
    assert.match(block.transactionsRoot, HASH32);
    assert.match(block.receiptsRoot, HASH32);
    assert.equal(receipt.effectiveGasPrice, 0n);
    assert.equal(await publicClient.getBalance({ address: account }), balanceBefore);
  });

  test("fees: eth_feeHistory, ethers getFeeData and viem estimateFeesPerGas work with zero fees", async () => {
    const head = Number(await rpc<string>(node.url, "eth_blockNumber"));
    const history = await rpc<{ oldestBlock: string; baseFeePerGas: string[]; gasUsedRatio: number[]; reward: string[][] }>(node.url, "eth_feeHistory", ["0x3", "latest", [25, 75]]);
    assert.equal(Number(history.oldestBlock), head - 2);
    assert.deepEqual(history.baseFeePerGas, ["0x0", "0x0", "0x0", "0x0"]);
    assert.equal(history.gasUsedRatio.length, 3);
    for (const ratio of history.gasUsedRatio) assert.ok(ratio > 0 && ratio < 1, `gasUsedRatio ${ratio}`);
    assert.deepEqual(history.reward, [["0x0", "0x0"], ["0x0", "0x0"], ["0x0", "0x0"]]);

    const viemHistory = await publicClient.getFeeHistory({ blockCount: 3, rewardPercentiles: [50] });
    assert.deepEqual(viemHistory.baseFeePerGas, [0n, 0n, 0n, 0n]);
    assert.equal(viemHistory.oldestBlock, BigInt(head - 2));

    const feeData = await provider.getFeeData();
    assert.equal(feeData.gasPrice, 0n);
    // A zero base fee reads to ethers as "no EIP-1559": it then sends legacy transactions at gasPrice 0.
    assert.equal(feeData.maxFeePerGas ?? 0n, 0n);
    assert.deepEqual(await publicClient.estimateFeesPerGas(), { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
    assert.equal(await publicClient.estimateMaxPriorityFeePerGas(), 0n);
    assert.equal(await publicClient.getGasPrice(), 0n);

    // A transaction at exactly the estimated gas, with the estimated fees, succeeds.
    const gas = await publicClient.estimateContractGas({ address: viemStore, abi, functionName: "set", args: [8n], account: walletClient.account });
    assert.ok(gas > 21_000n && gas < 100_000n, `estimate ${gas}`);
    const fees = await publicClient.estimateFeesPerGas();
    const hash = await walletClient.writeContract({ address: viemStore, abi, functionName: "set", args: [8n], gas, ...fees });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(receipt.status, "success");
    assert.ok(receipt.gasUsed <= gas);
    const sent = await publicClient.getTransaction({ hash });
    assert.equal(sent.type, "eip1559");
    assert.equal(sent.maxFeePerGas, 0n);

    const ethersGas = await store.set!.estimateGas(43n);
    assert.ok(ethersGas > 21_000n && ethersGas < 100_000n, `estimate ${ethersGas}`);
    const tx = (await store.set!(43n, { gasLimit: ethersGas })) as ContractTransactionResponse;
    assert.equal((await tx.wait())!.status, 1);
  });

  test("eth_getLogs: block ranges and topic filters, raw and through ethers queryFilter / viem getContractEvents", async () => {
    const address = (await store.getAddress()).toLowerCase();
    const viemAccount = walletClient.account.address;
    const receipts: Array<{ blockNumber: number; blockHash: string; hash: string; by: string; value: bigint }> = [];
    for (const [by, value] of [["ethers", 11n], ["ethers", 12n], ["viem", 21n]] as const) {
      if (by === "ethers") {
        const receipt = (await ((await store.set!(value)) as ContractTransactionResponse).wait()) as ContractTransactionReceipt;
        receipts.push({ blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, hash: receipt.hash, by: wallet.address, value });
      } else {
        const hash = await walletClient.writeContract({ address: address as Hex, abi, functionName: "set", args: [value] });
        const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
        receipts.push({ blockNumber: Number(receipt.blockNumber), blockHash: receipt.blockHash, hash, by: viemAccount, value });
      }
    }
    const first = receipts[0]!.blockNumber;
    const last = receipts[2]!.blockNumber;
    assert.ok(first < receipts[1]!.blockNumber && receipts[1]!.blockNumber < last, "one transaction per block");
    const hex = (n: number) => `0x${n.toString(16)}`;
    type RawLog = { transactionHash: string; blockHash: string; blockNumber: string; data: string; topics: string[]; address: string };
    const getLogs = (filter: Record<string, unknown>) => rpc<RawLog[]>(node.url, "eth_getLogs", [{ address, ...filter }]);
    const txHashes = (logs: RawLog[]) => logs.map((log) => log.transactionHash);
    const ethersTopic = zeroPadValue(wallet.address, 32).toLowerCase();
    const viemTopic = zeroPadValue(viemAccount, 32).toLowerCase();

    const all = await getLogs({ fromBlock: hex(first), toBlock: hex(last), topics: [STORED_TOPIC] });
    assert.deepEqual(txHashes(all), receipts.map((r) => r.hash));
    all.forEach((log, i) => {
      assert.equal(log.blockHash, receipts[i]!.blockHash);
      assert.equal(Number(log.blockNumber), receipts[i]!.blockNumber);
      assert.equal(BigInt(log.data), receipts[i]!.value);
      assert.equal(log.address, address);
    });
    assert.deepEqual(txHashes(await getLogs({ fromBlock: hex(first), toBlock: hex(last), topics: [STORED_TOPIC, ethersTopic] })), [receipts[0]!.hash, receipts[1]!.hash]);
    assert.deepEqual(txHashes(await getLogs({ fromBlock: hex(first), toBlock: hex(last), topics: [null, viemTopic] })), [receipts[2]!.hash]);
    assert.deepEqual(txHashes(await getLogs({ fromBlock: hex(first), toBlock: hex(last), topics: [null, [viemTopic, ethersTopic]] })), receipts.map((r) => r.hash));
    assert.deepEqual(txHashes(await getLogs({ fromBlock: hex(first + 1), toBlock: hex(last) })), [receipts[1]!.hash, receipts[2]!.hash]);
    assert.deepEqual(txHashes(await getLogs({ blockHash: receipts[1]!.blockHash })), [receipts[1]!.hash]);
    assert.deepEqual(await getLogs({ fromBlock: hex(first), toBlock: hex(last), topics: [`0x${"00".repeat(32)}`] }), []);
    assert.deepEqual(await rpc(node.url, "eth_getLogs", [{ address: `0x${"11".repeat(20)}`, fromBlock: hex(first), toBlock: hex(last) }]), []);

    const ethersEvents = (await store.queryFilter(store.filters.Stored!(wallet.address), first, last)) as EventLog[];
    assert.deepEqual(
      ethersEvents.map((e) => [e.transactionHash, e.args.value]),
      [
        [receipts[0]!.hash, 11n],
        [receipts[1]!.hash, 12n],
      ],
    );
    const viemEvents = await publicClient.getContractEvents({ address: address as Hex, abi, eventName: "Stored", args: { by: viemAccount }, fromBlock: BigInt(first), toBlock: BigInt(last) });
    assert.deepEqual(
      viemEvents.map((e) => [e.transactionHash, e.args.value]),
      [[receipts[2]!.hash, 21n]],
    );
  });

  test("WebSocket: ethers contract.on, viem watchContractEvent and watchBlocks receive the new event and block", async () => {
    const address = (await store.getAddress()) as Hex;
    const wsProvider = new WebSocketProvider(node.wsUrl, network, { staticNetwork: network });
    const wsClient = createPublicClient({ chain, transport: webSocket(node.wsUrl) });
    const unwatch: Array<() => void> = [];
    try {
      const subscribedBefore = await subscribeCount(node.url);
      const VALUE = 555n;
      const ethersEvent = new Promise<{ by: string; value: bigint; log: EventLog }>((resolve) => {
        void new Contract(address, STORE_ABI, wsProvider).on("Stored", (by: string, value: bigint, payload: { log: EventLog }) => {
          if (value === VALUE) resolve({ by, value, log: payload.log });
        });
      });
      const viemLogs = new Promise<Log[]>((resolve) => {
        unwatch.push(wsClient.watchContractEvent({ address, abi, eventName: "Stored", onLogs: (logs) => resolve(logs) }));
      });
      const blocks: Block[] = [];
      unwatch.push(wsClient.watchBlocks({ onBlock: (block) => void blocks.push(block) }));
      // Each client subscribes asynchronously: wait until the node has answered all three eth_subscribe.
      await waitFor(async () => (await subscribeCount(node.url)) >= subscribedBefore + 3, "three subscriptions");

      const tx = (await store.set!(VALUE)) as ContractTransactionResponse;
      const receipt = (await tx.wait())!;

      const fromEthers = await withTimeout(ethersEvent, "the ethers event");
      assert.equal(fromEthers.by, wallet.address);
      assert.equal(fromEthers.log.transactionHash, tx.hash);
      assert.equal(fromEthers.log.blockHash, receipt.blockHash);

      const fromViem = parseEventLogs({ abi, logs: await withTimeout(viemLogs, "the viem logs") });
      assert.equal(fromViem.length, 1);
      assert.equal(fromViem[0]!.args.value, VALUE);
      assert.equal(fromViem[0]!.args.by, wallet.address);
      assert.equal(fromViem[0]!.transactionHash, tx.hash);

      const block = await waitFor(() => blocks.find((b) => b.hash === receipt.blockHash), "the block over watchBlocks");
      assert.equal(block.number, BigInt(receipt.blockNumber));
      assert.equal(block.parentHash, (await provider.getBlock(receipt.blockNumber - 1))!.hash);
    } finally {
      for (const stop of unwatch) stop();
      await wsProvider.destroy();
      (await (wsClient.transport as ReturnType<WebSocketTransport>["value"])!.getRpcClient()).close();
    }
  });

  test("eth_newFilter / eth_newBlockFilter with eth_getFilterChanges deliver what new blocks bring, once", async () => {
    const address = await store.getAddress();
    const logFilter = await rpc<string>(node.url, "eth_newFilter", [{ address, topics: [STORED_TOPIC] }]);
    const blockFilter = await rpc<string>(node.url, "eth_newBlockFilter", []);
    const viemFilter = await publicClient.createContractEventFilter({ address: address as Hex, abi, eventName: "Stored" });
    assert.deepEqual(await rpc(node.url, "eth_getFilterChanges", [logFilter]), []);

    const tx = (await store.set!(77n)) as ContractTransactionResponse;
    const receipt = (await tx.wait())!;
    const changes = await rpc<Array<{ transactionHash: string; data: string; blockHash: string }>>(node.url, "eth_getFilterChanges", [logFilter]);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.transactionHash, tx.hash);
    assert.equal(BigInt(changes[0]!.data), 77n);
    assert.equal(changes[0]!.blockHash, receipt.blockHash);
    assert.deepEqual(await rpc(node.url, "eth_getFilterChanges", [logFilter]), [], "changes are delivered once");
    assert.ok((await rpc<string[]>(node.url, "eth_getFilterChanges", [blockFilter])).includes(receipt.blockHash));

    const viemChanges = await publicClient.getFilterChanges({ filter: viemFilter });
    assert.deepEqual(
      viemChanges.map((log) => [log.transactionHash, log.args.value]),
      [[tx.hash, 77n]],
    );

    assert.equal(await rpc(node.url, "eth_uninstallFilter", [logFilter]), true);
    assert.equal(await rpc(node.url, "eth_uninstallFilter", [logFilter]), false);
    assert.equal((await rpcError(node.url, "eth_getFilterChanges", [logFilter])).message, "filter not found");
    assert.equal(await rpc(node.url, "eth_uninstallFilter", [blockFilter]), true);
    assert.equal(await publicClient.uninstallFilter({ filter: viemFilter }), true);
  });

  test("batch requests: answered in order, one failure does not fail the others; ethers and viem batch", async () => {
    const address = await store.getAddress();
    const head = Number(await rpc<string>(node.url, "eth_blockNumber"));
    const responses = await rpcBatch(node.url, [
      { method: "eth_chainId", params: [] },
      { method: "eth_blockNumber", params: [] },
      { method: "no_suchMethod", params: [] },
      { method: "eth_call", params: [{ to: address, data: storeCall.get() }, "latest"] },
      { method: "eth_getBalance", params: ["0x1234", "latest"] },
      { method: "eth_getTransactionCount", params: [wallet.address, "latest"] },
    ]);
    assert.equal(responses[0]!.result, `0x${CHAIN_ID.toString(16)}`);
    assert.equal(Number(responses[1]!.result), head);
    assert.equal(responses[2]!.error?.code, -32601);
    assert.equal(BigInt(responses[3]!.result as string), await store.get!());
    assert.equal(responses[4]!.error?.code, -32602);
    assert.equal(responses[5]!.result, await rpc(node.url, "eth_getTransactionCount", [wallet.address, "latest"]));

    provider.payloads.length = 0;
    // send() goes straight to ethers' batching queue (its typed getters may answer from a 250 ms cache).
    const [chainId, number, balanceHex, code] = (await Promise.all([
      provider.send("eth_chainId", []),
      provider.send("eth_blockNumber", []),
      provider.send("eth_getBalance", [wallet.address, "latest"]),
      provider.send("eth_getCode", [address, "latest"]),
    ])) as string[];
    assert.equal(BigInt(chainId!), BigInt(CHAIN_ID));
    assert.equal(Number(number), head);
    const balance = BigInt(balanceHex!);
    assert.ok(balance > 0n);
    assert.equal(code, STORE_RUNTIME);
    assert.ok(
      provider.payloads.some((payload) => Array.isArray(payload) && payload.length >= 2),
      `ethers sent a batch: ${JSON.stringify(provider.payloads.map((p) => (Array.isArray(p) ? p.length : 1)))}`,
    );

    const bodies: string[] = [];
    const batching = createPublicClient({
      chain,
      transport: http(node.url, { batch: { wait: 5 }, onFetchRequest: async (request) => void bodies.push(await request.clone().text()) }),
    });
    const [viemHead, viemBalance, viemCode] = await Promise.all([batching.getBlockNumber({ cacheTime: 0 }), batching.getBalance({ address: wallet.address as Hex }), batching.getCode({ address: address as Hex })]);
    assert.equal(viemHead, BigInt(head));
    assert.equal(viemBalance, balance);
    assert.equal(viemCode, STORE_RUNTIME);
    assert.equal(bodies.length, 1, "viem sent one HTTP request");
    assert.equal((JSON.parse(bodies[0]!) as unknown[]).length, 3);
  });

  test("a reverting transaction sent with an explicit gas limit is mined with status 0, its hash returned", async () => {
    const address = await store.getAddress();
    const valueBefore = await store.get!();
    const nonceOf = async () => Number(await rpc<string>(node.url, "eth_getTransactionCount", [wallet.address, "latest"]));
    const nonceBefore = await nonceOf();

    const tx = (await store.fail!(9n, { gasLimit: 100_000n })) as ContractTransactionResponse;
    assert.match(tx.hash, HASH32);
    await assert.rejects(tx.wait(), (error: unknown) => {
      assert.ok(isCallException(error), String(error));
      assert.equal(error.receipt?.status, 0);
      return true;
    });
    const receipt = (await provider.getTransactionReceipt(tx.hash))!;
    assert.equal(receipt.status, 0);
    assert.equal(receipt.logs.length, 0);
    assert.ok(receipt.gasUsed > 21_000n && receipt.gasUsed < 100_000n, `a revert refunds the unused gas: used ${receipt.gasUsed}`);
    assert.equal((await provider.getBlock(receipt.blockHash))!.hash, receipt.blockHash);
    assert.equal(await store.get!(), valueBefore, "the revert changed nothing");
    assert.equal(await nonceOf(), nonceBefore + 1, "but the nonce is used");

    const hash = await walletClient.writeContract({ address: address as Hex, abi, functionName: "fail", args: [10n], gas: 100_000n });
    const viemReceipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    assert.equal(viemReceipt.status, "reverted");
    assert.equal(viemReceipt.transactionHash, hash);
  });

  test("a reverting eth_call / eth_estimateGas answers code 3 with the revert data, which ethers and viem decode to Nope(x)", async () => {
    const address = await store.getAddress();
    const expectedData = `${selector("Nope(uint256)")}${(5n).toString(16).padStart(64, "0")}`;
    for (const method of ["eth_call", "eth_estimateGas"]) {
      const error = await rpcError(node.url, method, [{ from: wallet.address, to: address, data: storeCall.fail(5n) }]);
      assert.equal(error.code, 3, method);
      assert.equal(error.message, "execution reverted", method);
      assert.equal(error.data, expectedData, method);
    }

    // ethers decodes the revert of a static call itself (error.revert); for estimateGas it hands over the
    // data, which the contract's interface decodes.
    const ethersRevert = (x: bigint) => (error: unknown) => {
      assert.ok(isCallException(error), String(error));
      assert.equal(error.data, `${selector("Nope(uint256)")}${x.toString(16).padStart(64, "0")}`);
      const decoded = store.interface.parseError(error.data!);
      assert.equal(decoded?.name, "Nope");
      assert.deepEqual([...decoded.args], [x]);
      return true;
    };
    await assert.rejects(store.fail!.staticCall(5n), (error: unknown) => {
      assert.ok(isCallException(error), String(error));
      assert.equal(error.revert?.name, "Nope");
      assert.deepEqual([...(error.revert?.args ?? [])], [5n]);
      return ethersRevert(5n)(error);
    });
    await assert.rejects(store.fail!.estimateGas(6n), ethersRevert(6n));
    // Sending without a gas limit: ethers estimates first, and the estimate's revert stops the send.
    const nonceOf = async () => Number(await rpc<string>(node.url, "eth_getTransactionCount", [wallet.address, "pending"]));
    const nonce = await nonceOf();
    await assert.rejects(store.fail!(7n), ethersRevert(7n));
    signer.reset(); // the NonceManager counted the nonce of the send that never happened
    assert.equal(await nonceOf(), nonce);

    const viemRevertOf = (x: bigint) => (error: unknown) => {
      assert.deepEqual(viemRevert(error), { abiItem: abi.find((item) => item.type === "error"), args: [x], errorName: "Nope" }, String(error));
      return true;
    };
    await assert.rejects(publicClient.simulateContract({ address: address as Hex, abi, functionName: "fail", args: [5n], account: walletClient.account }), viemRevertOf(5n));
    await assert.rejects(publicClient.estimateContractGas({ address: address as Hex, abi, functionName: "fail", args: [6n], account: walletClient.account }), viemRevertOf(6n));
  });
});
