// A read is sealed under its session's key: one SM2 encryption per session and gateway process, a
// fresh data key per read, and nothing one session can open of another's.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateSm2KeyPair, toHex, type ConsentDomain } from "@health-chain/sdk";
import { openForReader, type SealedForReader } from "@health-chain/store";
import { asGrantee, labGrant, labRecord, LAB_FIELDS, signedRelay } from "../../test/e2e/fixtures.ts";
import { openSealedRead } from "../src/client.ts";
import { readerSessionKeyOf } from "../src/reader-seal.ts";
import { doctorAccountOf } from "../src/routes/consent.ts";
import { body, devAccount, INSTITUTIONS, startTestGateway, type TestGateway } from "./helpers.ts";

const RESIDENT = devAccount(10);

describe("the reader session key of the process", () => {
  test("is made once per session public key (whatever its hex case) and differs across sessions", () => {
    const one = toHex(generateSm2KeyPair().publicKey);
    const other = toHex(generateSm2KeyPair().publicKey);
    const key = readerSessionKeyOf(one);
    assert.equal(readerSessionKeyOf(one), key);
    assert.equal(readerSessionKeyOf(one.toUpperCase().replace("0X", "0x")), key);
    assert.notEqual(readerSessionKeyOf(other).wrappedSessionKey, key.wrappedSessionKey);
  });
});

describe("reads sealed by the gateway", () => {
  let gw: TestGateway;
  let doctor: Awaited<ReturnType<TestGateway["signInStaff"]>>;
  let otherSession: Awaited<ReturnType<TestGateway["signInStaff"]>>;
  const input = labRecord("reader-seal-1", RESIDENT.address);
  const path = `/v1/access/records/${INSTITUTIONS.hospital}/${input.recordId}`;
  const now = BigInt(Math.floor(Date.now() / 1000));

  before(async () => {
    gw = await startTestGateway();
    const domain: ConsentDomain = gw.deps.chain.contracts.consentDomain;
    const his = (await gw.signInStaff("hospital-his")).token;
    assert.equal((await gw.call("POST", "/v1/records/batch", { token: his, json: { records: [input] } })).status, 201);
    doctor = await gw.signInStaff("hospital-doctor");
    otherSession = await gw.signInStaff("hospital-doctor"); // the same doctor, another session key
    const resident = await gw.signInResident(RESIDENT);
    const grant = labGrant(RESIDENT.address, asGrantee(doctorAccountOf(INSTITUTIONS.hospital, "hospital-doctor")), 1, [LAB_FIELDS.diagnosis, LAB_FIELDS.result], now);
    const res = await gw.call("POST", "/v1/consents/grants", { token: resident.token, json: await signedRelay(RESIDENT, "ConsentGrant", grant, domain) });
    assert.equal(res.status, 201);
  });
  after(() => gw.close());

  async function read(token: string): Promise<{ sealed: SealedForReader; context: string }> {
    const res = await gw.call("POST", path, { token, json: { purpose: "treatment" } });
    assert.equal(res.status, 200, await res.clone().text());
    return body<{ sealed: SealedForReader; context: string }>(res);
  }

  test("share one SM2-wrapped session key per session, with a fresh data key and envelope per read", async () => {
    const first = await read(doctor.token);
    const second = await read(doctor.token);
    const elsewhere = await read(otherSession.token);
    assert.equal(second.sealed.wrappedSessionKey, first.sealed.wrappedSessionKey);
    assert.notEqual(second.sealed.wrappedDataKey, first.sealed.wrappedDataKey);
    assert.notEqual(second.sealed.envelope, first.sealed.envelope);
    assert.notEqual(elsewhere.sealed.wrappedSessionKey, first.sealed.wrappedSessionKey);
    const expected = { diagnosis: input.record.diagnosis, result: input.record.result };
    for (const r of [first, second]) assert.deepEqual(openSealedRead({ ...r.sealed, context: r.context }, doctor), expected);
    assert.deepEqual(openSealedRead({ ...elsewhere.sealed, context: elsewhere.context }, otherSession), expected);
  });

  test("do not open with another session's key, nor under another record's context", async () => {
    const mine = await read(doctor.token);
    assert.throws(() => openSealedRead({ ...mine.sealed, context: mine.context }, otherSession), { code: "INTEGRITY_CHECK_FAILED" });
    assert.throws(() => openForReader(mine.sealed, toHex(doctor.sessionKeys.privateKey), { context: `${mine.context}-2` }), { code: "INTEGRITY_CHECK_FAILED" });
  });
});
