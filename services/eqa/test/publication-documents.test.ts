// What a lab's report prints, mapped from a stored evaluation: the numbers of the lab's own rows,
// the scheme actually used (not the plan's), the reason instead of a number where a statistic
// could not be computed, the pair's difference of a split-level scheme, and the recognition
// statement listing only passed analytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound } from "../src/evaluation/index.ts";
import { documentNumber } from "../src/publication/publish.ts";
import { indexEvaluation, labReportData, recognitionStatement, validityOf, type PublicationContext } from "../src/publication/documents.ts";
import { MEDIAN_MADE, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

const DOC = { number: "R1:R:L1", issuedAt: "2027-03-01T00:00:00.000Z", verifyUrl: "https://verify.example.org/eqa/0x01" };

function context(analytes: PublicationContext["analytes"]): PublicationContext {
  return {
    centre: { name: "临检中心", nameEn: "Centre", address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" },
    plan: { code: "P", name: "计划", nameEn: "Plan", year: 2027 },
    round: { code: "T-1", name: "第一次", deadline: "2027-02-01T00:00:00.000Z", publishedAt: "2027-03-01T00:00:00.123Z" },
    analytes,
    signatory: "主任",
    validityDays: 365,
  };
}

describe("a lab's report and recognition statement from a stored evaluation", () => {
  // Analyte A: five labs on two samples, median/MADe, z. Analyte B: only two labs → not computable.
  const A = quantitativeAnalyte("A", MEDIAN_MADE);
  const B = quantitativeAnalyte("B", MEDIAN_MADE);
  const values = [5.0, 5.1, 4.9, 5.2, 4.8];
  const results = values.flatMap((v, i) => [quantitative(`L${i + 1}`, "A", "S1", v), quantitative(`L${i + 1}`, "A", "S2", v + 1)]);
  results.push(quantitative("L1", "B", "S1", 1), quantitative("L2", "B", "S1", 1.2));
  const evaluation = evaluateRound(round({ analytes: [A, B], results }));
  const index = indexEvaluation(evaluation);
  const samples = ["S1", "S2"];
  const typed = new Map(results.map((r) => [[r.labCode, r.analyteCode, r.sampleCode].join("\u0000"), r.value]));
  const lab = { code: "L1", name: "检验科", department: "检验科", institution: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", nonParticipationReason: null, submitted: true };

  it("prints the lab's own values, x_pt and sigma, and a reason instead of a number where none can be computed", () => {
    const data = labReportData({ context: context([A, B]), evaluation, index, lab, samples, results: typed, document: DOC });
    const [a, b] = data.analytes;
    // S1: median of 4.8..5.2 is 5.0; MAD = 0.1 → MADe = 0.1483; L1 reported 5.0 → z = 0.
    assert.equal(a?.rows[0]?.assignedValue, 5);
    assert.ok(Math.abs((a?.rows[0]?.sigma as number) - 0.1483) < 1e-9);
    assert.equal(a?.rows[0]?.score, 0);
    assert.equal(a?.rows[0]?.result, "5");
    assert.equal(a?.passed, true);
    // B: two results are fewer than the scheme's minimum of 3 → no number, the reason.
    assert.equal(b?.rows[0]?.score, null);
    assert.equal(b?.rows[0]?.assignedValue, null);
    assert.match(b?.rows[0]?.note ?? "", /[\u4e00-\u9fff]/);
    assert.equal(b?.rows[1]?.result, "未报告 Not reported");
  });

  it("describes the scheme the evaluation used, which the caller passes in place of the plan's", () => {
    const used = { ...A, scheme: { ...A.scheme, sigma: "niqr" as const } };
    const data = labReportData({ context: context([used, B]), evaluation, index, lab, samples, results: typed, document: DOC });
    assert.match(data.analytes[0]?.scheme.sigma ?? "", /nIQR/);
  });

  it("lists only passed analytes in the recognition statement, valid from the publication second for the validity days", () => {
    const statement = recognitionStatement({ context: context([A, B]), index, lab, number: documentNumber("T-1", "recognition", "L1") });
    assert.deepEqual(statement?.analytes.map((x) => x.code), ["A"]);
    assert.deepEqual(validityOf(context([A])), { validFrom: "2027-03-01T00:00:00.000Z", validUntil: "2028-02-29T00:00:00.000Z" });
    assert.equal(statement?.number, "T-1:M:L1");
  });

  it("prints the pair's difference of a split-level scheme beside the result's own judgement", () => {
    const P = quantitativeAnalyte("P", { ...MEDIAN_MADE, score: "pairedDifference" });
    const pairResults = values.flatMap((v, i) => [quantitative(`L${i + 1}`, "P", "S1", v), quantitative(`L${i + 1}`, "P", "S2", v + 1)]);
    const ev = evaluateRound(round({ analytes: [P], results: pairResults }));
    const data = labReportData({ context: context([P]), evaluation: ev, index: indexEvaluation(ev), lab, samples, results: new Map(), document: DOC });
    assert.match(data.analytes[0]?.rows[0]?.note ?? "", /配对差（与 S2）.*Pair difference \(with S2\)/);
  });
});
