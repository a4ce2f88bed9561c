// Production back end: a Kubo (go-ipfs) node through its RPC API, with kubo-rpc-client. Objects are raw
// blocks (`block/put` with cid-codec=raw, mhtype=sha2-256), so their CIDs are the disk store's. Each put
// is pinned (`pin=true` on the put, so no GC runs between put and pin, then an explicit `pin/add` that
// also pins a block someone put earlier unpinned): Kubo's garbage collector never drops an original.
// Reads ask with `offline=true` (a missing block fails at once instead of being searched for on the
// network) and are checked against the CID, like the disk store's.
import { platformError } from "@health-chain/sdk";
import { create, type KuboRPCClient } from "kubo-rpc-client";
import type { CID } from "multiformats/cid";
import { checkContent, contentIdOf, parseContentId } from "./cid.ts";
import type { ContentStore } from "./content-store.ts";

/** Options of the Kubo back end. */
export interface KuboStoreOptions {
  /** The node's RPC API, e.g. `http://127.0.0.1:5001` (the client appends `/api/v0`). Never a public gateway. */
  readonly url: string;
  /** Per-request timeout in milliseconds (default 30,000). */
  readonly timeoutMs?: number;
}

const NOT_FOUND = /not found|could not find|no such block|blockstore: block not found/i;
const NOT_PINNED = /not pinned/i;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether the failure is the client never reaching the node (refused, reset, DNS, timeout). */
function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  if (error.name === "HTTPError") return false;
  // Node's fetch (undici) reports network failures as TypeError("fetch failed") with the errno in cause.
  return error instanceof TypeError || /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|socket/i.test(error.message);
}

function unavailable(origin: string, cid: string | undefined, error: unknown): Error {
  const reason = isTransportFailure(error) ? "unreachable" : NOT_FOUND.test(messageOf(error)) ? "not-found" : "kubo-error";
  const what = cid === undefined ? "" : ` for ${cid}`;
  return platformError("STORE_UNAVAILABLE", {
    details: { store: "kubo", url: origin, reason, ...(cid === undefined ? {} : { cid }), ...(reason === "kubo-error" ? { kubo: messageOf(error) } : {}) },
    cause: error,
    message:
      reason === "unreachable"
        ? `The Kubo node at ${origin} cannot be reached${what}.`
        : reason === "not-found"
          ? `The Kubo node at ${origin} holds no object ${cid ?? ""}.`
          : `The Kubo node at ${origin} refused the request${what}: ${messageOf(error)}`,
    messageZh:
      reason === "unreachable"
        ? `无法连接 Kubo 节点 ${origin}。`
        : reason === "not-found"
          ? `Kubo 节点 ${origin} 中没有对象 ${cid ?? ""}。`
          : `Kubo 节点 ${origin} 拒绝了请求：${messageOf(error)}`,
  });
}

/** A content store on a Kubo node, reached through its RPC API. */
export function createKuboStore(options: KuboStoreOptions): ContentStore {
  let origin: string;
  try {
    origin = new URL(options.url).origin;
  } catch {
    throw platformError("INVALID_INPUT", {
      details: { what: "Kubo RPC url" },
      message: "The Kubo store needs the node's RPC API URL, e.g. http://127.0.0.1:5001.",
      messageZh: "Kubo 存储需要节点的 RPC API 地址，例如 http://127.0.0.1:5001。",
    });
  }
  const client: KuboRPCClient = create({ url: options.url, timeout: options.timeoutMs ?? 30_000 });
  // Kubo query options the client's types do not list; it passes them on, camelCase as kebab-case.
  const rawBlock = { cidCodec: "raw", mhtype: "sha2-256", pin: true } as { mhtype: string; pin: boolean };
  const offline = { offline: true } as object;

  async function call<T>(cid: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(origin, cid, error);
    }
  }

  return {
    async put(bytes) {
      if (!(bytes instanceof Uint8Array)) {
        throw platformError("INVALID_INPUT", {
          details: { what: "object bytes", type: bytes === null ? "null" : typeof bytes },
          message: "An object to store must be a Uint8Array.",
          messageZh: "要存储的对象必须是 Uint8Array。",
        });
      }
      const expected = await contentIdOf(bytes);
      const text = expected.toString();
      const answered = await call(text, () => client.block.put(bytes, rawBlock));
      if (answered.toString() !== text) {
        // A node configured with other defaults, or a proxy that changed the bytes: never record its CID.
        throw platformError("INTEGRITY_CHECK_FAILED", {
          details: { what: "stored object", store: "kubo", cid: text, answered: answered.toString(), reason: "cid-mismatch" },
          message: `The Kubo node answered ${answered.toString()} for an object whose content id is ${text}.`,
          messageZh: `Kubo 节点对内容标识为 ${text} 的对象返回了 ${answered.toString()}。`,
        });
      }
      await call(text, () => client.pin.add(expected));
      return text;
    },

    async get(cid) {
      const parsed: CID = parseContentId(cid);
      const bytes = await call(cid, () => client.block.get(parsed, offline));
      return checkContent(parsed, bytes, "kubo");
    },

    async has(cid) {
      const parsed = parseContentId(cid);
      try {
        await client.block.stat(parsed, offline);
        return true;
      } catch (error) {
        if (!isTransportFailure(error) && NOT_FOUND.test(messageOf(error))) return false;
        throw unavailable(origin, cid, error);
      }
    },

    async delete(cid) {
      const parsed = parseContentId(cid);
      try {
        await client.pin.rm(parsed);
      } catch (error) {
        if (isTransportFailure(error) || !(NOT_PINNED.test(messageOf(error)) || NOT_FOUND.test(messageOf(error)))) {
          throw unavailable(origin, cid, error);
        }
      }
      await call(cid, async () => {
        for await (const removed of client.block.rm(parsed, { force: true })) {
          if (removed.error !== undefined && !NOT_FOUND.test(removed.error.message)) throw removed.error;
        }
      });
    },
  };
}
