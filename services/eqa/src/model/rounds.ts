// Rounds (轮次) of a plan: creation with their samples and expected values, enrolment of labs,
// and the status that gates intake and evaluation.
import { platformError } from "@health-chain/sdk";
import { z } from "zod";
import type { EqaDb, EqaTx } from "../db.ts";
import type { AnalyteDefinition, ExpectedValue } from "../types.ts";
import { checkActor } from "./actor.ts";
import { CODE } from "./analyte-definition.ts";
import { writeAudit } from "./audit.ts";
import { conflict, invalidInput, iso, notFound, type InputIssue } from "./errors.ts";
import { expectedValueIssues } from "./expected-value.ts";
import { loadRoundContext, type RoundContext, type RoundStatus } from "./round-context.ts";
import { zodIssues } from "./zod-issues.ts";

export interface RoundInput {
  planCode: string;
  code: string;
  name: string;
  opensAt: Date;
  deadline: Date;
  samples: { code: string; expected?: Record<string, ExpectedValue> }[];
}

const roundSchema = z.strictObject({
  planCode: CODE,
  code: CODE,
  name: z.string().trim().min(1).max(200),
  opensAt: z.date(),
  deadline: z.date(),
  samples: z.array(z.strictObject({ code: CODE, expected: z.record(z.string(), z.unknown()).optional() })).min(1).max(50),
});

/** Samples' codes unique, expected values valid for their analytes, and every sample with a
 * stated value for the analytes whose assigned value is the reference value. */
function sampleIssues(analytes: readonly AnalyteDefinition[], samples: RoundInput["samples"]): InputIssue[] {
  const issues: InputIssue[] = [];
  const byCode = new Map(analytes.map((a) => [a.code, a]));
  const seen = new Set<string>();
  samples.forEach((s, i) => {
    if (seen.has(s.code)) issues.push({ path: `samples[${i}].code`, message: `Sample code "${s.code}" appears twice.`, messageZh: `样本代码“${s.code}”重复。` });
    seen.add(s.code);
    for (const [code, expected] of Object.entries(s.expected ?? {})) {
      const analyte = byCode.get(code);
      if (!analyte) {
        issues.push({ path: `samples[${i}].expected.${code}`, message: `"${code}" is not an analyte of the plan.`, messageZh: `“${code}”不是该计划的项目。` });
        continue;
      }
      issues.push(...expectedValueIssues(analyte, expected, `samples[${i}].expected.${code}`).issues);
    }
    for (const a of analytes) {
      if (a.scheme.assignedValue === "reference" && s.expected?.[a.code] === undefined) {
        issues.push({
          path: `samples[${i}].expected.${a.code}`,
          message: `Analyte ${a.code} is evaluated against a reference value: give it for sample ${s.code}.`,
          messageZh: `项目 ${a.code} 以参考值为指定值：请给出样本 ${s.code} 的参考值。`,
        });
      }
    }
  });
  return issues;
}

/** Creates a round (status draft) with its samples. */
export async function createRound(db: EqaDb, input: RoundInput, actor: string): Promise<{ id: number; code: string }> {
  const who = checkActor(actor);
  const parsed = roundSchema.safeParse(input);
  if (!parsed.success) throw invalidInput("round", "质评轮次", zodIssues(parsed.error));
  const r = parsed.data as RoundInput;
  if (!(r.opensAt.getTime() < r.deadline.getTime())) {
    throw invalidInput("round", "质评轮次", [
      { path: "deadline", message: `The deadline (${iso(r.deadline)}) must be after the opening (${iso(r.opensAt)}).`, messageZh: `截止时间（${iso(r.deadline)}）必须晚于开放时间（${iso(r.opensAt)}）。` },
    ]);
  }
  const plan = await db.plan.findUnique({ where: { code: r.planCode }, select: { id: true, analytes: { select: { definitionJson: true }, orderBy: { order: "asc" } } } });
  if (!plan) throw notFound("plan", r.planCode);
  const analytes = plan.analytes.map((a) => JSON.parse(a.definitionJson) as AnalyteDefinition);
  const issues = sampleIssues(analytes, r.samples);
  if (issues.length > 0) throw invalidInput("round", "质评轮次", issues);
  return db.$transaction(async (tx) => {
    if (await tx.round.findUnique({ where: { code: r.code }, select: { id: true } })) {
      throw conflict("alreadyExists", `Round "${r.code}" already exists.`, `质评轮次“${r.code}”已存在。`, { round: r.code });
    }
    const at = new Date();
    const round = await tx.round.create({
      data: {
        planId: plan.id,
        code: r.code,
        name: r.name,
        opensAt: r.opensAt,
        deadline: r.deadline,
        createdBy: who,
        createdAt: at,
        samples: {
          create: r.samples.map((s, order) => ({ code: s.code, order, expectedJson: s.expected === undefined ? null : JSON.stringify(s.expected) })),
        },
      },
      select: { id: true, code: true },
    });
    await writeAudit(tx, {
      at,
      actor: who,
      action: "round.create",
      roundCode: r.code,
      details: { plan: r.planCode, opensAt: iso(r.opensAt), deadline: iso(r.deadline), samples: r.samples.map((s) => s.code) },
    });
    return round;
  });
}

