// One chain call per consent-checked read (src/chain.ts `readTogether`, src/routes/access.ts): every
// check of a read — ConsentRegistry.checkAccessFields for the doctor account and for the
// institution, DataIndex.getRecord for a singly anchored record — goes in ONE eth_call (counted here
// through a proxy in front of the node), and the answers mean what separate calls meant: the
// doctor's grant first, the institution's for the fields still open; a failed call surfaces as the
// error the call alone gives.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { PURPOSES, toPlatformError, type ConsentDomain } from "@health-chain/sdk";
import { keccak256, toHex, type Hex } from "viem";
import { asGrantee, labGrant, labRecord, LAB, LAB_FIELDS, nextNonce, signedRelay } from "../../test/e2e/fixtures.ts";
import { startTestChain, type TestChain } from "../../test/helpers/chain.ts";
import { READ_TOGETHER_BYTECODE } from "../src/chain.ts";
import { doctorAccountOf } from "../src/routes/consent.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(10);

describe("one chain call per read", () => {
  let chain: TestChain;
  let proxy: Server;
  let gw: TestGateway;
  let doctor: { token: string };
  let domain: ConsentDomain;
  const methods: string[] = [];
  const batched = labRecord("together-batch", RESIDENT.address);
  const single = labRecord("together-single", RESIDENT.address);
  const pathOf = (recordId: Hex) => `/v1/access/records/${INSTITUTIONS.hospital}/${recordId}`;
  const now = BigInt(Math.floor(Date.now() / 1000));
  let doctorGrant: Hex;
  let institutionGrant: Hex;

  const grant = async (grantee: Hex, granteeKind: number, fields: Hex[]) => {
    const token = (await gw.signInResident(RESIDENT)).token;
    const message = labGrant(RESIDENT.address, grantee, granteeKind, fields, now);
    const res = await gw.call("POST", "/v1/consents/grants", { token, json: await signedRelay(RESIDENT, "ConsentGrant", message, domain) });
    assert.equal(res.status, 201, await res.clone().text());
    return (await body<{ grantId: Hex }>(res)).grantId;
  };

  /** The JSON-RPC methods the gateway sends while `run` runs. */
  const chainCallsOf = async (run: () => Promise<void>): Promise<string[]> => {
    methods.length = 0;
    await run();
    return [...methods];
  };

  before(async () => {
    chain = await startTestChain();
    proxy = createServer((req, res) => {
      let text = "";
      req.on("data", (d: Buffer) => (text += d.toString()));
      req.on("end", () => {
        const calls = JSON.parse(text) as { method: string } | { method: string }[];
        for (const call of Array.isArray(calls) ? calls : [calls]) methods.push(call.method);
        void fetch(chain.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: text }).then(async (answer) => {
          res.setHeader("content-type", "application/json");
          res.end(await answer.text());
        });
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const rpcUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    // The evidence batcher (which also talks to the chain) is kept out of the way.
    gw = await startTestGateway({ chain, configure: (f) => void ((f.chain.rpcUrl = rpcUrl), (f.audit = { batchIntervalMs: 3_600_000 })) });
    domain = gw.deps.chain.contracts.consentDomain;
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [batched] } })).status, 201);
    assert.equal((await gw.call("POST", "/v1/records", { token: his, json: single })).status, 201);
    doctor = await gw.signInStaff("hospital-doctor");
    // The doctor may read diagnosis and result; the hospital (any of its staff) result and unit.
    doctorGrant = await grant(asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor")), 1, [LAB_FIELDS.diagnosis, LAB_FIELDS.result]);
    institutionGrant = await grant(asGrantee(INSTITUTIONS.hospital), 0, [LAB_FIELDS.result, LAB_FIELDS.unit]);
  });
  after(async () => {
    await gw?.close();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await chain?.stop();
  });

  test("a read asks the chain exactly once: the doctor's grant first, the institution's for the other fields", async () => {
    for (const record of [batched, single]) {
      let out: { fields: string[]; withheld: string[]; grantIds: string[] } | undefined;
      const calls = await chainCallsOf(async () => {
        const res = await gw.call("POST", pathOf(record.recordId), { token: doctor.token, json: { purpose: "treatment" } });
        assert.equal(res.status, 200, await res.clone().text());
        out = await body(res);
      });
      assert.deepEqual(calls, ["eth_call"], `reading the ${record === single ? "singly" : "batch"} anchored record`);
      assert.deepEqual(out!.fields.sort(), ["diagnosis", "result", "unit"]);
      assert.deepEqual(out!.withheld, ["homeAddress"]);
      // result rests on the doctor's grant (asked first), unit on the institution's.
      assert.deepEqual(out!.grantIds, [doctorGrant, institutionGrant].sort());
    }
    const line = await gw.deps.db.accessLogLine.findFirst({ where: { recordId: single.recordId }, orderBy: { accessedAt: "desc" } });
    assert.deepEqual(JSON.parse(line!.grantIdsJson), [doctorGrant, institutionGrant].sort());
  });

  test("a refused read asks the chain once too, and a revocation mined before the read counts", async () => {
    const refused = await chainCallsOf(async () => {
      const res = await gw.call("POST", pathOf(batched.recordId), { token: doctor.token, json: { purpose: "treatment", fields: ["homeAddress"] } });
      assert.equal(res.status, 403);
    });
    assert.deepEqual(refused, ["eth_call"]);
    const token = (await gw.signInResident(RESIDENT)).token;
    const revoke = { grantId: institutionGrant, nonce: nextNonce(), deadline: now + 3600n };
    assert.equal((await gw.call("POST", "/v1/consents/revocations", { token, json: await signedRelay(RESIDENT, "ConsentRevocation", revoke, domain) })).status, 200);
    const res = await gw.call("POST", pathOf(batched.recordId), { token: doctor.token, json: { purpose: "treatment" } });
    assert.equal(res.status, 200);
    const out = await body<{ fields: string[]; grantIds: string[] }>(res);
    assert.deepEqual(out.fields.sort(), ["diagnosis", "result"]);
    assert.deepEqual(out.grantIds, [doctorGrant]);
  });

  test("readTogether answers as separate calls would: results, and a revert as the call's own error", async () => {
    const { consentRegistry, certificateRegistry } = gw.deps.chain.contracts;
    const doctorGrantee = asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor"));
    const fields = [LAB_FIELDS.diagnosis, LAB_FIELDS.unit, LAB_FIELDS.homeAddress, LAB_FIELDS.diagnosis];
    const args = (grantee: Hex, asked: readonly Hex[] = fields) =>
      [RESIDENT.address, grantee, batched.recordId, LAB, asked, PURPOSES.treatment.code, now] as const;
    const check = (grantee: Hex, asked?: readonly Hex[]) => ({
      address: consentRegistry.address,
      abi: consentRegistry.abi,
      functionName: "checkAccessFields",
      args: args(grantee, asked),
    });
    const missing = `0x${"ee".repeat(32)}` as Hex;
    const tooMany = Array.from({ length: 65 }, () => LAB_FIELDS.diagnosis);
    const answers = await gw.deps.chain.readTogether([
      check(doctorGrantee),
      check(asGrantee(INSTITUTIONS.hospital)),
      { address: certificateRegistry.address, abi: certificateRegistry.abi, functionName: "getCertificate", args: [missing] },
      check(doctorGrantee, tooMany),
    ]);
    const none = `0x${"00".repeat(32)}`;
    assert.deepEqual(answers[0], { status: "success", result: [[true, false, false, true], [doctorGrant, none, none, doctorGrant]] });
    assert.deepEqual(answers[0], { status: "success", result: await consentRegistry.read.checkAccessFields(args(doctorGrantee)) });
    assert.deepEqual(answers[1], { status: "success", result: await consentRegistry.read.checkAccessFields(args(asGrantee(INSTITUTIONS.hospital))) });
    for (const [index, alone] of [
      [2, certificateRegistry.read.getCertificate([missing])],
      [3, consentRegistry.read.checkAccessFields(args(doctorGrantee, tooMany))],
    ] as const) {
      assert.equal(answers[index]?.status, "failure");
      const aloneError = await (alone as Promise<unknown>).then(
        () => assert.fail(`call ${index} alone reverts`),
        (error: unknown) => toPlatformError(error),
      );
      const together = toPlatformError((answers[index] as { error: unknown }).error);
      assert.equal(together.code, "CONTRACT_REVERTED");
      assert.deepEqual(together.details, aloneError.details);
      assert.equal(together.message, aloneError.message);
    }
  });

  test("a read of every field of a record wider than one check still asks the chain once", async () => {
    const names = Array.from({ length: 70 }, (_, i) => `member${i}`);
    const wide = {
      ...labRecord("together-wide", RESIDENT.address),
      fields: Object.fromEntries(names.map((n) => [n, keccak256(toHex(`field:wide:${n}`))])),
      record: Object.fromEntries(names.map((n) => [n, n])),
    };
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [wide] } })).status, 201);
    // The doctor may read the last member (in the second slice), the hospital the first.
    const doctorWide = await grant(asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor")), 1, [wide.fields.member69!]);
    const hospitalWide = await grant(asGrantee(INSTITUTIONS.hospital), 0, [wide.fields.member0!]);
    let out: { fields: string[]; withheld: string[]; grantIds: string[] } | undefined;
    const calls = await chainCallsOf(async () => {
      const res = await gw.call("POST", pathOf(wide.recordId), { token: doctor.token, json: { purpose: "treatment" } });
      assert.equal(res.status, 200, await res.clone().text());
      out = await body(res);
    });
    assert.deepEqual(calls, ["eth_call"]);
    assert.deepEqual(out!.fields.sort(), ["member0", "member69"]);
    assert.equal(out!.withheld.length, 68);
    assert.deepEqual(out!.grantIds, [doctorWide, hospitalWide].sort());
  });

  test("a read of a record too wide for one answer asks at one block number in several eth_calls", async () => {
    // 300 fields x 2 grantees: ~39 KB of answers, over EIP-170's 24,576-byte cap on one creation result.
    const names = Array.from({ length: 300 }, (_, i) => `member${i}`);
    const wide = {
      ...labRecord("together-widest", RESIDENT.address),
      fields: Object.fromEntries(names.map((n) => [n, keccak256(toHex(`field:widest:${n}`))])),
      record: Object.fromEntries(names.map((n) => [n, n])),
    };
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [wide] } })).status, 201);
    const doctorGrant = await grant(asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor")), 1, [wide.fields.member299!]);
    let out: { fields: string[]; withheld: string[]; grantIds: string[] } | undefined;
    const calls = await chainCallsOf(async () => {
      const res = await gw.call("POST", pathOf(wide.recordId), { token: doctor.token, json: { purpose: "treatment" } });
      assert.equal(res.status, 200, await res.clone().text());
      out = await body(res);
    });
    assert.equal(calls[0], "eth_blockNumber");
    assert.ok(calls.length >= 3 && calls.slice(1).every((m) => m === "eth_call"), calls.join(","));
    assert.deepEqual(out!.fields, ["member299"]);
    assert.equal(out!.withheld.length, 299);
    assert.deepEqual(out!.grantIds, [doctorGrant]);
  });

  test("the reader's bytecode is its Solidity source compiled", () => {
    // The source is kept in the comment above READ_TOGETHER_BYTECODE.
    const source = / \* {5}\/\/ SPDX[\s\S]*?\n \*\n/.exec(readFileSync(new URL("../src/chain.ts", import.meta.url), "utf8"))?.[0];
    assert.ok(source, "the source comment");
    const content = source.split("\n").map((l) => l.replace(/^ \* {0,5}/, "")).join("\n");
    const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
    const out = JSON.parse(
      solc.compile(
        JSON.stringify({
          language: "Solidity",
          sources: { "ReadTogether.sol": { content } },
          settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "shanghai", metadata: { appendCBOR: false }, outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
        }),
      ),
    ) as { errors?: { severity: string; message: string }[]; contracts: Record<string, Record<string, { evm: { bytecode: { object: string } } }>> };
    assert.deepEqual(out.errors?.filter((e) => e.severity === "error") ?? [], []);
    assert.equal(`0x${out.contracts["ReadTogether.sol"]!.ReadTogether!.evm.bytecode.object}`, READ_TOGETHER_BYTECODE);
  });
});
