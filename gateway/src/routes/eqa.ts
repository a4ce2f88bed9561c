// /v1/eqa: external quality assessment (室间质评) of the quality centre, over the EQA service's own
// database (services/eqa). The gateway checks who may do what — the centre's admins (an institution
// named in `eqa.centres`) manage plans, rounds, labs, schemes, evaluations and publication; a lab's
// staff enter and submit its results, ask for an unlock and register non-participation, for labs of
// their own institution only; everyone with a certificate file verifies it — and the service's own
// code validates and stores, so the gateway and the service's CLI accept exactly the same input.
// Evaluating and issuing documents are long jobs: the gateway records the request (an
// EvaluationRequest row, the round's "published" status) and the EQA worker takes it within
// seconds. Before publication, labs never see expected values, other labs' results or scores.
import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getAddress, isAddress, type Hex } from "viem";
import { CERTIFICATE_STATUS, platformError, sm3Hex, toPlatformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv, Principal } from "../context.ts";
import { audited } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { institutionOf, requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";
import { anchoredCertificate, label } from "./certificates.ts";
import type { EqaDb } from "../../../services/eqa/src/db.ts";
import { createPlan, createRound, enrolLabs, getRound, registerLab, setRoundStatus } from "../../../services/eqa/src/model/index.ts";
import {
  auditTrail,
  decideUnlock,
  labStatus,
  registerNonParticipation,
  requestUnlock,
  resetResults,
  saveResults,
  submitResults,
} from "../../../services/eqa/src/intake/index.ts";
import { analyteDefinitionSchema } from "../../../services/eqa/src/model/analyte-definition.ts";
import { latestEvaluation, latestLabEvaluation } from "../../../services/eqa/src/publication/evaluate.ts";
import { exportSummariesXlsx } from "../../../services/eqa/src/evaluation/index.ts";
import { certificateIdOf, parseStatement, recognitionAt, type StatementCandidate } from "../../../services/eqa/src/recognition/index.ts";
import { evaluateStudy } from "../../../services/eqa/src/homogeneity/index.ts";
import { renderHomogeneityReport } from "../../../services/eqa/src/reports/index.ts";

// ---------------------------------------------------------------- schemas

const Code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "a code: letters, digits, _ . - (1–64)");
const RoundParam = z.object({ round: Code.openapi({ param: { name: "round", in: "path" }, example: "CHEM-2027-1" }) });
const RoundLabParam = RoundParam.extend({ lab: Code.openapi({ param: { name: "lab", in: "path" }, example: "L001" }) });
const LabParam = z.object({ lab: Code.openapi({ param: { name: "lab", in: "path" }, example: "L001" }) });
const Reason = z.string().trim().min(2).max(1000);
const When = z.string().datetime({ offset: true });
const Json = z.record(z.string(), z.unknown());
const Ok = z.record(z.string(), z.unknown()).openapi("EqaResult");
const CertIdParam = z.object({ certId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of 0x hex").openapi({ param: { name: "certId", in: "path" } }) });

const PlanRequest = z
  .object({
    code: Code,
    name: z.string().min(1).max(200),
    nameEn: z.string().min(1).max(200),
    year: z.number().int().min(2000).max(2100),
    passThreshold: z.number().gt(0).max(1).optional(),
    analytes: z.array(Json).min(1).max(500).openapi({ description: "AnalyteDefinition (services/eqa/src/types.ts), validated by the service" }),
  })
  .openapi("EqaPlan");

const RoundRequest = z
  .object({
    planCode: Code,
    code: Code,
    name: z.string().min(1).max(200),
    opensAt: When,
    deadline: When,
    samples: z.array(z.object({ code: Code, expected: Json.optional() })).min(1).max(100),
  })
  .openapi("EqaRound");

const LabRequest = z
  .object({
    name: z.string().min(1).max(200),
    institution: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    department: z.string().min(1).max(100),
    level: z.enum(["tertiary", "secondary", "primary", "other"]),
    region: z.string().min(1).max(100),
    allowedToTest: z.record(z.string(), z.boolean()).optional(),
  })
  .openapi("EqaLab");

const EntriesRequest = z
  .object({ entries: z.array(Json).max(5000).openapi({ description: "ResultEntry (services/eqa/src/intake): analyte, sample, value as typed (E notation accepted), choice, organisms, replicates, answers, instrument, reagent, method" }) })
  .openapi("EqaEntries");

const SubmitRequest = z.object({ entries: z.array(Json).max(5000).optional() }).openapi("EqaSubmit");

const tags = ["eqa"];

// ---------------------------------------------------------------- access

/** The EQA service's database, or a clear refusal when this gateway has none configured. */
export function eqaOf(deps: GatewayDeps): EqaDb {
  if (deps.eqa === undefined || deps.config.eqa === undefined) {
    throw platformError("NOT_FOUND", {
      message: "The EQA service is not configured on this gateway (eqa.databaseUrl).",
      messageZh: "本网关未配置室间质评服务（eqa.databaseUrl）。",
      details: { reason: "eqa-not-configured" },
    });
  }
  return deps.eqa;
}

/**
 * Whether the principal acts for the quality centre: a manager (eqa:manage) of an institution named
 * in `eqa.centres`. Anyone else at that institution — its auditor, its systems, the staff of a lab
 * the centre itself runs — is treated like any lab: no expected values, no other labs' results.
 */
function isCentre(deps: GatewayDeps, principal: Principal): boolean {
  const institution = principal.institution?.toLowerCase();
  if (institution === undefined || !(deps.config.eqa?.centres ?? []).some((c) => c.toLowerCase() === institution)) return false;
  return deps.rbac.allows(principal.roles, "eqa:manage");
}

function requireCentre(deps: GatewayDeps, c: Context<GatewayEnv>): string {
  const principal = principalOf(c);
  if (!isCentre(deps, principal)) {
    throw platformError("FORBIDDEN", {
      message: "Only the quality centre manages EQA plans, rounds and evaluations.",
      messageZh: "只有临床检验中心可以管理质评计划、轮次与评价。",
      details: { reason: "not-eqa-centre" },
    });
  }
  return actorOf(c);
}

function actorOf(c: Context<GatewayEnv>): string {
  const principal = principalOf(c);
  return principal.staffId ?? principal.subject;
}

/** The lab, if the caller may act for it: staff of the lab's institution, or the centre when `centre` allows. */
async function labFor(deps: GatewayDeps, c: Context<GatewayEnv>, labCode: string, options: { centre: boolean }) {
  const db = eqaOf(deps);
  // Plain SQL on the submission path (Prisma's query compiler costs more than this lookup).
  const [lab] = await db.$queryRaw<{ id: number; code: string; institution: string }[]>`SELECT "id", "code", "institution" FROM "Lab" WHERE "code" = ${labCode}`;
  if (!lab) throw platformError("NOT_FOUND", { message: `No lab ${labCode}.`, messageZh: `没有实验室 ${labCode}。`, details: { lab: labCode } });
  const principal = principalOf(c);
  if (options.centre && isCentre(deps, principal)) return lab;
  if (institutionOf(principal).toLowerCase() !== lab.institution.toLowerCase()) {
    throw platformError("FORBIDDEN", {
      message: `Lab ${labCode} belongs to another institution.`,
      messageZh: `实验室 ${labCode} 属于其他机构。`,
      details: { reason: "other-institution", lab: labCode },
    });
  }
  return lab;
}

// ---------------------------------------------------------------- routes

const OK_RESPONSES = {
  200: { description: "OK", content: { "application/json": { schema: Ok } } },
  ...errorResponses(400, 401, 403, 404, 409),
};

/** A JSON route of /v1/eqa: signed in, with the usual error answers. */
function eqaRoute<const R extends Omit<RouteConfig, "responses" | "tags" | "security">>(config: R) {
  return createRoute({ tags, security: BEARER, ...config, responses: OK_RESPONSES });
}

export function eqaRoutes(deps: GatewayDeps) {
  const json = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
  const withAudit = (action: string, target?: (c: Context<GatewayEnv>) => string | undefined) => audited(deps, action, target);
  const roundTarget = (c: Context<GatewayEnv>) => c.req.param("round");
  const labTarget = (c: Context<GatewayEnv>) => `${c.req.param("round") ?? ""}/${c.req.param("lab") ?? ""}`;

  const createPlanRoute = eqaRoute({ method: "post", path: "/plans", summary: "Create a plan with its analytes / 创建质评计划", middleware: [requirePermission("eqa:manage"), withAudit("eqa.plan.create")] as const, request: json(PlanRequest) });
  const createRoundRoute = eqaRoute({ method: "post", path: "/rounds", summary: "Create a round with its samples / 创建轮次", middleware: [requirePermission("eqa:manage"), withAudit("eqa.round.create")] as const, request: json(RoundRequest) });
  const statusRoute = eqaRoute({ method: "post", path: "/rounds/{round}/status", summary: "Open, close, or publish a round / 变更轮次状态", middleware: [requirePermission("eqa:manage"), withAudit("eqa.round.status", roundTarget)] as const, request: { params: RoundParam, ...json(z.object({ status: z.enum(["open", "closed", "published"]) })) } });
  const labRoute = eqaRoute({ method: "put", path: "/labs/{lab}", summary: "Register or update a laboratory / 登记实验室", middleware: [requirePermission("eqa:manage"), withAudit("eqa.lab.register")] as const, request: { params: LabParam, ...json(LabRequest) } });
  const enrolRoute = eqaRoute({ method: "post", path: "/rounds/{round}/enrolments", summary: "Enrol laboratories in a round / 登记参评实验室", middleware: [requirePermission("eqa:manage"), withAudit("eqa.round.enrol", roundTarget)] as const, request: { params: RoundParam, ...json(z.object({ labs: z.array(Code).min(1).max(5000) })) } });
  const getRoundRoute = eqaRoute({ method: "get", path: "/rounds/{round}", summary: "A round: analytes, samples, enrolled labs (expected values for the centre only) / 轮次详情", middleware: [requirePermission("eqa:read")] as const, request: { params: RoundParam } });
  const saveRoute = eqaRoute({ method: "put", path: "/rounds/{round}/labs/{lab}/results", summary: "Save result entries (draft) / 保存结果", middleware: [requirePermission("eqa:submit"), withAudit("eqa.results.save", labTarget)] as const, request: { params: RoundLabParam, ...json(EntriesRequest) } });
  const submitRoute = eqaRoute({ method: "post", path: "/rounds/{round}/labs/{lab}/submit", summary: "Submit and lock the lab's results / 提交并锁定", middleware: [requirePermission("eqa:submit"), withAudit("eqa.results.submit", labTarget)] as const, request: { params: RoundLabParam, ...json(SubmitRequest) } });
  const unlockRequestRoute = eqaRoute({ method: "post", path: "/rounds/{round}/labs/{lab}/unlock-requests", summary: "Ask the centre to unlock submitted results / 申请解锁", middleware: [requirePermission("eqa:submit"), withAudit("eqa.unlock.request", labTarget)] as const, request: { params: RoundLabParam, ...json(z.object({ reason: Reason })) } });
  const nonParticipationRoute = eqaRoute({ method: "post", path: "/rounds/{round}/labs/{lab}/non-participation", summary: "Register non-participation with a reason / 登记未参加", middleware: [requirePermission("eqa:submit"), withAudit("eqa.nonParticipation", labTarget)] as const, request: { params: RoundLabParam, ...json(z.object({ reason: Reason })) } });
  const decideUnlockRoute = eqaRoute({ method: "post", path: "/unlock-requests/{id}/decision", summary: "Approve or reject an unlock request / 审批解锁申请", middleware: [requirePermission("eqa:manage"), withAudit("eqa.unlock.decide", (c) => c.req.param("id"))] as const, request: { params: z.object({ id: z.coerce.number().int().min(1).openapi({ param: { name: "id", in: "path" } }) }), ...json(z.object({ approve: z.boolean(), note: z.string().max(1000).optional() })) }, });
  const resetRoute = eqaRoute({ method: "post", path: "/rounds/{round}/labs/{lab}/reset", summary: "Reset a lab's results (kept in the audit trail) / 重置结果", middleware: [requirePermission("eqa:manage"), withAudit("eqa.results.reset", labTarget)] as const, request: { params: RoundLabParam, ...json(z.object({ reason: Reason })) } });
  const labViewRoute = eqaRoute({ method: "get", path: "/rounds/{round}/labs/{lab}", summary: "A lab's status, results and — once published — scores and documents / 实验室结果", middleware: [requirePermission("eqa:read")] as const, request: { params: RoundLabParam } });
  const overrideRoute = eqaRoute({ method: "put", path: "/rounds/{round}/schemes/{analyte}", summary: "Override an analyte's evaluation scheme for this round (recorded) / 修改评价方案", middleware: [requirePermission("eqa:manage"), withAudit("eqa.scheme.override", roundTarget)] as const, request: { params: RoundParam.extend({ analyte: Code.openapi({ param: { name: "analyte", in: "path" } }) }), ...json(z.object({ scheme: Json, reason: Reason })) }, });
  const evaluateRoute = eqaRoute({ method: "post", path: "/rounds/{round}/evaluations", summary: "Request an evaluation of the round (the worker computes it) / 请求评价", middleware: [requirePermission("eqa:manage"), withAudit("eqa.round.evaluate", roundTarget)] as const, request: { params: RoundParam } });
  const evaluationRoute = eqaRoute({ method: "get", path: "/rounds/{round}/evaluation", summary: "The latest evaluation: cells, summaries, collusion, consistency / 评价结果", middleware: [requirePermission("eqa:manage")] as const, request: { params: RoundParam, query: z.object({ part: z.enum(["summary", "full"]).default("summary") }) }, });
  const xlsxRoute = createRoute({
    method: "get",
    path: "/rounds/{round}/summaries.xlsx",
    tags,
    summary: "Summaries as an Excel workbook / 统计汇总导出",
    security: BEARER,
    middleware: [requirePermission("eqa:manage")] as const,
    request: { params: RoundParam },
    responses: { 200: { description: "The workbook", content: { "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { schema: z.any() } } }, ...errorResponses(401, 403, 404, 409) },
  });
  const documentsRoute = eqaRoute({ method: "get", path: "/rounds/{round}/documents", summary: "Documents of a round with their anchoring state (centre) / 报告与证书", middleware: [requirePermission("eqa:manage")] as const, request: { params: RoundParam } });
  const documentRoute = createRoute({
    method: "get",
    path: "/documents/{number}",
    tags,
    summary: "Download a report, certificate or recognition statement / 下载报告或证书",
    security: BEARER,
    middleware: [requirePermission("eqa:read")] as const,
    request: { params: z.object({ number: z.string().min(1).max(200).openapi({ param: { name: "number", in: "path" } }) }) },
    responses: { 200: { description: "The document's bytes", content: { "application/pdf": { schema: z.any() }, "application/json": { schema: z.any() } } }, ...errorResponses(401, 403, 404) },
  });
  const verifyGetRoute = createRoute({
    method: "get",
    path: "/verify/{certId}",
    tags,
    summary: "What the chain holds for a certificate or report (public) / 证书核验",
    request: { params: CertIdParam },
    responses: { 200: { description: "The anchored state", content: { "application/json": { schema: Ok } } }, ...errorResponses(400, 404, 502) },
  });
  const verifyPostRoute = createRoute({
    method: "post",
    path: "/verify/{certId}",
    tags,
    summary: "Verify a file against its anchor: valid, revoked, expired or altered (public) / 上传文件核验",
    request: { params: CertIdParam, body: { content: { "application/octet-stream": { schema: z.any().openapi({ type: "string", format: "binary" }) } }, required: true } },
    responses: { 200: { description: "The chain's answer for this file", content: { "application/json": { schema: Ok } } }, ...errorResponses(400, 502) },
  });
  const homogeneityPostRoute = eqaRoute({
    method: "post",
    path: "/rounds/{round}/homogeneity",
    summary: "Record the homogeneity and stability study of a round's samples; its conclusion report is issued and anchored / 样品均匀性与稳定性检验",
    middleware: [requirePermission("eqa:manage"), withAudit("eqa.homogeneity", roundTarget)] as const,
    request: { params: RoundParam, ...json(Json.openapi({ description: "HomogeneityStudyInput (services/eqa/src/homogeneity/types.ts); round is taken from the path" })) },
  });
  const homogeneityGetRoute = eqaRoute({
    method: "get",
    path: "/rounds/{round}/homogeneity",
    summary: "The latest homogeneity and stability study of a round with its conclusion / 均匀性与稳定性结论",
    middleware: [requirePermission("eqa:read")] as const,
    request: { params: RoundParam },
  });
  const listRoundsRoute = eqaRoute({
    method: "get",
    path: "/rounds",
    summary: "Rounds with their plan, status, deadline and counts (labs see the rounds their institution's labs are enrolled in) / 轮次列表",
    middleware: [requirePermission("eqa:read")] as const,
    request: { query: z.object({ status: z.enum(["draft", "open", "closed", "evaluated", "published"]).optional() }) },
  });
  const listLabsRoute = eqaRoute({
    method: "get",
    path: "/labs",
    summary: "Registered laboratories (the centre sees all, others their institution's) / 实验室列表",
    middleware: [requirePermission("eqa:read")] as const,
  });
  const unlockListRoute = eqaRoute({
    method: "get",
    path: "/unlock-requests",
    summary: "Unlock requests waiting for (or given) the centre's decision / 解锁申请",
    middleware: [requirePermission("eqa:manage")] as const,
    request: { query: z.object({ status: z.enum(["pending", "approved", "rejected"]).default("pending") }) },
  });
  const auditRoute = eqaRoute({
    method: "get",
    path: "/rounds/{round}/audit",
    summary: "The round's audit trail: creations, saves, submissions, unlocks, resets, evaluations, documents / 轮次审计记录",
    middleware: [requirePermission("eqa:manage")] as const,
    request: { params: RoundParam, query: z.object({ lab: Code.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(200) }) },
  });
  const recognitionRoute = eqaRoute({ method: "get", path: "/recognition", summary: "Was institution X's lab recognised for analyte Y at date Z? (互认) / 结果互认查询", middleware: [requirePermission("eqa:recognition")] as const, request: {
      query: z.object({
        institution: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an institution address"),
        analyte: z.string().trim().min(1).max(64).openapi({ description: "EQA analyte code or LOINC code" }),
        date: z.string().datetime({ offset: true }).or(z.string().date()).openapi({ description: "When the result was produced" }),
      }),
    }, });

  const chainCertificate = (certId: Hex) => anchoredCertificate(deps, certId);

  return createRouter()
    .openapi(createPlanRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const body = c.req.valid("json");
      return c.json(await createPlan(eqaOf(deps), body as never, actor), 200);
    })
    .openapi(createRoundRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const body = c.req.valid("json");
      return c.json(await createRound(eqaOf(deps), { ...body, opensAt: new Date(body.opensAt), deadline: new Date(body.deadline) } as never, actor), 200);
    })
    .openapi(statusRoute, async (c) => {
      const actor = requireCentre(deps, c);
      return c.json(await setRoundStatus(eqaOf(deps), c.req.valid("param").round, c.req.valid("json").status, actor), 200);
    })
    .openapi(labRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const body = c.req.valid("json");
      return c.json(await registerLab(eqaOf(deps), { code: c.req.valid("param").lab, ...body, institution: getAddress(body.institution) } as never, actor), 200);
    })
    .openapi(enrolRoute, async (c) => {
      const actor = requireCentre(deps, c);
      return c.json(await enrolLabs(eqaOf(deps), c.req.valid("param").round, c.req.valid("json").labs, actor), 200);
    })
    .openapi(getRoundRoute, async (c) => {
      const view = await getRound(eqaOf(deps), c.req.valid("param").round);
      const principal = principalOf(c);
      if (isCentre(deps, principal)) return c.json(view as never, 200);
      // Labs see the round they answer, not the answers: no expected values, only their own institution's labs.
      const institution = principal.institution?.toLowerCase();
      return c.json(
        {
          ...view,
          samples: view.samples.map((s) => ({ id: s.id, code: s.code })),
          labs: view.labs.filter((l) => l.institution.toLowerCase() === institution),
        } as never,
        200,
      );
    })
    .openapi(saveRoute, async (c) => {
      const { round, lab } = c.req.valid("param");
      await labFor(deps, c, lab, { centre: false });
      return c.json(await saveResults(eqaOf(deps), { roundCode: round, labCode: lab, entries: c.req.valid("json").entries as never, actor: actorOf(c), now: deps.clock.now() }), 200);
    })
    .openapi(submitRoute, async (c) => {
      const { round, lab } = c.req.valid("param");
      await labFor(deps, c, lab, { centre: false });
      const { entries } = c.req.valid("json");
      return c.json(await submitResults(eqaOf(deps), { roundCode: round, labCode: lab, actor: actorOf(c), now: deps.clock.now(), ...(entries ? { entries: entries as never } : {}) }), 200);
    })
    .openapi(unlockRequestRoute, async (c) => {
      const { round, lab } = c.req.valid("param");
      await labFor(deps, c, lab, { centre: false });
      return c.json(await requestUnlock(eqaOf(deps), { roundCode: round, labCode: lab, reason: c.req.valid("json").reason, actor: actorOf(c), now: deps.clock.now() }), 200);
    })
    .openapi(nonParticipationRoute, async (c) => {
      const { round, lab } = c.req.valid("param");
      await labFor(deps, c, lab, { centre: false });
      return c.json(await registerNonParticipation(eqaOf(deps), { roundCode: round, labCode: lab, reason: c.req.valid("json").reason, actor: actorOf(c), now: deps.clock.now() }), 200);
    })
    .openapi(decideUnlockRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const { approve, note } = c.req.valid("json");
      return c.json(await decideUnlock(eqaOf(deps), { requestId: c.req.valid("param").id, approve, ...(note ? { note } : {}), actor, now: deps.clock.now() }), 200);
    })
    .openapi(resetRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const { round, lab } = c.req.valid("param");
      return c.json(await resetResults(eqaOf(deps), { roundCode: round, labCode: lab, reason: c.req.valid("json").reason, actor, now: deps.clock.now() }), 200);
    })
    .openapi(labViewRoute, async (c) => {
      const { round, lab } = c.req.valid("param");
      const db = eqaOf(deps);
      const found = await labFor(deps, c, lab, { centre: true });
      const status = await labStatus(db, round, lab);
      const roundRow = await db.round.findUnique({ where: { code: round }, select: { id: true, status: true } });
      if (!roundRow) throw platformError("NOT_FOUND", { details: { round } });
      const results = await db.result.findMany({
        where: { roundId: roundRow.id, labId: found.id },
        select: { analyteCode: true, valueJson: true, instrument: true, reagent: true, method: true, enteredAt: true, sample: { select: { code: true } } },
        orderBy: [{ analyteCode: "asc" }, { sampleId: "asc" }],
      });
      const published = roundRow.status === "published";
      const centre = isCentre(deps, principalOf(c));
      // Scores are the lab's once the round is published (the centre sees them as soon as evaluated);
      // only this lab's part of the evaluation is read.
      const part = published || centre ? await latestLabEvaluation(db, round, lab) : null;
      const scores = part?.scores;
      const standings = part?.standings;
      const documents = published
        ? await db.document.findMany({ where: { roundId: roundRow.id, labId: found.id }, select: { kind: true, number: true, sm3: true, certId: true, status: true, txHash: true, issuedAt: true, validFrom: true, validUntil: true }, orderBy: { number: "asc" } })
        : [];
      return c.json(
        {
          status,
          results: results.map((r) => ({ analyte: r.analyteCode, sample: r.sample.code, value: JSON.parse(r.valueJson) as unknown, instrument: r.instrument, reagent: r.reagent, method: r.method, enteredAt: r.enteredAt.toISOString() })),
          ...(scores ? { scores, standings } : {}),
          documents: status.canDownloadReport || centre ? documents : [],
        } as never,
        200,
      );
    })
    .openapi(overrideRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const { round, analyte } = c.req.valid("param");
      const { scheme, reason } = c.req.valid("json");
      const db = eqaOf(deps);
      const view = await getRound(db, round);
      const definition = view.analytes.find((a) => a.code === analyte);
      if (!definition) throw platformError("NOT_FOUND", { message: `Round ${round} has no analyte ${analyte}.`, messageZh: `轮次 ${round} 没有项目 ${analyte}。`, details: { analyte } });
      if (view.round.status === "published") throw platformError("CONFLICT", { message: "The round is published.", messageZh: "该轮次已发布。", details: { reason: "roundStatus" } });
      // The scheme is checked with the analyte it belongs to, by the same rules as a plan's definitions.
      const checked = analyteDefinitionSchema.safeParse({ ...definition, scheme });
      if (!checked.success) {
        throw platformError("INVALID_INPUT", {
          message: `The scheme is not valid: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
          messageZh: `评价方案无效：${checked.error.issues.map((i) => `${i.path.join(".")}：${i.message}`).join("；")}`,
          details: { issues: checked.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
        });
      }
      const roundId = view.round.id;
      const now = deps.clock.now();
      const saved = await db.$transaction(async (tx) => {
        const row = await tx.schemeOverride.create({ data: { roundId, analyteCode: analyte, schemeJson: JSON.stringify(checked.data.scheme), reason, actor, at: now } });
        await tx.auditEvent.create({ data: { at: now, actor, action: "scheme.override", roundCode: round, labCode: null, detailsJson: JSON.stringify({ analyte, scheme: checked.data.scheme, reason }) } });
        return row;
      });
      return c.json({ id: saved.id, round, analyte, at: now.toISOString() }, 200);
    })
    .openapi(evaluateRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const db = eqaOf(deps);
      const row = await db.round.findUnique({ where: { code: round }, select: { id: true, status: true } });
      if (!row) throw platformError("NOT_FOUND", { message: `No round ${round}.`, messageZh: `没有轮次 ${round}。`, details: { round } });
      if (row.status !== "closed" && row.status !== "evaluated") {
        throw platformError("CONFLICT", {
          message: `Round ${round} is ${row.status}: evaluate it once it is closed, and before it is published.`,
          messageZh: `轮次 ${round} 当前为 ${row.status}：须在关闭后、发布前评价。`,
          details: { reason: "roundStatus", status: row.status },
        });
      }
      const request = await db.evaluationRequest.create({ data: { roundId: row.id, requestedBy: actor, requestedAt: deps.clock.now() } });
      return c.json({ requestId: request.id, round, requestedAt: request.requestedAt.toISOString() }, 200);
    })
    .openapi(evaluationRoute, async (c) => {
      requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const db = eqaOf(deps);
      const stored = await latestEvaluation(db, round);
      const requests = await db.evaluationRequest.findMany({ where: { round: { code: round } }, orderBy: { id: "desc" }, take: 5 });
      const requestViews = requests.map((r) => ({ id: r.id, requestedBy: r.requestedBy, requestedAt: r.requestedAt.toISOString(), startedAt: r.startedAt?.toISOString() ?? null, finishedAt: r.finishedAt?.toISOString() ?? null, error: r.error }));
      if (!stored) return c.json({ round, evaluation: null, requests: requestViews }, 200);
      const { evaluation } = stored;
      const head = { round, version: stored.version, computedAt: stored.computedAt.toISOString(), computedBy: stored.computedBy, schemes: stored.schemes, requests: requestViews };
      if (c.req.valid("query").part === "full") return c.json({ ...head, evaluation } as never, 200);
      return c.json({ ...head, summaries: evaluation.summaries, labs: evaluation.labs, collusion: evaluation.collusion, consistency: evaluation.consistency } as never, 200);
    })
    .openapi(xlsxRoute, async (c) => {
      requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const db = eqaOf(deps);
      const stored = await latestEvaluation(db, round);
      if (!stored) throw platformError("CONFLICT", { message: `Round ${round} has no evaluation yet.`, messageZh: `轮次 ${round} 尚无评价结果。`, details: { reason: "notEvaluated" } });
      const view = await getRound(db, round);
      const workbook = await exportSummariesXlsx(stored.evaluation, { analytes: view.analytes, labs: view.labs.map((l) => ({ code: l.code, name: l.name })) });
      return c.body(new Uint8Array(workbook), 200, {
        "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "content-disposition": `attachment; filename="${round}-summaries.xlsx"`,
      });
    })
    .openapi(documentsRoute, async (c) => {
      requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const documents = await eqaOf(deps).document.findMany({
        where: { round: { code: round } },
        select: { kind: true, number: true, sm3: true, certId: true, status: true, txHash: true, blockNumber: true, issuedAt: true, error: true, lab: { select: { code: true } } },
        orderBy: { number: "asc" },
      });
      const counts: Record<string, number> = {};
      for (const d of documents) counts[d.status] = (counts[d.status] ?? 0) + 1;
      return c.json({ round, counts, items: documents.map((d) => ({ ...d, lab: d.lab?.code ?? null, issuedAt: d.issuedAt?.toISOString() ?? null })) } as never, 200);
    })
    .openapi(documentRoute, async (c) => {
      const { number } = c.req.valid("param");
      const db = eqaOf(deps);
      const doc = await db.document.findUnique({ where: { number }, select: { kind: true, bytes: true, sm3: true, certId: true, round: { select: { code: true } }, lab: { select: { code: true } } } });
      if (!doc) throw platformError("NOT_FOUND", { message: `No document ${number}.`, messageZh: `没有文档 ${number}。`, details: { number } });
      const principal = principalOf(c);
      if (!isCentre(deps, principal)) {
        if (doc.lab === null) throw platformError("FORBIDDEN", { details: { number } });
        await labFor(deps, c, doc.lab.code, { centre: false });
        const status = await labStatus(db, doc.round.code, doc.lab.code);
        if (!status.canDownloadReport) {
          throw platformError("FORBIDDEN", {
            message: `The report is available once the round is published and the lab submitted its results or registered non-participation with a reason.`,
            messageZh: `本轮发布后，且实验室已提交结果或登记未参加原因，方可下载报告。`,
            details: { reason: "report-not-available", number },
          });
        }
      }
      const type = doc.kind === "recognition" ? "application/json" : "application/pdf";
      return c.body(new Uint8Array(doc.bytes), 200, {
        "content-type": type,
        "content-disposition": `attachment; filename="${number.replace(/[^A-Za-z0-9_.-]/g, "_")}.${doc.kind === "recognition" ? "json" : "pdf"}"`,
        "x-document-sm3": doc.sm3,
        ...(doc.certId ? { "x-certificate-id": doc.certId } : {}),
      });
    })
    .openapi(verifyGetRoute, async (c) => {
      const certId = c.req.valid("param").certId as Hex;
      const anchored = await chainCertificate(certId);
      if (anchored === null) throw platformError("NOT_FOUND", { message: "No certificate with this id on chain.", messageZh: "链上没有该编号的证书。", details: { certId } });
      const doc = deps.eqa ? await deps.eqa.document.findFirst({ where: { certId: { in: [certId, certId.toLowerCase()] } }, select: { kind: true, number: true, lab: { select: { name: true } }, round: { select: { code: true } } } }) : null;
      const status = await deps.chain.contracts.certificateRegistry.read.verify([certId, anchored.documentHash]);
      return c.json(
        {
          certId,
          issuer: anchored.issuer,
          issuerName: deps.config.institutions.find((i) => i.address.toLowerCase() === anchored.issuer.toLowerCase())?.name ?? null,
          documentHash: anchored.documentHash,
          issuedAt: new Date(Number(anchored.issuedAt) * 1000).toISOString(),
          validFrom: anchored.validFrom === 0n ? null : new Date(Number(anchored.validFrom) * 1000).toISOString(),
          validUntil: anchored.validUntil === 0n ? null : new Date(Number(anchored.validUntil) * 1000).toISOString(),
          revokedAt: anchored.revokedAt === 0n ? null : new Date(Number(anchored.revokedAt) * 1000).toISOString(),
          status: statusLabel(status),
          document: doc ? { kind: doc.kind, number: doc.number, lab: doc.lab?.name ?? null, round: doc.round.code } : null,
        } as never,
        200,
      );
    })
    .openapi(verifyPostRoute, async (c) => {
      const certId = c.req.valid("param").certId as Hex;
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.length === 0) throw platformError("INVALID_INPUT", { message: "Send the file as the request body.", messageZh: "请将文件作为请求体上传。", details: { field: "body" } });
      const documentHash = sm3Hex(bytes) as Hex;
      let status: number;
      try {
        status = await deps.chain.contracts.certificateRegistry.read.verify([certId, documentHash]);
      } catch (error) {
        throw toPlatformError(error);
      }
      const label = statusLabel(status);
      return c.json({ certId, documentHash, status: label, valid: status === CERTIFICATE_STATUS.valid.code, altered: status === CERTIFICATE_STATUS.hashMismatch.code } as never, 200);
    })
    .openapi(homogeneityPostRoute, async (c) => {
      const actor = requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const db = eqaOf(deps);
      const view = await getRound(db, round);
      const study = { ...(c.req.valid("json") as Record<string, unknown>), round: { code: view.round.code, name: view.round.name } };
      const evaluated = evaluateStudy(study as never);
      const centre = principalOf(c).institution as string;
      const now = deps.clock.now();
      // Rendered before the transaction (a PDF takes ~0.1 s; the database's write turn is not held for it);
      // the version's uniqueness, and the document number's, make a concurrent recording a 409.
      const last = await db.homogeneityStudy.findFirst({ where: { roundId: view.round.id }, orderBy: { version: "desc" }, select: { version: true } });
      const version = (last?.version ?? 0) + 1;
      const number = `${round}:S:${version}`;
      const certId = certificateIdOf(centre, number);
      const bytes = await renderHomogeneityReport({
        centre: { name: institutionName(deps, centre), nameEn: institutionName(deps, centre, "en") },
        plan: { code: view.plan.code, name: view.plan.name, nameEn: view.plan.nameEn, year: view.plan.year },
        document: { number, issuedAt: now.toISOString(), verifyUrl: `${(deps.config.eqa?.verifyBaseUrl ?? "http://localhost/v1/eqa/verify").replace(/\/$/, "")}/${certId}` },
        study: study as never,
      });
      const saved = await db.$transaction(async (tx) => {
        const doc = await tx.document.create({
          data: { roundId: view.round.id, labId: null, kind: "homogeneity", number, sm3: sm3Hex(bytes), bytes: Buffer.from(bytes), certId, subject: `0x${centre.slice(2).toLowerCase().padStart(64, "0")}`, status: "pending" },
          select: { id: true },
        });
        await tx.homogeneityStudy.create({ data: { roundId: view.round.id, version, inputJson: JSON.stringify(study), resultJson: JSON.stringify(evaluated), documentId: doc.id, createdBy: actor, createdAt: now } });
        await tx.auditEvent.create({ data: { at: now, actor, action: "homogeneity.record", roundCode: round, labCode: null, detailsJson: JSON.stringify({ version, number, acceptable: evaluated.overall.acceptable }) } });
        return { version, number, certId };
      });
      return c.json({ round, ...saved, acceptable: evaluated.overall.acceptable, overall: evaluated.overall } as never, 200);
    })
    .openapi(homogeneityGetRoute, async (c) => {
      const { round } = c.req.valid("param");
      const db = eqaOf(deps);
      const row = await db.homogeneityStudy.findFirst({ where: { round: { code: round } }, orderBy: { version: "desc" } });
      if (!row) throw platformError("NOT_FOUND", { message: `Round ${round} has no homogeneity study yet.`, messageZh: `轮次 ${round} 尚无均匀性与稳定性检验。`, details: { round } });
      const doc = row.documentId ? await db.document.findUnique({ where: { id: row.documentId }, select: { number: true, sm3: true, certId: true, status: true, txHash: true } }) : null;
      return c.json({ round, version: row.version, createdAt: row.createdAt.toISOString(), createdBy: row.createdBy, study: JSON.parse(row.inputJson) as unknown, evaluation: JSON.parse(row.resultJson) as unknown, document: doc } as never, 200);
    })
    .openapi(listRoundsRoute, async (c) => {
      const db = eqaOf(deps);
      const { status } = c.req.valid("query");
      const principal = principalOf(c);
      const centre = isCentre(deps, principal);
      const institution = principal.institution ?? "";
      const rounds = await db.round.findMany({
        where: {
          ...(status ? { status } : {}),
          ...(centre ? {} : { enrolments: { some: { lab: { institution: { in: [institution, institution.toLowerCase()] } } } } }),
        },
        orderBy: [{ opensAt: "desc" }, { id: "desc" }],
        take: 500,
        select: { code: true, name: true, status: true, opensAt: true, deadline: true, publishedAt: true, plan: { select: { code: true, name: true, nameEn: true, year: true } }, _count: { select: { enrolments: true } } },
      });
      return c.json(
        {
          items: rounds.map((r) => ({
            code: r.code,
            name: r.name,
            status: r.status,
            plan: r.plan,
            opensAt: r.opensAt.toISOString(),
            deadline: r.deadline.toISOString(),
            publishedAt: r.publishedAt?.toISOString() ?? null,
            labs: r._count.enrolments,
          })),
        } as never,
        200,
      );
    })
    .openapi(listLabsRoute, async (c) => {
      const principal = principalOf(c);
      const institution = principal.institution ?? "";
      const labs = await eqaOf(deps).lab.findMany({
        where: isCentre(deps, principal) ? {} : { institution: { in: [institution, institution.toLowerCase()] } },
        orderBy: { code: "asc" },
        take: 10_000,
        select: { code: true, name: true, institution: true, department: true, level: true, region: true, allowedToTestJson: true },
      });
      return c.json({ items: labs.map(({ allowedToTestJson, ...l }) => ({ ...l, allowedToTest: allowedToTestJson ? (JSON.parse(allowedToTestJson) as unknown) : null })) } as never, 200);
    })
    .openapi(unlockListRoute, async (c) => {
      requireCentre(deps, c);
      const { status } = c.req.valid("query");
      const rows = await eqaOf(deps).unlockRequest.findMany({
        where: { status },
        orderBy: { id: "asc" },
        take: 1000,
        select: { id: true, reason: true, status: true, requestedBy: true, requestedAt: true, decidedBy: true, decidedAt: true, note: true, round: { select: { code: true } }, lab: { select: { code: true, name: true } } },
      });
      return c.json(
        { items: rows.map((r) => ({ ...r, round: r.round.code, requestedAt: r.requestedAt.toISOString(), decidedAt: r.decidedAt?.toISOString() ?? null })) } as never,
        200,
      );
    })
    .openapi(auditRoute, async (c) => {
      requireCentre(deps, c);
      const { round } = c.req.valid("param");
      const { lab, limit } = c.req.valid("query");
      const items = await auditTrail(eqaOf(deps), { roundCode: round, ...(lab ? { labCode: lab } : {}), limit });
      return c.json({ items: items.map((i) => ({ ...i, at: i.at.toISOString() })) } as never, 200);
    })
    .openapi(recognitionRoute, async (c) => {
      const { institution, analyte, date } = c.req.valid("query");
      const db = eqaOf(deps);
      if (!isAddress(institution)) throw platformError("INVALID_INPUT", { details: { field: "institution" } });
      const checksummed = getAddress(institution);
      const documents = await db.document.findMany({
        where: { kind: "recognition", status: { in: ["anchored", "revoked", "pending", "failed"] }, lab: { institution: { in: [checksummed, checksummed.toLowerCase()] } } },
        select: { certId: true, bytes: true, txHash: true },
      });
      const candidates: StatementCandidate[] = [];
      for (const d of documents) {
        if (d.certId === null) continue;
        const anchored = await chainCertificate(d.certId as Hex);
        candidates.push({
          certId: d.certId as Hex,
          statement: parseStatement(new Uint8Array(d.bytes)),
          txHash: d.txHash,
          anchored: anchored === null ? null : { issuer: anchored.issuer, documentHash: anchored.documentHash, issuedAt: anchored.issuedAt, validFrom: anchored.validFrom, validUntil: anchored.validUntil, revokedAt: anchored.revokedAt, revocationReason: anchored.revocationReason },
        });
      }
      const at = new Date(date.length === 10 ? `${date}T12:00:00+08:00` : date);
      return c.json(recognitionAt({ institution: checksummed, analyte, at, candidates, trustedIssuers: deps.config.eqa?.centres ?? [] }) as never, 200);
    });
}

/** An institution's configured name in one language ("中文 English" names are split at the first Latin letter). */
function institutionName(deps: GatewayDeps, address: string, language: "zh" | "en" = "zh"): string {
  const name = deps.config.institutions.find((i) => i.address.toLowerCase() === address.toLowerCase())?.name ?? address;
  const latin = name.search(/[A-Za-z]/);
  if (latin <= 0) return name;
  return language === "zh" ? name.slice(0, latin).trim() : name.slice(latin).trim();
}

const statusLabel = (code: number) => label(CERTIFICATE_STATUS, code);
