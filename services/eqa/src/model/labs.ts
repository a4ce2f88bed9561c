// Participating laboratories, registered at department level (科室): the institution is the
// consortium member's chain address, so that certificates and mutual recognition name it.
import { z } from "zod";
import type { EqaDb } from "../db.ts";
import { checkActor } from "./actor.ts";
import { CODE } from "./analyte-definition.ts";
import { writeAudit } from "./audit.ts";
import { invalidInput } from "./errors.ts";
import { zodIssues } from "./zod-issues.ts";

export type LabLevel = "tertiary" | "secondary" | "primary" | "other";

export interface LabInput {
  code: string;
  name: string;
  /** The consortium member's 0x address. */
  institution: string;
  /** 科室, e.g. 检验科. */
  department: string;
  level: LabLevel;
  region: string;
  /** Per analyte code: whether this site is allowed to test it (strict schemes). */
  allowedToTest?: Record<string, boolean>;
}

const labSchema = z.strictObject({
  code: CODE,
  name: z.string().trim().min(1).max(200),
  institution: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "An institution is a 0x address of 40 hexadecimal digits."),
  department: z.string().trim().min(1).max(100),
  level: z.enum(["tertiary", "secondary", "primary", "other"]),
  region: z.string().trim().min(1).max(100),
  allowedToTest: z.record(CODE, z.boolean()).optional(),
});

/** Creates the lab of `code`, or updates it (the audit record keeps the previous values). */
export async function registerLab(db: EqaDb, input: LabInput, actor: string): Promise<{ id: number; code: string; created: boolean }> {
  const who = checkActor(actor);
  const parsed = labSchema.safeParse(input);
  if (!parsed.success) throw invalidInput("laboratory", "实验室", zodIssues(parsed.error));
  const lab = { ...parsed.data, institution: parsed.data.institution.toLowerCase() };
  const data = {
    name: lab.name,
    institution: lab.institution,
    department: lab.department,
    level: lab.level,
    region: lab.region,
    allowedToTestJson: lab.allowedToTest === undefined ? null : JSON.stringify(lab.allowedToTest),
  };
  return db.$transaction(async (tx) => {
    const before = await tx.lab.findUnique({ where: { code: lab.code } });
    const saved = before
      ? await tx.lab.update({ where: { id: before.id }, data, select: { id: true } })
      : await tx.lab.create({ data: { code: lab.code, ...data }, select: { id: true } });
    await writeAudit(tx, {
      at: new Date(),
      actor: who,
      action: "lab.register",
      labCode: lab.code,
      details: {
        lab: lab,
        ...(before
          ? {
              previous: {
                name: before.name,
                institution: before.institution,
                department: before.department,
                level: before.level,
                region: before.region,
                allowedToTest: before.allowedToTestJson === null ? undefined : (JSON.parse(before.allowedToTestJson) as unknown),
              },
            }
          : {}),
      },
    });
    return { id: saved.id, code: lab.code, created: before === null };
  });
}
