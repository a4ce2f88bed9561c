// Configuration: flags over environment over defaults; every bad value named, in both languages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "../../sdk/src/index.ts";
import { DEFAULT_DATABASE_URL, loadMirrorConfig } from "../src/config.ts";
import { providerOf } from "../src/db/index.ts";
import { main } from "../src/cli.ts";

describe("mirror configuration", () => {
  it("takes defaults, then the environment, then flags", () => {
    const defaults = loadMirrorConfig({}, {});
    assert.equal(defaults.databaseUrl, DEFAULT_DATABASE_URL);
    assert.match(defaults.databaseUrl, /^file:.*cache\/mirror\.db$/);
    assert.equal(defaults.confirmations, 0);
    const env = loadMirrorConfig({}, { MIRROR_CONFIRMATIONS: "12", CHAIN_RPC_URL: "http://node:8545", MIRROR_METRICS_PORT: "off" });
    assert.equal(env.confirmations, 12);
    assert.equal(env.rpcUrl, "http://node:8545");
    assert.equal(env.metricsPort, null);
    assert.equal(loadMirrorConfig({ confirmations: "3" }, { MIRROR_CONFIRMATIONS: "12" }).confirmations, 3);
  });

  it("rejects bad values with a typed, bilingual error naming each one", () => {
    assert.throws(
      () => loadMirrorConfig({ databaseUrl: "mysql://x" }, { MIRROR_CONFIRMATIONS: "-1", CHAIN_RPC_URL: "ws://x" }),
      (error: unknown) => {
        assert.ok(isPlatformError(error, "INVALID_INPUT"));
        const keys = (error.details.problems as { key: string }[]).map((p) => p.key).sort();
        assert.deepEqual(keys, ["confirmations", "databaseUrl", "rpcUrl"]);
        assert.match(error.message, /MIRROR_CONFIRMATIONS/);
        assert.match(error.messageZh, /镜像配置无效/);
        return true;
      },
    );
    assert.throws(() => providerOf("mysql://x"), { code: "INVALID_INPUT" });
  });

  it("the CLI refuses a verify without a range", async () => {
    await assert.rejects(main(["verify", "--rpc-url", "http://127.0.0.1:1"]), { code: "INVALID_INPUT" });
    assert.equal(await main(["bogus"]), 2);
  });
});
