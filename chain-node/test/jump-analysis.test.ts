// The EVM analyses a contract's code once, not once per call (src/jump-analysis.ts), and calls give
// the same answers with the cache as the contract's own tests expect (the contract suites run
// against chain-node with it).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pad } from "viem";
import { consentRegistryAbi } from "../../sdk/src/index.ts";
import { devAccount, startTestChain } from "../../test/helpers/chain.ts";
import { installJumpAnalysisCache, jumpAnalysisStats } from "../src/jump-analysis.ts";

describe("code analysis cache", () => {
  it("is installed on this @ethereumjs/evm", async () => {
    assert.equal(await installJumpAnalysisCache(), true);
    assert.equal(await installJumpAnalysisCache(), true); // once per process, idempotent
  });

  it("analyses a contract once for many calls, and the calls still answer", async () => {
    const chain = await startTestChain();
    try {
      const address = chain.deployments.contracts.ConsentRegistry.address;
      const b = pad("0x01", { size: 32 });
      const read = () =>
        chain.publicClient.readContract({ address, abi: consentRegistryAbi, functionName: "checkAccess", args: [devAccount(20).address, b, b, b, b, 0, 1n] });
      assert.deepEqual(await read(), [false, pad("0x00", { size: 32 })]); // warm: the contract analysed
      const before = { ...jumpAnalysisStats };
      for (let i = 0; i < 20; i++) assert.deepEqual(await read(), [false, pad("0x00", { size: 32 })]);
      assert.equal(jumpAnalysisStats.misses - before.misses, 0, "no analysis for the same code again");
      assert.ok(jumpAnalysisStats.hits - before.hits >= 20, "each call's frame took the analysis from the cache");
    } finally {
      await chain.stop();
    }
  });
});
