// `eqa seed`'s database part: the demo plans, labs and rounds written through the service's own
// functions (so they pass every check a centre's input passes) — round 1 of each plan taken from
// enrolment to publication, round 2 of the chemistry plan open for entry. Documents are issued and
// anchored afterwards by the worker (the CLI does it through the gateway); nothing here needs one.
//
// Idempotent-ish: what exists is left as it is and named in `skipped`; a round found part-way (an
// earlier run stopped) is taken on from its current status.
import type { EqaDb } from "../db.ts";
import { registerNonParticipation, saveResults, submitResults } from "../intake/index.ts";
import { createPlan, createRound, enrolLabs, registerLab, setRoundStatus, validateAnalyteDefinitions, type RoundStatus } from "../model/index.ts";
import { evaluateStoredRound } from "../publication/evaluate.ts";
import { DEMO_LABS, demoEntries, demoPlans, demoSamples, ENTRY_LAB, NON_PARTICIPATING_LAB, ROUND2_DRAFT, ROUND2_SUBMITTED, type DemoPlan } from "./demo-data.ts";

const DAY_MS = 86_400_000;

export interface SeedDemoOptions {
  /** The centre's admin in audit records (default "eqa-admin"). */
  actor?: string;
  /** The seed's clock (default now): round 1 lies 60 to 46 days before it, round 2 is open from a day before for 14 days. */
  now?: Date;
}

export interface SeededRound {
  code: string;
  status: RoundStatus;
  /** What this run did to the round, in order (empty: nothing, it was already there). */
  steps: string[];
  enrolled: number;
  submitted: number;
  nonParticipating: number;
}

export interface SeedDemoSummary {
  plans: { code: string; created: boolean; analytes: string[] }[];
  labs: { created: string[]; existing: string[] };
  rounds: SeededRound[];
  /** The rounds whose documents are to be issued and anchored (published). */
  publishedRounds: string[];
  skipped: string[];
}

async function roundStatus(db: EqaDb, code: string): Promise<RoundStatus | null> {
  const round = await db.round.findUnique({ where: { code }, select: { status: true } });
  return (round?.status as RoundStatus | undefined) ?? null;
}

async function enrolments(db: EqaDb, code: string): Promise<Map<string, string>> {
  const rows = await db.enrolment.findMany({ where: { round: { code } }, select: { status: true, lab: { select: { code: true } } } });
  return new Map(rows.map((r) => [r.lab.code, r.status]));
}

async function roundView(db: EqaDb, code: string, steps: string[]): Promise<SeededRound> {
  const status = (await roundStatus(db, code))!;
  const states = [...(await enrolments(db, code)).values()];
  return { code, status, steps, enrolled: states.length, submitted: states.filter((s) => s === "submitted").length, nonParticipating: states.filter((s) => s === "nonParticipating").length };
}

/** Round 1 of a plan, from wherever it stands to published. */
async function completedRound(db: EqaDb, plan: DemoPlan, actor: string, now: Date, skipped: string[]): Promise<SeededRound> {
  const code = `${plan.input.code}-1`;
  const steps: string[] = [];
  if ((await roundStatus(db, code)) === null) {
    const opensAt = new Date(now.getTime() - 60 * DAY_MS);
    await createRound(db, { planCode: plan.input.code, code, name: `${plan.input.year} 年第一次`, opensAt, deadline: new Date(opensAt.getTime() + 14 * DAY_MS), samples: demoSamples(plan, 1) }, actor);
    steps.push("created");
  }
  for (;;) {
    const status = (await roundStatus(db, code))!;
    if (status === "draft") {
      await enrolLabs(db, code, [...plan.labs], actor);
      await setRoundStatus(db, code, "open", actor);
      steps.push("enrolled", "opened");
    } else if (status === "open") {
      // Labs enter their results two days before the deadline (the round lies in the past).
      const round = (await db.round.findUnique({ where: { code }, select: { deadline: true } }))!;
      const at = new Date(round.deadline.getTime() - 2 * DAY_MS);
      const entries = demoEntries(plan, 1);
      const states = await enrolments(db, code);
      for (const lab of plan.labs) {
        if (states.get(lab) === "submitted" || states.get(lab) === "nonParticipating") continue;
        if (plan.key === "CHEM" && lab === NON_PARTICIPATING_LAB.lab) {
          await registerNonParticipation(db, { roundCode: code, labCode: lab, reason: NON_PARTICIPATING_LAB.reason, actor: `${lab}-lis`, now: at });
        } else {
          await submitResults(db, { roundCode: code, labCode: lab, entries: entries.get(lab)!, actor: `${lab}-lis`, now: at });
        }
      }
      await setRoundStatus(db, code, "closed", actor);
      steps.push("results submitted", "closed");
    } else if (status === "closed") {
      await evaluateStoredRound(db, code, actor, now);
      steps.push("evaluated");
    } else if (status === "evaluated") {
      await setRoundStatus(db, code, "published", actor);
      steps.push("published");
    } else {
      if (steps.length === 0) skipped.push(`round ${code}: already published`);
      return roundView(db, code, steps);
    }
  }
}