/** Enrols labs in a round (draft or open); labs already enrolled are left as they are. */
export async function enrolLabs(db: EqaDb, roundCode: string, labCodes: string[], actor: string): Promise<{ enrolled: number; alreadyEnrolled: number }> {
  const who = checkActor(actor);
  const parsed = z.array(CODE).min(1).max(10000).safeParse(labCodes);
  if (!parsed.success) throw invalidInput("list of laboratories", "实验室列表", zodIssues(parsed.error, "labCodes"));
  const codes = [...new Set(parsed.data)];
  return db.$transaction(async (tx) => {
    const round = await tx.round.findUnique({ where: { code: roundCode }, select: { id: true, status: true } });
    if (!round) throw notFound("round", roundCode);
    if (round.status !== "draft" && round.status !== "open") {
      throw conflict("notOpen", `Round ${roundCode} is ${round.status}: labs are enrolled while it is draft or open.`, `轮次 ${roundCode} 状态为 ${round.status}：只能在草稿或开放状态下登记实验室。`, { round: roundCode, status: round.status });
    }
    // In chunks: a list of 2,000 codes exceeds the bound-parameter limit Prisma applies to SQLite.
    const labs: { id: number; code: string }[] = [];
    for (let i = 0; i < codes.length; i += 500) {
      labs.push(...(await tx.lab.findMany({ where: { code: { in: codes.slice(i, i + 500) } }, select: { id: true, code: true } })));
    }
    const found = new Set(labs.map((l) => l.code));
    const missing = codes.filter((c) => !found.has(c));
    if (missing.length > 0) {
      throw platformError("NOT_FOUND", {
        message: `No laboratory ${missing.map((c) => `"${c}"`).join(", ")}: register it first; nobody was enrolled.`,
        messageZh: `实验室 ${missing.map((c) => `“${c}”`).join("、")} 不存在：请先登记；本次未登记任何实验室。`,
        details: { labs: missing },
      });
    }
    const existing = await tx.enrolment.findMany({ where: { roundId: round.id }, select: { labId: true } });
    const already = new Set(existing.map((e) => e.labId));
    const fresh = labs.filter((l) => !already.has(l.id));
    const at = new Date();
    if (fresh.length > 0) await tx.enrolment.createMany({ data: fresh.map((l) => ({ roundId: round.id, labId: l.id, enrolledAt: at })) });
    await writeAudit(tx, { at, actor: who, action: "lab.enrol", roundCode, details: { enrolled: fresh.map((l) => l.code), alreadyEnrolled: labs.length - fresh.length } });
    return { enrolled: fresh.length, alreadyEnrolled: labs.length - fresh.length };
  });
}

/** The allowed moves: forward only, and evaluated → closed to evaluate again. */
const NEXT: Readonly<Record<RoundStatus, readonly RoundStatus[]>> = {
  draft: ["open"],
  open: ["closed"],
  closed: ["evaluated"],
  evaluated: ["published", "closed"],
  published: [],
};
const STATUSES = Object.keys(NEXT) as RoundStatus[];

/**
 * A round is published from its latest evaluation, so that evaluation must be the one the centre
 * means: none still requested or running, and no scheme override made after it.
 */
