// Relaying: per-account serialisation, nonces shared with other senders, reverts decoded before sending.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createWalletClient, http, type Chain, type Hex } from "viem";
import { isPlatformError, sm3Hex, utf8 } from "@health-chain/sdk";
import { createChainAccess } from "../src/chain.ts";
import { DEV, INSTITUTIONS, devAccount, startTestGateway, type TestGateway } from "./helpers.ts";
import { startTestChain, type TestChain } from "../../test/helpers/chain.ts";

describe("chain access", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(async () => {
    await gw?.close();
  });

  const issueArgs = (n: number) => {
    const certId = sm3Hex(utf8(`chain-test-${n}-${Math.random()}`)) as Hex;
    return [certId, 0, `0x${"00".repeat(12)}${INSTITUTIONS.hospital.slice(2).toLowerCase()}` as Hex, sm3Hex(utf8(`doc ${n}`)) as Hex, 0n, 0n, `0x${"11".repeat(64)}` as Hex] as const;
  };

  it("sends many transactions of one account at once, in nonce order, and decodes their events", async () => {
    const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => gw.deps.chain.send(INSTITUTIONS.eqaCentre, "CertificateRegistry", "issue", issueArgs(i))));
    assert.equal(new Set(sent.map((s) => s.txHash)).size, 8);
    // Nonces in the order of the calls, though the estimates run concurrently.
    const nonces = await Promise.all(sent.map(async (s) => (await gw.deps.chain.publicClient.getTransaction({ hash: s.txHash })).nonce));
    for (let i = 1; i < nonces.length; i++) assert.equal(nonces[i], (nonces[i - 1] as number) + 1);
    for (const s of sent) {
      const event = s.logs.find((l) => l.eventName === "CertificateIssued");
      assert.equal(event?.contract, "CertificateRegistry");
      assert.equal(event?.args.issuer, INSTITUTIONS.eqaCentre);
    }
  });

  it("recovers when another sender used the account's next nonce", async () => {
    await gw.deps.chain.send(INSTITUTIONS.eqaCentre, "CertificateRegistry", "issue", issueArgs(100));
    const account = devAccount(DEV.eqaCentre);
    const wallet = createWalletClient({ account, chain: gw.deps.chain.publicClient.chain as Chain, transport: http(gw.chain.rpcUrl) });
    const outside = await wallet.sendTransaction({ to: account.address, value: 0n });
    await gw.deps.chain.publicClient.waitForTransactionReceipt({ hash: outside });
    const after = await gw.deps.chain.send(INSTITUTIONS.eqaCentre, "CertificateRegistry", "issue", issueArgs(101));
    assert.ok(after.blockNumber > 0);
  });

  it("refuses a call the contract would revert before sending it, with the custom error", async () => {
    const account = gw.deps.chain.accountOf(INSTITUTIONS.hospital);
    const nonce = await gw.deps.chain.publicClient.getTransactionCount({ address: account, blockTag: "pending" });
    await assert.rejects(
      gw.deps.chain.send(INSTITUTIONS.hospital, "CertificateRegistry", "issue", issueArgs(200)),
      (e: unknown) => isPlatformError(e, "CONTRACT_REVERTED") && e.details.errorName === "MissingRole" && e.details.functionName === "issue",
    );
    assert.equal(await gw.deps.chain.publicClient.getTransactionCount({ address: account, blockTag: "pending" }), nonce);
    const metrics = await gw.deps.metrics.registry.metrics();
    assert.match(metrics, /gateway_relayed_transactions_total\{contract="CertificateRegistry",function="issue",outcome="mined"\} 10/);
    assert.match(metrics, /gateway_relayed_transactions_total\{contract="CertificateRegistry",function="issue",outcome="reverted"\} 1/);
  });

  it("closes the nonce gap a refused send leaves behind the sends dispatched after it", async () => {
    // A proxy to the node that refuses the first eth_sendRawTransaction (as a full pool would).
    let refused = 0;
    const proxy = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const call = JSON.parse(body) as { id: number; method: string };
        if (call.method === "eth_sendRawTransaction" && refused++ === 0) {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32000, message: "txpool is full" } }));
          return;
        }
        void fetch(gw.chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (answer) => {
          res.setHeader("content-type", "application/json");
          res.end(await answer.text());
        });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const rpcUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const access = await createChainAccess({ ...gw.config, chain: { ...gw.config.chain, rpcUrl, receiptTimeoutMs: 5_000 } });
      const results = await Promise.allSettled([0, 1, 2].map((i) => access.send(INSTITUTIONS.eqaCentre, "CertificateRegistry", "issue", issueArgs(400 + i))));
      assert.equal(results[0]?.status, "rejected");
      assert.deepEqual(results.slice(1).map((r) => r.status), ["fulfilled", "fulfilled"]);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("refuses an actor it holds no key for", async () => {
    await assert.rejects(
      gw.deps.chain.send(devAccount(12).address, "CertificateRegistry", "issue", issueArgs(300)),
      (e: unknown) => isPlatformError(e, "FORBIDDEN"),
    );
  });
});

describe("chain access on a node that answers a send at once (interval sealing)", () => {
  let chain: TestChain;
  let gw: TestGateway;
  before(async () => {
    chain = await startTestChain({ blockTimeMs: 100 });
    gw = await startTestGateway({ chain });
  });
  after(async () => {
    await gw?.close();
    await chain?.stop();
  });

  it("sends many transactions of one account before the first is mined, and waits for each receipt", async () => {
    const args = (n: number) =>
      [sm3Hex(utf8(`interval-${n}-${Math.random()}`)) as Hex, 0, `0x${"00".repeat(12)}${INSTITUTIONS.hospital.slice(2).toLowerCase()}` as Hex, sm3Hex(utf8(`doc ${n}`)) as Hex, 0n, 0n, `0x${"11".repeat(64)}` as Hex] as const;
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => gw.deps.chain.send(INSTITUTIONS.eqaCentre, "CertificateRegistry", "issue", args(i))));
    assert.equal(new Set(sent.map((s) => s.txHash)).size, 12);
    // Not one block per transaction: the queue does not wait for a transaction to be mined.
    assert.ok(new Set(sent.map((s) => s.blockNumber)).size < 12);
    for (const s of sent) assert.ok(s.logs.some((l) => l.eventName === "CertificateIssued"));
  });
});
