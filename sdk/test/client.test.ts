import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import {
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  encodeErrorResult,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { HEALTH_CHAIN_ABIS, createHealthChainClient, toPlatformError } from "../src/client.ts";
import { CONTRACT_NAMES, loadDeployments, parseDeployments, type Deployments } from "../src/deployments.ts";
import { isPlatformError } from "../src/errors.ts";
import { consentRegistryAbi } from "../src/generated/abis.ts";

const VALID: Deployments = {
  chainId: 31337,
  network: "localhost",
  deployedAt: "2026-11-22T20:00:19.000Z",
  deployer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  contracts: {
    ConsortiumRegistry: {
      address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      blockNumber: 1,
      txHash: `0x${"a1".repeat(32)}`,
    },
    ConsentRegistry: {
      address: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
      blockNumber: 4,
      txHash: `0x${"a2".repeat(32)}`,
    },
    DataIndex: {
      address: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
      blockNumber: 5,
      txHash: `0x${"a3".repeat(32)}`,
    },
    CertificateRegistry: {
      address: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      blockNumber: 3,
      txHash: `0x${"a4".repeat(32)}`,
    },
    AuditTrail: {
      address: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      blockNumber: 2,
      txHash: `0x${"a5".repeat(32)}`,
    },
  },
};

const clone = (): Record<string, any> => structuredClone(VALID); // eslint-disable-line @typescript-eslint/no-explicit-any

/** The problems (path → problem) of an INVALID_INPUT thrown by `fn`. */
function problemsOf(fn: () => unknown): Map<string, string> {
  try {
    fn();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    const problems = error.details.problems as { path: string; problem: string }[];
    return new Map(problems.map((p) => [p.path, p.problem]));
  }
  assert.fail("no error thrown");
}

const REPOSITORY = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const dir = mkdtempSync(join(tmpdir(), "deployments-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("accepts a deployments file as deploy.ts writes it (deploy/README.md)", () => {
  assert.deepEqual(parseDeployments(clone()), VALID);
  assert.deepEqual(Object.keys(parseDeployments(JSON.parse(JSON.stringify(VALID))).contracts), [...CONTRACT_NAMES]);
});

test("checksums lower-case addresses and drops fields it does not know", () => {
  const value = clone();
  value.deployer = VALID.deployer.toLowerCase();
  value.contracts.DataIndex.address = VALID.contracts.DataIndex.address.toLowerCase();
  value.comment = "written by hand";
  value.contracts.Extra = { address: VALID.deployer, blockNumber: 9, txHash: VALID.contracts.DataIndex.txHash };
  const parsed = parseDeployments(value);
  assert.equal(parsed.deployer, VALID.deployer);
  assert.equal(parsed.contracts.DataIndex.address, VALID.contracts.DataIndex.address);
  assert.ok(!("comment" in parsed) && !("Extra" in parsed.contracts));
});

test("names every problem of an invalid file, with its path", () => {
  const value = clone();
  value.chainId = "31337";
  value.network = "";
  value.deployedAt = "22/11/2026";
  value.deployer = "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // checksum broken
  delete value.contracts.AuditTrail;
  value.contracts.DataIndex.address = "0x1234";
  value.contracts.DataIndex.blockNumber = -1;
  value.contracts.ConsentRegistry.txHash = "0xabcd";
  value.contracts.ConsortiumRegistry.blockNumber = 1.5;
  assert.deepEqual(
    problemsOf(() => parseDeployments(value, "31337.json")),
    new Map([
      ["chainId", "not a positive integer"],
      ["network", "not a non-empty string"],
      ["deployedAt", "not an ISO 8601 UTC time"],
      ["deployer", "not an address (0x and 40 hex digits, checksummed when in mixed case)"],
      ["contracts.ConsortiumRegistry.blockNumber", "not a block number"],
      ["contracts.ConsentRegistry.txHash", "not a 32-byte transaction hash"],
      ["contracts.DataIndex.address", "not an address (0x and 40 hex digits, checksummed when in mixed case)"],
      ["contracts.DataIndex.blockNumber", "not a block number"],
      ["contracts.AuditTrail", "missing"],
    ]),
  );
});

test("says what is wrong in both languages, naming the file", () => {
  const value = clone();
  delete value.contracts;
  try {
    parseDeployments(value, "/srv/deploy/deployments/31337.json");
    assert.fail("no error");
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"));
    assert.match(error.message, /31337\.json: contracts is not an object/);
    assert.match(error.messageZh, /部署文件无效/);
    assert.equal(error.details.source, "/srv/deploy/deployments/31337.json");
    assert.doesNotThrow(() => JSON.stringify(error.toJSON()));
  }
  for (const notAnObject of [null, [], "{}", 31337]) {
    assert.deepEqual([...problemsOf(() => parseDeployments(notAnObject)).keys()], [""]);
  }
});

test("loads <dir>/<chainId>.json; without a dir, DEPLOYMENTS_DIR from the repository root, else deploy/deployments", async () => {
  writeFileSync(join(dir, "31337.json"), JSON.stringify(VALID));
  assert.deepEqual(await loadDeployments({ chainId: 31337, dir }), VALID);
  assert.deepEqual(await loadDeployments({ chainId: 31337n, dir }), VALID);

  const saved = process.env.DEPLOYMENTS_DIR;
  try {
    process.env.DEPLOYMENTS_DIR = relative(REPOSITORY, dir);
    assert.deepEqual(await loadDeployments({ chainId: 31337 }), VALID);
    delete process.env.DEPLOYMENTS_DIR;
    await assert.rejects(
      loadDeployments({ chainId: 4242 }),
      (e: unknown) =>
        isPlatformError(e, "DEPLOYMENT_NOT_FOUND") &&
        e.details.file === join(REPOSITORY, "deploy/deployments/4242.json"),
    );
  } finally {
    if (saved === undefined) delete process.env.DEPLOYMENTS_DIR;
    else process.env.DEPLOYMENTS_DIR = saved;
  }
});

test("DEPLOYMENT_NOT_FOUND when no file exists for the chain", async () => {
  await assert.rejects(loadDeployments({ chainId: 4242, dir }), (error: unknown) => {
    assert.ok(isPlatformError(error, "DEPLOYMENT_NOT_FOUND"));
    assert.equal(error.details.chainId, 4242);
    assert.equal(error.details.file, join(dir, "4242.json"));
    assert.ok(error.hint?.zh);
    return true;
  });
});

test("INVALID_INPUT for a file that is not JSON, not valid, or of another chain", async () => {
  writeFileSync(join(dir, "1.json"), "{ not json");
  await assert.rejects(
    loadDeployments({ chainId: 1, dir }),
    (e: unknown) => isPlatformError(e, "INVALID_INPUT") && /not valid JSON/.test(e.message),
  );
  writeFileSync(join(dir, "2.json"), JSON.stringify({ ...VALID, chainId: 3 }));
  await assert.rejects(loadDeployments({ chainId: 2, dir }), (e: unknown) => {
    assert.ok(isPlatformError(e, "INVALID_INPUT"));
    assert.deepEqual(e.details.problems, [
      { path: "chainId", problem: "not the chain of the file name (2)", value: 3 },
    ]);
    return true;
  });
  writeFileSync(join(dir, "5.json"), JSON.stringify({ ...VALID, chainId: 5, deployer: 7 }));
  await assert.rejects(
    loadDeployments({ chainId: 5, dir }),
    (e: unknown) => isPlatformError(e, "INVALID_INPUT") && e.details.source === join(dir, "5.json"),
  );
});

/** A viem transport answering eth_chainId with `chainId` and nothing else. */
const chainOnly = (chainId: number) =>
  custom({
    request: async ({ method }: { method: string }) => {
      if (method === "eth_chainId") return `0x${chainId.toString(16)}`;
      throw new Error(`unexpected ${method}`);
    },
  });

test("gives one typed contract instance per contract, at the deployments' addresses", async () => {
  const client = await createHealthChainClient({
    publicClient: createPublicClient({ transport: chainOnly(31337) }),
    deployments: VALID,
  });
  assert.equal(client.chainId, 31337);
  assert.equal(client.consentRegistry.address, VALID.contracts.ConsentRegistry.address);
  assert.equal(client.auditTrail.address, VALID.contracts.AuditTrail.address);
  assert.equal(client.dataIndex.abi, HEALTH_CHAIN_ABIS.DataIndex);
  assert.deepEqual(client.consentDomain, {
    name: "HealthChain ConsentRegistry",
    version: "1",
    chainId: 31337,
    verifyingContract: VALID.contracts.ConsentRegistry.address,
  });
  assert.equal(typeof client.consortiumRegistry.read.members, "function");
  assert.ok(!("write" in client.consentRegistry), "no wallet, no write");
  const wallet = createWalletClient({
    account: privateKeyToAccount(`0x${"11".repeat(32)}`),
    transport: chainOnly(31337),
  });
  const writing = await createHealthChainClient({
    publicClient: createPublicClient({ transport: chainOnly(31337) }),
    walletClient: wallet,
    deployments: VALID,
  });
  assert.equal(typeof writing.consentRegistry.write.grant, "function");
});

test("refuses a client on another chain than the deployments' (DEPLOYMENT_NOT_FOUND)", async () => {
  await assert.rejects(
    createHealthChainClient({ publicClient: createPublicClient({ transport: chainOnly(1) }), deployments: VALID }),
    (e: unknown) => {
      assert.ok(isPlatformError(e, "DEPLOYMENT_NOT_FOUND"));
      assert.deepEqual(e.details, { client: "public", chainId: 1, deploymentsChainId: 31337 });
      return true;
    },
  );
  const wallet = createWalletClient({ transport: chainOnly(5) });
  await assert.rejects(
    createHealthChainClient({
      publicClient: createPublicClient({ transport: chainOnly(31337) }),
      walletClient: wallet,
      deployments: VALID,
    }),
    (e: unknown) =>
      isPlatformError(e, "DEPLOYMENT_NOT_FOUND") && e.details.client === "wallet" && e.details.chainId === 5,
  );
});

test("CHAIN_UNAVAILABLE when the node cannot be reached", async () => {
  const publicClient = createPublicClient({
    transport: http("http://127.0.0.1:9/", { retryCount: 0, timeout: 2_000 }),
  });
  await assert.rejects(createHealthChainClient({ publicClient, deployments: VALID }), (e: unknown) => {
    assert.ok(isPlatformError(e, "CHAIN_UNAVAILABLE"), String(e));
    assert.equal(e.details.url, "http://127.0.0.1:9/");
    return true;
  });
});

test("maps a contract's custom error to CONTRACT_REVERTED with its name and arguments", () => {
  const data = encodeErrorResult({
    abi: consentRegistryAbi,
    errorName: "NonceAlreadyUsed",
    args: ["0x90F79bf6EB2c4f870365E785982E1f101E93b906", 7n],
  });
  const reverted = new ContractFunctionRevertedError({ abi: consentRegistryAbi, data, functionName: "revoke" });
  const call = new ContractFunctionExecutionError(reverted, {
    abi: consentRegistryAbi,
    functionName: "revoke",
    args: [
      { grantId: `0x${"01".repeat(32)}`, nonce: 7n, deadline: 1n },
      "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
      "0x",
    ],
    contractAddress: VALID.contracts.ConsentRegistry.address,
  });
  const error = toPlatformError(call);
  assert.ok(isPlatformError(error, "CONTRACT_REVERTED"));
  assert.equal(error.details.errorName, "NonceAlreadyUsed");
  assert.deepEqual(error.details.args, ["0x90F79bf6EB2c4f870365E785982E1f101E93b906", "7"]);
  assert.equal(error.details.functionName, "revoke");
  assert.equal(error.message, "revoke reverted with NonceAlreadyUsed(0x90F79bf6EB2c4f870365E785982E1f101E93b906, 7).");
  assert.equal(error.httpStatus, 502);
  assert.equal(error.cause, call);
  assert.equal(toPlatformError(error), error, "platform errors pass through");
  assert.ok(isPlatformError(toPlatformError(new Error("boom")), "INTERNAL"));
});
