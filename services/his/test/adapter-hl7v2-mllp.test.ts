import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Hl7Message } from "@medplum/core";
import { Hl7Client } from "@medplum/hl7";
import { isPlatformError } from "@health-chain/sdk";
import type { ParseResult } from "../src/adapters/types.ts";
import { type MllpListenerOptions, startMllpListener } from "../src/adapters/hl7v2/index.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/hl7v2/${name}`, import.meta.url), "utf8").trim().replace(/\r?\n/g, "\r");
const msa = (ack: Hl7Message) => [ack.getSegment("MSA")!.getField(1).toString(), ack.getSegment("MSA")!.getField(2).toString()];

interface Received {
  result: ParseResult;
  raw: string;
}

/** A listener on an ephemeral port of 127.0.0.1 and a client connected to it, closed after `body`. */
async function withListener(
  onMessage: MllpListenerOptions["onMessage"],
  body: (client: Hl7Client, port: number) => Promise<void>,
  extra: Partial<MllpListenerOptions> = {},
): Promise<void> {
  const listener = await startMllpListener({ host: "127.0.0.1", port: 0, onMessage, ...extra });
  const client = new Hl7Client({ host: "127.0.0.1", port: listener.port, ...(extra.encoding ? { encoding: extra.encoding } : {}) });
  try {
    await body(client, listener.port);
  } finally {
    await client.close();
    await listener.close();
  }
}

test("the ACK is sent only after onMessage resolved (AA), with the parse result and the message", async () => {
  const received: Received[] = [];
  let release!: () => void;
  const stored = new Promise<void>((resolve) => (release = resolve));
  await withListener(async (result, raw) => {
    received.push({ result, raw });
    await stored;
  }, async (client) => {
    let acked = false;
    const reply = client.sendAndWait(Hl7Message.parse(fixture("oru-r01-biochem.hl7")), { timeoutMs: 3000 }).then((ack) => {
      acked = true;
      return ack;
    });
    for (let waited = 0; received.length === 0 && waited < 3000; waited += 20) await sleep(20);
    assert.equal(received.length, 1, "onMessage was called");
    await sleep(100);
    assert.equal(acked, false, "no ACK while onMessage is pending");
    release();
    const ack = await reply;
    assert.deepEqual(msa(ack), ["AA", "LIS202403150457"]);
  });
  const [{ result, raw }] = received as [Received];
  assert.equal(result.items.length, 6);
  assert.deepEqual(result.rejected, []);
  assert.equal(result.items[0]!.fields.name, "王秀英", "UTF-8 Chinese over the wire");
  assert.ok(raw.startsWith("MSH|^~\\&|LIS|PD-TH-01"));
});

test("partly refused messages get AE with ERR segments, other message types AR; both reach onMessage for the quarantine", async () => {
  const received: Received[] = [];
  await withListener(async (result, raw) => {
    received.push({ result, raw });
  }, async (client) => {
    const mixed = await client.sendAndWait(Hl7Message.parse(fixture("oru-r01-mixed.hl7")), { timeoutMs: 3000 });
    assert.deepEqual(msa(mixed), ["AE", "SH03LIS0611000187"]);
    assert.deepEqual(mixed.getAllSegments("ERR").map((err) => err.getField(2).toString()), ["OBX^5^2", "OBX^7^11"]);
    const adt = await client.sendAndWait(Hl7Message.parse(fixture("adt-a01.hl7")), { timeoutMs: 3000 });
    assert.deepEqual(msa(adt), ["AR", "HIS20240601000231"]);
  });
  assert.deepEqual(received.map(({ result }) => [result.items.length, result.rejected.map((r) => r.reason)]), [
    [6, ["unsupported-value-type", "unsupported-result-status"]],
    [0, ["unsupported-message-type"]],
  ]);
});

