// A stand-in for a Kubo node's RPC API, implementing only what createKuboStore calls, the way Kubo
// answers it (docs.ipfs.tech/reference/kubo/rpc, Kubo v0.35–0.39): every command is a POST under /api/v0;
// block/put takes the bytes as a multipart/form-data file and answers {"Key","Size"}; block/get answers
// the raw bytes; block/stat {"Key","Size"}; block/rm streams {"Hash","Error"?} lines; pin/add and
// pin/rm answer {"Pins":[…]}; a failing command answers HTTP 500 with {"Message","Code":0,"Type":"error"}.
// No Kubo can be installed on this machine: see store/README.md for the check against a real node.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";

export interface FakeKuboRequest {
  readonly method: string;
  readonly command: string;
  readonly query: URLSearchParams;
}

export interface FakeKubo {
  readonly url: string;
  readonly blocks: Map<string, Uint8Array>;
  readonly pins: Set<string>;
  readonly requests: FakeKuboRequest[];
  /** When set, block/put answers this CID whatever it received (a misconfigured node or a proxy). */
  lieWithCid: string | undefined;
  stop(): Promise<void>;
}

const RAW = 0x55;
const SHA2_256 = 0x12;

function rawCid(bytes: Uint8Array): string {
  const digest = createHash("sha256").update(bytes).digest();
  return CID.createV1(RAW, createDigest(SHA2_256, new Uint8Array(digest))).toString();
}

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The content of the first file part of a multipart/form-data body. */
function firstFilePart(contentType: string | undefined, data: Buffer): Buffer | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  const mark = boundary?.[1] ?? boundary?.[2];
  if (mark === undefined) return undefined;
  const delimiter = Buffer.from(`--${mark}`);
  const start = data.indexOf(delimiter);
  if (start < 0) return undefined;
  const headersEnd = data.indexOf("\r\n\r\n", start);
  if (headersEnd < 0) return undefined;
  const headers = data.subarray(start, headersEnd).toString("latin1");
  if (!/name="file/i.test(headers)) return undefined;
  const contentStart = headersEnd + 4;
  const end = data.indexOf(Buffer.from(`\r\n--${mark}`), contentStart);
  return end < 0 ? undefined : data.subarray(contentStart, end);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(`${JSON.stringify(value)}\n`);
}

function kuboError(response: ServerResponse, message: string): void {
  json(response, 500, { Message: message, Code: 0, Type: "error" });
}

export async function startFakeKubo(): Promise<FakeKubo> {
  const blocks = new Map<string, Uint8Array>();
  const pins = new Set<string>();
  const requests: FakeKuboRequest[] = [];
  const notFound = (cid: string) => `block was not found locally (offline): ipld: could not find ${cid}`;

  const state: { lieWithCid: string | undefined } = { lieWithCid: undefined };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://fake-kubo");
      const command = url.pathname.replace(/^\/api\/v0\//, "");
      requests.push({ method: request.method ?? "", command, query: url.searchParams });
      const data = await body(request);
      if (!url.pathname.startsWith("/api/v0/")) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("404 page not found\n");
        return;
      }
      if (request.method !== "POST") {
        response.writeHead(405, { "Content-Type": "text/plain" }).end(`405 - Method Not Allowed\n`);
        return;
      }
      const arg = url.searchParams.get("arg") ?? "";
      switch (command) {
        case "block/put": {
          const codec = url.searchParams.get("cid-codec") ?? "raw";
          const mhtype = url.searchParams.get("mhtype") ?? "sha2-256";
          if (codec !== "raw" || mhtype !== "sha2-256") return kuboError(response, `fake kubo supports raw/sha2-256 only`);
          const file = firstFilePart(request.headers["content-type"], data);
          if (file === undefined) return kuboError(response, "file argument 'data' is required");
          const cid = rawCid(file);
          blocks.set(cid, new Uint8Array(file));
          if (url.searchParams.get("pin") === "true") pins.add(cid);
          return json(response, 200, { Key: state.lieWithCid ?? cid, Size: file.length });
        }
        case "block/get": {
          const bytes = blocks.get(arg);
          if (bytes === undefined) return kuboError(response, notFound(arg));
          response.writeHead(200, { "Content-Type": "text/plain" });
          response.end(bytes);
          return;
        }
        case "block/stat": {
          const bytes = blocks.get(arg);
          if (bytes === undefined) return kuboError(response, notFound(arg));
          return json(response, 200, { Key: arg, Size: bytes.length });
        }
        case "block/rm": {
          const force = url.searchParams.get("force") === "true";
          response.writeHead(200, { "Content-Type": "application/json", "X-Chunked-Output": "1" });
          for (const cid of url.searchParams.getAll("arg")) {
            if (pins.has(cid)) response.write(`${JSON.stringify({ Hash: cid, Error: "pinned: recursive" })}\n`);
            else if (!blocks.delete(cid) && !force) response.write(`${JSON.stringify({ Hash: cid, Error: "ipld: could not find " + cid })}\n`);
            else response.write(`${JSON.stringify({ Hash: cid })}\n`);
          }
          response.end();
          return;
        }
        case "pin/add": {
          if (!blocks.has(arg)) return kuboError(response, `pin: ${notFound(arg)}`);
          pins.add(arg);
          return json(response, 200, { Pins: [arg] });
        }
        case "pin/rm": {
          if (!pins.delete(arg)) return kuboError(response, "not pinned or pinned indirectly");
          return json(response, 200, { Pins: [arg] });
        }
        default:
          return kuboError(response, `unknown command "${command}"`);
      }
    })().catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    blocks,
    pins,
    requests,
    get lieWithCid() {
      return state.lieWithCid;
    },
    set lieWithCid(value) {
      state.lieWithCid = value;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
