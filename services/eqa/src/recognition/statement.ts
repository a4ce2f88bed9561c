// Mutual recognition of laboratory results (检验结果互认) rests on one machine-readable document per
// lab and round: the recognition statement. It names the lab (its institution's address and
// department), the round, and the analytes the lab passed, with the validity window of that
// standing. The statement is canonical JSON (sdk `canonicalBytes`: sorted keys, no whitespace),
// so its SM3 hash is a function of its content; the hash is anchored in CertificateRegistry with
// the lab's institution as subject, the centre's SM2 signature and the validity window, and the
// block time is the trusted timestamp. Anyone holding the statement checks it against the chain;
// a doctor's question "did institution X hold a valid passing status for analyte Y at date Z" is
// answered from the statements whose anchor verifies (see ./answer.ts).
//
// Nothing personal is in a statement: labs are institutions, analytes are test names.
import { canonicalBytes, platformError, sm3Hex, utf8 } from "@health-chain/sdk";
import type { Hex } from "viem";

/** The statement format; bump when the shape changes (old statements stay verifiable as anchored). */
export const RECOGNITION_STATEMENT_FORMAT = "health-chain/eqa-recognition@1";

export interface RecognisedAnalyte {
  /** The EQA analyte code of the plan (e.g. "GLU"). */
  code: string;
  /** LOINC code of the test, where the plan maps one: how a lab result elsewhere finds the analyte. */
  loinc?: string;
  name: string;
  nameEn: string;
  /** The lab's acceptable / evaluated samples of this analyte in the round. */
  acceptable: number;
  evaluated: number;
}

export interface RecognitionStatement {
  format: typeof RECOGNITION_STATEMENT_FORMAT;
  /** The issuing quality centre (CERT_ISSUER on chain). */
  centre: string;
  lab: { code: string; name: string; institution: string; department: string };
  plan: { code: string; year: number };
  round: { code: string; publishedAt: string };
  /** Passed analytes only, sorted by code. */
  analytes: RecognisedAnalyte[];
  /** ISO instants, [validFrom, validUntil). */
  validFrom: string;
  validUntil: string;
  /** The statement's own number (certificate number at the centre). */
  number: string;
}

/** The bytes that are hashed and anchored: canonical JSON of the statement. */
export function statementBytes(statement: RecognitionStatement): Uint8Array {
  return canonicalBytes(statement);
}

/** SM3 of the statement's canonical bytes, as anchored. */
export function statementHash(statement: RecognitionStatement): Hex {
  return sm3Hex(statementBytes(statement)) as Hex;
}

/**
 * The certificate id the gateway derives for a certificate number of an issuer: SM3 of
 * "<issuer address, lower case>:<number>" (gateway/src/routes/certificates.ts). The worker
 * computes it before anchoring so that the QR code printed in a PDF already points to it.
 */
export function certificateIdOf(issuer: string, number: string): Hex {
  return sm3Hex(utf8(`${issuer.toLowerCase()}:${number}`)) as Hex;
}

/** Parses statement bytes back (as stored with a Document), refusing what is not a statement. */
export function parseStatement(bytes: Uint8Array): RecognitionStatement {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    value = undefined;
  }
  const s = value as Partial<RecognitionStatement> | undefined;
  if (
    s === undefined ||
    s === null ||
    s.format !== RECOGNITION_STATEMENT_FORMAT ||
    typeof s.lab?.institution !== "string" ||
    !Array.isArray(s.analytes) ||
    typeof s.validFrom !== "string" ||
    typeof s.validUntil !== "string"
  ) {
    throw platformError("INVALID_INPUT", {
      message: `Not a recognition statement (${RECOGNITION_STATEMENT_FORMAT}).`,
      messageZh: `不是结果互认声明（${RECOGNITION_STATEMENT_FORMAT}）。`,
    });
  }
  return s as RecognitionStatement;
}
