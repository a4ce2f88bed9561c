// The Anchorer over the platform's gateway: the collection service signs in as its institution's
// system (SM2 key registered with the gateway) and anchors through the REST API, which stores the
// originals encrypted in the institution's store and relays the anchors to the chain. The service
// never holds a chain key. A session that expires is renewed once per request.
import { signInWithSm2 } from "../../../../gateway/src/client.ts";
import type { Address, Hex } from "viem";
import type { AnchorChangeInput, AnchoredState, AnchorMode, AnchorReceipt, Anchorer, AnchorRecordInput } from "./anchor.ts";

export interface GatewayAnchorerOptions {
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

export function createGatewayAnchorer(options: GatewayAnchorerOptions): Anchorer & { institution(): Promise<Address> } {
  const fetcher = options.fetch ?? fetch;
  let session: Promise<{ token: string; institution: Address }> | undefined;
  const signIn = () =>
    (session = signInWithSm2({ baseUrl: options.baseUrl, staffId: options.staffId, privateKey: options.privateKey, ...(options.fetch ? { fetch: options.fetch } : {}) }).then((s) => ({
      token: s.token,
      institution: s.principal.institution as Address,
    })));

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

  const modeOf = (mode: AnchorMode) => (mode === "clear-hash" ? {} : { anchorMode: mode });

  return {
    async institution() {
      return (await (session ?? signIn())).institution;
    },
    async anchorRecords(records, mode) {
      const answer = await call<{ batchId: string; root: Hex; txHash: Hex; blockNumber: number }>("POST", "/v1/records/batch", { records: records.map((r) => ({ ...r, ...modeOf(mode) })) });
      return { batchId: answer.batchId, root: answer.root, txHash: answer.txHash, blockNumber: answer.blockNumber } satisfies AnchorReceipt;
    },
    async anchorRecord(record: AnchorRecordInput, mode) {
      const answer = await call<{ txHash: Hex; blockNumber: number }>("POST", "/v1/records", { ...record, ...modeOf(mode) });
      return { batchId: null, root: null, txHash: answer.txHash, blockNumber: answer.blockNumber };
    },
    // Changes carry no mode: the gateway applies the mode each record was first anchored in.
    async anchorChanges(changes: readonly AnchorChangeInput[]) {
      const answer = await call<{ batchId: string; root: Hex; txHash: Hex; blockNumber: number }>("POST", "/v1/records/changes/batch", { changes });
      return { batchId: answer.batchId, root: answer.root, txHash: answer.txHash, blockNumber: answer.blockNumber };
    },
    async anchorChange(change: AnchorChangeInput) {
      const { institution } = await (session ?? signIn());
      const { recordId, ...rest } = change;
      const answer = await call<{ txHash: Hex; blockNumber: number; batchId?: string; root?: Hex }>("POST", `/v1/records/${institution}/${recordId}/change`, rest);
      return { batchId: answer.batchId ?? null, root: answer.root ?? null, txHash: answer.txHash, blockNumber: answer.blockNumber };
    },
    async anchoredState(recordIds) {
      const { institution } = await (session ?? signIn());
      const found = new Map<Hex, AnchoredState>();
      for (const recordId of recordIds) {
        try {
          const answer = await call<{ version: number; anchoring: "single" | "batch"; current: { residentRef: Hex }; changes: { reason: string; change: { changedAt: number } }[] }>(
            "GET",
            `/v1/records/${institution}/${recordId}/changes`,
          );
          found.set(recordId, {
            version: answer.version,
            anchoring: answer.anchoring,
            residentRef: answer.current.residentRef,
            changes: answer.changes.map((c) => ({ reason: c.reason, changedAt: c.change.changedAt })),
          });
        } catch (error) {
          if (error instanceof GatewayError && error.status === 404) continue;
          throw error;
        }
      }
      return found;
    },
  };
}
