// /v1/consortium: members, alliances, nodes, the contract directory and proposals with their votes,
// from the mirror; an admin of a member institution proposes and votes, relayed through the
// institution's own (primary) account, which is what governance acts with.
import { createRoute, z } from "@hono/zod-openapi";
import { keccak256, stringToBytes, type Address, type Hex } from "viem";
import {
  ALLIANCE_KINDS,
  INSTITUTION_KINDS,
  MEMBER_STATUS,
  PROPOSAL_ACTIONS,
  ROLES as CHAIN_ROLES,
  byCode,
  platformError,
} from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import type { SentTransaction } from "../chain.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { idempotent } from "../middleware/idempotency.ts";
import { institutionOf, requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";
import { AddressSchema, Bytes32Schema, HexSchema, PageQuerySchema } from "../schemas/common.ts";

type Names<T> = [keyof T & string, ...(keyof T & string)[]];
const names = <T extends object>(table: T) => Object.keys(table) as Names<T>;

const ChainRoleName = z.enum(names(CHAIN_ROLES)).openapi({ description: "dataProvider, dataConsumer, certIssuer, auditRecorder, sharingApprover" });
const roleIds = (roles: readonly (keyof typeof CHAIN_ROLES)[]): Hex[] => roles.map((r) => CHAIN_ROLES[r].id);
const roleNameOf = (id: string) => Object.entries(CHAIN_ROLES).find(([, r]) => r.id.toLowerCase() === id.toLowerCase())?.[0] ?? id;

const Label = z.object({ code: z.number().int(), name: z.string(), zh: z.string(), en: z.string() });
function label<T extends Record<string, { code: number; zh: string; en: string }>>(table: T, code: number) {
  const e = byCode(table, code);
  return { code, name: String(e?.name ?? "unknown"), zh: e?.zh ?? "未知", en: e?.en ?? "Unknown" };
}

const EventRefSchema = z.object({ txHash: z.string(), blockNumber: z.number().int(), logIndex: z.number().int(), at: z.string() }).openapi("EventRef");

const MemberSchema = z
  .object({
    institution: z.string(),
    name: z.string(),
    kind: Label,
    status: Label,
    roles: z.array(z.string()),
    accounts: z.array(z.string()),
    added: EventRefSchema,
    updated: EventRefSchema,
  })
  .openapi("Member");

const AllianceSchema = z
  .object({ allianceId: z.string(), name: z.string(), kind: Label, lead: z.string().nullable(), members: z.array(z.string()), created: EventRefSchema })
  .openapi("Alliance");

const ProposalSchema = z
  .object({
    proposalId: z.string(),
    proposer: z.string(),
    action: Label,
    params: z.string(),
    deadline: z.string().nullable(),
    required: z.number().int(),
    yes: z.number().int(),
    no: z.number().int(),
    state: z.enum(["pending", "executed", "rejected", "expired"]),
    votes: z.array(EventRefSchema.extend({ voter: z.string(), support: z.boolean() })),
    created: EventRefSchema,
    closed: EventRefSchema.optional(),
  })
  .openapi("Proposal");

const NodeSchema = z
  .object({ node: z.string(), institution: z.string(), validator: z.boolean(), publicKey: z.string(), added: EventRefSchema })
  .openapi("ConsortiumNode");

const ProposeRequest = z
  .discriminatedUnion("action", [
    z.object({ action: z.literal("addMember"), institution: AddressSchema, kind: z.enum(names(INSTITUTION_KINDS)), name: z.string().min(1).max(200), roles: z.array(ChainRoleName).max(16) }),
    z.object({ action: z.literal("setMemberStatus"), institution: AddressSchema, status: z.enum(["active", "suspended", "exited"]) }),
    z.object({ action: z.literal("setMemberRoles"), institution: AddressSchema, roles: z.array(ChainRoleName).max(16) }),
    z.object({ action: z.literal("addAccount"), account: AddressSchema, institution: AddressSchema }),
    z.object({ action: z.literal("removeAccount"), account: AddressSchema }),
    z.object({ action: z.literal("addNode"), publicKey: HexSchema, institution: AddressSchema, validator: z.boolean() }),
    z.object({ action: z.literal("removeNode"), node: AddressSchema }),
    z.object({
      action: z.literal("createAlliance"),
      allianceId: Bytes32Schema.optional().openapi({ description: "Default: keccak256 of the name" }),
      kind: z.enum(names(ALLIANCE_KINDS)),
      name: z.string().min(1).max(200),
      lead: AddressSchema,
    }),
    z.object({ action: z.literal("joinAlliance"), allianceId: Bytes32Schema, institution: AddressSchema }),
    z.object({ action: z.literal("leaveAlliance"), allianceId: Bytes32Schema, institution: AddressSchema }),
    z.object({ action: z.literal("setGovernance"), thresholdBps: z.number().int().min(1).max(10_000), votingPeriodSeconds: z.number().int().positive() }),
    z.object({ action: z.literal("registerContract"), name: z.string().min(1).max(31), deployment: AddressSchema }),
  ])
  .openapi("ProposalRequest");

const ProposedSchema = z
  .object({ proposalId: z.string(), action: z.string(), txHash: z.string(), blockNumber: z.number().int() })
  .openapi("Proposed");

const VoteRequest = z.object({ support: z.boolean() }).openapi("Vote");
const VotedSchema = z
  .object({ proposalId: z.string(), support: z.boolean(), executed: z.boolean(), rejected: z.boolean(), txHash: z.string(), blockNumber: z.number().int() })
  .openapi("Voted");

const ProposalIdParam = z.object({ proposalId: z.string().regex(/^[1-9]\d{0,18}$/, "not a proposal id").openapi({ param: { name: "proposalId", in: "path" }, example: "1" }) });
const AddressParam = z.object({ address: AddressSchema.openapi({ param: { name: "address", in: "path" } }) });

const tags = ["consortium"];

export function consortiumRoutes(deps: GatewayDeps) {
  const member = (m: Awaited<ReturnType<GatewayDeps["mirror"]["consortium"]["members"]>>[number]) => ({
    institution: m.institution,
    name: m.name,
    kind: label(INSTITUTION_KINDS, m.kind),
    status: label(MEMBER_STATUS, m.status),
    roles: m.roles.map(roleNameOf),
    accounts: m.accounts,
    added: m.added,
    updated: m.updated,
  });

  /** Sends a proposal of the signed-in admin's institution. */
  async function propose(actor: Address, body: z.infer<typeof ProposeRequest>): Promise<SentTransaction> {
    const send = deps.chain.send.bind(deps.chain);
    switch (body.action) {
      case "addMember":
        return send(actor, "ConsortiumRegistry", "proposeAddMember", [body.institution, INSTITUTION_KINDS[body.kind].code, body.name, roleIds(body.roles)]);
      case "setMemberStatus":
        return send(actor, "ConsortiumRegistry", "proposeSetMemberStatus", [body.institution, MEMBER_STATUS[body.status].code]);
      case "setMemberRoles":
        return send(actor, "ConsortiumRegistry", "proposeSetMemberRoles", [body.institution, roleIds(body.roles)]);
      case "addAccount":
        return send(actor, "ConsortiumRegistry", "proposeAddAccount", [body.account, body.institution]);
      case "removeAccount":
        return send(actor, "ConsortiumRegistry", "proposeRemoveAccount", [body.account]);
      case "addNode":
        return send(actor, "ConsortiumRegistry", "proposeAddNode", [body.publicKey as Hex, body.institution, body.validator]);
      case "removeNode":
        return send(actor, "ConsortiumRegistry", "proposeRemoveNode", [body.node]);
      case "createAlliance":
        return send(actor, "ConsortiumRegistry", "proposeCreateAlliance", [
          body.allianceId ?? keccak256(stringToBytes(body.name)),
          ALLIANCE_KINDS[body.kind].code,
          body.name,
          body.lead,
        ]);
      case "joinAlliance":
        return send(actor, "ConsortiumRegistry", "proposeJoinAlliance", [body.allianceId, body.institution]);
      case "leaveAlliance":
        return send(actor, "ConsortiumRegistry", "proposeLeaveAlliance", [body.allianceId, body.institution]);
      case "setGovernance":
        return send(actor, "ConsortiumRegistry", "proposeSetGovernance", [body.thresholdBps, BigInt(body.votingPeriodSeconds)]);
      case "registerContract":
        return send(actor, "ConsortiumRegistry", "proposeRegisterContract", [keccak256(stringToBytes(body.name)), body.deployment]);
    }
  }

  const membersRoute = createRoute({
    method: "get", path: "/members", tags, summary: "Member institutions / 联盟成员", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    responses: { 200: { description: "Members", content: { "application/json": { schema: z.object({ items: z.array(MemberSchema) }) } } }, ...errorResponses(401, 403) },
  });
  const memberRoute = createRoute({
    method: "get", path: "/members/{address}", tags, summary: "One member / 成员详情", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    request: { params: AddressParam },
    responses: { 200: { description: "The member", content: { "application/json": { schema: MemberSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });
  const alliancesRoute = createRoute({
    method: "get", path: "/alliances", tags, summary: "Alliances (医联体 …) / 联盟体", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    responses: { 200: { description: "Alliances", content: { "application/json": { schema: z.object({ items: z.array(AllianceSchema) }) } } }, ...errorResponses(401, 403) },
  });
  const nodesRoute = createRoute({
    method: "get", path: "/nodes", tags, summary: "Allowlisted nodes / 节点", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    responses: { 200: { description: "Nodes", content: { "application/json": { schema: z.object({ items: z.array(NodeSchema) }) } } }, ...errorResponses(401, 403) },
  });
  const proposalsRoute = createRoute({
    method: "get", path: "/proposals", tags, summary: "Proposals with their votes / 提案与投票", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    request: { query: PageQuerySchema },
    responses: {
      200: { description: "A page, oldest first", content: { "application/json": { schema: z.object({ items: z.array(ProposalSchema), nextCursor: z.string().optional() }) } } },
      ...errorResponses(400, 401, 403),
    },
  });
  const proposalRoute = createRoute({
    method: "get", path: "/proposals/{proposalId}", tags, summary: "One proposal / 提案详情", security: BEARER, middleware: [requirePermission("consortium:read")] as const,
    request: { params: ProposalIdParam },
    responses: { 200: { description: "The proposal", content: { "application/json": { schema: ProposalSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });
  const proposeRoute = createRoute({
    method: "post", path: "/proposals", tags, summary: "Propose a change, as one's institution / 发起提案", security: BEARER,
    middleware: [requirePermission("consortium:propose"), idempotent(deps), audited(deps, "consortium.propose")] as const,
    request: { body: { content: { "application/json": { schema: ProposeRequest } }, required: true } },
    responses: { 201: { description: "Proposed", content: { "application/json": { schema: ProposedSchema } } }, ...errorResponses(400, 401, 403, 409, 502) },
  });
  const voteRoute = createRoute({
    method: "post", path: "/proposals/{proposalId}/votes", tags, summary: "Vote on a proposal, as one's institution / 投票", security: BEARER,
    middleware: [requirePermission("consortium:vote"), idempotent(deps), audited(deps, "consortium.vote", (c) => c.req.param("proposalId"))] as const,
    request: { params: ProposalIdParam, body: { content: { "application/json": { schema: VoteRequest } }, required: true } },
    responses: { 200: { description: "Voted", content: { "application/json": { schema: VotedSchema } } }, ...errorResponses(400, 401, 403, 409, 502) },
  });

  const proposal = (p: Awaited<ReturnType<GatewayDeps["mirror"]["consortium"]["proposals"]>>["items"][number]) => ({
    ...p,
    action: label(PROPOSAL_ACTIONS, p.action),
  });

  return createRouter()
    .openapi(membersRoute, async (c) => c.json({ items: (await deps.mirror.consortium.members()).map(member) }, 200))
    .openapi(memberRoute, async (c) => {
      const { address } = c.req.valid("param");
      const m = await deps.mirror.consortium.member(address);
      if (!m) throw platformError("NOT_FOUND", { details: { institution: address } });
      return c.json(member(m), 200);
    })
    .openapi(alliancesRoute, async (c) =>
      c.json({ items: (await deps.mirror.consortium.alliances()).map((a) => ({ ...a, kind: label(ALLIANCE_KINDS, a.kind) })) }, 200),
    )
    .openapi(nodesRoute, async (c) => c.json({ items: await deps.mirror.consortium.nodes() }, 200))
    .openapi(proposalsRoute, async (c) => {
      const q = c.req.valid("query");
      const page = await deps.mirror.consortium.proposals({ limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ items: page.items.map(proposal), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
    })
    .openapi(proposalRoute, async (c) => {
      const { proposalId } = c.req.valid("param");
      // Proposals are few; walk the pages.
      let cursor: string | undefined;
      for (;;) {
        const page = await deps.mirror.consortium.proposals({ limit: 500, ...(cursor ? { cursor } : {}) });
        const found = page.items.find((p) => p.proposalId === proposalId);
        if (found) return c.json(proposal(found), 200);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      throw platformError("NOT_FOUND", { details: { proposalId } });
    })
    .openapi(proposeRoute, async (c) => {
      const body = c.req.valid("json");
      const actor = institutionOf(principalOf(c));
      const sent = await propose(actor, body);
      const created = sent.logs.find((l) => l.eventName === "ProposalCreated");
      const proposalId = String(created?.args.proposalId ?? "");
      const result = { proposalId, action: body.action, txHash: sent.txHash, blockNumber: sent.blockNumber };
      await deps.db.$transaction(async (tx) => {
        await recordAudit(tx, c, { target: proposalId, purpose: body.action, details: { txHash: sent.txHash } });
        await c.get("idempotency")?.save(tx, 201, result);
      });
      return c.json(result, 201);
    })
    .openapi(voteRoute, async (c) => {
      const { proposalId } = c.req.valid("param");
      const { support } = c.req.valid("json");
      const actor = institutionOf(principalOf(c));
      const sent = await deps.chain.send(actor, "ConsortiumRegistry", "vote", [BigInt(proposalId), support]);
      const result = {
        proposalId,
        support,
        executed: sent.logs.some((l) => l.eventName === "ProposalExecuted"),
        rejected: sent.logs.some((l) => l.eventName === "ProposalRejected"),
        txHash: sent.txHash,
        blockNumber: sent.blockNumber,
      };
      await deps.db.$transaction(async (tx) => {
        await recordAudit(tx, c, { target: proposalId, purpose: support ? "yes" : "no", details: { txHash: sent.txHash, executed: result.executed } });
        await c.get("idempotency")?.save(tx, 200, result);
      });
      return c.json(result, 200);
    });
}
