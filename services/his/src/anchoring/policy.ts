// The anchoring policy (可配置化数据上链): which record models are anchored, how often and in which
// mode — configuration, versioned through config/versions.ts (kind "anchoring"), never code.
//
//   cadence "per-record"  each record alone as soon as it is collected (DataIndex.anchorRecord)
//   cadence "batch"       one Merkle root per `size` records, or sooner when the oldest pending
//                         record has waited `maxWaitSeconds`
//   cadence "t+1"         the nightly run (the policy's `nightly` cron, Asia/Shanghai by default)
//                         anchors everything collected before that day began
//   mode "clear-hash"     the chain holds the SM3 fingerprint of the canonical record
//   mode "encrypted-pointer" the chain commits to the encrypted original (fingerprint of its
//                         ciphertext), never to a plaintext fingerprint that could be guessed
// Change records (变更记录) of anchored records follow `changes`: by default anchored in the T+1 run.
import { platformError } from "@health-chain/sdk";
import { z } from "zod";
import { checkSchedule } from "../collection/tasks.ts";

const Cadence = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("per-record") }).strict(),
  z.object({ kind: z.literal("batch"), size: z.number().int().min(1).max(1000), maxWaitSeconds: z.number().int().min(1).max(7 * 86_400) }).strict(),
  z.object({ kind: z.literal("t+1") }).strict(),
]);

const ModelPolicy = z
  .object({
    anchor: z.boolean(),
    mode: z.enum(["clear-hash", "encrypted-pointer"]).default("clear-hash"),
    cadence: Cadence,
  })
  .strict();

export const AnchoringPolicySchema = z
  .object({
    /** Cron expression of the T+1 run (default 02:00 every day). */
    nightly: z.string().default("0 2 * * *"),
    timezone: z.string().default("Asia/Shanghai"),
    /** Records per anchoring transaction in a T+1 run (≤ the gateway's 1,000). */
    nightlyBatchSize: z.number().int().min(1).max(1000).default(1000),
    /** Per record model; a model not named is not anchored (and says so in the run's report). */
    models: z.record(z.string().min(1), ModelPolicy),
    changes: z
      .object({ cadence: z.discriminatedUnion("kind", [z.object({ kind: z.literal("t+1") }).strict(), z.object({ kind: z.literal("batch"), size: z.number().int().min(1).max(1000), maxWaitSeconds: z.number().int().min(1) }).strict()]) })
      .strict()
      .default({ cadence: { kind: "t+1" } }),
  })
  .strict();

export type AnchoringPolicy = z.output<typeof AnchoringPolicySchema>;
export type AnchoringPolicyInput = z.input<typeof AnchoringPolicySchema>;
export type ModelAnchoring = z.output<typeof ModelPolicy>;

/** Validates an anchoring policy (typed INVALID_INPUT naming the bad member). */
export function parseAnchoringPolicy(input: unknown): AnchoringPolicy {
  const parsed = AnchoringPolicySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join(".");
    throw platformError("INVALID_INPUT", {
      message: `Invalid anchoring policy: ${path || "(policy)"}: ${issue.message}.`,
      messageZh: `上链策略无效：${path || "（策略）"}：${issue.message}。`,
      details: { path },
    });
  }
  checkSchedule(parsed.data.nightly, parsed.data.timezone);
  return parsed.data;
}

/**
 * The default: lab results in batches of 1,000 (at most 10 minutes' wait), everything else T+1.
 * Registrations (name, ID number, birth date, phone, address) in encrypted-pointer mode: an unsalted
 * fingerprint of them on chain would let anyone who knows a resident's details confirm them.
 */
export const DEFAULT_ANCHORING_POLICY: AnchoringPolicy = parseAnchoringPolicy({
  models: {
    patient: { anchor: true, mode: "encrypted-pointer", cadence: { kind: "t+1" } },
    encounter: { anchor: true, cadence: { kind: "t+1" } },
    diagnosis: { anchor: true, cadence: { kind: "t+1" } },
    "lab-result": { anchor: true, cadence: { kind: "batch", size: 1000, maxWaitSeconds: 600 } },
    prescription: { anchor: true, cadence: { kind: "t+1" } },
    "physical-exam": { anchor: true, cadence: { kind: "t+1" } },
    "discharge-summary": { anchor: true, cadence: { kind: "t+1" } },
  },
});

/** The start of the day of `now` in `timezone` (the T+1 run anchors what was collected before it). */
export function startOfDay(now: Date, timezone: string): Date {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const sinceMidnightMs = ((get("hour") * 60 + get("minute")) * 60 + get("second")) * 1000 + now.getUTCMilliseconds();
  return new Date(now.getTime() - sinceMidnightMs);
}
