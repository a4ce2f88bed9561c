// What a researcher sees of an export's report. The full report (exact counts of the cohort, of the
// residents who did not consent, of withheld fields; the classes that failed k with their values)
// is for the reviewers who decide on it; handed to the requester it would disclose exactly what the
// protections hide — a cohort of 3, the one resident aged 85–89 in a district. The requester gets
// the same report with every count between 1 and the small-cell threshold hidden (null), and the
// failing classes replaced by their number; the refusal and the suggested coarser policy stay.
import type { ExportKCheck, ExportReport } from "../../../services/analytics/src/exports/types.ts";

type Counts = Readonly<Record<string, number>>;

export function requesterReport<R extends ExportReport>(report: R, threshold: number) {
  const small = (n: number): number | null => (n > 0 && n < threshold ? null : n);
  const counts = (record: Counts) => Object.fromEntries(Object.entries(record).map(([key, n]) => [key, small(n)]));
  const check = (c: ExportKCheck) => {
    const { classesBelowK, minClassSize: _min, ...rest } = c;
    void _min;
    return { ...rest, residents: small(c.residents), minClassSize: null, nullResidents: counts(c.nullResidents), classesBelowK: [], classesBelowKCount: classesBelowK.length };
  };
  const { consent, deid, kAnonymity, package: pkg } = report;
  return {
    ...report,
    consent: {
      ...counts(Object.fromEntries(Object.entries(consent).filter(([, v]) => typeof v === "number")) as Counts),
      batches: consent.batches,
      fieldsWithheld: counts(consent.fieldsWithheld),
      membersWithoutField: counts(consent.membersWithoutField),
    },
    deid:
      deid === null
        ? null
        : {
            ...deid,
            unusableCount: small(deid.unusableCount),
            summary: Object.fromEntries(Object.entries(deid.summary).map(([key, s]) => [key, { ...s, done: small(s.done), null: small(s.null), unusable: small(s.unusable) }])),
          },
    kAnonymity:
      kAnonymity === null
        ? null
        : { ...kAnonymity, initial: check(kAnonymity.initial), final: check(kAnonymity.final), steps: kAnonymity.steps.map((s) => ({ ...s, check: check(s.check) })) },
    package: pkg === null ? null : { ...pkg, residents: small(pkg.residents), records: small(pkg.records), recordsByModel: counts(pkg.recordsByModel) },
    redacted: {
      threshold,
      en: `Counts from 1 to ${threshold - 1} are hidden (null) and the classes that failed k are given by number only; reviewers see the full report.`,
      zh: `1 至 ${threshold - 1} 的计数已隐藏（null），未满足 k 的等价类仅给出数量；审核员可查看完整报告。`,
    },
  };
}
