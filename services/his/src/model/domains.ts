// Value domains compiled into checkers of canonical values: code lists (a Set), patterns (a RegExp
// and an optional check character), numeric ranges, and dictionary domains (whose codes come from
// the code-mapping service; the checker verifies the mapped code's form).
import type { SourceValue } from "../adapters/types.ts";
import { CHECKS } from "./check-digits.ts";
import type { ValueDomain } from "./schema.ts";

export type DomainReason = "out-of-domain" | "out-of-range" | "invalid-checksum";

export interface DomainFailure {
  readonly reason: DomainReason;
  readonly en: string;
  readonly zh: string;
}

export type DomainChecker = (value: SourceValue) => DomainFailure | null;

/** The checker of a domain; throws a SyntaxError for an invalid pattern (validateStandard checks first). */
export function domainChecker(domain: ValueDomain): DomainChecker {
  switch (domain.kind) {
    case "code-list": {
      const codes = new Set(domain.codes.map((c) => c.code));
      const listed = codes.size <= 12 ? [...codes].join(", ") : `${codes.size} codes`;
      return (value) => (typeof value === "string" && codes.has(value)
        ? null
        : { reason: "out-of-domain", en: `not a code of ${domain.id} ${domain.nameEn} (${listed})`, zh: `不在值域 ${domain.id}（${domain.nameZh}）中（${listed}）` });
    }
    case "range": {
      const { min, max } = domain;
      const span = `${min ?? "−∞"}–${max ?? "∞"}`;
      return (value) => (typeof value === "number" && (min === null || value >= min) && (max === null || value <= max)
        ? null
        : { reason: "out-of-range", en: `outside the plausible range ${span} of ${domain.id}`, zh: `超出合理范围 ${span}（${domain.id}）` });
    }
    case "pattern":
    case "dictionary": {
      const pattern = new RegExp(domain.pattern, "u");
      const check = domain.check === null ? null : CHECKS[domain.check];
      return (value) => {
        if (typeof value !== "string" || !pattern.test(value)) {
          return { reason: "out-of-domain", en: `does not match the form of ${domain.id} ${domain.nameEn}`, zh: `不符合 ${domain.id}（${domain.nameZh}）的格式` };
        }
        if (check !== null && !check(value)) {
          return { reason: "invalid-checksum", en: `wrong check character for ${domain.id} ${domain.nameEn}`, zh: `${domain.id}（${domain.nameZh}）校验位错误` };
        }
        return null;
      };
    }
  }
}
