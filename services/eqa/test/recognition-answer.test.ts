// The mutual-recognition answer decided from anchored statements: every way a statement may fail
// to count (not anchored, altered, untrusted issuer, analyte not passed, outside its window,
// revoked) and the revocation rule (void from the start vs. until the revocation time).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  RECOGNITION_STATEMENT_FORMAT,
  certificateIdOf,
  parseStatement,
  recognitionAt,
  statementBytes,
  statementHash,
  type AnchoredCertificate,
  type RecognitionStatement,
} from "../src/recognition/index.ts";

const CENTRE = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const HOSPITAL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

function statement(overrides: Partial<RecognitionStatement> = {}): RecognitionStatement {
  return {
    format: RECOGNITION_STATEMENT_FORMAT,
    centre: CENTRE,
    lab: { code: "L001", name: "区人民医院检验科", institution: HOSPITAL, department: "检验科" },
    plan: { code: "CHEM-2027", year: 2027 },
    round: { code: "CHEM-2027-1", publishedAt: "2027-03-01T00:00:00.000Z" },
    analytes: [{ code: "GLU", loinc: "2345-7", name: "葡萄糖", nameEn: "Glucose", acceptable: 2, evaluated: 2 }],
    validFrom: "2027-03-01T00:00:00.000Z",
    validUntil: "2028-03-01T00:00:00.000Z",
    number: "EQA-REC-2027-1-L001",
    ...overrides,
  };
}

function anchoredFor(s: RecognitionStatement, overrides: Partial<AnchoredCertificate> = {}): AnchoredCertificate {
  return {
    issuer: CENTRE,
    documentHash: statementHash(s),
    issuedAt: BigInt(Date.parse(s.validFrom) / 1000),
    validFrom: BigInt(Date.parse(s.validFrom) / 1000),
    validUntil: BigInt(Date.parse(s.validUntil) / 1000),
    revokedAt: 0n,
    revocationReason: 0,
    ...overrides,
  };
}

function ask(s: RecognitionStatement, anchored: AnchoredCertificate | null, at: string, analyte = "GLU") {
  return recognitionAt({
    institution: HOSPITAL.toLowerCase(),
    analyte,
    at: new Date(at),
    candidates: [{ certId: certificateIdOf(CENTRE, s.number), statement: s, anchored }],
    trustedIssuers: [CENTRE],
  });
}

describe("recognition statement", () => {
  it("hashes canonical bytes, so key order does not matter and content does", () => {
    const s = statement();
    const reordered = JSON.parse(JSON.stringify({ ...s, analytes: s.analytes, format: s.format })) as RecognitionStatement;
    assert.equal(statementHash(reordered), statementHash(s));
    assert.notEqual(statementHash(statement({ validUntil: "2028-03-02T00:00:00.000Z" })), statementHash(s));
    assert.deepEqual(parseStatement(statementBytes(s)), s);
  });

  it("refuses bytes that are not a statement", () => {
    assert.throws(() => parseStatement(new TextEncoder().encode('{"format":"other"}')), /Not a recognition statement/);
    assert.throws(() => parseStatement(new Uint8Array([0xff, 0xfe])), /Not a recognition statement/);
  });

  it("derives the certificate id the gateway derives: SM3 of '<issuer lower case>:<number>'", () => {
    assert.equal(certificateIdOf(CENTRE, "N-1"), certificateIdOf(CENTRE.toLowerCase(), "N-1"));
    assert.notEqual(certificateIdOf(CENTRE, "N-1"), certificateIdOf(CENTRE, "N-2"));
  });
});

describe("recognitionAt", () => {
  const s = statement();

  it("recognises a result dated inside the anchored window, by EQA code or LOINC", () => {
    const byCode = ask(s, anchoredFor(s), "2027-06-15T08:00:00Z");
    assert.equal(byCode.recognised, true);
    assert.equal(byCode.basis?.analyte.code, "GLU");
    assert.match(byCode.messageZh, /可互认/);
    assert.equal(ask(s, anchoredFor(s), "2027-06-15T08:00:00Z", "2345-7").recognised, true);
  });

  it("answers no before validFrom and from validUntil on (half-open window)", () => {
    assert.equal(ask(s, anchoredFor(s), "2027-02-28T23:59:59Z").considered[0]?.verdict, "notYetValid");
    assert.equal(ask(s, anchoredFor(s), "2028-02-29T23:59:59Z").recognised, true);
    assert.equal(ask(s, anchoredFor(s), "2028-03-01T00:00:00Z").considered[0]?.verdict, "expired");
  });

  it("does not count a statement that is not anchored, altered, or anchored by another institution", () => {
    assert.equal(ask(s, null, "2027-06-15T00:00:00Z").considered[0]?.verdict, "notAnchored");
    const altered = statement({ analytes: [...s.analytes, { code: "K", name: "钾", nameEn: "Potassium", acceptable: 1, evaluated: 2 }] });
    assert.equal(ask(altered, anchoredFor(s), "2027-06-15T00:00:00Z").considered[0]?.verdict, "altered");
    // Same content, but the anchored window differs from the statement's: not the statement anchored.
    assert.equal(ask(s, anchoredFor(s, { validUntil: anchoredFor(s).validUntil + 86400n }), "2027-06-15T00:00:00Z").considered[0]?.verdict, "altered");
    assert.equal(ask(s, anchoredFor(s, { issuer: HOSPITAL }), "2027-06-15T00:00:00Z").considered[0]?.verdict, "untrustedIssuer");
  });

  it("answers no for an analyte the lab did not pass", () => {
    const answer = ask(s, anchoredFor(s), "2027-06-15T00:00:00Z", "K");
    assert.equal(answer.recognised, false);
    assert.equal(answer.considered[0]?.verdict, "analyteNotPassed");
    assert.match(answer.message, /no valid passing EQA status/);
  });

  it("a superseded certificate held until its revocation; one issued in error never held", () => {
    const revokedAt = BigInt(Date.parse("2027-09-01T00:00:00Z") / 1000);
    const superseded = anchoredFor(s, { revokedAt, revocationReason: 1 });
    assert.equal(ask(s, superseded, "2027-08-31T00:00:00Z").recognised, true);
    assert.equal(ask(s, superseded, "2027-09-01T00:00:00Z").considered[0]?.verdict, "revoked");
    const inError = anchoredFor(s, { revokedAt, revocationReason: 2 });
    assert.equal(ask(s, inError, "2027-06-15T00:00:00Z").considered[0]?.verdict, "revoked");
  });

  it("ignores statements of other institutions and says so when nothing is anchored", () => {
    const other = statement({ lab: { ...s.lab, institution: CENTRE } });
    const answer = ask(other, anchoredFor(other), "2027-06-15T00:00:00Z");
    assert.equal(answer.recognised, false);
    assert.equal(answer.considered.length, 0);
    assert.match(answer.messageZh, /没有/);
  });
});
