// /v1/research: research screening and exports (科研检索与数据导出) over the analytics service's
// database (services/analytics). A researcher registers a project with its ethics approval and
// submits screening requests (structured criteria); a platform reviewer — never the sponsor —
// approves or rejects each, with a reason. An approved request runs at every targeted institution's
// topic database and answers only protected counts and funnels (small cells suppressed, rounded or
// perturbed). After the project is approved, the researcher asks to export the cohort; a reviewer
// decides; the build asks the chain for every resident's research consent (as the project, at that
// moment), de-identifies with the collection service's versioned policy, checks k-anonymity (refusing
// or generalising, with a report — never trimming) and keeps the package encrypted in the operator's
// store; the analytics worker anchors its SM3 in CertificateRegistry, after which the researcher may
// download it sealed for their session. Every download is logged; a revocation of consent marks the
// packages it touches.
import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { keccak256, stringToBytes, type Hex } from "viem";
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import { audited } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { hasRole, institutionOf, requirePermission } from "../middleware/rbac.ts";
import { readerSessionKeyOf } from "../reader-seal.ts";
import { BEARER, createRouter } from "../router.ts";
import { researchOf, type ResearchDeps } from "../research/deps.ts";
import { requesterReport } from "../research/view.ts";
import type { ExportReport } from "../../../services/analytics/src/exports/types.ts";
import { latestTopicVersion, shanghaiDate } from "../../../services/analytics/src/topics/index.ts";
import { buildPackage } from "../research/build.ts";
import { markRevocations } from "../research/packages.ts";
import { openResearchTopic } from "../research/topics.ts";
import { answerReports, runTopicReports } from "../research/reports.ts";
import { REPORT_PRESETS, annualReportDefinitions, dataResourceReport, usageReports } from "../../../services/analytics/src/reports/index.ts";
import { prismaRequestStore } from "../../../services/analytics/src/store/requests.ts";
import { reviewRequest, runRequest, submitRequest } from "../../../services/analytics/src/requests/index.ts";
import type { AnalyticsDb } from "../../../services/analytics/src/db.ts";

// ---------------------------------------------------------------- schemas

const Id = z.string().min(1).max(100);
const IdParam = z.object({ id: Id.openapi({ param: { name: "id", in: "path" } }) });
const Reason = z.string().trim().min(2).max(2000);
const Decision = z.object({ decision: z.enum(["approved", "rejected"]), reason: Reason }).openapi("ResearchDecision");
const Ok = z.record(z.string(), z.unknown()).openapi("ResearchResult");

const ProjectRequest = z
  .object({
    code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "a code: letters, digits, _ . - (1–64)"),
    title: z.string().trim().min(1).max(300),
    ethicsCommittee: z.string().trim().min(1).max(300),
    ethicsApprovalNo: z.string().trim().min(1).max(100),
  })
  .openapi("ResearchProject");

const ScreeningRequestBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    purpose: z.string().trim().min(1).max(4000),
    criteria: z.unknown().openapi({ description: "The criteria tree (services/analytics/docs/criteria.md), validated by the service: a refusal names the node by JSON Pointer" }),
    indexDate: z.string().openapi({ example: "2025-12-31" }),
    institutions: z.array(z.string()).min(1).max(200),
    projectId: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
  })
  .openapi("ScreeningRequestInput");

const ExportBody = z
  .object({
    projectId: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    purpose: z.string().trim().min(2).max(2000),
    k: z.number().int().min(2).max(100).default(5),
    onKFailure: z.enum(["refuse", "generalise"]).default("refuse"),
  })
  .openapi("ExportRequestInput");

const ReportQuery = z.object({
  format: z.enum(["json", "csv", "xlsx"]).default("json"),
  lang: z.enum(["zh", "en"]).default("zh"),
  table: z.string().max(100).optional().openapi({ description: "CSV: the id of the one table to export" }),
});
const DateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD");
const PresetQuery = ReportQuery.extend({ from: DateText.optional(), to: DateText.optional(), ageAt: DateText.optional() });
const AnnualQuery = ReportQuery.extend({ year: z.coerce.number().int().min(2000).max(2100) });
const PRESET_NAMES = Object.keys(REPORT_PRESETS) as [keyof typeof REPORT_PRESETS, ...(keyof typeof REPORT_PRESETS)[]];
const PresetParam = z.object({ name: z.enum(PRESET_NAMES).openapi({ param: { name: "name", in: "path" } }) });
const ReportBody = z.record(z.string(), z.unknown()).openapi({ description: "A report definition (services/analytics/docs/reports.md): measure, dimensions, filters, smallCells (never below the gateway's threshold)" });

