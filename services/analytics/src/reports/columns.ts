// How each dimension appears in a report: its columns (a code, and where the code needs words, a
// label column per language) and the order of its values.
import type { ReportDimension } from "./definition.ts";
import { icd10Chapter } from "./icd10.ts";
import { dimensionLabel, SEX_LABEL } from "./labels.ts";
import type { ReportCell, ReportColumn } from "./table.ts";

export interface DimensionLayout {
  readonly columns: readonly ReportColumn[];
  /** The row cells of one raw value (as the SQL returned it; the institution code for "institution"). */
  cells(raw: ReportCell): Record<string, ReportCell>;
  /** A value that orders the dimension's values as a reader expects (chapters I…XXII, bands by age). */
  order(raw: ReportCell): ReportCell;
}

const text = (raw: ReportCell): string | null => (raw === null ? null : String(raw));

function labelled(key: string, dimension: ReportDimension, words: (code: string) => { en: string; zh: string } | undefined, order: (raw: ReportCell) => ReportCell): DimensionLayout {
  const label = dimensionLabel(dimension);
  return {
    columns: [
      { key, zh: label.zh, en: label.en, type: "string" },
      { key: `${key}_zh`, zh: `${label.zh}名称`, en: `${label.en} name`, type: "string", lang: "zh" },
      { key: `${key}_en`, zh: `${label.zh}名称`, en: `${label.en} name`, type: "string", lang: "en" },
    ],
    cells: (raw) => {
      const code = text(raw);
      const name = code === null ? undefined : words(code);
      return { [key]: code, [`${key}_zh`]: name?.zh ?? null, [`${key}_en`]: name?.en ?? null };
    },
    order,
  };
}

function plain(key: string, dimension: ReportDimension, type: ReportColumn["type"] = "string"): DimensionLayout {
  const label = dimensionLabel(dimension);
  return { columns: [{ key, zh: label.zh, en: label.en, type }], cells: (raw) => ({ [key]: text(raw) }), order: (raw) => raw };
}

export function dimensionLayout(dimension: ReportDimension): DimensionLayout {
  switch (dimension.by) {
    case "time":
      return plain("period", dimension);
    case "institution":
      return plain("institution", dimension);
    case "department":
      return plain("department", dimension);
    case "disease":
      return dimension.level === "category"
        ? plain("icd10_category", dimension)
        : labelled("icd10_chapter", dimension, (code) => icd10Chapter(code)?.title, (raw) => (raw === null ? null : (icd10Chapter(String(raw))?.index ?? null)));
    case "sex":
      return labelled("sex", dimension, (code) => SEX_LABEL[code], (raw) => raw);
    case "age-band": {
      const layout = plain("age_band", dimension);
      return {
        ...layout,
        cells: (raw) => ({
          age_band: raw === null ? null : Number(raw) >= dimension.top ? `${dimension.top}+` : `${Number(raw)}-${Number(raw) + dimension.width - 1}`,
        }),
        order: (raw) => (raw === null ? null : Number(raw)),
      };
    }
  }
}
