// A small HTTP client of the gateway for the benchmark's set-up (sign-in, anchoring, relaying) and
// its probes: JSON in and out, a bearer token, an idempotency key on writes, a bounded pool of
// requests in flight.
import { randomUUID } from "node:crypto";
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { generateSm2KeyPair, signSm2, toHex, type Sm2KeyPair } from "@health-chain/sdk";

export class ApiError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path} -> ${status} ${body.slice(0, 500)}`);
    this.status = status;
    this.body = body;
  }
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  /** Send an Idempotency-Key (every write route takes one). */
  idempotent?: boolean;
  /** Statuses that count as success (default 2xx). */
  expect?: (status: number) => boolean;
}

export class GatewayApi {
  readonly url: string;
  /** Requests retried after a connection failed before any answer. */
  retries = 0;
  constructor(url: string) {
    this.url = url;
  }

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    if (options.idempotent) headers["idempotency-key"] = randomUUID();
    const init = { method, headers, ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}) };
    // A keep-alive connection the server closed just as it was reused fails before any answer; the
    // request is retried on a new one (writes carry an idempotency key, so a retry is applied once).
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(`${this.url}${path}`, init);
        break;
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        if (attempt >= 4 || (method !== "GET" && !options.idempotent && path !== "/v1/auth/challenge")) {
          throw new Error(`${method} ${path}: ${(error as Error).message} (${cause?.code ?? ""} ${cause?.message ?? ""})`, { cause: error });
        }
        this.retries++;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
    const text = await res.text();
    const ok = options.expect ? options.expect(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) throw new ApiError(method, path, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** SM2 sign-in of a member of staff; the session gets a fresh SM2 key pair (reads are sealed to it). */
  async signInStaff(staffId: string, key: Sm2KeyPair): Promise<{ token: string; sessionKeys: Sm2KeyPair }> {
    const challenge = await this.call<{ challengeId: string; message: string }>("POST", "/v1/auth/challenge", { json: { subject: staffId } });
    const sessionKeys = generateSm2KeyPair();
    const session = await this.call<{ token: string }>("POST", "/v1/auth/sm2", {
      json: {
        challengeId: challenge.challengeId,
        staffId,
        signature: toHex(signSm2({ utf8: challenge.message }, key.privateKey)),
        sessionPublicKey: toHex(sessionKeys.publicKey),
      },
    });
    return { token: session.token, sessionKeys };
  }

  /** Sign-in with Ethereum of a resident's wallet. */
  async signInResident(account: PrivateKeyAccount, sessionPublicKey: Hex): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const challenge = await this.call<{ message: string }>("POST", "/v1/auth/challenge", { json: { subject: account.address } });
        const signature = await account.signMessage({ message: challenge.message });
        const session = await this.call<{ token: string }>("POST", "/v1/auth/siwe", { json: { message: challenge.message, signature, sessionPublicKey } });
        return session.token;
      } catch (error) {
        // A sign-in whose connection failed before the answer starts again with a new challenge.
        if (error instanceof ApiError || attempt >= 3) throw error;
        this.retries++;
      }
    }
  }
}

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` in flight; the first failure stops it. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>, onProgress?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  let failed: unknown;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (failed === undefined && next < count) {
        const i = next++;
        try {
          await task(i);
        } catch (error) {
          failed ??= error;
          return;
        }
        done++;
        onProgress?.(done);
      }
    }),
  );
  if (failed !== undefined) throw failed;
}