/** Round 2 of the chemistry plan, open for entry; the hospital's lab has not submitted yet. */
async function openRound(db: EqaDb, plan: DemoPlan, actor: string, now: Date, skipped: string[]): Promise<SeededRound> {
  const code = `${plan.input.code}-2`;
  const steps: string[] = [];
  if ((await roundStatus(db, code)) === null) {
    await createRound(db, { planCode: plan.input.code, code, name: `${plan.input.year} 年第二次`, opensAt: new Date(now.getTime() - DAY_MS), deadline: new Date(now.getTime() + 14 * DAY_MS), samples: demoSamples(plan, 2) }, actor);
    steps.push("created");
  }
  if ((await roundStatus(db, code)) === "draft") {
    await enrolLabs(db, code, [...plan.labs], actor);
    await setRoundStatus(db, code, "open", actor);
    steps.push("enrolled", "opened");
  }
  const round = (await db.round.findUnique({ where: { code }, select: { status: true, opensAt: true, deadline: true } }))!;
  if (round.status !== "open" || now < round.opensAt || now > round.deadline) {
    skipped.push(`round ${code}: ${round.status}${round.status === "open" ? ", outside its entry window" : ""}; no results entered`);
    return roundView(db, code, steps);
  }
  const entries = demoEntries(plan, 2);
  const states = await enrolments(db, code);
  const fresh = (lab: string) => states.get(lab) === "invited";
  const submit = ROUND2_SUBMITTED.filter(fresh);
  const drafts = ROUND2_DRAFT.filter(fresh);
  for (const lab of submit) await submitResults(db, { roundCode: code, labCode: lab, entries: entries.get(lab)!, actor: `${lab}-lis`, now });
  // A draft of part of the results: saved, not submitted.
  for (const lab of drafts) await saveResults(db, { roundCode: code, labCode: lab, entries: entries.get(lab)!.filter((e) => e.analyte === "GLU" || e.analyte === "K"), actor: `${lab}-lis`, now });
  if (submit.length + drafts.length > 0) steps.push(`results of ${submit.length} labs submitted, ${drafts.length} draft(s) saved; ${ENTRY_LAB} left for entry`);
  else if (steps.length === 0) skipped.push(`round ${code}: already open with the demo's results`);
  return roundView(db, code, steps);
}

/**
 * Writes the demonstration into the EQA database (migrated): labs, the two plans, round 1 of each
 * published with its evaluation, round 2 of the chemistry plan open. Refuses nothing that exists:
 * existing labs, plans and rounds are kept (named in `skipped`).
 */
export async function seedDemo(db: EqaDb, options: SeedDemoOptions = {}): Promise<SeedDemoSummary> {
  const actor = options.actor ?? "eqa-admin";
  const now = options.now ?? new Date();
  const plans = demoPlans(now.getUTCFullYear());
  // The plans' analytes must validate even when the plans already exist (a change to plans.ts shows here).
  for (const plan of plans) validateAnalyteDefinitions(plan.input.analytes);
  const summary: SeedDemoSummary = { plans: [], labs: { created: [], existing: [] }, rounds: [], publishedRounds: [], skipped: [] };

  for (const lab of DEMO_LABS) {
    if (await db.lab.findUnique({ where: { code: lab.code }, select: { id: true } })) {
      summary.labs.existing.push(lab.code);
      continue;
    }
    await registerLab(db, lab, actor);
    summary.labs.created.push(lab.code);
  }
  if (summary.labs.existing.length > 0) summary.skipped.push(`labs ${summary.labs.existing.join(", ")}: already registered, left as they are`);

  for (const plan of plans) {
    const exists = (await db.plan.findUnique({ where: { code: plan.input.code }, select: { id: true } })) !== null;
    if (exists) summary.skipped.push(`plan ${plan.input.code}: already exists`);
    else await createPlan(db, plan.input, actor);
    summary.plans.push({ code: plan.input.code, created: !exists, analytes: plan.input.analytes.map((a) => a.code) });
  }

  for (const plan of plans) {
    const round = await completedRound(db, plan, actor, now, summary.skipped);
    summary.rounds.push(round);
    summary.publishedRounds.push(round.code);
  }
  summary.rounds.push(await openRound(db, plans[0]!, actor, now, summary.skipped));
  return summary;
}
