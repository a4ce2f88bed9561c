// Residents' research consent, asked of the chain at export time: for every record of the cohort,
// per field, whether the PROJECT (grantee kind project, its bytes32 id) may read it for the
// research purpose now — ConsentRegistry.checkAccessFields, the check a doctor's read makes, all of
// an export's questions in as few eth_calls as their answers allow (chain.readTogether) at the
// latest block, so one state answers for the whole package.
import { LIMITS, PURPOSES } from "@health-chain/sdk";
import type { Address, Hex } from "viem";
import type { GatewayDeps } from "../context.ts";

export interface ConsentQuestion {
  readonly resident: Address;
  readonly recordId: Hex;
  readonly category: Hex;
  readonly fields: readonly Hex[];
}

export interface ConsentAnswer {
  readonly allowed: boolean[];
  readonly grantIds: Hex[];
}

/** The port the export pipeline asks (services/analytics ConsentPort). */
export interface ResearchConsent {
  check(projectId: Hex, items: readonly ConsentQuestion[], at: Date): Promise<ConsentAnswer[]>;
}

export function chainResearchConsent(deps: Pick<GatewayDeps, "chain">): ResearchConsent {
  return {
    async check(projectId, items, at) {
      const { consentRegistry } = deps.chain.contracts;
      const seconds = BigInt(Math.floor(at.getTime() / 1000));
      const perCheck = LIMITS.maxFieldsPerCheck;
      // A record with more fields than one call may name asks in slices (as /v1/access does).
      const calls: { item: number; offset: number; fields: readonly Hex[] }[] = [];
      items.forEach((item, index) => {
        for (let offset = 0; offset < item.fields.length; offset += perCheck) calls.push({ item: index, offset, fields: item.fields.slice(offset, offset + perCheck) });
      });
      const answers = await deps.chain.readTogether(
        calls.map((call) => {
          const item = items[call.item]!;
          return {
            address: consentRegistry.address,
            abi: consentRegistry.abi,
            functionName: "checkAccessFields",
            args: [item.resident, projectId, item.recordId, item.category, call.fields, PURPOSES.research.code, seconds],
            answerBytes: 128 + 64 * call.fields.length,
          };
        }),
      );
      const out: ConsentAnswer[] = items.map((item) => ({ allowed: new Array<boolean>(item.fields.length).fill(false), grantIds: new Array<Hex>(item.fields.length).fill(`0x${"0".repeat(64)}`) }));
      calls.forEach((call, index) => {
        const answer = answers[index]!;
        if (answer.status === "failure") throw answer.error;
        const [allowed, grantIds] = answer.result as readonly [readonly boolean[], readonly Hex[]];
        call.fields.forEach((_, j) => {
          out[call.item]!.allowed[call.offset + j] = allowed[j]!;
          out[call.item]!.grantIds[call.offset + j] = grantIds[j]!;
        });
      });
      return out;
    },
  };
}
