// The JSON-RPC endpoint: HTTP and WebSocket on one port, on node:http and ws directly, since this is
// the hot path of the 2,000 tx/s benchmark. Request handling follows JSON-RPC 2.0 and geth (rpc/http.go,
// rpc/handler.go): same error codes and messages, same batch rules, same notification format.

import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { RpcMetrics } from "../metrics.ts";
import { RpcCode, RpcError } from "./errors.ts";
import type { RpcBackend, RpcContext } from "./types.ts";

export interface HealthReport {
  ok: boolean;
  [key: string]: unknown;
}

export interface RpcServerOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** 0 picks an ephemeral port. */
  port: number;
  backend: RpcBackend;
  /** Largest request body (HTTP) or message (WebSocket); default 5 MiB, as geth. */
  maxBodyBytes?: number;
  /** Most calls in one batch; default 1000, as geth. */
  maxBatch?: number;
  /** Origins allowed by CORS and for WebSocket upgrades; default ["*"]. */
  cors?: readonly string[];
  metrics?: RpcMetrics;
  logger?: Logger;
  /** GET /health answers 200 with this report when `ok`, 503 otherwise. */
  health: () => HealthReport | Promise<HealthReport>;
  /** GET /metrics answers with this Prometheus text; 404 when absent. */
  metricsText?: () => Promise<string>;
  /** A WebSocket client whose unsent data exceeds this is disconnected (1008); default 16 MiB. */
  wsMaxBufferedBytes?: number;
  /** WebSocket clients are pinged this often and dropped if they did not answer the last ping; default 30 s. */
  wsPingIntervalMs?: number;
  /** close() forcibly ends whatever is still running after this long; default 10 s. */
  shutdownTimeoutMs?: number;
}

export interface RpcServer {
  /** http://host:port */
  readonly url: string;
  /** ws://host:port */
  readonly wsUrl: string;
  readonly port: number;
  /** Stops accepting, waits for in-flight calls, closes WebSockets with 1001. Idempotent. */
  close(): Promise<void>;
}

const JSON_CONTENT_TYPES: ReadonlySet<string> = new Set(["application/json", "application/json-rpc", "application/jsonrequest"]);
const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const PARSE_ERROR = `{"jsonrpc":"2.0","id":null,"error":{"code":${RpcCode.PARSE_ERROR},"message":"parse error"}}`;
const HTTP_CONTEXT: RpcContext = Object.freeze({ transport: "http" });
const WS_GOING_AWAY = 1001;
const WS_POLICY_VIOLATION = 1008;

function errorResponse(id: unknown, code: number, message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });
}

type Id = string | number | null;

function isValidId(id: unknown): id is Id {
  return id === null || typeof id === "string" || typeof id === "number";
}

/** Longest stretch of a batch started without handing the event loop to other requests. */
const BATCH_SLICE_MS = 8;

/** A call (not a notification): the id geth puts on the "batch too large" error. */
function callId(message: unknown): Id | undefined {
  if (typeof message !== "object" || message === null || !Object.hasOwn(message, "id")) return undefined;
  const { id } = message as { id: unknown };
  return isValidId(id) ? id : undefined;
}

/** Executes JSON-RPC text (one request or a batch); resolves to the response text, or undefined if none is due. */
type Handle = (text: string, context: RpcContext) => Promise<string | undefined>;

