// The answer to a doctor reading another hospital's lab result: did institution X hold a valid
// passing EQA status for analyte Y at the date Z of the result? Decided only from recognition
// statements whose anchor on chain verifies — the statement's SM3 equals the anchored hash, the
// anchor was issued by a trusted quality centre, Z lies in the anchored validity window — and
// revocations as the chain records them:
//   - revoked as issued in error or after a key compromise: the standing never held;
//   - revoked otherwise (superseded, withdrawn, unspecified): it held until the revocation time.
// The statement's own validity dates must agree with the anchored ones (they are written from the
// same values; a disagreement means the statement is not the one anchored).
import type { Hex } from "viem";
import { statementHash, type RecognitionStatement } from "./statement.ts";

/** CertificateRegistry.RevocationReason codes that void a certificate from the start. */
const VOID_FROM_START = new Set([2 /* IssuedInError */, 3 /* KeyCompromise */]);

/** A certificate as CertificateRegistry.getCertificate returns it (times in seconds). */
export interface AnchoredCertificate {
  issuer: string;
  documentHash: Hex;
  issuedAt: bigint;
  validFrom: bigint;
  validUntil: bigint;
  revokedAt: bigint;
  revocationReason: number;
}

export interface StatementCandidate {
  certId: Hex;
  statement: RecognitionStatement;
  /** null: no certificate with this id on chain (not anchored yet, or anchored elsewhere). */
  anchored: AnchoredCertificate | null;
  txHash?: string | null;
}

export type CandidateVerdict =
  | "recognised"
  | "notAnchored"
  | "altered"
  | "untrustedIssuer"
  | "analyteNotPassed"
  | "notYetValid"
  | "expired"
  | "revoked";

const VERDICT_TEXT: Record<CandidateVerdict, { en: string; zh: string }> = {
  recognised: { en: "held a valid passing status", zh: "当时持有有效的合格状态" },
  notAnchored: { en: "the statement is not anchored on chain", zh: "该声明未在链上存证" },
  altered: { en: "the statement differs from what was anchored", zh: "该声明与链上存证不一致" },
  untrustedIssuer: { en: "anchored by an institution that is not a recognised quality centre", zh: "存证机构不是受认可的质控中心" },
  analyteNotPassed: { en: "the analyte was not passed in this round", zh: "该轮次未通过此项目" },
  notYetValid: { en: "the standing began after the date", zh: "该日期时尚未生效" },
  expired: { en: "the standing had expired by the date", zh: "该日期时已过有效期" },
  revoked: { en: "the certificate was revoked", zh: "证书已被撤销" },
};

export interface CandidateView {
  certId: Hex;
  txHash: string | null;
  lab: RecognitionStatement["lab"];
  round: string;
  validFrom: string;
  validUntil: string;
  verdict: CandidateVerdict;
  reason: string;
  reasonZh: string;
}

export interface RecognitionAnswer {
  institution: string;
  analyte: string;
  at: string;
  recognised: boolean;
  /** The statement that decides a positive answer (the latest-issued one that holds). */
  basis: (CandidateView & { analyte: RecognitionStatement["analytes"][number]; issuedAt: string }) | null;
  message: string;
  messageZh: string;
  /** Every statement looked at, with why it did or did not count. */
  considered: CandidateView[];
}

function seconds(iso: string): bigint {
  return BigInt(Math.floor(Date.parse(iso) / 1000));
}

function matchesAnalyte(entry: RecognitionStatement["analytes"][number], analyte: string): boolean {
  const wanted = analyte.trim().toLowerCase();
  return entry.code.toLowerCase() === wanted || (entry.loinc !== undefined && entry.loinc.toLowerCase() === wanted);
}