async function assertPublishable(tx: EqaTx, roundId: number, roundCode: string): Promise<void> {
  const [latest, pending, override] = await Promise.all([
    tx.evaluation.findFirst({ where: { roundId }, orderBy: { version: "desc" }, select: { version: true, computedAt: true } }),
    tx.evaluationRequest.count({ where: { roundId, finishedAt: null } }),
    tx.schemeOverride.findFirst({ where: { roundId }, orderBy: { at: "desc" }, select: { at: true, analyteCode: true } }),
  ]);
  if (latest === null) throw conflict("transition", `Round ${roundCode} has no evaluation to publish.`, `轮次 ${roundCode} 尚无可发布的评价结果。`, { round: roundCode });
  if (pending > 0) {
    throw conflict("transition", `An evaluation of round ${roundCode} is still requested or running: publish once it is done.`, `轮次 ${roundCode} 仍有评价请求在排队或进行中：完成后再发布。`, { round: roundCode, pending });
  }
  if (override !== null && override.at > latest.computedAt) {
    throw conflict(
      "transition",
      `The scheme of ${override.analyteCode} was changed after evaluation ${latest.version}: evaluate round ${roundCode} again before publishing.`,
      `项目 ${override.analyteCode} 的评价方案在第 ${latest.version} 次评价后被修改：请重新评价轮次 ${roundCode} 后再发布。`,
      { round: roundCode, analyte: override.analyteCode, version: latest.version },
    );
  }
}

export async function setRoundStatus(db: EqaDb, roundCode: string, status: RoundStatus, actor: string): Promise<{ from: RoundStatus; to: RoundStatus }> {
  const who = checkActor(actor);
  if (!STATUSES.includes(status)) {
    throw invalidInput("round status", "轮次状态", [{ path: "status", message: `Use one of ${STATUSES.join(", ")}.`, messageZh: `可选：${STATUSES.join("、")}。` }]);
  }
  return db.$transaction(async (tx) => {
    const round = await tx.round.findUnique({ where: { code: roundCode }, select: { id: true, status: true } });
    if (!round) throw notFound("round", roundCode);
    const from = round.status as RoundStatus;
    if (!NEXT[from].includes(status)) {
      throw conflict(
        "transition",
        `Round ${roundCode} cannot go from ${from} to ${status}${NEXT[from].length > 0 ? ` (from ${from}: ${NEXT[from].join(" or ")})` : ` (${from} is final)`}.`,
        `轮次 ${roundCode} 不能从 ${from} 变为 ${status}${NEXT[from].length > 0 ? `（${from} 之后只能为：${NEXT[from].join("、")}）` : `（${from} 为最终状态）`}。`,
        { round: roundCode, from, to: status, allowed: NEXT[from] },
      );
    }
    const at = new Date();
    if (status === "published") await assertPublishable(tx, round.id, roundCode);
    await tx.round.update({ where: { id: round.id }, data: { status, ...(status === "published" ? { publishedAt: at } : {}) } });
    await writeAudit(tx, { at, actor: who, action: "round.status", roundCode, details: { from, to: status } });
    return { from, to: status };
  });
}

export type EnrolmentStatus = "invited" | "draft" | "submitted" | "nonParticipating";

export interface RoundView {
  round: RoundContext["round"];
  plan: RoundContext["plan"];
  analytes: AnalyteDefinition[];
  samples: RoundContext["samples"];
  labs: {
    code: string;
    name: string;
    institution: string;
    department: string;
    level: string;
    region: string;
    status: EnrolmentStatus;
    submittedAt: Date | null;
    lockedAt: Date | null;
  }[];
}

export async function getRound(db: EqaDb, roundCode: string): Promise<RoundView> {
  const context = await loadRoundContext(db, roundCode);
  const enrolments = await db.enrolment.findMany({
    where: { roundId: context.round.id },
    select: {
      status: true,
      submittedAt: true,
      lockedAt: true,
      lab: { select: { code: true, name: true, institution: true, department: true, level: true, region: true } },
    },
    orderBy: { lab: { code: "asc" } },
  });
  return {
    round: context.round,
    plan: context.plan,
    analytes: context.analytes,
    samples: context.samples,
    labs: enrolments.map((e) => ({ ...e.lab, status: e.status as EnrolmentStatus, submittedAt: e.submittedAt, lockedAt: e.lockedAt })),
  };
}