function createHandle(backend: RpcBackend, maxBatch: number, metrics: RpcMetrics | undefined, logger: Logger | undefined): Handle {
  /** One request; never rejects. */
  async function call(request: unknown, context: RpcContext): Promise<string | undefined> {
    if (typeof request !== "object" || request === null || Array.isArray(request)) return errorResponse(null, RpcCode.INVALID_REQUEST, "invalid request");
    const { jsonrpc, method, params, id } = request as Record<string, unknown>;
    const isNotification = !Object.hasOwn(request, "id");
    if (!isNotification && !isValidId(id)) return errorResponse(null, RpcCode.INVALID_REQUEST, "invalid request");
    // An invalid request is answered even without an id: nothing tells it apart from a broken call.
    if (jsonrpc !== "2.0" || typeof method !== "string" || method === "") return errorResponse(id ?? null, RpcCode.INVALID_REQUEST, "invalid request");

    const started = performance.now();
    let ok = false;
    try {
      const result = await backend.dispatch(method, params, context);
      // Serialized here, per call, so that an unserializable result fails this call only.
      const response = isNotification ? undefined : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${JSON.stringify(result ?? null)}}`;
      ok = true;
      return response;
    } catch (error) {
      if (error instanceof RpcError) {
        try {
          return isNotification ? undefined : JSON.stringify({ jsonrpc: "2.0", id, error: error.toJSON() });
        } catch (encoding) {
          logger?.error({ err: encoding, method }, "JSON-RPC error data is not serializable");
        }
      } else {
        // Whatever it says stays in the log: messages and stacks of unexpected errors can reveal internals.
        logger?.error({ err: error, method }, "JSON-RPC method failed");
      }
      return isNotification ? undefined : errorResponse(id, RpcCode.INTERNAL_ERROR, "internal error");
    } finally {
      metrics?.observeRpc(method, (performance.now() - started) / 1000, ok);
    }
  }

  return async (text, context) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return PARSE_ERROR;
    }
    if (!Array.isArray(message)) return call(message, context);
    if (message.length === 0) return errorResponse(null, RpcCode.INVALID_REQUEST, "empty batch");
    if (message.length > maxBatch) {
      // As geth: a one-element batch carrying the id of the first call.
      const id = message.map(callId).find((candidate) => candidate !== undefined) ?? null;
      return `[${errorResponse(id, RpcCode.INVALID_REQUEST, "batch too large")}]`;
    }
    // Concurrently, answered in request order; notifications leave no entry.
    // The calls run concurrently, but are started a slice at a time: a method's synchronous part
    // (a transaction's decoding and sender recovery is ~0.1 ms) must not hold the event loop for a
    // whole 1,000-call batch while other clients wait.
    const pending: Promise<string | undefined>[] = [];
    let sliceStart = performance.now();
    for (const request of message) {
      if (performance.now() - sliceStart > BATCH_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      pending.push(call(request, context));
    }
    const responses = (await Promise.all(pending)).filter((response) => response !== undefined);
    return responses.length === 0 ? undefined : `[${responses.join(",")}]`;
  };
}

interface Connection {
  readonly ws: WebSocket;
  /** Answered the last ping. */
  alive: boolean;
  /** undefined once the connection has closed. */
  closeCallbacks: (() => void)[] | undefined;
  readonly onClose: (callback: () => void) => void;
}

function urlHost(address: AddressInfo): string {
  if (address.address === "0.0.0.0") return "127.0.0.1";
  if (address.address === "::") return "[::1]";
  return address.family === "IPv6" ? `[${address.address}]` : address.address;
}

export function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const {
    host = "127.0.0.1",
    port,
    backend,
    maxBodyBytes = 5 * 1024 * 1024,
    maxBatch = 1000,
    cors = ["*"],
    metrics,
    logger,
    health,
    metricsText,
    wsMaxBufferedBytes = 16 * 1024 * 1024,
    wsPingIntervalMs = 30_000,
    shutdownTimeoutMs = 10_000,
  } = options;
  const handle = createHandle(backend, maxBatch, metrics, logger);
  const anyOrigin = cors.includes("*");
  const allowedOrigins = new Set(cors.map((origin) => origin.toLowerCase()));
  const tooLargeBody = errorResponse(null, RpcCode.INVALID_REQUEST, `request body too large (max ${maxBodyBytes} bytes)`);

  let closing = false;
  // In-flight HTTP requests and WebSocket messages, for a graceful close().
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const begin = (): void => {
    inFlight++;
  };
  const end = (): void => {
    if (--inFlight === 0 && idleWaiters.length > 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    }
  };

  /** The Access-Control-Allow-Origin value for a request's Origin, if it is allowed. */
  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (anyOrigin) return "*";
    return allowedOrigins.has(origin.toLowerCase()) ? origin : undefined;
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: string, contentType: string | undefined, extra?: OutgoingHttpHeaders): void => {
    const headers: OutgoingHttpHeaders = { ...extra, "content-length": Buffer.byteLength(body) };
    if (contentType !== undefined) headers["content-type"] = contentType;
    const origin = allowOrigin(req.headers.origin);
    if (origin !== undefined) {
      headers["access-control-allow-origin"] = origin;
      if (origin !== "*") headers.vary = "Origin";
    }
    // During shutdown, keep-alive connections end with their current response.
    if (closing) headers.connection = "close";
    res.writeHead(status, headers).end(body);
  };
  const sendJson = (req: IncomingMessage, res: ServerResponse, status: number, body: string, extra?: OutgoingHttpHeaders): void =>
    send(req, res, status, body, "application/json", extra);

  function onPost(req: IncomingMessage, res: ServerResponse): void {
    const mediaType = req.headers["content-type"]?.split(";", 1)[0]?.trim().toLowerCase();
    if (mediaType === undefined || !JSON_CONTENT_TYPES.has(mediaType)) {
      sendJson(req, res, 415, errorResponse(null, RpcCode.INVALID_REQUEST, "invalid content type, only application/json is supported"));
      return;
    }
    // The connection closes after a 413 so that the rest of an oversized body is never read.
    const refuse = (): void => sendJson(req, res, 413, tooLargeBody, { connection: "close" });
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      refuse();
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        refused = true;
        chunks.length = 0;
        refuse();
        return;
      }
      chunks.push(chunk);
    });
    // A client that goes away mid-body: nothing to answer.
    req.on("error", () => {
      refused = true;
    });
    req.on("end", () => {
      if (refused) return;
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString("utf8");
      handle(text, HTTP_CONTEXT).then(
        // Nothing due (notifications only): an empty 200, as geth.
        (response) => (response === undefined ? send(req, res, 200, "", undefined) : sendJson(req, res, 200, response)),
        (error: unknown) => {
          logger?.error({ err: error }, "JSON-RPC request failed");
          sendJson(req, res, 200, errorResponse(null, RpcCode.INTERNAL_ERROR, "internal error"));
        },
      );
    });
  }

  async function onHealth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status: number;
    let body: string;
    try {
      const report = await health();
      status = report.ok ? 200 : 503;
      body = JSON.stringify(report);
    } catch (error) {
      logger?.error({ err: error }, "health check failed");
      status = 503;
      body = JSON.stringify({ ok: false, error: "health check failed" });
    }
    sendJson(req, res, status, body, { "cache-control": "no-store" });
  }

  async function onMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (metricsText === undefined) {
      sendJson(req, res, 404, JSON.stringify({ error: "metrics are not enabled" }));
      return;
    }
    try {
      send(req, res, 200, await metricsText(), METRICS_CONTENT_TYPE);
    } catch (error) {
      logger?.error({ err: error }, "metrics collection failed");
      sendJson(req, res, 500, JSON.stringify({ error: "metrics collection failed" }));
    }
  }

  function onPreflight(req: IncomingMessage, res: ServerResponse): void {
    const extra: OutgoingHttpHeaders = {};
    if (allowOrigin(req.headers.origin) !== undefined) {
      extra["access-control-allow-methods"] = "POST, GET, OPTIONS";
      extra["access-control-allow-headers"] = req.headers["access-control-request-headers"] ?? "content-type";
      extra["access-control-max-age"] = "600";
    }
    send(req, res, 204, "", undefined, extra);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    begin();
    res.once("close", end);
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const special = path === "/health" || path === "/metrics";
    if (req.method === "POST" && !special) {
      onPost(req, res);
    } else if (req.method === "GET" && path === "/health") {
      void onHealth(req, res);
    } else if (req.method === "GET" && path === "/metrics") {
      void onMetrics(req, res);
    } else if (req.method === "OPTIONS") {
      onPreflight(req, res);
    } else {
      const allow = special ? "GET, OPTIONS" : "POST, OPTIONS";
      const hint = special ? "use GET" : "send JSON-RPC 2.0 requests with POST, or open a WebSocket on this URL";
      sendJson(req, res, 405, JSON.stringify({ error: "method not allowed", hint }), { allow });
    }
  }

  // WebSocket ------------------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes, perMessageDeflate: false });
  const connections = new Set<Connection>();

  const runCloseCallback = (callback: () => void): void => {
    try {
      callback();
    } catch (error) {
      logger?.error({ err: error }, "WebSocket close callback failed");
    }
  };

  /** Sends a text frame unless the socket is gone; disconnects a client that does not keep up. */
  const sendText = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > wsMaxBufferedBytes) {
      logger?.warn({ bufferedBytes: ws.bufferedAmount }, "WebSocket client too slow, disconnecting");
      ws.close(WS_POLICY_VIOLATION, "client too slow");
      // The close frame queues behind the unsent data, which a stalled client may never take.
      setTimeout(() => ws.terminate(), 1_000).unref();
      return;
    }
    ws.send(text);
  };

  const sendMessage = (ws: WebSocket, message: unknown): void => {
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      logger?.error({ err: error }, "WebSocket notification is not serializable");
      return;
    }
    sendText(ws, text);
  };

  function onMessage(connection: Connection, data: RawData): void {
    const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString("utf8");
    // Notifications from subscriptions made by this message wait for its response, as geth's
    // Notifier does: the client must learn the subscription id before the first notification.
    let held: unknown[] | undefined = [];
    const context: RpcContext = {
      transport: "ws",
      notify: (message) => {
        if (held === undefined) sendMessage(connection.ws, message);
        else held.push(message);
      },
      onClose: connection.onClose,
    };
    begin();
    handle(text, context)
      .then(
        (response) => {
          if (response !== undefined) sendText(connection.ws, response);
        },
        (error: unknown) => logger?.error({ err: error }, "JSON-RPC message failed"),
      )
      .finally(() => {
        const pending = held ?? [];
        held = undefined;
        for (const message of pending) sendMessage(connection.ws, message);
        end();
      });
  }

  function onConnection(ws: WebSocket): void {
    const connection: Connection = {
      ws,
      alive: true,
      closeCallbacks: [],
      onClose: (callback) => {
        if (connection.closeCallbacks === undefined) runCloseCallback(callback);
        else connection.closeCallbacks.push(callback);
      },
    };
    connections.add(connection);
    ws.on("message", (data) => onMessage(connection, data));
    ws.on("pong", () => {
      connection.alive = true;
    });
    ws.on("error", (error) => logger?.debug({ err: error }, "WebSocket error"));
    ws.on("close", () => {
      connections.delete(connection);
      const callbacks = connection.closeCallbacks ?? [];
      connection.closeCallbacks = undefined;
      for (const callback of callbacks) runCloseCallback(callback);
    });
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = req.headers.origin;
    if (closing || (origin !== undefined && allowOrigin(origin) === undefined)) {
      socket.end(closing ? "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n" : "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  }

  // A client that did not answer the previous ping is gone (half-open TCP): drop it.
  const pinger = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }, wsPingIntervalMs);
  pinger.unref();

  // Lifecycle --------------------------------------------------------------------------------------

  // Idle keep-alive connections are kept 65 s (Node's default is 5 s). A client reuses an idle
  // connection until shortly before the server's advertised timeout; with 5 s, a client whose event
  // loop was busy for two seconds (signing a burst of transactions) could send on a connection the
  // server was closing, and get "other side closed".
  const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000, headersTimeout: 66_000 }, onRequest);
  server.on("upgrade", onUpgrade);

  let closed: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    closing = true;
    clearInterval(pinger);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = new Promise<void>((resolve) => (inFlight === 0 ? resolve() : idleWaiters.push(resolve)));
    const deadline = setTimeout(() => {
      logger?.warn({ inFlight }, "RPC server shutdown timed out, closing connections");
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
      server.closeAllConnections();
      for (const connection of connections) connection.ws.terminate();
    }, shutdownTimeoutMs);
    deadline.unref();
    await idle;
    for (const connection of connections) connection.ws.close(WS_GOING_AWAY, "server shutting down");
    // Keep-alive connections whose last request just finished.
    server.closeIdleConnections();
    await serverClosed;
    clearTimeout(deadline);
    wss.close();
  }

  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => {
      clearInterval(pinger);
      wss.close();
      reject(error);
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      server.on("error", (error) => logger?.error({ err: error }, "RPC server error"));
      const address = server.address() as AddressInfo;
      const hostPort = `${urlHost(address)}:${address.port}`;
      logger?.info({ url: `http://${hostPort}` }, "JSON-RPC server listening");
      resolve({
        url: `http://${hostPort}`,
        wsUrl: `ws://${hostPort}`,
        port: address.port,
        close: () => (closed ??= shutdown()),
      });
    });
  });
}
