// Report input for the reports tests and benchmark: a deterministic pseudo-random round (a seeded
// linear congruential generator, so every run sees the same numbers); and readers of the generated
// PDFs that are independent of the renderer: poppler-utils (pdftotext, pdfinfo, pdftoppm) and zbarimg.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnalyteReport, CertificateData, HistoryReportData, LabReportData, ResultRow } from "../src/reports/index.ts";

export const VERIFY_URL = "https://eqa.example.gov.cn/verify/CERT-2025-0001-7f3a9c";

/** Numerical Recipes' LCG mapped to [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Box–Muller normal deviates from the seeded generator. */
function normals(random: () => number, count: number, mean: number, sd: number): number[] {
  const out: number[] = [];
  while (out.length < count) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    out.push(mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

const base = {
  centre: { name: "上海市临床检验中心", nameEn: "Shanghai Centre for Clinical Laboratory" },
  plan: { code: "CHEM-2025", name: "常规化学", nameEn: "Routine chemistry", year: 2025 },
  lab: { code: "LAB-0427", name: "第一人民医院检验科", department: "检验科 生化组", institution: "上海市第一人民医院" },
};

export interface FixtureOptions {
  analytes: number;
  samples: number;
  values: number;
  /** Add a not-computable row (sample 2 of analyte 1) and a u(x_pt) warning. */
  specialRows?: boolean;
}

function zJudgement(z: number): Pick<ResultRow, "judgement" | "judgementZh" | "judgementEn"> {
  const a = Math.abs(z);
  if (a <= 2) return { judgement: "satisfactory", judgementZh: "满意", judgementEn: "Satisfactory" };
  if (a < 3) return { judgement: "questionable", judgementZh: "有问题", judgementEn: "Questionable" };
  return { judgement: "unsatisfactory", judgementZh: "不满意", judgementEn: "Unsatisfactory" };
}

export function labReport(options: FixtureOptions): LabReportData {
  const random = seededRandom(20250630);
  const analytes: AnalyteReport[] = [];
  for (let a = 0; a < options.analytes; a += 1) {
    const assigned = 5 + a * 1.37;
    const sigma = assigned * 0.05;
    const rows: ResultRow[] = [];
    const distribution = [];
    for (let s = 0; s < options.samples; s += 1) {
      const sample = `2025${String(a % 9)}${s + 1}`;
      const values = normals(random, options.values, assigned, sigma);
      const labValue = Number((assigned + (random() - 0.5) * 5 * sigma).toFixed(2));
      const z = (labValue - assigned) / sigma;
      const notComputable = options.specialRows === true && a === 0 && s === 1;
      rows.push(
        notComputable
          ? {
              sample,
              result: labValue.toFixed(2),
              assignedValue: null,
              sigma: null,
              score: null,
              scoreKind: "z",
              judgement: "notEvaluated",
              judgementZh: "未评价",
              judgementEn: "Not evaluated",
              note: "不可计算：有效结果过少（n = 7 < 12） Not computable: too few results (n = 7 < 12)",
            }
          : {
              sample,
              result: labValue.toFixed(2),
              assignedValue: assigned,
              sigma,
              score: z,
              scoreKind: "z",
              ...zJudgement(z),
              ...(options.specialRows === true && a === 1 && s === 0
                ? { uWarning: "u(x_pt) = 0.41 σpt > 0.3 σpt：指定值不确定度偏大，z 比分仅供参考 The uncertainty of the assigned value exceeds 0.3 σpt; z scores are indicative only" }
                : {}),
            },
      );
      distribution.push({ sample, values, labValue, assignedValue: notComputable ? null : assigned, sigma: notComputable ? null : sigma });
    }
    const evaluated = rows.filter((r) => r.score !== null).length;
    const acceptable = rows.filter((r) => r.judgement === "satisfactory").length;
    analytes.push({
      code: `A${String(a + 1).padStart(2, "0")}`,
      name: `检测项目${a + 1}号`,
      nameEn: `Analyte number ${a + 1}`,
      unit: "mmol/L",
      decimals: 2,
      scheme: { assignedValue: "稳健均值 (ISO 13528 算法 A) Robust mean", sigma: "稳健标准差 s* Robust SD", score: "z" },
      passed: evaluated === 0 ? null : acceptable === evaluated,
      acceptable,
      evaluated,
      rows,
      distribution,
    });
  }
  const passed = analytes.filter((a) => a.passed === true).length;
  return {
    ...base,
    round: { code: "2025-1", name: "2025 年第一次", deadline: "2025-05-20T16:00:00Z", publishedAt: "2025-06-28" },
    document: { number: "EQA-R-2025-1-LAB-0427", issuedAt: "2025-06-30T02:00:00Z", verifyUrl: VERIFY_URL },
    analytes,
    summary: { analytesPassed: passed, analytesTotal: analytes.length, scorePercent: (100 * passed) / analytes.length, overallPassed: passed >= 0.8 * analytes.length },
    notes: ["本轮 A03 项目未回报结果（登记原因：仪器故障）。 No result for A03 this round (registered reason: instrument failure)."],
  };
}

export function historyReport(): HistoryReportData {
  const round = (code: string, publishedAt: string, shift: number) => ({
    round: { code, name: `${code} 轮`, publishedAt },
    analytes: [
      { code: "GLU", name: "葡萄糖 Glucose", passed: shift < 2, scores: [0.4 + shift, -0.7 + shift], scoreKind: "z" },
      { code: "K", name: "钾 Potassium", passed: true, scores: [1.1, null], scoreKind: "z" },
    ],
    scorePercent: shift < 2 ? 100 : 50,
  });
  return {
    ...base,
    document: { number: "EQA-H-2025-LAB-0427", issuedAt: "2025-06-30T02:00:00Z", verifyUrl: VERIFY_URL },
    rounds: [round("2025-1", "2025-06-28", 2.3), round("2024-2", "2024-11-20", 0.5), round("2024-1", "2024-06-15", 0)],
  };
}

export function certificate(kind: "general" | "trueness", analytes = 12): CertificateData {
  return {
    kind,
    ...base,
    round: { code: "2025-1", name: "2025 年第一次" },
    document: { number: `EQA-C-2025-1-LAB-0427-${kind}`, issuedAt: "2025-06-30T02:00:00Z", verifyUrl: VERIFY_URL },
    analytes: Array.from({ length: analytes }, (_, i) => ({
      code: `A${String(i + 1).padStart(2, "0")}`,
      name: `检测项目${i + 1}号`,
      nameEn: `Analyte number ${i + 1}`,
      ...(kind === "trueness" ? { detail: `偏倚 bias ${(0.5 + i * 0.1).toFixed(1)}%，允许 allowed ±5%` } : {}),
    })),
    validFrom: "2025-07-01",
    validUntil: "2026-06-30",
    signatory: "张医生 Dr Zhang",
  };
}

// ---- Independent readers of the generated files: poppler-utils and zbar-tools. ----

function withFile<T>(bytes: Uint8Array, run: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "eqa-report-"));
  try {
    const file = join(dir, "doc.pdf");
    writeFileSync(file, bytes);
    return run(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text of each page, by pdftotext -layout (pages are separated by form feeds). */
export function pageTexts(bytes: Uint8Array): string[] {
  return withFile(bytes, (file) => {
    const text = execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"], { encoding: "utf8" });
    const pages = text.split("\f");
    if (pages.at(-1)?.trim() === "") pages.pop();
    return pages;
  });
}

/** pdfinfo's fields (Pages, CreationDate, …). */
export function pdfInfo(bytes: Uint8Array): Record<string, string> {
  return withFile(bytes, (file) => {
    const out = execFileSync("pdfinfo", ["-isodates", file], { encoding: "utf8" });
    return Object.fromEntries(out.split("\n").filter((l) => l.includes(":")).map((l) => [l.slice(0, l.indexOf(":")).trim(), l.slice(l.indexOf(":") + 1).trim()]));
  });
}

/** The QR codes zbarimg finds on a page rendered at 150 dpi. */
export function decodeQrCodes(bytes: Uint8Array, page = 1): string[] {
  return withFile(bytes, (file, dir) => {
    execFileSync("pdftoppm", ["-r", "150", "-f", String(page), "-l", String(page), "-png", file, join(dir, "page")]);
    const image = readdirSync(dir).find((name) => name.startsWith("page") && name.endsWith(".png"));
    if (image === undefined) throw new Error("pdftoppm produced no image");
    const out = execFileSync("zbarimg", ["--quiet", "--raw", "-Sqrcode.enable=1", join(dir, image)], { encoding: "utf8" });
    return out.split("\n").filter((line) => line !== "");
  });
}
