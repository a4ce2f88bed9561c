// The data a report or certificate prints, as plain JSON-serialisable values, independent of the
// evaluation engine (the caller maps its results into these shapes). Declared once as zod schemas:
// the renderers validate their input with them and the TypeScript types are derived from them.
import { z } from "zod";

/** An instant or a calendar date, ISO 8601 (`2025-06-30` or `2025-06-30T08:00:00+08:00`). */
const isoInstant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const text = z.string();
const nonEmpty = z.string().min(1);
const count = z.number().int().nonnegative();
const finiteOrNull = z.number().finite().nullable();

export const centreSchema = z.object({ name: nonEmpty, nameEn: nonEmpty });
export const planSchema = z.object({ code: nonEmpty, name: nonEmpty, nameEn: nonEmpty, year: z.number().int() });
export const labSchema = z.object({ code: nonEmpty, name: nonEmpty, department: text, institution: text });
export const documentSchema = z.object({
  /** The document number printed on every page (报告编号 / 证书编号). */
  number: nonEmpty,
  /** When issued: also the PDF's CreationDate and ModDate, so the bytes depend on the data only. */
  issuedAt: z.iso.datetime({ offset: true }),
  /** The public verification page of this document (its id included); encoded in the QR code. */
  verifyUrl: z.url({ protocol: /^https?$/ }),
});

export const judgementSchema = z.enum(["satisfactory", "questionable", "unsatisfactory", "pass", "fail", "notEvaluated"]);

export const resultRowSchema = z.object({
  sample: nonEmpty,
  /** The result as the lab reported it (its own digits and notation). */
  result: text,
  assignedValue: finiteOrNull,
  sigma: finiteOrNull,
  allowedLow: finiteOrNull.optional(),
  allowedHigh: finiteOrNull.optional(),
  /** null when not computable; `note` then says why, and no number is printed. */
  score: finiteOrNull,
  scoreKind: text,
  judgement: judgementSchema,
  judgementZh: text,
  judgementEn: text,
  /** e.g. "not computable: too few results", in the reader's language. */
  note: text.optional(),
  /** The ISO 13528 9.2.1 warning when u(x_pt) > 0.3 σpt. */
  uWarning: text.optional(),
});

export const distributionSchema = z.object({
  sample: nonEmpty,
  /** Every participant's value for this sample (the histogram). */
  values: z.array(z.number().finite()),
  labValue: finiteOrNull,
  assignedValue: finiteOrNull,
  sigma: finiteOrNull,
});

export const analyteReportSchema = z.object({
  code: nonEmpty,
  name: nonEmpty,
  nameEn: text,
  unit: text,
  decimals: z.number().int().min(0).max(10),
  scheme: z.object({ assignedValue: text, sigma: text, score: text, allowedText: text.optional() }),
  passed: z.boolean().nullable(),
  acceptable: count,
  evaluated: count,
  rows: z.array(resultRowSchema),
  distribution: z.array(distributionSchema).optional(),
});

export const labReportSchema = z.object({
  centre: centreSchema,
  plan: planSchema,
  round: z.object({ code: nonEmpty, name: nonEmpty, deadline: isoInstant, publishedAt: isoInstant }),
  lab: labSchema,
  document: documentSchema,
  analytes: z.array(analyteReportSchema),
  summary: z.object({
    analytesPassed: count,
    analytesTotal: count,
    scorePercent: z.number().finite().min(0).max(100).nullable(),
    overallPassed: z.boolean().nullable(),
  }),
  notes: z.array(text).optional(),
});

export const historyReportSchema = z.object({
  centre: centreSchema,
  lab: labSchema,
  document: documentSchema,
  rounds: z
    .array(
      z.object({
        round: z.object({ code: nonEmpty, name: nonEmpty, publishedAt: isoInstant }),
        analytes: z.array(
          z.object({
            code: nonEmpty,
            name: nonEmpty,
            passed: z.boolean().nullable(),
            scores: z.array(finiteOrNull),
            /** Optional: when z-like (z, zPrime, zeta) the trend chart draws the ±2 and ±3 limits. */
            scoreKind: text.optional(),
          }),
        ),
        scorePercent: z.number().finite().min(0).max(100).nullable(),
      }),
    )
    .min(1)
    .max(3),
});

export const certificateSchema = z
  .object({
    kind: z.enum(["general", "trueness"]),
    centre: centreSchema,
    lab: labSchema,
    plan: planSchema,
    round: z.object({ code: nonEmpty, name: nonEmpty }).optional(),
    document: documentSchema,
    analytes: z.array(z.object({ code: nonEmpty, name: nonEmpty, nameEn: text, detail: text.optional() })).min(1),
    validFrom: isoInstant,
    validUntil: isoInstant,
    signatory: nonEmpty,
  })
  .refine((c) => Date.parse(c.validFrom) <= Date.parse(c.validUntil), {
    message: "validUntil is before validFrom",
    path: ["validUntil"],
  });

export type Judgement = z.infer<typeof judgementSchema>;
export type ResultRow = z.infer<typeof resultRowSchema>;
export type Distribution = z.infer<typeof distributionSchema>;
export type AnalyteReport = z.infer<typeof analyteReportSchema>;
export type LabReportData = z.infer<typeof labReportSchema>;
export type HistoryReportData = z.infer<typeof historyReportSchema>;
export type CertificateData = z.infer<typeof certificateSchema>;

/** How a document is rendered. */
export interface RenderOptions {
  /** A TrueType/OpenType font (or collection) with CJK glyphs; default env EQA_PDF_FONT, then the Debian fonts-wqy-microhei file. */
  fontPath?: string;
  /** PostScript name of the face inside a collection (.ttc); default "WenQuanYiMicroHei". */
  fontName?: string;
  /** Diagonal text on every page; default "室间质评 EQA · <centre name>". */
  watermark?: string;
  /** Which language leads the bilingual labels; default "zh". */
  language?: "zh" | "en";
}
