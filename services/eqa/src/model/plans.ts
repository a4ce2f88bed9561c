// Proficiency-testing plans (质评计划) and their analytes. A plan's analytes are fixed at creation:
// rounds, results and evaluations refer to them, so a change is a new plan.
import { z } from "zod";
import type { EqaDb } from "../db.ts";
import type { AnalyteDefinition } from "../types.ts";
import { checkActor } from "./actor.ts";
import { validateAnalyteDefinitions, CODE } from "./analyte-definition.ts";
import { writeAudit } from "./audit.ts";
import { conflict, invalidInput } from "./errors.ts";
import { zodIssues } from "./zod-issues.ts";

export interface PlanInput {
  code: string;
  name: string;
  nameEn: string;
  year: number;
  /** Fraction of a lab's samples of an analyte that must be acceptable for the analyte to pass (default 0.8). */
  passThreshold?: number;
  analytes: AnalyteDefinition[];
}

const planSchema = z.strictObject({
  code: CODE,
  name: z.string().trim().min(1).max(200),
  nameEn: z.string().trim().min(1).max(200),
  year: z.number().int().min(2000).max(2100),
  passThreshold: z.number().gt(0).max(1).optional(),
  analytes: z.array(z.unknown()),
});

export interface CreatedPlan {
  id: number;
  code: string;
}

/** Creates a plan with its analytes; refuses an existing code (CONFLICT) or invalid analytes. */
export async function createPlan(db: EqaDb, input: PlanInput, actor: string): Promise<CreatedPlan> {
  const who = checkActor(actor);
  const parsed = planSchema.safeParse(input);
  if (!parsed.success) throw invalidInput("plan", "质评计划", zodIssues(parsed.error));
  const analytes = validateAnalyteDefinitions(parsed.data.analytes);
  const plan = parsed.data;
  return db.$transaction(async (tx) => {
    if (await tx.plan.findUnique({ where: { code: plan.code }, select: { id: true } })) {
      throw conflict("alreadyExists", `Plan "${plan.code}" already exists.`, `质评计划“${plan.code}”已存在。`, { plan: plan.code });
    }
    const at = new Date();
    const created = await tx.plan.create({
      data: {
        code: plan.code,
        name: plan.name,
        nameEn: plan.nameEn,
        year: plan.year,
        passThreshold: plan.passThreshold ?? 0.8,
        createdBy: who,
        createdAt: at,
        analytes: { create: analytes.map((a, order) => ({ code: a.code, definitionJson: JSON.stringify(a), order })) },
      },
      select: { id: true, code: true },
    });
    await writeAudit(tx, {
      at,
      actor: who,
      action: "plan.create",
      details: { plan: plan.code, year: plan.year, passThreshold: plan.passThreshold ?? 0.8, analytes: analytes.map((a) => a.code) },
    });
    return created;
  });
}