const tags = ["research"];
const OK_RESPONSES = {
  200: { description: "OK", content: { "application/json": { schema: Ok } } },
  ...errorResponses(400, 401, 403, 404, 409),
};

function researchRoute<const R extends Omit<RouteConfig, "responses" | "tags" | "security">>(config: R) {
  return createRoute({ tags, security: BEARER, ...config, responses: OK_RESPONSES });
}

// ---------------------------------------------------------------- helpers

/** A project's on-chain id: what residents name as grantee (kind project) in their research consent. */
export function projectIdOf(code: string): Hex {
  return keccak256(stringToBytes(`health-chain:project:${code}`));
}

function actorOf(c: Context<GatewayEnv>): string {
  const principal = principalOf(c);
  return principal.staffId ?? principal.subject;
}

/** Reviewers, admins and auditors see every project, request and export; researchers their own. */
function seesAll(c: Context<GatewayEnv>): boolean {
  return hasRole(principalOf(c), "reviewer", "admin", "auditor");
}

function notFound(what: string, id: string): Error {
  return platformError("NOT_FOUND", { message: `No ${what} ${id}.`, messageZh: `没有该${what === "project" ? "项目" : what === "export" ? "导出申请" : "检索需求"}：${id}。`, details: { what, id } });
}

function conflict(reason: string, en: string, zh: string, details: Record<string, unknown> = {}): Error {
  return platformError("CONFLICT", { message: en, messageZh: zh, details: { reason, ...details } });
}

/** The request, if the caller may see it (its sponsor, or a reviewer/admin/auditor). */
async function visibleRequest(db: AnalyticsDb, c: Context<GatewayEnv>, id: string) {
  const row = await db.screeningRequest.findUnique({ where: { id } });
  if (row === null || (!seesAll(c) && row.sponsor !== actorOf(c))) throw notFound("request", id);
  return row;
}

async function visibleExport(db: AnalyticsDb, c: Context<GatewayEnv>, id: string) {
  const row = await db.exportRequest.findUnique({ where: { id } });
  if (row === null || (!seesAll(c) && row.requestedBy !== actorOf(c))) throw notFound("export", id);
  return row;
}

/**
 * The project, if the caller sponsors it: residents granted research consent to one project, and
 * only its sponsor may screen and export under it (another researcher would read under grants given
 * to someone else).
 */
function ownProject<P extends { sponsor: string }>(project: P | null, id: string, c: Context<GatewayEnv>): P {
  if (project === null) throw notFound("project", id);
  if (project.sponsor !== actorOf(c)) {
    throw platformError("FORBIDDEN", {
      message: "Only the project's sponsor may screen or export under it.",
      messageZh: "只有科研项目的申请人可以以该项目名义检索或导出。",
      details: { reason: "not-project-sponsor" },
    });
  }
  return project;
}

/** Institutions a request targets must be in the topic databases (else every run would fail later). */
async function checkInstitutions(research: Pick<ResearchDeps, "topicDirectory" | "topic">, institutions: readonly string[]): Promise<void> {
  const latest = await latestTopicVersion(research.topicDirectory, research.topic);
  const known = new Set(Object.keys(latest?.institutions ?? {}));
  const unknown = institutions.filter((code) => !known.has(code));
  if (unknown.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `No data of ${unknown.join(", ")} in the topic databases; known institutions: ${[...known].sort().join(", ") || "none yet"}.`,
      messageZh: `主题数据库中没有机构 ${unknown.join("、")} 的数据；已有机构：${[...known].sort().join("、") || "暂无"}。`,
      details: { field: "institutions", reason: "unknown-institution", unknown },
    });
  }
}

/** An export's report as the caller may see it: in full for reviewers, admins and auditors; protected for the requester. */
function reportFor(c: Context<GatewayEnv>, report: ExportReport, threshold: number) {
  return seesAll(c) ? report : requesterReport(report, threshold);
}

