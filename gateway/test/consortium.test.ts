import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keccak256, stringToBytes } from "viem";
import { INSTITUTIONS, body, startTestGateway, type TestGateway } from "./helpers.ts";

describe("consortium", () => {
  let gw: TestGateway;
  let authorityAdmin: string;
  let hospitalAdmin: string;
  let eqaAdmin: string;
  before(async () => {
    gw = await startTestGateway();
    authorityAdmin = (await gw.signInStaff("authority-admin")).token;
    hospitalAdmin = (await gw.signInStaff("hospital-admin")).token;
    eqaAdmin = (await gw.signInStaff("eqa-admin")).token;
    await gw.syncMirror();
  });
  after(async () => {
    await gw?.close();
  });

  it("lists the members from the mirror with labelled kinds, statuses and roles", async () => {
    const doctor = await gw.signInStaff("hospital-doctor");
    const res = await gw.call("GET", "/v1/consortium/members", { token: doctor.token });
    assert.equal(res.status, 200);
    const { items } = await body<{ items: { institution: string; kind: { name: string; zh: string }; status: { name: string }; roles: string[]; added: { txHash: string } }[] }>(res);
    assert.equal(items.length, 4);
    const hospital = items.find((m) => m.institution === INSTITUTIONS.hospital);
    assert.equal(hospital?.kind.name, "hospital");
    assert.equal(hospital?.status.name, "active");
    assert.deepEqual(hospital?.roles.sort(), ["dataConsumer", "dataProvider"]);
    assert.match(hospital?.added.txHash ?? "", /^0x/);
    const one = await gw.call("GET", `/v1/consortium/members/${INSTITUTIONS.eqaCentre.toLowerCase()}`, { token: doctor.token });
    assert.equal((await body<{ kind: { name: string } }>(one)).kind.name, "eqaCentre");
    const none = await gw.call("GET", `/v1/consortium/members/0x${"11".repeat(20)}`, { token: doctor.token });
    assert.equal(none.status, 404);
  });

  it("relays an admin's proposal and the other members' votes until it is executed", async () => {
    const proposed = await gw.call("POST", "/v1/consortium/proposals", {
      token: authorityAdmin,
      json: { action: "createAlliance", kind: "medicalAlliance", name: "东区医联体 East District Medical Alliance", lead: INSTITUTIONS.hospital },
    });
    assert.equal(proposed.status, 201, await proposed.clone().text());
    const { proposalId, txHash } = await body<{ proposalId: string; txHash: string }>(proposed);
    assert.match(proposalId, /^\d+$/);
    assert.match(txHash, /^0x/);

    const first = await body<{ executed: boolean }>(await gw.call("POST", `/v1/consortium/proposals/${proposalId}/votes`, { token: hospitalAdmin, json: { support: true } }));
    assert.equal(first.executed, false);
    const second = await body<{ executed: boolean }>(await gw.call("POST", `/v1/consortium/proposals/${proposalId}/votes`, { token: eqaAdmin, json: { support: true } }));
    assert.equal(second.executed, true);

    const twice = await gw.call("POST", `/v1/consortium/proposals/${proposalId}/votes`, { token: eqaAdmin, json: { support: true } });
    assert.equal(twice.status, 502);
    assert.equal((await body<{ code: string }>(twice)).code, "CONTRACT_REVERTED");

    await gw.syncMirror();
    const proposal = await body<{ state: string; yes: number; votes: { voter: string; support: boolean }[]; action: { name: string } }>(
      await gw.call("GET", `/v1/consortium/proposals/${proposalId}`, { token: hospitalAdmin }),
    );
    assert.equal(proposal.state, "executed");
    assert.equal(proposal.action.name, "createAlliance");
    assert.equal(proposal.votes.length, 3);
    const list = await body<{ items: { proposalId: string }[] }>(await gw.call("GET", "/v1/consortium/proposals?limit=10", { token: hospitalAdmin }));
    assert.ok(list.items.some((p) => p.proposalId === proposalId));
    const alliances = await body<{ items: { allianceId: string; lead: string; kind: { name: string }; members: string[] }[] }>(
      await gw.call("GET", "/v1/consortium/alliances", { token: hospitalAdmin }),
    );
    const alliance = alliances.items.find((a) => a.allianceId === keccak256(stringToBytes("东区医联体 East District Medical Alliance")));
    assert.equal(alliance?.lead, INSTITUTIONS.hospital);
    assert.equal(alliance?.kind.name, "medicalAlliance");

    const audit = await gw.deps.db.auditLog.findMany({ where: { action: { in: ["consortium.propose", "consortium.vote"] } }, orderBy: { id: "asc" } });
    assert.deepEqual(
      audit.map((a) => [a.action, a.outcome]),
      [
        ["consortium.propose", "success"],
        ["consortium.vote", "success"],
        ["consortium.vote", "success"],
        ["consortium.vote", "failure"],
      ],
    );
  });

  it("refuses proposals from non-admins (403), anonymous callers (401) and bad input (400)", async () => {
    const doctor = await gw.signInStaff("hospital-doctor");
    const body1 = { action: "setGovernance", thresholdBps: 5000, votingPeriodSeconds: 86400 };
    const refused = await gw.call("POST", "/v1/consortium/proposals", { token: doctor.token, json: body1 });
    assert.equal(refused.status, 403);
    assert.equal((await body(refused)).code, "ROLE_REQUIRED");
    assert.equal((await gw.call("POST", "/v1/consortium/proposals", { json: body1 })).status, 401);
    assert.equal((await gw.call("GET", "/v1/consortium/members")).status, 401);
    const before = await gw.deps.db.auditLog.count();
    for (const bad of [
      { action: "dissolve" },
      { action: "setGovernance", thresholdBps: 0, votingPeriodSeconds: 86400 },
      { action: "addMember", institution: "0x12", kind: "hospital", name: "X", roles: [] },
      { action: "addMember", institution: INSTITUTIONS.platform, kind: "castle", name: "X", roles: [] },
    ]) {
      const res = await gw.call("POST", "/v1/consortium/proposals", { token: authorityAdmin, json: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal((await body(res)).code, "INVALID_INPUT");
    }
    const badVote = await gw.call("POST", "/v1/consortium/proposals/0/votes", { token: authorityAdmin, json: { support: true } });
    assert.equal(badVote.status, 400);
    assert.equal(await gw.deps.db.auditLog.count(), before);
  });
});
