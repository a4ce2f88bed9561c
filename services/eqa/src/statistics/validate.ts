import { platformError } from "@health-chain/sdk";

/**
 * Refuses a data set that a statistic cannot use: not an array, too few values, or a value that is
 * not a finite number (NaN, Infinity, a string). Throws INVALID_INPUT naming the field and index.
 */
export function assertFiniteValues(values: readonly number[], minimum: number, field: string): void {
  if (!Array.isArray(values)) {
    throw platformError("INVALID_INPUT", {
      message: `${field} must be an array of numbers.`,
      messageZh: `${field} 必须是数值数组。`,
      details: { field },
    });
  }
  if (values.length < minimum) {
    throw platformError("INVALID_INPUT", {
      message: `${field} needs at least ${minimum} values, got ${values.length}; the statistic cannot be computed.`,
      messageZh: `${field} 至少需要 ${minimum} 个数值，实际 ${values.length} 个；无法计算该统计量。`,
      details: { field, minimum, count: values.length },
    });
  }
  values.forEach((value, index) => {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw platformError("INVALID_INPUT", {
        message: `${field}[${index}] is not a finite number.`,
        messageZh: `${field}[${index}] 不是有限数值。`,
        details: { field, index, value: String(value) },
      });
    }
  });
}

/** Refuses a single parameter that is not a finite number, or not > 0 when `positive` is set. */
export function assertFiniteNumber(value: number, field: string, positive = false): void {
  if (typeof value !== "number" || !Number.isFinite(value) || (positive && value <= 0)) {
    const what = positive ? "a finite number greater than zero" : "a finite number";
    const whatZh = positive ? "大于零的有限数值" : "有限数值";
    throw platformError("INVALID_INPUT", {
      message: `${field} must be ${what}.`,
      messageZh: `${field} 必须是${whatZh}。`,
      details: { field, value: String(value) },
    });
  }
}

/** Refuses a parameter that must be a non-negative finite number (an uncertainty, for instance). */
export function assertNonNegative(value: number, field: string): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw platformError("INVALID_INPUT", {
      message: `${field} must be a finite number not less than zero.`,
      messageZh: `${field} 必须是不小于零的有限数值。`,
      details: { field, value: String(value) },
    });
  }
}
