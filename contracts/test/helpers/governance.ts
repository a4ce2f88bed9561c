// Member votes for the tests of the contracts that take their roles from ConsortiumRegistry: a
// proposal is made and seconded only while it still needs votes (the member a status change is
// about never votes on it, so the proposer's vote alone may pass it).
import { MEMBER_STATUS, PROPOSAL_STATES } from "@health-chain/sdk";
import { expect } from "chai";
import type { ConsortiumRegistry } from "../../../types/ethers-contracts/index.js";

type Voter = Parameters<ConsortiumRegistry["connect"]>[0];

/** Makes a proposal as `proposer`, seconds it with `voters` while it is pending, and checks it passed. */
export async function enact(
  registry: ConsortiumRegistry,
  proposer: Voter,
  propose: (r: ConsortiumRegistry) => Promise<unknown>,
  voters: readonly Voter[],
): Promise<bigint> {
  await propose(registry.connect(proposer));
  const id = await registry.proposalCount();
  for (const voter of voters) {
    if ((await registry.proposalState(id)) !== BigInt(PROPOSAL_STATES.pending.code)) break;
    await registry.connect(voter).vote(id, true);
  }
  expect((await registry.getProposal(id)).executed, `proposal ${id} passed`).to.equal(true);
  return id;
}

/** Suspends a member by a real vote of the others. */
export async function suspendMember(
  registry: ConsortiumRegistry,
  institution: string,
  proposer: Voter,
  voters: readonly Voter[],
): Promise<void> {
  await enact(registry, proposer, (r) => r.proposeSetMemberStatus(institution, MEMBER_STATUS.suspended.code), voters);
  expect(await registry.isActiveMember(institution)).to.equal(false);
}
