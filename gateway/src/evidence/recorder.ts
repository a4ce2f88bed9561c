// The batcher's chain side over the gateway's ChainAccess: AuditTrail.recordAccessBatch sent from
// the platform's account (the configured relayer institution, which holds AUDIT_RECORDER), and the
// lookup of a root this recorder already recorded.
import { getAbiItem, getAddress, type Address, type Hex } from "viem";
import { auditTrailAbi, platformError } from "@health-chain/sdk";
import type { ChainAccess } from "../chain.ts";
import type { EvidenceRecorder, RecordedBatch } from "./batcher.ts";

const ACCESS_BATCH_RECORDED = getAbiItem({ abi: auditTrailAbi, name: "AccessBatchRecorded" });

export function chainEvidenceRecorder(chain: ChainAccess, recorder: Address = chain.relayer): EvidenceRecorder {
  const institution = getAddress(recorder);
  const auditTrail = chain.deployments.contracts.AuditTrail;
  return {
    recorder: institution,

    async findBatch(root: Hex): Promise<RecordedBatch | undefined> {
      const batchId = await chain.contracts.auditTrail.read.accessBatchIdOf([institution, root]);
      if (batchId === 0n) return undefined;
      const logs = await chain.publicClient.getLogs({
        address: auditTrail.address,
        event: ACCESS_BATCH_RECORDED,
        args: { batchId, recorder: institution },
        fromBlock: BigInt(auditTrail.blockNumber),
        toBlock: "latest",
      });
      const log = logs[0];
      if (log === undefined || log.transactionHash === null || log.blockNumber === null) {
        throw platformError("INTERNAL", { details: { reason: "recorded access batch without its event", batchId: batchId.toString() } });
      }
      return { batchId, txHash: log.transactionHash, blockNumber: Number(log.blockNumber) };
    },

    async recordBatch(root, lineCount, fromTime, toTime): Promise<RecordedBatch> {
      const sent = await chain.send(institution, "AuditTrail", "recordAccessBatch", [root, lineCount, fromTime, toTime]);
      const event = sent.logs.find((l) => l.contract === "AuditTrail" && l.eventName === "AccessBatchRecorded");
      if (event === undefined) {
        throw platformError("INTERNAL", { details: { reason: "recordAccessBatch emitted no AccessBatchRecorded", txHash: sent.txHash } });
      }
      return { batchId: event.args.batchId as bigint, txHash: sent.txHash, blockNumber: sent.blockNumber };
    },
  };
}