test("when onMessage fails the sender gets AR with error 207, and the connection goes on", async () => {
  const errors: Error[] = [];
  let calls = 0;
  await withListener(async () => {
    if (++calls === 1) throw new Error("database unavailable");
  }, async (client) => {
    const refused = await client.sendAndWait(Hl7Message.parse(fixture("oru-r01-biochem.hl7")), { timeoutMs: 3000 });
    assert.deepEqual(msa(refused), ["AR", "LIS202403150457"]);
    const err = refused.getSegment("ERR")!;
    assert.equal(err.getField(3).getComponent(1), "207");
    assert.equal(err.getField(8).toString(), "消息未能保存，请稍后重发。");
    const retried = await client.sendAndWait(Hl7Message.parse(fixture("oru-r01-biochem.hl7")), { timeoutMs: 3000 });
    assert.deepEqual(msa(retried), ["AA", "LIS202403150457"]);
  }, { onError: (error) => errors.push(error) });
  assert.deepEqual(errors.map((error) => error.message), ["database unavailable"]);
});

test("a frame that is not HL7 (no MSH) is answered with AR over the raw socket", async () => {
  const errors: Error[] = [];
  await withListener(async () => {
    assert.fail("a frame without MSH never reaches onMessage");
  }, async (_client, port) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const reply = new Promise<string>((resolve) => {
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString("utf8");
        if (data.endsWith("\u001c\r")) resolve(data);
      });
    });
    socket.write(`\u000b${fixture("no-msh.hl7")}\u001c\r`);
    const ack = Hl7Message.parse((await reply).slice(1, -2));
    socket.destroy();
    assert.deepEqual(msa(ack), ["AR", ""]);
    assert.equal(ack.getSegment("ERR")!.getField(3).getComponent(1), "100");
  }, { onError: (error) => errors.push(error) });
  assert.equal(errors.length, 1);
});

test("messages of one connection are handled one after the other, in the order sent", async () => {
  const events: string[] = [];
  await withListener(async (result) => {
    const key = result.items[0]?.itemKey ?? result.rejected[0]!.itemKey;
    events.push(`start ${key}`);
    await sleep(key.startsWith("LIS202403150457") ? 150 : 10);
    events.push(`end ${key}`);
  }, async (client) => {
    const first = client.sendAndWait(Hl7Message.parse(fixture("oru-r01-biochem.hl7")), { timeoutMs: 3000 });
    const second = client.sendAndWait(Hl7Message.parse(fixture("oru-r01-corrected.hl7")), { timeoutMs: 3000 });
    assert.deepEqual([msa(await first)[0], msa(await second)[0]], ["AA", "AA"]);
  });
  assert.deepEqual(events, ["start LIS202403150457#PID", "end LIS202403150457#PID", "start LIS202403180012#PID", "end LIS202403180012#PID"]);
});

test("a GB18030 LIS is read with the configured encoding", async () => {
  let name: unknown;
  await withListener(async (result) => {
    name = result.items[0]!.fields.name;
  }, async (client) => {
    const ack = await client.sendAndWait(Hl7Message.parse(fixture("oru-r01-mixed.hl7")), { timeoutMs: 3000 });
    assert.equal(msa(ack)[0], "AE");
  }, { encoding: "gb18030" });
  assert.equal(name, "陈静");
});

test("close() lets a message in hand finish and be acknowledged, then stops listening", async () => {
  let release!: () => void;
  const stored = new Promise<void>((resolve) => (release = resolve));
  const listener = await startMllpListener({ host: "127.0.0.1", port: 0, onMessage: () => stored });
  const client = new Hl7Client({ host: "127.0.0.1", port: listener.port });
  const reply = client.sendAndWait(Hl7Message.parse(fixture("oru-r01-biochem.hl7")), { timeoutMs: 3000 });
  await sleep(100);
  const closing = listener.close();
  setTimeout(release, 100);
  assert.deepEqual(msa(await reply), ["AA", "LIS202403150457"]);
  await closing;
  await client.close();
  await assert.rejects(new Promise((resolve, reject) => net.connect({ host: "127.0.0.1", port: listener.port }).on("connect", resolve).on("error", reject)));
});

test("bad options are INVALID_INPUT; a port in use is an error, not a hang", async () => {
  const onMessage = async () => {};
  await assert.rejects(startMllpListener({ host: "", port: 0, onMessage }), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  await assert.rejects(startMllpListener({ host: "127.0.0.1", port: 70000, onMessage }), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  const first = await startMllpListener({ host: "127.0.0.1", port: 0, onMessage });
  try {
    await assert.rejects(startMllpListener({ host: "127.0.0.1", port: first.port, onMessage }), /EADDRINUSE/);
  } finally {
    await first.close();
  }
});
