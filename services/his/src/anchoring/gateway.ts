// The Anchorer over the platform's gateway: the collection service signs in as its institution's
// system (SM2 key registered with the gateway) and anchors through the REST API, which stores the
// originals encrypted in the institution's store and relays the anchors to the chain. The service
// never holds a chain key. A session that expires is renewed once per request.
import { GatewayError, createSystemSession, type SystemSessionOptions } from "../../../../gateway/src/client.ts";
import type { Address, Hex } from "viem";
import type { AnchorChangeInput, AnchoredState, AnchorMode, AnchorReceipt, Anchorer, AnchorRecordInput } from "./anchor.ts";

export type GatewayAnchorerOptions = SystemSessionOptions;

export { GatewayError };

export function createGatewayAnchorer(options: GatewayAnchorerOptions): Anchorer & { institution(): Promise<Address> } {
  const { call, institution } = createSystemSession(options);

  const modeOf = (mode: AnchorMode) => (mode === "clear-hash" ? {} : { anchorMode: mode });

  return {
    institution,
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
      const { recordId, ...rest } = change;
      const answer = await call<{ txHash: Hex; blockNumber: number; batchId?: string; root?: Hex }>("POST", `/v1/records/${await institution()}/${recordId}/change`, rest);
      return { batchId: answer.batchId ?? null, root: answer.root ?? null, txHash: answer.txHash, blockNumber: answer.blockNumber };
    },
    async anchoredState(recordIds) {
      const self = await institution();
      const found = new Map<Hex, AnchoredState>();
      for (const recordId of recordIds) {
        try {
          const answer = await call<{ version: number; anchoring: "single" | "batch"; current: { residentRef: Hex }; changes: { reason: string; change: { changedAt: number } }[] }>(
            "GET",
            `/v1/records/${self}/${recordId}/changes`,
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
