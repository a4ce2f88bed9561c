import { platformError } from "@health-chain/sdk";
import type { AnalyteDefinition, EvaluationScheme } from "../types.ts";
import type { RoundInput, RoundResultValue } from "./types.ts";

function refuse(en: string, zh: string, details: Record<string, unknown>): never {
  throw platformError("INVALID_INPUT", { message: `Round evaluation refused: ${en}`, messageZh: `轮次评价被拒绝：${zh}`, details });
}

function uniqueCodes(codes: readonly string[], field: string, zhName: string): Set<string> {
  const seen = new Set<string>();
  for (const code of codes) {
    if (typeof code !== "string" || code === "") refuse(`${field} has an empty code.`, `${zhName}代码为空。`, { field });
    if (seen.has(code)) refuse(`${field} lists ${code} twice.`, `${zhName} ${code} 重复。`, { field, code });
    seen.add(code);
  }
  return seen;
}

/** The result variant an analyte expects. */
export function expectedResultType(analyte: AnalyteDefinition): RoundResultValue["type"] {
  return analyte.special === "hpv" ? "genotyping" : analyte.resultType;
}

function checkScheme(analyte: AnalyteDefinition, scheme: EvaluationScheme | undefined): void {
  const code = analyte.code;
  if (scheme === undefined) refuse(`no scheme for analyte ${code}.`, `项目 ${code} 缺少评价方案。`, { field: "schemes", analyte: code });
  if ((scheme.sigma === "fitnessPercent" || scheme.sigma === "fitnessAbsolute") && !(typeof scheme.sigmaValue === "number" && scheme.sigmaValue > 0 && Number.isFinite(scheme.sigmaValue))) {
    refuse(`analyte ${code}: fitness-for-purpose σpt needs sigmaValue > 0.`, `项目 ${code}：适用性 σpt 需要大于 0 的 sigmaValue。`, { field: "sigmaValue", analyte: code });
  }
  // Only numbers are judged by an allowed range: answers (qualitative, identification, morphology,
  // genotyping) are judged right or wrong whatever the scheme's score says.
  const numeric = analyte.resultType === "quantitative" || analyte.resultType === "trueness";
  const needsAllowed = numeric && (scheme.score === "allowedRange" || analyte.resultType === "trueness");
  const allowed = scheme.allowed;
  const allowedOk = allowed !== undefined && [allowed.percent, allowed.absolute].some((v) => typeof v === "number" && v > 0 && Number.isFinite(v));
  if (needsAllowed && !allowedOk && analyte.special !== "reticulocyte") {
    refuse(`analyte ${code}: the allowed range needs allowed.percent or allowed.absolute > 0.`, `项目 ${code}：允许范围需要大于 0 的 allowed.percent 或 allowed.absolute。`, { field: "allowed", analyte: code });
  }
  // On the log10 scale the limits are absolute, in log10 units (e.g. ± 0.5 log IU/mL): a percentage of
  // a logarithm depends on the unit the value happens to be expressed in and means nothing.
  if (scheme.log10 === true && scheme.allowed?.percent !== undefined) {
    refuse(`analyte ${code}: a log10 scheme's allowed limit is absolute in log10 units; allowed.percent does not apply.`, `项目 ${code}：log10 评价的允许限为 log10 单位的绝对值，不适用 allowed.percent。`, { field: "allowed.percent", analyte: code });
  }
  if (scheme.log10 === true && scheme.sigma === "fitnessPercent") {
    refuse(`analyte ${code}: a log10 scheme's σpt is absolute in log10 units; use fitnessAbsolute, not fitnessPercent.`, `项目 ${code}：log10 评价的 σpt 为 log10 单位的绝对值，应使用 fitnessAbsolute 而非 fitnessPercent。`, { field: "sigma", analyte: code });
  }
  if (scheme.minResults !== undefined && !(Number.isInteger(scheme.minResults) && scheme.minResults >= 3)) {
    refuse(`analyte ${code}: minResults must be a whole number ≥ 3.`, `项目 ${code}：minResults 必须是 ≥ 3 的整数。`, { field: "minResults", analyte: code });
  }
  if (scheme.peerGroups !== undefined && !(Number.isInteger(scheme.peerGroups.minSize) && scheme.peerGroups.minSize >= 1 && scheme.peerGroups.by.length > 0)) {
    refuse(`analyte ${code}: peerGroups needs at least one attribute and minSize ≥ 1.`, `项目 ${code}：同组分组需要至少一个属性且 minSize ≥ 1。`, { field: "peerGroups", analyte: code });
  }
  if (scheme.assignedValue === "peerConsensus" && scheme.peerGroups === undefined) {
    refuse(`analyte ${code}: peerConsensus needs scheme.peerGroups.`, `项目 ${code}：同组共识值需要设置 peerGroups。`, { field: "peerGroups", analyte: code });
  }
  if (![0.1, 0.05, 0.01].includes(scheme.outliers.alpha)) {
    refuse(`analyte ${code}: outlier alpha must be 0.10, 0.05 or 0.01.`, `项目 ${code}：离群检验显著性水平必须为 0.10、0.05 或 0.01。`, { field: "outliers.alpha", analyte: code });
  }
}

