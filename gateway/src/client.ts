// The typed client for the apps (`@health-chain/gateway/client`): Hono's `hc<AppType>`, whose
// paths, inputs and outputs come from the route schemas, plus sign-in helpers that make the
// session's SM2 key pair (what the gateway seals reads to) and sign the challenge — with an SM2
// key for staff and institution systems, with a wallet for residents. Runs in Node and browsers.
import { hc } from "hono/client";
import type { Address, Hex } from "viem";
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

/** An error answer of the gateway, with its HTTP status, code and messages. */
export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly messageZh: string | undefined;
  readonly details: unknown;
  constructor(status: number, body: { code?: string; message?: string; messageZh?: string; details?: unknown }) {
    super(body.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? `HTTP_${status}`;
    this.messageZh = body.messageZh;
    this.details = body.details;
  }
}

export interface SystemSessionOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** The institution system's staff id in the gateway (e.g. "platform-system"). */
  staffId: string;
  /** Its SM2 private key (hex). */
  privateKey: string;
  fetch?: typeof fetch;
  /** Per request (default 120 s: a batch of 1,000 waits for its block). */
  timeoutMs?: number;
}

/**
 * A back-office service's session with the gateway (the collection service, the EQA worker): signs
 * in with the system's SM2 key on first use, sends JSON with the bearer token, renews an expired
 * session once per request, and throws GatewayError for an error answer.
 */
export function createSystemSession(options: SystemSessionOptions): {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  institution(): Promise<Address>;
} {
  const fetcher = options.fetch ?? fetch;
  let session: Promise<{ token: string; institution: Address }> | undefined;
  const signIn = () =>
    (session = signInWithSm2({ baseUrl: options.baseUrl, staffId: options.staffId, privateKey: options.privateKey, ...(options.fetch ? { fetch: options.fetch } : {}) }).then(
      (s) => ({ token: s.token, institution: s.principal.institution as Address }),
      (error: unknown) => {
        session = undefined;
        throw error;
      },
    ));

  async function call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const { token } = await (session ?? signIn());
    const response = await fetcher(`${options.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    });
    if (response.status === 401 && !retried) {
      session = undefined;
      return call(method, path, body, true);
    }
    const text = await response.text();
    const json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (!response.ok) throw new GatewayError(response.status, json as never);
    return json as T;
  }

  return {
    call: (method, path, body) => call(method, path, body),
    async institution() {
      return (await (session ?? signIn())).institution;
    },
  };
}

// ---------------------------------------------------------------- certificates issued by a system

/** A document to anchor through POST /v1/certificates (see routes/certificates.ts). */
export interface IssueInput {
  certificateNumber: string;
  documentType: "eqaCertificate" | "proficiencyTestingReport" | "exportPackage";
  subject: string;
  documentHash: Hex;
  issuerSignature: Hex;
  validFrom?: string;
  validUntil?: string;
}

export interface AnchoredView {
  documentHash: string;
  issuedAt: string | null;
  txHash: string | null;
  blockNumber: number | null;
}

/** What a back-office issuer (the EQA worker, the analytics worker) needs of the gateway's certificate API. */
export interface CertificateAnchorer {
  /** The institution the system signs in for (the issuer). */
  institution(): Promise<Address>;
  issue(input: IssueInput): Promise<{ certId: Hex; txHash: Hex; blockNumber: number; issuedAt: string | null }>;
  /** The anchored certificate, or null when the chain has none with this id. */
  get(certId: Hex): Promise<AnchoredView | null>;
  /** Revokes one of the issuer's certificates (CertificateRegistry.revoke). */
  revoke(certId: Hex, reason: "superseded" | "issuedInError" | "withdrawn"): Promise<{ txHash: string }>;
}

export function createGatewayCertificateAnchorer(options: SystemSessionOptions): CertificateAnchorer {
  const { call, institution } = createSystemSession(options);
  return {
    institution,
    issue: (input) => call("POST", "/v1/certificates", input),
    revoke: (certId, reason) => call("POST", `/v1/certificates/${certId}/revoke`, { reason }),
    async get(certId) {
      try {
        return await call<AnchoredView>("GET", `/v1/certificates/${certId}`);
      } catch (error) {
        if (error instanceof GatewayError && error.status === 404) return null;
        throw error;
      }
    },
  };
}

/**
 * Signs a document hash with the system's SM2 key and anchors it, at most once: when an earlier
 * attempt anchored it but its answer was lost, the gateway refuses the second issue
 * (CertificateAlreadyExists) and the certificate already on chain is taken if it holds this hash.
 * With `certId`, the gateway's derived id must equal it (the id printed on the document).
 */
export async function issueCertificateOnce(
  anchorer: CertificateAnchorer,
  input: Omit<IssueInput, "issuerSignature"> & { certId?: Hex | null },
  privateKey: string,
): Promise<{ txHash: string | null; blockNumber: number | null; issuedAt: string | null }> {
  const { certId, ...issue } = input;
  try {
    const issued = await anchorer.issue({ ...issue, issuerSignature: toHex(signSm2(hexBytes(issue.documentHash), privateKey)) as Hex });
    if (certId != null && issued.certId.toLowerCase() !== certId.toLowerCase()) {
      throw new Error(`the gateway derived certificate id ${issued.certId}, the document carries ${certId}`);
    }
    return issued;
  } catch (error) {
    if (revertedWith(error, "CertificateAlreadyExists") && certId != null) {
      const existing = await anchorer.get(certId);
      if (existing !== null && existing.documentHash.toLowerCase() === issue.documentHash.toLowerCase()) return existing;
    }
    throw error;
  }
}

/** Whether the gateway refused because the contract reverted with `name` (or answered 409 for it). */
export function revertedWith(error: unknown, name: string): boolean {
  if (!(error instanceof GatewayError)) return false;
  const details = error.details as { errorName?: string } | undefined;
  return details?.errorName === name || (error.status === 409 && details?.errorName === undefined);
}

function hexBytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}
