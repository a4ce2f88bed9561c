// The client address in the business audit log: a caller cannot forge it with X-Forwarded-For; only a
// configured trusted proxy may name the client, and then only the nearest untrusted hop counts.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { clientIp } from "../src/audit-log.ts";
import type { GatewayEnv } from "../src/context.ts";

describe("audit log: the client's address", () => {
  let server: ServerType;
  let base: string;
  let trusted: string[] = [];
  before(async () => {
    const app = new Hono<GatewayEnv>().get("/ip", (c) => c.json({ ip: clientIp(c, trusted) }));
    await new Promise<void>((ready) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => ready());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  const ipOf = async (forwardedFor?: string) =>
    ((await (await fetch(`${base}/ip`, { headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {} })).json()) as { ip: string }).ip;

  test("without trusted proxies, X-Forwarded-For is ignored: the socket's peer is recorded", async () => {
    trusted = [];
    assert.equal(await ipOf(), "127.0.0.1");
    assert.equal(await ipOf("203.0.113.66"), "127.0.0.1");
  });

  test("from a trusted proxy, the nearest address that is not a trusted proxy is the client", async () => {
    trusted = ["127.0.0.1", "10.0.0.2"];
    // A client prepending a forged address does not get it recorded: the proxy appended the real one.
    assert.equal(await ipOf("203.0.113.66, 198.51.100.7"), "198.51.100.7");
    assert.equal(await ipOf("198.51.100.7, 10.0.0.2"), "198.51.100.7");
    assert.equal(await ipOf("10.0.0.2"), "127.0.0.1");
    assert.equal(await ipOf(), "127.0.0.1");
  });
});
