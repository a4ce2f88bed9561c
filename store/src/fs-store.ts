// The embedded default: objects as files under `<dir>/blocks/<shard>/<cid>`, the shard being the two
// characters before the CID's last one (Kubo's flatfs "next-to-last/2" rule, so the ~1,000 shards fill
// evenly: the last base32 character of a sha2-256 CID carries only 4 bits). A write goes to a temp file
// in the shard, is fsynced, renamed over the final name and the shard directory fsynced: a reader sees
// either no object or all of it, and two puts of the same bytes write the same file twice, harmlessly.
// Every read is checked against the CID, so a file altered on disk is refused, never returned.
import { randomUUID } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { platformError } from "@health-chain/sdk";
import type { CID } from "multiformats/cid";
import { checkContent, contentIdOf, parseContentId } from "./cid.ts";
import type { ContentStore } from "./content-store.ts";

/** The sub-directory of the store's directory that holds the objects. */
export const FS_STORE_BLOCKS_DIR = "blocks";

function errnoOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

function unavailable(cid: string, reason: "not-found" | "io", cause?: unknown): Error {
  const errno = errnoOf(cause);
  return platformError("STORE_UNAVAILABLE", {
    details: { store: "disk", cid, reason, ...(errno === undefined ? {} : { errno }) },
    ...(cause === undefined ? {} : { cause }),
    message:
      reason === "not-found"
        ? `The local disk store holds no object ${cid}.`
        : `The local disk store could not be read or written (${errno ?? "unknown error"}) for ${cid}.`,
    messageZh:
      reason === "not-found" ? `本地磁盘存储中没有对象 ${cid}。` : `无法读写本地磁盘存储（${errno ?? "未知错误"}），对象 ${cid}。`,
  });
}

function checkBytes(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "object bytes", type: bytes === null ? "null" : typeof bytes },
      message: "An object to store must be a Uint8Array.",
      messageZh: "要存储的对象必须是 Uint8Array。",
    });
  }
  return bytes;
}

/** Writes a file so that it appears whole or not at all, and survives a crash once this resolves. */
async function writeAtomically(shardDir: string, finalPath: string, bytes: Uint8Array): Promise<void> {
  const temp = join(shardDir, `.tmp-${randomUUID()}`);
  try {
    const file = await open(temp, "wx", 0o600);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, finalPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(shardDir); // the rename itself is durable only once the directory is
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Creates the shard directory; a directory just created is made durable in its parent too. */
async function makeShard(shardDir: string): Promise<void> {
  const created = await mkdir(shardDir, { recursive: true });
  if (created === undefined) return;
  for (let dir = shardDir; ; dir = dirname(dir)) {
    await syncDirectory(dirname(dir));
    if (dir === created || dirname(dir) === dir) break;
  }
}

/**
 * A content store on local disk under `dir` (created when first written). Plain CID-addressed files:
 * no index, no database; the CID is the name, checked before it becomes a path.
 */
export function createFsStore(dir: string): ContentStore {
  if (typeof dir !== "string" || dir.length === 0) {
    throw platformError("INVALID_INPUT", {
      details: { what: "store directory" },
      message: "The disk store needs a directory.",
      messageZh: "磁盘存储需要一个目录。",
    });
  }
  const blocks = join(resolve(dir), FS_STORE_BLOCKS_DIR);
  // parseContentId has allowed only base32 letters and digits, so the path stays inside `blocks`.
  const locate = (cid: CID) => {
    const text = cid.toString();
    const shardDir = join(blocks, text.slice(-3, -1));
    return { text, shardDir, path: join(shardDir, text) };
  };

  async function readChecked(cid: CID): Promise<Uint8Array | undefined> {
    const { text, path } = locate(cid);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return undefined;
      throw unavailable(text, "io", error);
    }
    return checkContent(cid, bytes, "disk");
  }

  return {
    async put(bytes) {
      const data = checkBytes(bytes);
      const cid = await contentIdOf(data);
      const { text, shardDir, path } = locate(cid);
      try {
        // Already there and intact: nothing to write. Altered: the write below replaces it.
        if ((await readChecked(cid).catch(() => undefined)) !== undefined) return text;
        await makeShard(shardDir);
        await writeAtomically(shardDir, path, data);
      } catch (error) {
        throw unavailable(text, "io", error);
      }
      return text;
    },

    async get(cid) {
      const parsed = parseContentId(cid);
      const bytes = await readChecked(parsed);
      if (bytes === undefined) throw unavailable(parsed.toString(), "not-found");
      return bytes;
    },

    async has(cid) {
      const { text, path } = locate(parseContentId(cid));
      try {
        return (await stat(path)).isFile();
      } catch (error) {
        if (errnoOf(error) === "ENOENT") return false;
        throw unavailable(text, "io", error);
      }
    },

    async delete(cid) {
      const { text, path } = locate(parseContentId(cid));
      try {
        await unlink(path);
      } catch (error) {
        if (errnoOf(error) !== "ENOENT") throw unavailable(text, "io", error);
      }
    },
  };
}
