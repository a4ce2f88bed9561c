// The typed client against a real HTTP server (node-server) in front of the test gateway.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import { hexToBytes, type Hex } from "viem";
import { signSm2, sm3Hex, toHex, utf8 } from "@health-chain/sdk";
import { sealForReader } from "@health-chain/store";
import { createGatewayClient, openSealedRead, signInWithSm2, signInWithWallet } from "../src/client.ts";
import { INSTITUTIONS, devAccount, startTestGateway, type TestGateway } from "./helpers.ts";

describe("typed client", () => {
  let gw: TestGateway;
  let server: ServerType;
  let baseUrl: string;
  before(async () => {
    gw = await startTestGateway();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: gw.app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await gw?.close();
  });

  it("signs a system in with SM2 and issues a certificate through typed calls", async () => {
    const session = await signInWithSm2({ baseUrl, staffId: "eqa-system", privateKey: gw.staffKeys["eqa-system"]!.privateKey });
    assert.equal(session.principal.kind, "system");
    assert.equal(session.sessionKeys.publicKey.length, 65);
    const documentHash = sm3Hex(utf8("typed client certificate")) as Hex;
    const res = await session.client.v1.certificates.$post({
      json: {
        certificateNumber: "CLIENT-1",
        documentType: "eqaCertificate",
        subject: INSTITUTIONS.hospital,
        documentHash,
        issuerSignature: toHex(signSm2(hexToBytes(documentHash), gw.staffKeys["eqa-system"]!.privateKey)),
      },
    });
    assert.equal(res.status, 201);
    if (res.status !== 201) return;
    const issued = await res.json();
    const anonymous = createGatewayClient(baseUrl);
    const verified = await anonymous.v1.certificates[":certId"].verify.$get({ param: { certId: issued.certId }, query: { documentHash } });
    assert.equal(verified.status, 200);
    if (verified.status === 200) assert.equal((await verified.json()).valid, true);
    // Over real HTTP the audit row carries the client's address.
    const row = await gw.deps.db.auditLog.findFirst({ where: { action: "certificates.issue", target: issued.certId } });
    assert.equal(row?.ip, "127.0.0.1");
  });

  it("signs a resident in with a wallet, and opens what is sealed for the session", async () => {
    const account = devAccount(9);
    const session = await signInWithWallet({ baseUrl, address: account.address, signMessage: (m) => account.signMessage(m) });
    assert.equal(session.principal.wallet, account.address);
    const unread = await session.client.v1.notifications["unread-count"].$get();
    assert.equal(unread.status, 200);
    const sealed = sealForReader({ "lab.glucose": 5.4 }, toHex(session.sessionKeys.publicKey));
    assert.deepEqual(openSealedRead(sealed, session), { "lab.glucose": 5.4 });
    // A read answer carries the context its value is bound to; another record's context does not open it.
    const context = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8/0x01";
    const read = { ...sealForReader({ "lab.glucose": 5.4 }, toHex(session.sessionKeys.publicKey), { context }), context };
    assert.deepEqual(openSealedRead(read, session), { "lab.glucose": 5.4 });
    assert.throws(() => openSealedRead({ ...read, context: `${context}0` }, session), /integrity/i);
    const logout = await session.client.v1.auth.logout.$post();
    assert.equal(logout.status, 200);
    assert.equal((await session.client.v1.auth.session.$get()).status, 401);
  });

  it("reports a refused sign-in with its code", async () => {
    await assert.rejects(
      signInWithSm2({ baseUrl, staffId: "eqa-system", privateKey: gw.staffKeys["hospital-his"]!.privateKey }),
      (error: Error & { status?: number; code?: string }) => error.status === 401 && error.code === "SIGN_IN_FAILED",
    );
  });
});
