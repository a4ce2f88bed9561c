import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { notify } from "../src/notify.ts";
import { body, startTestGateway, type TestGateway } from "./helpers.ts";

describe("notifications", () => {
  let gw: TestGateway;
  let alice: { token: string; address: string };
  let bob: { token: string; address: string };
  before(async () => {
    gw = await startTestGateway();
    alice = await gw.signInResident(6);
    bob = await gw.signInResident(7);
    for (let i = 0; i < 3; i++) await notify({ db: gw.deps.db }, alice.address, "access-requested", { requestId: `0x${i}`, doctor: "hospital-doctor" });
    await notify({ db: gw.deps.db }, bob.address.toLowerCase(), "grant-used", { grantId: "0x01" });
  });
  after(async () => {
    await gw?.close();
  });

  it("lists only the resident's own messages, newest first, with paging", async () => {
    const first = await body<{ items: { id: number; kind: string; payload: { requestId: string } }[]; nextCursor?: string }>(
      await gw.call("GET", "/v1/notifications?limit=2", { token: alice.token }),
    );
    assert.equal(first.items.length, 2);
    assert.equal(first.items[0]?.payload.requestId, "0x2");
    assert.ok(first.nextCursor);
    const second = await body<{ items: unknown[]; nextCursor?: string }>(await gw.call("GET", `/v1/notifications?limit=2&cursor=${first.nextCursor}`, { token: alice.token }));
    assert.equal(second.items.length, 1);
    assert.equal(second.nextCursor, undefined);
    const bobs = await body<{ items: { kind: string }[] }>(await gw.call("GET", "/v1/notifications", { token: bob.token }));
    assert.deepEqual(bobs.items.map((n) => n.kind), ["grant-used"]);
  });

  it("counts unread, marks one and all read, and hides other residents' messages", async () => {
    const count = async (token: string) => (await body<{ unread: number }>(await gw.call("GET", "/v1/notifications/unread-count", { token }))).unread;
    assert.equal(await count(alice.token), 3);
    const list = await body<{ items: { id: number }[] }>(await gw.call("GET", "/v1/notifications", { token: alice.token }));
    const id = list.items[0]!.id;
    const marked = await gw.call("POST", `/v1/notifications/${id}/read`, { token: alice.token });
    assert.equal(marked.status, 200);
    assert.ok((await body<{ readAt: string }>(marked)).readAt);
    assert.equal(await count(alice.token), 2);
    const unread = await body<{ items: unknown[] }>(await gw.call("GET", "/v1/notifications?unread=true", { token: alice.token }));
    assert.equal(unread.items.length, 2);

    const foreign = await gw.call("POST", `/v1/notifications/${id}/read`, { token: bob.token });
    assert.equal(foreign.status, 404);
    assert.equal((await body(foreign)).code, "NOT_FOUND");

    const all = await body<{ updated: number }>(await gw.call("POST", "/v1/notifications/read-all", { token: alice.token }));
    assert.equal(all.updated, 2);
    assert.equal(await count(alice.token), 0);
    assert.equal(await count(bob.token), 1);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: { startsWith: "notifications." }, outcome: "success" } }), 2);
  });

  it("refuses anonymous (401), staff (403 ROLE_REQUIRED) and bad input (400)", async () => {
    const anonymous = await gw.call("GET", "/v1/notifications");
    assert.equal(anonymous.status, 401);
    assert.equal((await body(anonymous)).code, "UNAUTHENTICATED");
    const doctor = await gw.signInStaff("hospital-doctor");
    const staff = await gw.call("GET", "/v1/notifications", { token: doctor.token });
    assert.equal(staff.status, 403);
    assert.equal((await body(staff)).code, "ROLE_REQUIRED");
    const before = await gw.deps.db.auditLog.count();
    for (const path of ["/v1/notifications?limit=0", "/v1/notifications?cursor=abc", "/v1/notifications?unread=maybe"]) {
      const res = await gw.call("GET", path, { token: alice.token });
      assert.equal(res.status, 400, path);
      assert.equal((await body(res)).code, "INVALID_INPUT");
    }
    const badId = await gw.call("POST", "/v1/notifications/x/read", { token: alice.token });
    assert.equal(badId.status, 400);
    assert.equal(await gw.deps.db.auditLog.count(), before);
  });
});