function verdictOf(candidate: StatementCandidate, analyte: string, at: bigint, trustedIssuers: ReadonlySet<string>): CandidateVerdict {
  const { anchored, statement } = candidate;
  if (anchored === null) return "notAnchored";
  if (anchored.documentHash.toLowerCase() !== statementHash(statement).toLowerCase()) return "altered";
  if (anchored.validFrom !== seconds(statement.validFrom) || anchored.validUntil !== seconds(statement.validUntil)) return "altered";
  if (!trustedIssuers.has(anchored.issuer.toLowerCase())) return "untrustedIssuer";
  if (!statement.analytes.some((a) => matchesAnalyte(a, analyte))) return "analyteNotPassed";
  if (anchored.revokedAt !== 0n && (VOID_FROM_START.has(anchored.revocationReason) || at >= anchored.revokedAt)) return "revoked";
  if (at < anchored.validFrom) return "notYetValid";
  if (anchored.validUntil !== 0n && at >= anchored.validUntil) return "expired";
  return "recognised";
}

/**
 * Decides the answer for `institution`, `analyte` (EQA code or LOINC) at `at` from the candidate
 * statements of the institution's labs. `trustedIssuers`: addresses of the quality centres whose
 * anchors count.
 */
export function recognitionAt(input: {
  institution: string;
  analyte: string;
  at: Date;
  candidates: readonly StatementCandidate[];
  trustedIssuers: readonly string[];
}): RecognitionAnswer {
  const at = BigInt(Math.floor(input.at.getTime() / 1000));
  const trusted = new Set(input.trustedIssuers.map((a) => a.toLowerCase()));
  const considered = input.candidates
    .filter((c) => c.statement.lab.institution.toLowerCase() === input.institution.toLowerCase())
    .map((candidate) => {
      const verdict = verdictOf(candidate, input.analyte, at, trusted);
      return { candidate, view: view(candidate, verdict) };
    })
    .sort((a, b) => (a.candidate.statement.validFrom < b.candidate.statement.validFrom ? 1 : a.candidate.statement.validFrom > b.candidate.statement.validFrom ? -1 : 0));
  const decisive = considered.find((c) => c.view.verdict === "recognised");
  const atIso = input.at.toISOString();
  if (decisive) {
    const entry = decisive.candidate.statement.analytes.find((a) => matchesAnalyte(a, input.analyte)) as RecognitionStatement["analytes"][number];
    const issuedAt = new Date(Number((decisive.candidate.anchored as AnchoredCertificate).issuedAt) * 1000).toISOString();
    return {
      institution: input.institution,
      analyte: input.analyte,
      at: atIso,
      recognised: true,
      basis: { ...decisive.view, analyte: entry, issuedAt },
      message: `${decisive.view.lab.name} held a valid passing EQA status for ${entry.nameEn} on ${atIso.slice(0, 10)} (round ${decisive.view.round}, anchored on chain): the result may be recognised.`,
      messageZh: `${decisive.view.lab.name}在 ${atIso.slice(0, 10)} 持有${entry.name}的有效室间质评合格状态（轮次 ${decisive.view.round}，已上链存证），结果可互认。`,
      considered: considered.map((c) => c.view),
    };
  }
  return {
    institution: input.institution,
    analyte: input.analyte,
    at: atIso,
    recognised: false,
    basis: null,
    message:
      considered.length === 0
        ? `No anchored EQA standing of this institution for ${input.analyte}: the result is not covered by mutual recognition.`
        : `This institution held no valid passing EQA status for ${input.analyte} on ${atIso.slice(0, 10)}: the result is not covered by mutual recognition.`,
    messageZh:
      considered.length === 0
        ? `该机构没有 ${input.analyte} 的室间质评链上存证：该结果不在互认范围内。`
        : `该机构在 ${atIso.slice(0, 10)} 未持有 ${input.analyte} 的有效室间质评合格状态：该结果不在互认范围内。`,
    considered: considered.map((c) => c.view),
  };
}

function view(candidate: StatementCandidate, verdict: CandidateVerdict): CandidateView {
  return {
    certId: candidate.certId,
    txHash: candidate.txHash ?? null,
    lab: candidate.statement.lab,
    round: candidate.statement.round.code,
    validFrom: candidate.statement.validFrom,
    validUntil: candidate.statement.validUntil,
    verdict,
    reason: VERDICT_TEXT[verdict].en,
    reasonZh: VERDICT_TEXT[verdict].zh,
  };
}
