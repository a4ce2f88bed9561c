// The typed client for the apps (`@health-chain/gateway/client`): Hono's `hc<AppType>`, whose
// paths, inputs and outputs come from the route schemas, plus sign-in helpers that make the
// session's SM2 key pair (what the gateway seals reads to) and sign the challenge — with an SM2
// key for staff and institution systems, with a wallet for residents. Runs in Node and browsers.
import { hc } from "hono/client";
import type { Hex } from "viem";
import { generateSm2KeyPair, signSm2, toHex, type Sm2KeyPair } from "@health-chain/sdk";
import { createReaderOpener, type SealedForReader } from "@health-chain/store";
import type { AppType } from "./app.ts";

export type { AppType };

export interface GatewayClientOptions {
  /** The session token (from a sign-in helper); sent as `Authorization: Bearer`. */
  token?: string;
  /** A fetch to use (tests: `app.request`-backed; default global fetch). */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** The typed client: `client.v1.certificates[":certId"].$get({ param: { certId } })`. */
export function createGatewayClient(baseUrl: string, options: GatewayClientOptions = {}) {
  return hc<AppType>(baseUrl, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: () => ({ ...(options.headers ?? {}), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) }),
  });
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;

/** A signed-in session: its token, its SM2 key pair and a client that sends the token. */
export interface SignedIn {
  token: string;
  expiresAt: string;
  principal: { kind: string; subject: string; roles: string[]; institution?: string; wallet?: string; staffId?: string; sessionId: string };
  /** Keep the private key in memory only: it opens what the gateway seals to this session. */
  sessionKeys: Sm2KeyPair;
  client: GatewayClient;
}

async function failure(res: Response): Promise<Error> {
  let body: { code?: string; message?: string } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON
  }
  return Object.assign(new Error(body.message ?? `HTTP ${res.status}`), { status: res.status, code: body.code });
}

/** Signs a member of staff or an institution's system in with its registered SM2 private key. */
export async function signInWithSm2(options: {
  baseUrl: string;
  staffId: string;
  /** The SM2 private key registered for the staff id (hex or bytes). */
  privateKey: Uint8Array | string;
  fetch?: typeof fetch;
}): Promise<SignedIn> {
  const anonymous = createGatewayClient(options.baseUrl, options.fetch ? { fetch: options.fetch } : {});
  const challengeRes = await anonymous.v1.auth.challenge.$post({ json: { subject: options.staffId } });
  if (!challengeRes.ok) throw await failure(challengeRes);
  const challenge = await challengeRes.json();
  const sessionKeys = generateSm2KeyPair();
  const res = await anonymous.v1.auth.sm2.$post({
    json: {
      challengeId: challenge.challengeId,
      staffId: options.staffId,
      signature: toHex(signSm2({ utf8: challenge.message }, options.privateKey)),
      sessionPublicKey: toHex(sessionKeys.publicKey),
    },
  });
  if (!res.ok) throw await failure(res);
  const session = await res.json();
  return { ...session, sessionKeys, client: createGatewayClient(options.baseUrl, { token: session.token, ...(options.fetch ? { fetch: options.fetch } : {}) }) };
}

/** Signs a resident in with a wallet: `signMessage` is viem's `account.signMessage` or wagmi's `signMessageAsync`. */
export async function signInWithWallet(options: {
  baseUrl: string;
  address: string;
  signMessage: (args: { message: string }) => Promise<Hex>;
  fetch?: typeof fetch;
}): Promise<SignedIn> {
  const anonymous = createGatewayClient(options.baseUrl, options.fetch ? { fetch: options.fetch } : {});
  const challengeRes = await anonymous.v1.auth.challenge.$post({ json: { subject: options.address } });
  if (!challengeRes.ok) throw await failure(challengeRes);
  const challenge = await challengeRes.json();
  const signature = await options.signMessage({ message: challenge.message });
  const sessionKeys = generateSm2KeyPair();
  const res = await anonymous.v1.auth.siwe.$post({
    json: { message: challenge.message, signature, sessionPublicKey: toHex(sessionKeys.publicKey) },
  });
  if (!res.ok) throw await failure(res);
  const session = await res.json();
  return { ...session, sessionKeys, client: createGatewayClient(options.baseUrl, { token: session.token, ...(options.fetch ? { fetch: options.fetch } : {}) }) };
}

// One opener per session key pair: it keeps the session keys it has unwrapped (one per gateway
// process), so a session's reads after the first cost no SM2 decryption.
const openers = new WeakMap<Sm2KeyPair, ReturnType<typeof createReaderOpener>>();

/** Opens what the gateway sealed for this session (a consent-checked read). */
export function openSealedRead<T = unknown>(read: SealedForReader & { readonly context?: string }, session: Pick<SignedIn, "sessionKeys">): T {
  let open = openers.get(session.sessionKeys);
  if (open === undefined) {
    open = createReaderOpener(toHex(session.sessionKeys.privateKey));
    openers.set(session.sessionKeys, open);
  }
  // A read's sealed value is bound to its context (`<institution>/<recordId>`); opening it under any
  // other context fails, so a sealed value cannot be passed off as another record's.
  const sealed: SealedForReader = {
    algorithm: read.algorithm,
    wrappedSessionKey: read.wrappedSessionKey,
    wrappedDataKey: read.wrappedDataKey,
    envelope: read.envelope,
  };
  return open<T>(sealed, read.context === undefined ? {} : { context: read.context });
}