/** Refuses a round that cannot be evaluated as given; changes nothing. */
export function validateRoundInput(input: RoundInput): void {
  const { round } = input;
  if (typeof round?.code !== "string" || round.code === "") refuse("round.code is required.", "缺少轮次代码。", { field: "round.code" });
  if (!(typeof round.passThreshold === "number" && round.passThreshold > 0 && round.passThreshold <= 1)) {
    refuse("round.passThreshold must be a fraction in (0, 1].", "round.passThreshold 必须是 (0, 1] 之间的比例。", { field: "round.passThreshold" });
  }
  if (input.declared !== undefined) {
    const { labs, results } = input.declared;
    if (![labs, results].every((n) => Number.isInteger(n) && n >= 0)) {
      refuse("declared counts must be whole numbers ≥ 0.", "申报数量必须是 ≥ 0 的整数。", { field: "declared" });
    }
  }
  const analyteCodes = uniqueCodes(input.analytes.map((a) => a.code), "analytes", "项目");
  const sampleCodes = uniqueCodes(input.samples.map((s) => s.code), "samples", "样本");
  const labCodes = uniqueCodes(input.labs.map((l) => l.code), "labs", "实验室");
  const analytes = new Map(input.analytes.map((a) => [a.code, a]));
  for (const analyte of input.analytes) checkScheme(analyte, input.schemes[analyte.code]);
  const submitted = new Set(input.labs.filter((lab) => lab.submitted).map((lab) => lab.code));
  for (const code of input.nonParticipating) {
    if (!labCodes.has(code)) refuse(`non-participating lab ${code} is not enrolled.`, `未参加实验室 ${code} 不在参加名单中。`, { field: "nonParticipating", code });
    if (submitted.has(code)) {
      refuse(`lab ${code} is both non-participating and submitted.`, `实验室 ${code} 同时登记为未参加和已提交。`, { field: "nonParticipating", code });
    }
  }
  const keys = new Set<string>();
  input.results.forEach((result, index) => {
    const analyte = analytes.get(result.analyteCode);
    if (!labCodes.has(result.labCode) || !sampleCodes.has(result.sampleCode) || analyte === undefined) {
      refuse(`results[${index}] names an unknown lab, sample or analyte.`, `results[${index}] 的实验室、样本或项目不存在。`, { field: "results", index });
    }
    if (!analyteCodes.has(result.analyteCode)) return;
    const key = `${result.labCode}\u0000${result.sampleCode}\u0000${result.analyteCode}`;
    if (keys.has(key)) refuse(`results[${index}] duplicates a result of the same lab, sample and analyte.`, `results[${index}] 与同一实验室、样本、项目的结果重复。`, { field: "results", index });
    keys.add(key);
    const type = expectedResultType(analyte);
    if (result.value?.type !== type) {
      refuse(`results[${index}] is of type ${String(result.value?.type)}, analyte ${analyte.code} expects ${type}.`, `results[${index}] 的类型 ${String(result.value?.type)} 与项目 ${analyte.code} 要求的 ${type} 不符。`, { field: "results", index });
    }
    const value = result.value;
    const numbers = value.type === "quantitative" ? [value.value, value.uncertainty ?? 0] : value.type === "trueness" ? [value.mean, ...value.replicates.flat()] : [];
    if (numbers.some((n) => typeof n !== "number" || !Number.isFinite(n)) || (value.type === "quantitative" && (value.uncertainty ?? 0) < 0)) {
      refuse(`results[${index}] has a value that is not a finite number.`, `results[${index}] 的数值不是有限数值。`, { field: "results", index });
    }
  });
}
