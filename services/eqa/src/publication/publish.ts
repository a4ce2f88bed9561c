// Issuing the documents of a published round: for every enrolled lab, from the round's latest
// evaluation, the proficiency-testing report, the history of its last three rounds, the general and
// the trueness certificates where it passed analytes, and the recognition statement. Each lab's
// documents are rendered, hashed (SM3) and stored together with its recognition rows in one
// transaction, as `pending` documents that ./anchor.ts anchors on chain. A worker that stops half
// way resumes with the labs that have no report yet; nothing is issued twice (document numbers are
// unique and derived from the round and the lab).
import { platformError, sm3Hex } from "@health-chain/sdk";
import type { EqaDb } from "../db.ts";
import type { RoundResultValue } from "../evaluation/types.ts";
import { writeAudit } from "../model/audit.ts";
import { loadRoundContext } from "../model/round-context.ts";
import { certificateIdOf, statementBytes } from "../recognition/statement.ts";
import { renderCertificate, renderHistoryReport, renderLabReport, type RenderOptions } from "../reports/index.ts";
import {
  certificateData,
  evaluationKey,
  historyRound,
  indexEvaluation,
  labReportData,
  recognitionStatement,
  validityOf,
  type HistoryRound,
  type PublicationContext,
  type PublicationLab,
} from "./documents.ts";
import { latestEvaluation } from "./evaluate.ts";

export interface PublishOptions {
  /** The centre: its names as printed, and its consortium address (the issuer on chain). */
  centre: { name: string; nameEn: string; address: string };
  /** Printed on certificates. */
  signatory: string;
  /** Base of the public verification page; the certificate id is appended as a path segment. */
  verifyBaseUrl: string;
  /** Validity of certificates and recognition from publication (default 365 days). */
  validityDays?: number;
  render?: RenderOptions;
  actor: string;
  now?: Date;
  /** Stop after this many labs (the worker publishes in slices so it can anchor in between). */
  maxLabs?: number;
}

export interface PublishResult {
  round: string;
  labsIssued: number;
  labsRemaining: number;
  documents: number;
  /** Labs whose documents could not be issued in this pass (retried at the next one). */
  failed: { lab: string; error: string }[];
}

const NUMBER_PREFIX = { report: "R", history: "H", certificate: "C", truenessCertificate: "T", recognition: "M" } as const;

/**
 * Document number of one lab's document of a round: <round>:<kind letter>:<lab>. Codes cannot
 * contain ":", so no two (round, kind, lab) share a number — nor, therefore, a certificate id.
 */
export function documentNumber(roundCode: string, kind: keyof typeof NUMBER_PREFIX, labCode: string): string {
  return `${roundCode}:${NUMBER_PREFIX[kind]}:${labCode}`;
}

function pad32(address: string): string {
  return `0x${address.slice(2).toLowerCase().padStart(64, "0")}`;
}

