// Relaying: per-account serialisation, nonces shared with other senders, reverts decoded before sending.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createWalletClient, http, type Chain, type Hex } from "viem";
import { isPlatformError, sm3Hex, utf8 } from "@health-chain/sdk";
import { DEV, INSTITUTIONS, devAccount, startTestGateway, type TestGateway } from "./helpers.ts";

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

  it("refuses an actor it holds no key for", async () => {
    await assert.rejects(
      gw.deps.chain.send(devAccount(12).address, "CertificateRegistry", "issue", issueArgs(300)),
      (e: unknown) => isPlatformError(e, "FORBIDDEN"),
    );
  });
});
