import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket as WsClient } from "ws";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { RpcCode, RpcError } from "../src/rpc/errors.ts";
import { startRpcServer, type RpcServer, type RpcServerOptions } from "../src/rpc/server.ts";
import type { RpcBackend, RpcContext } from "../src/rpc/types.ts";

// Helpers ----------------------------------------------------------------------------------------

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function withTimeout<T>(promise: Promise<T>, ms = 2_000, what = "operation"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A backend whose methods exercise the server: results, errors, delays and WebSocket notifications. */
class FakeBackend implements RpcBackend {
  readonly calls: { method: string; params: unknown; context: RpcContext }[] = [];
  gate = deferred();
  gateReached = deferred();

  async dispatch(method: string, params: unknown, context: RpcContext): Promise<unknown> {
    this.calls.push({ method, params, context });
    switch (method) {
      case "eth_chainId":
        return "0x539";
      case "echo":
        return params;
      case "nothing":
        return undefined;
      case "transport":
        return context.transport;
      case "delay": {
        const [ms, value] = params as [number, unknown];
        await sleep(ms);
        return value;
      }
      case "wait":
        this.gateReached.resolve();
        await this.gate.promise;
        return "done";
      case "revert":
        throw new RpcError(RpcCode.EXECUTION_REVERTED, "execution reverted: not a member", "0x08c379a0");
      case "nonceTooLow":
        throw new RpcError(RpcCode.SERVER_ERROR, "nonce too low: next nonce 5, tx nonce 4");
      case "bigintData":
        throw new RpcError(RpcCode.SERVER_ERROR, "bad data", 1n);
      case "bigintResult":
        return 1n;
      case "boom":
        throw new Error("database password is hunter2");
      case "notifyNow":
        // A notification sent before the call returns must still reach the client after the response.
        context.notify?.({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x1", result: "early" } });
        return "0x1";
      case "notifyLater": {
        const notify = context.notify;
        setTimeout(() => notify?.({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x2", result: "late" } }), 10);
        return "0x2";
      }
      case "flood": {
        const [count, size] = params as [number, number];
        const payload = "x".repeat(size);
        for (let i = 0; i < count; i++) context.notify?.({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x3", result: payload } });
        return count;
      }
      case "onClose":
        context.onClose?.(() => this.closedConnections++);
        return true;
      default:
        throw new RpcError(RpcCode.METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`);
    }
  }

  closedConnections = 0;
}

function captureLogs(): { lines: Record<string, unknown>[]; destination: { write(line: string): void } } {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function rpc(url: string, payload: unknown): Promise<unknown> {
  const result = await post(url, JSON.stringify(payload));
  assert.equal(result.status, 200);
  return JSON.parse(result.text);
}

interface Client {
  ws: WebSocket;
  closed: Promise<CloseEvent>;
  next(): Promise<unknown>;
  request(payload: unknown): Promise<unknown>;
}

async function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const queue: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  ws.addEventListener("message", (event) => {
    const message: unknown = JSON.parse(String(event.data));
    const waiter = waiters.shift();
    if (waiter === undefined) queue.push(message);
    else waiter(message);
  });
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error("WebSocket connection failed")));
    }),
    2_000,
    "WebSocket open",
  );
  const next = (): Promise<unknown> =>
    withTimeout(queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise<unknown>((resolve) => waiters.push(resolve)), 2_000, "WebSocket message");
  return {
    ws,
    closed,
    next,
    request(payload) {
      ws.send(typeof payload === "string" ? payload : JSON.stringify(payload));
      return next();
    },
  };
}

async function start(backend: RpcBackend, options: Partial<RpcServerOptions> = {}): Promise<RpcServer> {
  return startRpcServer({ host: "127.0.0.1", port: 0, backend, health: () => ({ ok: true }), ...options });
}

// HTTP JSON-RPC ----------------------------------------------------------------------------------

describe("HTTP JSON-RPC", () => {
  const backend = new FakeBackend();
  const logs = captureLogs();
  let server: RpcServer;
  before(async () => {
    server = await start(backend, { maxBatch: 3, logger: createLogger({ destination: logs.destination }) });
  });
  after(() => server.close());

  test("answers a call with its id and result", async () => {
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 7, method: "eth_chainId", params: [] }), { jsonrpc: "2.0", id: 7, result: "0x539" });
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: "a", method: "eth_chainId" }), { jsonrpc: "2.0", id: "a", result: "0x539" });
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: null, method: "eth_chainId" }), { jsonrpc: "2.0", id: null, result: "0x539" });
  });

  test("answers on any path and accepts JSON media types with parameters", async () => {
    const result = await post(`${server.url}/rpc/v1?x=1`, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', { "content-type": "application/json; charset=utf-8" });
    assert.equal(result.status, 200);
    assert.equal(result.headers.get("content-type"), "application/json");
    assert.deepEqual(JSON.parse(result.text), { jsonrpc: "2.0", id: 1, result: "0x539" });
  });

  test("passes params through untouched and an undefined result as null", async () => {
    for (const params of [[1, "a", { b: null }], { named: true }]) {
      assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "echo", params }), { jsonrpc: "2.0", id: 1, result: params });
    }
    backend.calls.length = 0;
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "echo" }), { jsonrpc: "2.0", id: 1, result: null });
    assert.equal(backend.calls[0]?.params, undefined);
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "nothing" }), { jsonrpc: "2.0", id: 2, result: null });
  });

  test("gives the backend an HTTP context without notify or onClose", async () => {
    backend.calls.length = 0;
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "transport" }), { jsonrpc: "2.0", id: 1, result: "http" });
    const context = backend.calls[0]?.context;
    assert.equal(context?.notify, undefined);
    assert.equal(context?.onClose, undefined);
  });

  test("invalid JSON is a parse error with a null id", async () => {
    for (const body of ["{", '{"jsonrpc":"2.0",', "", "nul"]) {
      const result = await post(server.url, body);
      assert.equal(result.status, 200);
      assert.equal(result.text, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}');
    }
  });

  test("a request that is not a JSON-RPC 2.0 call is an invalid request, with its id when it has one", async () => {
    const invalid = (id: unknown) => ({ jsonrpc: "2.0", id, error: { code: -32600, message: "invalid request" } });
    assert.deepEqual(await rpc(server.url, 1), invalid(null));
    assert.deepEqual(await rpc(server.url, "eth_chainId"), invalid(null));
    assert.deepEqual(await rpc(server.url, null), invalid(null));
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 4 }), invalid(4));
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 5, method: 12 }), invalid(5));
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 6, method: "" }), invalid(6));
    assert.deepEqual(await rpc(server.url, { jsonrpc: "1.0", id: "x", method: "eth_chainId" }), invalid("x"));
    assert.deepEqual(await rpc(server.url, { id: 8, method: "eth_chainId" }), invalid(8));
    // An id must be a string, a number or null.
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: { a: 1 }, method: "eth_chainId" }), invalid(null));
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: true, method: "eth_chainId" }), invalid(null));
    // Without an id, a broken request is still answered: it cannot be told apart from a broken call.
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0" }), invalid(null));
  });

  test("an empty batch is a single invalid request error", async () => {
    assert.deepEqual(await rpc(server.url, []), { jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } });
  });

  test("a batch over maxBatch is refused as geth does: one error carrying the first call's id", async () => {
    backend.calls.length = 0;
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "eth_chainId" });
    const notification = { jsonrpc: "2.0", method: "eth_chainId" };
    assert.deepEqual(await rpc(server.url, [notification, call(11), call(12), call(13)]), [
      { jsonrpc: "2.0", id: 11, error: { code: -32600, message: "batch too large" } },
    ]);
    assert.deepEqual(await rpc(server.url, [notification, notification, notification, notification]), [
      { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch too large" } },
    ]);
    assert.equal(backend.calls.length, 0, "nothing of an oversized batch runs");
    assert.equal((await rpc(server.url, [call(1), call(2), call(3)]) as unknown[]).length, 3);
  });

  test("each invalid member of a batch gets its own error", async () => {
    assert.deepEqual(await rpc(server.url, [1, { jsonrpc: "2.0", id: 2, method: "eth_chainId" }]), [
      { jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } },
      { jsonrpc: "2.0", id: 2, result: "0x539" },
    ]);
  });

  test("runs batch members concurrently and answers them in request order", async () => {
    const started = performance.now();
    const response = await rpc(server.url, [
      { jsonrpc: "2.0", id: "slow", method: "delay", params: [150, "first"] },
      { jsonrpc: "2.0", id: "fast", method: "delay", params: [1, "second"] },
      { jsonrpc: "2.0", id: "mid", method: "delay", params: [150, "third"] },
    ]);
    assert.ok(performance.now() - started < 290, "the two slow calls overlap");
    assert.deepEqual(response, [
      { jsonrpc: "2.0", id: "slow", result: "first" },
      { jsonrpc: "2.0", id: "fast", result: "second" },
      { jsonrpc: "2.0", id: "mid", result: "third" },
    ]);
  });

  test("notifications run but get no response: an empty 200 when nothing is due", async () => {
    backend.calls.length = 0;
    const single = await post(server.url, JSON.stringify({ jsonrpc: "2.0", method: "echo", params: ["n1"] }));
    assert.equal(single.status, 200);
    assert.equal(single.text, "");
    const batch = await post(server.url, JSON.stringify([{ jsonrpc: "2.0", method: "echo", params: ["n2"] }, { jsonrpc: "2.0", method: "boom" }]));
    assert.equal(batch.status, 200);
    assert.equal(batch.text, "");
    assert.deepEqual(
      backend.calls.map((call) => call.params),
      [["n1"], ["n2"], undefined],
    );
    const mixed = await rpc(server.url, [
      { jsonrpc: "2.0", method: "echo", params: ["skip"] },
      { jsonrpc: "2.0", id: 1, method: "echo", params: ["keep"] },
      { jsonrpc: "2.0", method: "revert" },
    ]);
    assert.deepEqual(mixed, [{ jsonrpc: "2.0", id: 1, result: ["keep"] }]);
  });

  test("an RpcError keeps its code, message and data", async () => {
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "revert" }), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: 3, message: "execution reverted: not a member", data: "0x08c379a0" },
    });
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "nonceTooLow" }), {
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32000, message: "nonce too low: next nonce 5, tx nonce 4" },
    });
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 3, method: "eth_nope" }), {
      jsonrpc: "2.0",
      id: 3,
      error: { code: -32601, message: "the method eth_nope does not exist/is not available" },
    });
  });

  test("any other error is -32603 internal error: logged, never sent", async () => {
    logs.lines.length = 0;
    const result = await post(server.url, JSON.stringify({ jsonrpc: "2.0", id: 9, method: "boom" }));
    assert.equal(result.text, '{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"internal error"}}');
    assert.doesNotMatch(result.text, /hunter2|at |stack/);
    const logged = logs.lines.find((line) => line.msg === "JSON-RPC method failed");
    assert.ok(logged !== undefined);
    assert.equal(logged.method, "boom");
    assert.equal(logged.name, "chain-node");
    assert.equal(logged.level, 50);
    assert.match(String((logged.err as { message: string }).message), /hunter2/);
    assert.match(String((logged.err as { stack: string }).stack), /rpc-server\.test\.ts/);
  });

  test("an unserializable result or error data is an internal error", async () => {
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "bigintResult" }), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: "internal error" },
    });
    assert.deepEqual(await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "bigintData" }), {
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32603, message: "internal error" },
    });
  });

  test("a POST without a JSON content type is 415", async () => {
    for (const headers of [{ "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }]) {
      const result = await post(server.url, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', headers);
      assert.equal(result.status, 415);
      assert.deepEqual(JSON.parse(result.text), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "invalid content type, only application/json is supported" },
      });
    }
    const bare = await fetch(server.url, { method: "POST", body: new Uint8Array([123, 125]) });
    assert.equal(bare.status, 415);
    await bare.text();
  });

  test("GET / is 405 with a hint; other methods are 405 too", async () => {
    const response = await fetch(server.url);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST, OPTIONS");
    const body = (await response.json()) as { hint: string };
    assert.match(body.hint, /POST/);
    const put = await fetch(server.url, { method: "PUT", body: "{}" });
    assert.equal(put.status, 405);
    await put.text();
    const postHealth = await post(`${server.url}/health`, "{}");
    assert.equal(postHealth.status, 405);
  });
});

describe("request body limit", () => {
  const backend = new FakeBackend();
  let server: RpcServer;
  before(async () => {
    server = await start(backend, { maxBodyBytes: 4096 });
  });
  after(() => server.close());

  const tooLarge = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "request body too large (max 4096 bytes)" } };

  test("accepts a body of exactly the limit", async () => {
    const prefix = '{"jsonrpc":"2.0","id":1,"method":"echo","params":["';
    const suffix = '"]}';
    const body = prefix + "a".repeat(4096 - prefix.length - suffix.length) + suffix;
    assert.equal(Buffer.byteLength(body), 4096);
    const result = await post(server.url, body);
    assert.equal(result.status, 200);
  });

  test("refuses a declared Content-Length over the limit with 413 before reading", async () => {
    const result = await post(server.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo", params: ["a".repeat(5000)] }));
    assert.equal(result.status, 413);
    assert.equal(result.headers.get("connection"), "close");
    assert.deepEqual(JSON.parse(result.text), tooLarge);
  });

  test("aborts an endless chunked body once it passes the limit and closes the connection", async () => {
    const outcome = await withTimeout(
      new Promise<{ status: number | undefined; body: string; written: number }>((resolve, reject) => {
        const req = httpRequest(server.url, { method: "POST", headers: { "content-type": "application/json" } });
        let written = 0;
        let body = "";
        let status: number | undefined;
        const chunk = Buffer.alloc(1024, 0x20);
        const pump = setInterval(() => {
          if (!req.destroyed && req.writable) {
            req.write(chunk);
            written += chunk.length;
          }
        }, 1);
        req.on("response", (res) => {
          status = res.statusCode;
          res.setEncoding("utf8");
          res.on("data", (text: string) => (body += text));
        });
        // Once the server closes, further writes fail (EPIPE / ECONNRESET): expected.
        req.on("error", () => {});
        req.on("close", () => {
          clearInterval(pump);
          if (status === undefined) reject(new Error("connection closed without a response"));
          else resolve({ status, body, written });
        });
        req.write("[");
      }),
      3_000,
      "oversized upload",
    );
    assert.equal(outcome.status, 413);
    assert.deepEqual(JSON.parse(outcome.body), tooLarge);
    assert.ok(outcome.written < 1024 * 1024, "the server did not keep reading");
    assert.equal(backend.calls.length, 1, "only the request of exactly the limit reached the backend");
  });
});

describe("health, metrics and CORS", () => {
  let healthy = true;
  let server: RpcServer;
  before(async () => {
    server = await start(new FakeBackend(), {
      health: () => ({ ok: healthy, head: "0x10" }),
      metricsText: () => Promise.resolve("# HELP x y\nx 1\n"),
    });
  });
  after(() => server.close());

  test("GET /health is 200 with the report when ok, 503 otherwise", async () => {
    let response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, head: "0x10" });
    healthy = false;
    response = await fetch(`${server.url}/health?verbose`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ok: false, head: "0x10" });
    healthy = true;
  });

  test("a failing health check is 503", async () => {
    const logs = captureLogs();
    const failing = await start(new FakeBackend(), {
      health: () => {
        throw new Error("disk on fire");
      },
      logger: createLogger({ destination: logs.destination }),
    });
    try {
      const response = await fetch(`${failing.url}/health`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { ok: false, error: "health check failed" });
      assert.ok(logs.lines.some((line) => line.msg === "health check failed"));
    } finally {
      await failing.close();
    }
  });

  test("GET /metrics is Prometheus text; 404 without metricsText", async () => {
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(await response.text(), "# HELP x y\nx 1\n");
    const bare = await start(new FakeBackend());
    try {
      const missing = await fetch(`${bare.url}/metrics`);
      assert.equal(missing.status, 404);
      await missing.text();
    } finally {
      await bare.close();
    }
  });

  test("answers a CORS preflight and sets Access-Control-Allow-Origin on responses", async () => {
    const preflight = await fetch(server.url, {
      method: "OPTIONS",
      headers: { origin: "https://portal.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-trace" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.equal(preflight.headers.get("access-control-allow-methods"), "POST, GET, OPTIONS");
    assert.equal(preflight.headers.get("access-control-allow-headers"), "content-type, x-trace");
    assert.equal(preflight.headers.get("access-control-max-age"), "600");
    const result = await post(server.url, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', { origin: "https://portal.example" });
    assert.equal(result.headers.get("access-control-allow-origin"), "*");
  });

  test("with an origin list, echoes allowed origins only and refuses WebSockets from others", async () => {
    const restricted = await start(new FakeBackend(), { cors: ["https://portal.example"] });
    try {
      const allowed = await post(restricted.url, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', { origin: "https://portal.example" });
      assert.equal(allowed.headers.get("access-control-allow-origin"), "https://portal.example");
      assert.equal(allowed.headers.get("vary"), "Origin");
      const other = await post(restricted.url, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', { origin: "https://evil.example" });
      assert.equal(other.headers.get("access-control-allow-origin"), null);
      const preflight = await fetch(restricted.url, { method: "OPTIONS", headers: { origin: "https://evil.example" } });
      assert.equal(preflight.headers.get("access-control-allow-origin"), null);
      assert.equal(preflight.headers.get("access-control-allow-methods"), null);

      const refused = await new Promise<number>((resolve) => {
        const ws = new WsClient(restricted.wsUrl, { origin: "https://evil.example" });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", () => {});
      });
      assert.equal(refused, 403);
      const client = await connect(restricted.wsUrl);
      assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }), { jsonrpc: "2.0", id: 1, result: "0x539" });
      client.ws.close();
    } finally {
      await restricted.close();
    }
  });
});

// WebSocket --------------------------------------------------------------------------------------

describe("WebSocket JSON-RPC", () => {
  const backend = new FakeBackend();
  let server: RpcServer;
  before(async () => {
    server = await start(backend, { maxBodyBytes: 64 * 1024, maxBatch: 3 });
  });
  after(() => server.close());

  test("answers requests and batches with the same semantics as HTTP", async () => {
    const client = await connect(server.wsUrl);
    assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 1, method: "transport" }), { jsonrpc: "2.0", id: 1, result: "ws" });
    assert.deepEqual(await client.request([{ jsonrpc: "2.0", id: 1, method: "delay", params: [50, "a"] }, { jsonrpc: "2.0", method: "echo" }, { jsonrpc: "2.0", id: 2, method: "revert" }]), [
      { jsonrpc: "2.0", id: 1, result: "a" },
      { jsonrpc: "2.0", id: 2, error: { code: 3, message: "execution reverted: not a member", data: "0x08c379a0" } },
    ]);
    assert.deepEqual(await client.request("{oops"), { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    assert.deepEqual(await client.request([]), { jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } });
    assert.deepEqual(await client.request([1, 2, 3, 4]), [{ jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch too large" } }]);
    assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 3, method: "boom" }), { jsonrpc: "2.0", id: 3, error: { code: -32603, message: "internal error" } });
    // A notification gets nothing back: the next message is the answer to the following call.
    client.ws.send(JSON.stringify({ jsonrpc: "2.0", method: "echo" }));
    assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 4, method: "eth_chainId" }), { jsonrpc: "2.0", id: 4, result: "0x539" });
    client.ws.close();
    await client.closed;
  });

  test("notify sends on the caller's socket, after the response of the call that caused it", async () => {
    const client = await connect(server.wsUrl);
    assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 1, method: "notifyNow" }), { jsonrpc: "2.0", id: 1, result: "0x1" });
    assert.deepEqual(await client.next(), { jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x1", result: "early" } });
    assert.deepEqual(await client.request({ jsonrpc: "2.0", id: 2, method: "notifyLater" }), { jsonrpc: "2.0", id: 2, result: "0x2" });
    assert.deepEqual(await client.next(), { jsonrpc: "2.0", method: "eth_subscription", params: { subscription: "0x2", result: "late" } });
    client.ws.close();
    await client.closed;
  });

  test("runs onClose callbacks when the connection closes, and at once when it already has", async () => {
    const client = await connect(server.wsUrl);
    const before = backend.closedConnections;
    await client.request({ jsonrpc: "2.0", id: 1, method: "onClose" });
    await client.request({ jsonrpc: "2.0", id: 2, method: "onClose" });
    const context = backend.calls.at(-1)?.context;
    client.ws.close();
    await client.closed;
    await sleep(20);
    assert.equal(backend.closedConnections, before + 2);
    context?.onClose?.(() => backend.closedConnections++);
    assert.equal(backend.closedConnections, before + 3);
    // A notification to a closed connection is dropped, not thrown.
    context?.notify?.({ dropped: true });
  });

  test("closes the connection (1009) on a message over maxBodyBytes", async () => {
    const client = await connect(server.wsUrl);
    client.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "echo", params: ["a".repeat(70 * 1024)] }));
    const event = await withTimeout(client.closed);
    assert.equal(event.code, 1009);
  });

  test("disconnects a client that does not keep up with 1008", async () => {
    const slow = await start(backend, { wsMaxBufferedBytes: 1024 * 1024 });
    try {
      const client = await connect(slow.wsUrl);
      let notifications = 0;
      client.ws.addEventListener("message", (event) => {
        if (String(event.data).includes("eth_subscription")) notifications++;
      });
      client.ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "flood", params: [200, 256 * 1024] }));
      const event = await withTimeout(client.closed, 5_000, "slow client disconnect");
      assert.equal(event.code, 1008);
      assert.ok(notifications < 200, `only part of the flood was sent (${notifications})`);
    } finally {
      await slow.close();
    }
  });

  test("terminates clients that stop answering pings", async () => {
    const pinging = await start(backend, { wsPingIntervalMs: 50 });
    try {
      const silent = new WsClient(pinging.wsUrl, { autoPong: false });
      const healthy = await connect(pinging.wsUrl);
      const code = await withTimeout(
        new Promise<number>((resolve) => silent.on("close", (closeCode) => resolve(closeCode))),
        2_000,
        "dead client termination",
      );
      assert.equal(code, 1006);
      assert.equal(healthy.ws.readyState, WebSocket.OPEN);
      assert.deepEqual(await healthy.request({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }), { jsonrpc: "2.0", id: 1, result: "0x539" });
      healthy.ws.close();
    } finally {
      await pinging.close();
    }
  });
});

// Metrics and logging ----------------------------------------------------------------------------

describe("metrics", () => {
  test("records per-method latency and outcome; unknown methods collapse to method=\"unknown\"", async () => {
    const metrics = createMetrics({ knownMethods: new Set(["eth_chainId", "revert"]) });
    const server = await start(new FakeBackend(), { metrics, metricsText: () => metrics.text() });
    try {
      await rpc(server.url, [
        { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
        { jsonrpc: "2.0", id: 2, method: "eth_chainId" },
        { jsonrpc: "2.0", id: 3, method: "revert" },
        { jsonrpc: "2.0", id: 4, method: "random_a" },
        { jsonrpc: "2.0", id: 5, method: "random_b" },
      ]);
      const response = await fetch(`${server.url}/metrics`);
      const text = await response.text();
      assert.match(text, /^chain_node_rpc_requests_total\{method="eth_chainId",outcome="ok"\} 2$/m);
      assert.match(text, /^chain_node_rpc_requests_total\{method="revert",outcome="error"\} 1$/m);
      assert.match(text, /^chain_node_rpc_requests_total\{method="unknown",outcome="error"\} 2$/m);
      assert.doesNotMatch(text, /random_/);
      assert.match(text, /^chain_node_rpc_request_duration_seconds_bucket\{le="0\.0005",method="eth_chainId"\} \d+$/m);
      assert.match(text, /^chain_node_rpc_request_duration_seconds_bucket\{le="10",method="eth_chainId"\} 2$/m);
      assert.match(text, /^chain_node_rpc_request_duration_seconds_count\{method="eth_chainId"\} 2$/m);
    } finally {
      await server.close();
    }
  });

  test("exposes chain, pool and process series in its own registry", async () => {
    const metrics = createMetrics();
    const other = createMetrics({ prefix: "other_", processMetrics: false });
    metrics.setHead(41n);
    metrics.setPool(12, 3);
    metrics.observeBlock({ number: 42n, txCount: 0, buildSeconds: 0.002, timestampMs: 1_000 });
    metrics.observeBlock({ number: 43n, txCount: 1500, buildSeconds: 0.3, timestampMs: 2_500 });
    metrics.observeBlock({ number: 45n, txCount: 10, buildSeconds: 0.01, timestampMs: 9_000 });
    metrics.observeRpc("eth_sendRawTransaction", 0.001, true);
    const text = await metrics.text();
    assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(text, /^chain_node_head_block 45$/m);
    assert.match(text, /^chain_node_txpool_pending 12$/m);
    assert.match(text, /^chain_node_txpool_queued 3$/m);
    assert.match(text, /^chain_node_peers 0$/m);
    assert.match(text, /^chain_node_blocks_total 3$/m);
    assert.match(text, /^chain_node_transactions_total 1510$/m);
    // Only 42 → 43 is a consecutive pair (1.5 s); 43 → 45 skips a block.
    assert.match(text, /^chain_node_block_interval_seconds_count 1$/m);
    assert.match(text, /^chain_node_block_interval_seconds_sum 1\.5$/m);
    assert.match(text, /^chain_node_block_build_seconds_count 3$/m);
    assert.match(text, /^chain_node_block_transactions_bucket\{le="0"\} 1$/m);
    assert.match(text, /^chain_node_block_transactions_sum 1510$/m);
    assert.match(text, /^chain_node_rpc_requests_total\{method="eth_sendRawTransaction",outcome="ok"\} 1$/m);
    assert.match(text, /^chain_node_process_cpu_seconds_total /m);
    assert.match(text, /^chain_node_nodejs_eventloop_lag_seconds /m);
    const otherText = await other.text();
    assert.match(otherText, /^other_blocks_total 0$/m);
    assert.doesNotMatch(otherText, /process_cpu|chain_node_/);
  });

  test("accepts a predicate for known methods", async () => {
    const metrics = createMetrics({ processMetrics: false, knownMethods: (method) => method.startsWith("hc_") });
    metrics.observeRpc("hc_status", 0.01, true);
    metrics.observeRpc("eth_chainId", 0.01, true);
    const text = await metrics.text();
    assert.match(text, /method="hc_status",outcome="ok"\} 1$/m);
    assert.match(text, /method="unknown",outcome="ok"\} 1$/m);
  });
});

describe("logger", () => {
  test("writes JSON lines with the name and serialized errors, honouring the level", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString("utf8"));
        callback();
      },
    });
    const logger = createLogger({ level: "warn", name: "node-a", destination });
    logger.info("hidden");
    logger.warn({ error: new Error("bad thing") }, "visible");
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(line.name, "node-a");
    assert.equal(line.msg, "visible");
    assert.equal(line.level, 40);
    assert.equal(line.pid, undefined);
    assert.equal(line.hostname, undefined);
    assert.deepEqual(Object.keys(line.error as object).sort(), ["message", "stack", "type"]);
    assert.equal((line.error as { message: string }).message, "bad thing");
  });
});

// Shutdown ---------------------------------------------------------------------------------------

describe("graceful close", () => {
  test("finishes in-flight requests, closes WebSockets with 1001, then refuses connections", async () => {
    const backend = new FakeBackend();
    const server = await start(backend);
    const client = await connect(server.wsUrl);
    const inFlight = rpc(server.url, { jsonrpc: "2.0", id: 1, method: "wait" });
    await withTimeout(backend.gateReached.promise);

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    assert.equal(server.close(), server.close(), "close() is idempotent");
    await sleep(50);
    assert.equal(closed, false, "close() waits for the in-flight request");
    assert.equal(client.ws.readyState, WebSocket.OPEN, "WebSockets stay open until in-flight calls are done");

    backend.gate.resolve();
    assert.deepEqual(await inFlight, { jsonrpc: "2.0", id: 1, result: "done" });
    const event = await withTimeout(client.closed);
    assert.equal(event.code, 1001);
    await withTimeout(closing);
    await assert.rejects(fetch(server.url, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }));
  });

  test("finishes an in-flight WebSocket call before closing the socket", async () => {
    const backend = new FakeBackend();
    const server = await start(backend);
    const client = await connect(server.wsUrl);
    const answer = client.request({ jsonrpc: "2.0", id: 5, method: "wait" });
    await withTimeout(backend.gateReached.promise);
    const closing = server.close();
    await sleep(20);
    backend.gate.resolve();
    assert.deepEqual(await answer, { jsonrpc: "2.0", id: 5, result: "done" });
    assert.equal((await withTimeout(client.closed)).code, 1001);
    await withTimeout(closing);
  });

  test("forces connections closed after shutdownTimeoutMs", async () => {
    const backend = new FakeBackend();
    const server = await start(backend, { shutdownTimeoutMs: 100 });
    const stuck = rpc(server.url, { jsonrpc: "2.0", id: 1, method: "wait" }).catch((error: unknown) => error);
    await withTimeout(backend.gateReached.promise);
    await withTimeout(server.close(), 1_000, "forced close");
    assert.ok((await stuck) instanceof Error, "the stuck request's connection was cut");
    backend.gate.resolve();
  });

  test("rejects when the port is taken", async () => {
    const first = await start(new FakeBackend());
    try {
      await assert.rejects(startRpcServer({ host: "127.0.0.1", port: first.port, backend: new FakeBackend(), health: () => ({ ok: true }) }), { code: "EADDRINUSE" });
    } finally {
      await first.close();
    }
  });
});