/** Issues the documents of a published round for the labs that have none yet. */
export async function publishRoundDocuments(db: EqaDb, roundCode: string, options: PublishOptions): Promise<PublishResult> {
  const now = options.now ?? new Date();
  const context = await loadRoundContext(db, roundCode);
  if (context.round.status !== "published") {
    throw platformError("CONFLICT", {
      message: `Round ${roundCode} is ${context.round.status}: documents are issued once it is published.`,
      messageZh: `轮次 ${roundCode} 当前为 ${context.round.status}：发布后才签发报告和证书。`,
      details: { reason: "roundStatus", status: context.round.status },
    });
  }
  const latest = await latestEvaluation(db, roundCode);
  if (latest === null) {
    throw platformError("CONFLICT", { message: `Round ${roundCode} has no evaluation.`, messageZh: `轮次 ${roundCode} 尚无评价结果。`, details: { reason: "notEvaluated" } });
  }
  const stored = latest;
  const roundId = context.round.id;
  const roundRow = await db.round.findUniqueOrThrow({ where: { id: roundId }, select: { publishedAt: true } });
  const publishedAt = new Date(Math.floor((roundRow.publishedAt ?? now).getTime() / 1000) * 1000).toISOString();
  // The schemes the evaluation used (the previous round's, or an override), not the plan's definitions.
  const analytes = context.analytes.map((a) => ({ ...a, scheme: stored.schemes.schemes[a.code] ?? a.scheme }));
  const pub: PublicationContext = {
    centre: options.centre,
    plan: { code: context.plan.code, name: context.plan.name, nameEn: context.plan.nameEn, year: context.plan.year },
    round: { code: context.round.code, name: context.round.name, deadline: context.round.deadline.toISOString(), publishedAt },
    analytes,
    signatory: options.signatory,
    validityDays: options.validityDays ?? 365,
  };
  const { validFrom, validUntil } = validityOf(pub);
  const index = indexEvaluation(stored.evaluation);
  const samples = context.samples.map((s) => s.code);

  const enrolments = await db.enrolment.findMany({
    where: { roundId },
    select: { status: true, nonParticipationReason: true, lab: { select: { id: true, code: true, name: true, department: true, institution: true } } },
    orderBy: { lab: { code: "asc" } },
  });
  const issued = new Set(
    (await db.document.findMany({ where: { roundId, kind: "report" }, select: { labId: true } })).map((d) => d.labId),
  );
  const pending = enrolments.filter((e) => !issued.has(e.lab.id));
  const slice = options.maxLabs === undefined ? pending : pending.slice(0, options.maxLabs);
  if (slice.length === 0) return { round: roundCode, labsIssued: 0, labsRemaining: 0, documents: 0, failed: [] };

  const labIds = slice.map((e) => e.lab.id);
  const resultRows = await db.result.findMany({ where: { roundId, labId: { in: labIds } }, select: { labId: true, sampleId: true, analyteCode: true, valueJson: true } });
  const sampleCode = new Map(context.samples.map((s) => [s.id, s.code]));
  const labCodeOf = new Map(slice.map((e) => [e.lab.id, e.lab.code]));
  const results = new Map<string, RoundResultValue>();
  for (const r of resultRows) {
    results.set(evaluationKey(labCodeOf.get(r.labId) as string, r.analyteCode, sampleCode.get(r.sampleId) as string), JSON.parse(r.valueJson) as RoundResultValue);
  }
  const history = await earlierRounds(db, context.plan.id, roundId);

  const issuedAt = now.toISOString();
  let documents = 0;
  let labsIssued = 0;
  const failed: PublishResult["failed"] = [];
  for (const enrolment of slice) {
    try {
      documents += await issueLab(enrolment);
      labsIssued++;
    } catch (error) {
      // One lab's failure (a render error, a database error) must not hold back every other lab.
      failed.push({ lab: enrolment.lab.code, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { round: roundCode, labsIssued, labsRemaining: pending.length - labsIssued, documents, failed };

  async function issueLab(enrolment: (typeof slice)[number]): Promise<number> {
    const lab: PublicationLab = {
      code: enrolment.lab.code,
      name: enrolment.lab.name,
      department: enrolment.lab.department,
      institution: enrolment.lab.institution,
      nonParticipationReason: enrolment.nonParticipationReason,
      submitted: enrolment.status === "submitted",
    };
    const ref = (kind: keyof typeof NUMBER_PREFIX) => {
      const number = documentNumber(roundCode, kind, lab.code);
      const certId = certificateIdOf(options.centre.address, number);
      return { number, certId, document: { number, issuedAt, verifyUrl: `${options.verifyBaseUrl.replace(/\/$/, "")}/${certId}` } };
    };
    const rows: { kind: string; number: string; certId: string; bytes: Uint8Array; validity: boolean }[] = [];

    const report = ref("report");
    rows.push({ kind: "report", number: report.number, certId: report.certId, validity: false, bytes: await renderLabReport(labReportData({ context: pub, evaluation: stored.evaluation, index, lab, samples, results, document: report.document }), options.render) });

    const historyRef = ref("history");
    const rounds: HistoryRound[] = [
      ...history.map((h) => historyRound({ ...h, labCode: lab.code })).filter((h) => h.analytes.some((a) => a.scores.some((s) => s !== null) || a.passed !== null)),
      historyRound({ round: { code: pub.round.code, name: pub.round.name, publishedAt }, analytes, evaluation: stored.evaluation, labCode: lab.code, samples }),
    ].slice(-3);
    rows.push({ kind: "history", number: historyRef.number, certId: historyRef.certId, validity: false, bytes: await renderHistoryReport({ centre: { name: pub.centre.name, nameEn: pub.centre.nameEn }, lab: { code: lab.code, name: lab.name, department: lab.department, institution: lab.institution }, document: historyRef.document, rounds }, options.render) });

    for (const kind of ["certificate", "truenessCertificate"] as const) {
      const r = ref(kind);
      const data = certificateData({ kind: kind === "certificate" ? "general" : "trueness", context: pub, index, lab, samples, document: r.document });
      if (data !== null) rows.push({ kind, number: r.number, certId: r.certId, validity: true, bytes: await renderCertificate(data, options.render) });
    }

    const recognitionRef = ref("recognition");
    const statement = recognitionStatement({ context: pub, index, lab, number: recognitionRef.number });
    if (statement !== null) rows.push({ kind: "recognition", number: recognitionRef.number, certId: recognitionRef.certId, validity: true, bytes: statementBytes(statement) });

    await db.$transaction(async (tx) => {
      const created = new Map<string, string>();
      for (const row of rows) {
        const doc = await tx.document.create({
          data: {
            roundId,
            labId: enrolment.lab.id,
            kind: row.kind,
            number: row.number,
            sm3: sm3Hex(row.bytes),
            bytes: Buffer.from(row.bytes),
            certId: row.certId,
            subject: pad32(lab.institution),
            ...(row.validity ? { validFrom: new Date(validFrom), validUntil: new Date(validUntil) } : {}),
            evaluationVersion: stored.version,
            status: "pending",
          },
          select: { id: true },
        });
        created.set(row.kind, doc.id);
      }
      const recognitionId = created.get("recognition");
      if (recognitionId !== undefined && statement !== null) {
        await tx.recognition.createMany({
          data: statement.analytes.map((a) => ({ labId: enrolment.lab.id, analyteCode: a.code, roundId, documentId: recognitionId, validFrom: new Date(validFrom), validUntil: new Date(validUntil) })),
        });
      }
      // The lab's recognition statements of earlier rounds of this plan are superseded by this
      // round's outcome, passed or not: revoked on chain as Superseded (they held until now), or
      // never anchored if still waiting.
      const earlier = { kind: "recognition", labId: enrolment.lab.id, roundId: { not: roundId }, round: { planId: context.plan.id } };
      await tx.document.updateMany({ where: { ...earlier, status: "anchored" }, data: { status: "superseding" } });
      await tx.document.updateMany({ where: { ...earlier, status: { in: ["pending", "failed"] } }, data: { status: "withdrawn" } });
      await writeAudit(tx, {
        at: now,
        actor: options.actor,
        action: "documents.issue",
        roundCode,
        labCode: lab.code,
        details: { evaluationVersion: stored.version, documents: rows.map((r) => ({ kind: r.kind, number: r.number, certId: r.certId, sm3: sm3Hex(r.bytes) })) },
      });
    });
    return rows.length;
  }
}

/** The plan's earlier rounds that have an evaluation, oldest first (the two latest are kept). */
async function earlierRounds(db: EqaDb, planId: number, roundId: number) {
  const rounds = await db.round.findMany({
    where: { planId, id: { not: roundId }, status: "published" },
    orderBy: [{ publishedAt: "desc" }, { id: "desc" }],
    take: 2,
    select: { code: true, publishedAt: true },
  });
  const out = [];
  for (const r of rounds.reverse()) {
    const context = await loadRoundContext(db, r.code);
    const stored = await latestEvaluation(db, r.code);
    if (stored === null) continue;
    out.push({
      round: { code: r.code, name: context.round.name, publishedAt: (r.publishedAt ?? context.round.deadline).toISOString() },
      analytes: context.analytes.map((a) => ({ ...a, scheme: stored.schemes.schemes[a.code] ?? a.scheme })),
      evaluation: stored.evaluation,
      samples: context.samples.map((s) => s.code),
    });
  }
  return out;
}