/** Runs and builds act: only the owner (sponsor, requester) or a reviewer may; admins and auditors read. */
function requireActor(c: Context<GatewayEnv>, owner: string): void {
  if (owner === actorOf(c) || hasRole(principalOf(c), "reviewer")) return;
  throw platformError("FORBIDDEN", {
    message: "Only its sponsor or a reviewer may run or build this.",
    messageZh: "只有申请人或审核员可以执行此操作。",
    details: { reason: "not-owner-or-reviewer" },
  });
}

async function usage(db: AnalyticsDb, c: Context<GatewayEnv>, kind: "query" | "export" | "download", requestId: string) {
  const principal = principalOf(c);
  await db.usageEvent.create({ data: { kind, institution: principal.institution ?? "", department: null, person: actorOf(c), requestId } });
}

function packageView(p: {
  id: string;
  packageHash: string;
  bytes: number;
  records: number;
  residents: number;
  policyName: string;
  policyVersion: number;
  policyHash: string;
  certId: string;
  anchorState: string;
  txHash: string | null;
  blockNumber: number | null;
  anchoredAt: Date | null;
  revokedMembers: number;
  markedAt: Date | null;
  createdAt: Date;
}) {
  return {
    id: p.id,
    packageHash: p.packageHash,
    bytes: p.bytes,
    records: p.records,
    residents: p.residents,
    policy: { name: p.policyName, version: p.policyVersion, hash: p.policyHash },
    certId: p.certId,
    anchorState: p.anchorState,
    txHash: p.txHash,
    blockNumber: p.blockNumber,
    anchoredAt: p.anchoredAt?.toISOString() ?? null,
    // A resident in the package withdrew the consent it was built on after it was made.
    revocation: p.markedAt === null ? null : { residents: p.revokedMembers, markedAt: p.markedAt.toISOString() },
    createdAt: p.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------- routes

export function researchRoutes(deps: GatewayDeps) {
  const json = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
  const withAudit = (action: string) => audited(deps, action, (c) => c.req.param("id"));
  const store = () => {
    const research = researchOf(deps);
    // Only submission creates a request (with the sponsor's institution and project); the other
    // routes replace existing ones, which keep those.
    return prismaRequestStore(research.db, (request) => {
      throw platformError("INTERNAL", { message: `Request ${request.id} would be created outside submission.`, messageZh: "检索需求只能在提交时创建。" });
    });
  };

  const createProject = researchRoute({ method: "post", path: "/projects", summary: "Register a research project with its ethics approval / 登记科研项目", middleware: [requirePermission("research:submit"), withAudit("research.project.create")] as const, request: json(ProjectRequest) });
  const reviewProject = researchRoute({ method: "post", path: "/projects/{id}/review", summary: "Approve or reject a project, with a reason / 审核科研项目", middleware: [requirePermission("research:review"), withAudit("research.project.review")] as const, request: { params: IdParam, ...json(Decision) } });
  const listProjects = researchRoute({ method: "get", path: "/projects", summary: "Projects (a researcher: their own) / 科研项目列表", middleware: [requirePermission("research:read")] as const });
  const submit = researchRoute({ method: "post", path: "/requests", summary: "Submit a screening request / 提交检索需求", middleware: [requirePermission("research:submit"), withAudit("research.request.submit")] as const, request: json(ScreeningRequestBody) });
  const listRequests = researchRoute({ method: "get", path: "/requests", summary: "Screening requests (a researcher: their own), newest first / 检索需求列表", middleware: [requirePermission("research:read")] as const });
  const getOne = researchRoute({ method: "get", path: "/requests/{id}", summary: "A screening request with its runs and history / 检索需求详情", middleware: [requirePermission("research:read")] as const, request: { params: IdParam } });
  const review = researchRoute({ method: "post", path: "/requests/{id}/review", summary: "Approve or reject a screening request, with a reason / 审核检索需求", middleware: [requirePermission("research:review"), withAudit("research.request.review")] as const, request: { params: IdParam, ...json(Decision) } });
  const run = researchRoute({ method: "post", path: "/requests/{id}/runs", summary: "Run an approved request at each institution: protected counts and funnels / 执行检索（仅返回受保护计数）", middleware: [requirePermission("research:read"), withAudit("research.request.run")] as const, request: { params: IdParam } });
  const requestExport = researchRoute({ method: "post", path: "/requests/{id}/exports", summary: "Ask to export the cohort of an approved request for an approved project / 申请导出", middleware: [requirePermission("research:export"), withAudit("research.export.request")] as const, request: { params: IdParam, ...json(ExportBody) } });
  const listExports = researchRoute({ method: "get", path: "/exports", summary: "Export requests with their packages / 导出申请列表", middleware: [requirePermission("research:read")] as const });
  const getExport = researchRoute({ method: "get", path: "/exports/{id}", summary: "An export request, its report and its package / 导出申请详情", middleware: [requirePermission("research:read")] as const, request: { params: IdParam } });
  const reviewExport = researchRoute({ method: "post", path: "/exports/{id}/review", summary: "Approve or reject an export, with a reason / 审核导出申请", middleware: [requirePermission("research:review"), withAudit("research.export.review")] as const, request: { params: IdParam, ...json(Decision) } });
  const build = researchRoute({ method: "post", path: "/exports/{id}/build", summary: "Build the approved export: consent on chain, de-identification, k-anonymity, encrypted package / 生成导出数据包", middleware: [requirePermission("research:read"), withAudit("research.export.build")] as const, request: { params: IdParam } });
  const download = researchRoute({ method: "get", path: "/exports/{id}/package", summary: "Download an anchored package, sealed for the session (logged) / 下载数据包", middleware: [requirePermission("research:export"), withAudit("research.export.download")] as const, request: { params: IdParam } });

  const REPORT_RESPONSES = {
    200: { description: "JSON { tables }, a CSV file or an Excel workbook", content: { "application/json": { schema: Ok }, "text/csv": { schema: z.string() }, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { schema: z.string() } } },
    ...errorResponses(400, 401, 403, 404),
  };
  const reportRoute = <const R extends Omit<RouteConfig, "responses" | "tags" | "security">>(config: R) => createRoute({ tags, security: BEARER, ...config, responses: REPORT_RESPONSES });
  const customReport = reportRoute({ method: "post", path: "/reports", summary: "A configurable report over the topic databases / 定制化报表", middleware: [requirePermission("research:reports"), withAudit("research.report.run")] as const, request: { query: ReportQuery, ...json(ReportBody) } });
  const presetReport = reportRoute({ method: "get", path: "/reports/presets/{name}", summary: "A named report / 预设报表", middleware: [requirePermission("research:reports")] as const, request: { params: PresetParam, query: PresetQuery } });
  const annualReport = reportRoute({ method: "get", path: "/reports/annual", summary: "The district's annual report (several tables) / 年度报告", middleware: [requirePermission("research:reports")] as const, request: { query: AnnualQuery } });
  const resourceReport = reportRoute({ method: "get", path: "/reports/data-resources", summary: "Data-resource report: collection, classification and grading, quality, inventory / 数据资源报告", middleware: [requirePermission("research:reports")] as const, request: { query: ReportQuery } });
  const usageReport = reportRoute({ method: "get", path: "/reports/usage", summary: "Usage statistics: queries, exports and downloads by institution, department, person and month / 使用统计", middleware: [requirePermission("research:reports")] as const, request: { query: ReportQuery } });

  return createRouter()
    .openapi(customReport, async (c) => {
      const research = researchOf(deps);
      const query = c.req.valid("query");
      const tables = await runTopicReports(deps, research, [c.req.valid("json")]);
      return answerReports(c, tables, { ...query, name: "report", now: deps.clock.now() });
    })
    .openapi(presetReport, async (c) => {
      const research = researchOf(deps);
      const { format, lang, table, from, to, ageAt } = c.req.valid("query");
      const today = shanghaiDate(deps.clock.now());
      const definition = REPORT_PRESETS[c.req.valid("param").name]({ from: from ?? `${today.slice(0, 4)}-01-01`, to: to ?? today, ...(ageAt ? { ageAt } : {}) });
      return answerReports(c, await runTopicReports(deps, research, [definition]), { format, lang, table, name: c.req.valid("param").name, now: deps.clock.now() });
    })
    .openapi(annualReport, async (c) => {
      const research = researchOf(deps);
      const { year, ...query } = c.req.valid("query");
      return answerReports(c, await runTopicReports(deps, research, annualReportDefinitions(year)), { ...query, name: `annual-${year}`, now: deps.clock.now() });
    })
    .openapi(resourceReport, async (c) => {
      if (deps.his === undefined) throw platformError("NOT_FOUND", { message: "The data-resource report needs the collection service's database (his.databaseUrl).", messageZh: "数据资源报告需要采集服务数据库（his.databaseUrl）。", details: { reason: "his-not-configured" } });
      const tables = await dataResourceReport(deps.his, { now: deps.clock.now() });
      return answerReports(c, tables, { ...c.req.valid("query"), name: "data-resources", now: deps.clock.now() });
    })
    .openapi(usageReport, async (c) => {
      const { db } = researchOf(deps);
      const rows = await db.usageEvent.findMany({ orderBy: { id: "asc" } });
      const tables = await usageReports(rows.map((r) => ({ at: r.at.toISOString(), kind: r.kind, institution: r.institution, department: r.department, person: r.person, ...(r.requestId ? { requestId: r.requestId } : {}) })), { now: deps.clock.now() });
      return answerReports(c, tables, { ...c.req.valid("query"), name: "usage", now: deps.clock.now() });
    })
    .openapi(createProject, async (c) => {
      const { db } = researchOf(deps);
      const body = c.req.valid("json");
      const id = projectIdOf(body.code);
      if (await db.project.findUnique({ where: { id } })) throw conflict("project-exists", `The project ${body.code} is already registered.`, `项目 ${body.code} 已登记。`, { code: body.code });
      const principal = principalOf(c);
      const row = await db.project.create({ data: { id, ...body, sponsor: actorOf(c), sponsorInstitution: institutionOf(principal) } });
      return c.json(row as never, 200);
    })
    .openapi(reviewProject, async (c) => {
      const { db } = researchOf(deps);
      const { id } = c.req.valid("param");
      const { decision, reason } = c.req.valid("json");
      const project = await db.project.findUnique({ where: { id } });
      if (project === null) throw notFound("project", id);
      if (project.sponsor === actorOf(c)) throw platformError("FORBIDDEN", { message: "A sponsor cannot review their own project.", messageZh: "申请人不能审核自己的项目。", details: { reason: "own-project" } });
      const updated = await db.project.updateMany({ where: { id, status: "submitted" }, data: { status: decision, reviewer: actorOf(c), reviewReason: reason, reviewedAt: deps.clock.now() } });
      if (updated.count === 0) throw conflict("already-reviewed", "The project was already reviewed.", "该项目已审核。");
      return c.json((await db.project.findUnique({ where: { id } })) as never, 200);
    })
    .openapi(listProjects, async (c) => {
      const { db } = researchOf(deps);
      const rows = await db.project.findMany({ where: seesAll(c) ? {} : { sponsor: actorOf(c) }, orderBy: { createdAt: "desc" } });
      return c.json({ items: rows } as never, 200);
    })
    .openapi(submit, async (c) => {
      const research = researchOf(deps);
      const body = c.req.valid("json");
      if (body.projectId !== undefined) ownProject(await research.db.project.findUnique({ where: { id: body.projectId } }), body.projectId, c);
      await checkInstitutions(research, body.institutions);
      const principal = principalOf(c);
      const requests = prismaRequestStore(research.db, () => ({ institution: institutionOf(principal), projectId: body.projectId ?? null }));
      const { projectId: _projectId, ...input } = body;
      void _projectId;
      const request = await submitRequest(requests, { ...input, sponsor: actorOf(c) }, { now: () => deps.clock.now() });
      return c.json(request as never, 200);
    })
    .openapi(listRequests, async (c) => {
      const { db } = researchOf(deps);
      const rows = await db.screeningRequest.findMany({ where: seesAll(c) ? {} : { sponsor: actorOf(c) }, orderBy: [{ submittedAt: "desc" }, { id: "asc" }], take: 500 });
      return c.json({ items: rows.map((r) => ({ ...(JSON.parse(r.json) as object), projectId: r.projectId })) } as never, 200);
    })
    .openapi(getOne, async (c) => {
      const { db } = researchOf(deps);
      const row = await visibleRequest(db, c, c.req.valid("param").id);
      const history = await store().history({ requestId: row.id });
      return c.json({ ...(JSON.parse(row.json) as object), projectId: row.projectId, history } as never, 200);
    })
    .openapi(review, async (c) => {
      const { decision, reason } = c.req.valid("json");
      return c.json((await reviewRequest(store(), c.req.valid("param").id, { reviewer: actorOf(c), decision, reason }, { now: () => deps.clock.now() })) as never, 200);
    })
    .openapi(run, async (c) => {
      const research = researchOf(deps);
      const row = await visibleRequest(research.db, c, c.req.valid("param").id);
      requireActor(c, row.sponsor);
      const smallCells = deps.config.analytics!.smallCells;
      // Concurrent runs of one request are safe: the store appends each run by compare and swap.
      const topic = await openResearchTopic(research);
      let record;
      try {
        record = await runRequest(store(), { id: row.id }, topic.connections, {
          key: research.noiseKey,
          by: actorOf(c),
          dataVersions: topic.dataVersions,
          policy: { threshold: smallCells.threshold, mode: smallCells.method },
          now: () => deps.clock.now(),
        });
      } finally {
        topic.close();
      }
      await usage(research.db, c, "query", row.id);
      return c.json(record as never, 200);
    })
    .openapi(requestExport, async (c) => {
      const { db } = researchOf(deps);
      const row = await visibleRequest(db, c, c.req.valid("param").id);
      if (row.sponsor !== actorOf(c)) throw platformError("FORBIDDEN", { message: "Only the request's sponsor may ask to export its cohort.", messageZh: "只有检索需求的申请人可以申请导出。", details: { reason: "not-sponsor" } });
      if (row.status !== "approved") throw conflict("request-not-approved", "Only the cohort of an approved screening request can be exported.", "只有已批准的检索需求的队列可以导出。", { status: row.status });
      const body = c.req.valid("json");
      const minK = deps.config.analytics!.minK;
      if (body.k < minK) {
        throw platformError("INVALID_INPUT", {
          message: `k must be at least ${minK} on this platform.`,
          messageZh: `本平台要求 k 不小于 ${minK}。`,
          details: { field: "k", reason: "k-below-minimum", minK },
        });
      }
      const project = ownProject(await db.project.findUnique({ where: { id: body.projectId } }), body.projectId, c);
      if (row.projectId !== null && row.projectId !== project.id) {
        throw conflict("other-project", "The screening request was submitted for another project.", "该检索需求属于另一个科研项目。", { projectId: row.projectId });
      }
      if (project.status !== "approved") throw conflict("project-not-approved", "The project has not been approved (ethics review).", "该科研项目尚未通过审核（伦理审查）。", { status: project.status });
      const created = await db.exportRequest.create({
        data: { id: crypto.randomUUID(), requestId: row.id, projectId: project.id, requestedBy: actorOf(c), institution: institutionOf(principalOf(c)), k: body.k, onKFailure: body.onKFailure, purpose: body.purpose },
      });
      return c.json(created as never, 200);
    })
    .openapi(listExports, async (c) => {
      const { db } = researchOf(deps);
      const rows = await db.exportRequest.findMany({ where: seesAll(c) ? {} : { requestedBy: actorOf(c) }, orderBy: { createdAt: "desc" }, take: 500 });
      const packages = await db.exportPackage.findMany({ where: { exportId: { in: rows.map((r) => r.id) } } });
      await markRevocations(deps, db, packages.map((p) => p.id));
      const fresh = new Map((await db.exportPackage.findMany({ where: { exportId: { in: rows.map((r) => r.id) } } })).map((p) => [p.exportId, p]));
      return c.json({ items: rows.map((r) => ({ ...r, reportJson: undefined, package: fresh.has(r.id) ? packageView(fresh.get(r.id)!) : null })) } as never, 200);
    })
    .openapi(getExport, async (c) => {
      const { db } = researchOf(deps);
      const row = await visibleExport(db, c, c.req.valid("param").id);
      const existing = await db.exportPackage.findUnique({ where: { exportId: row.id } });
      if (existing) await markRevocations(deps, db, [existing.id]);
      const pkg = existing ? await db.exportPackage.findUniqueOrThrow({ where: { id: existing.id }, include: { marks: true, downloads: true } }) : null;
      const { reportJson, ...rest } = row;
      return c.json(
        {
          ...rest,
          report: reportJson === null ? null : reportFor(c, JSON.parse(reportJson) as ExportReport, deps.config.analytics!.smallCells.threshold),
          package: pkg === null ? null : { ...packageView(pkg), marks: pkg.marks.map((m) => ({ resident: m.resident, grantId: m.grantId, revokedAt: m.revokedAt.toISOString(), txHash: m.txHash })), downloads: pkg.downloads.map((d) => ({ by: d.by, at: d.at.toISOString() })) },
        } as never,
        200,
      );
    })
    .openapi(reviewExport, async (c) => {
      const { db } = researchOf(deps);
      const { id } = c.req.valid("param");
      const { decision, reason } = c.req.valid("json");
      const row = await db.exportRequest.findUnique({ where: { id } });
      if (row === null) throw notFound("export", id);
      if (row.requestedBy === actorOf(c)) throw platformError("FORBIDDEN", { message: "A requester cannot review their own export.", messageZh: "申请人不能审核自己的导出申请。", details: { reason: "own-export" } });
      const updated = await db.exportRequest.updateMany({ where: { id, status: "requested" }, data: { status: decision, reviewer: actorOf(c), reviewReason: reason, reviewedAt: deps.clock.now() } });
      if (updated.count === 0) throw conflict("already-reviewed", "The export request was already reviewed.", "该导出申请已审核。", { status: row.status });
      return c.json((await db.exportRequest.findUnique({ where: { id } })) as never, 200);
    })
    .openapi(build, async (c) => {
      const research = researchOf(deps);
      const row = await visibleExport(research.db, c, c.req.valid("param").id);
      requireActor(c, row.requestedBy);
      // buildPackage claims the export (approved → building) in the database: one build at a time, across processes.
      const result = await buildPackage(deps, research, row.id, actorOf(c), c.get("requestId"));
      if (result.status === "built") await usage(research.db, c, "export", row.requestId);
      return c.json({ ...result, report: reportFor(c, result.report, deps.config.analytics!.smallCells.threshold) } as never, 200);
    })
    .openapi(download, async (c) => {
      const research = researchOf(deps);
      const row = await visibleExport(research.db, c, c.req.valid("param").id);
      if (row.requestedBy !== actorOf(c)) throw platformError("FORBIDDEN", { message: "Only the researcher who asked for the export may download its package.", messageZh: "只有申请导出的研究人员可以下载数据包。", details: { reason: "not-requester" } });
      const pkg = await research.db.exportPackage.findUnique({ where: { exportId: row.id } });
      if (pkg === null) throw conflict("not-built", "The export has no package yet.", "该导出尚未生成数据包。", { status: row.status });
      if (pkg.anchorState !== "anchored") throw conflict("not-anchored", "The package's hash is not anchored on chain yet; try again shortly.", "数据包哈希尚未上链，请稍后再试。", { anchorState: pkg.anchorState });
      const sessionKey = principalOf(c).sessionPublicKey;
      if (sessionKey === undefined) throw platformError("INVALID_INPUT", { message: "The session has no SM2 key to seal the package for: sign in again.", messageZh: "会话没有用于加密数据包的 SM2 公钥，请重新登录。", details: { reason: "no-session-key" } });
      await markRevocations(deps, research.db, [pkg.id]);
      const store = deps.stores.get(pkg.storeInstitution as Hex);
      if (store === undefined) throw platformError("INTERNAL", { message: "The package's store is not reachable from this gateway.", messageZh: "本网关无法访问数据包所在的存储。", details: { reason: "store-not-reachable" } });
      const content = await store.getOriginal({ cid: pkg.cid, keyId: pkg.keyId, wrappedDataKey: pkg.wrappedDataKey });
      const context = `research-export/${pkg.id}`;
      const sealed = store.sealForReader(content, readerSessionKeyOf(sessionKey), { context });
      const principal = principalOf(c);
      await research.db.$transaction(async (tx) => {
        await tx.download.create({ data: { packageId: pkg.id, by: actorOf(c), institution: principal.institution ?? "", requestId: c.get("requestId") } });
        await tx.usageEvent.create({ data: { kind: "download", institution: principal.institution ?? "", department: null, person: actorOf(c), requestId: row.requestId } });
      });
      const fresh = await research.db.exportPackage.findUniqueOrThrow({ where: { id: pkg.id } });
      return c.json({ package: packageView(fresh), context, sealed: { algorithm: sealed.algorithm, wrappedSessionKey: sealed.wrappedSessionKey, wrappedDataKey: sealed.wrappedDataKey, envelope: sealed.envelope } } as never, 200);
    });
}

