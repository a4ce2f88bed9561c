// Masking (掩码) of text: keep the first and last characters and hide the rest, counting characters
// as code points so that 张三丰 → 张** and no surrogate pair is cut in half.

/**
 * `text` with all but its first `keepFirst` and last `keepLast` characters replaced by `char`, the
 * length preserved. When what would be kept covers the whole value (a short or truncated value), the
 * whole value is masked: a mask that hides nothing is a leak.
 */
export function maskText(text: string, keepFirst: number, keepLast: number, char: string): string {
  // Fast path for the common all-BMP case (names, phones, ID numbers): no array of code points.
  const simple = !/[\ud800-\udfff]/.test(text);
  const chars = simple ? null : Array.from(text);
  const length = chars === null ? text.length : chars.length;
  if (length === 0) return text;
  if (keepFirst + keepLast >= length) return char.repeat(length);
  const hidden = char.repeat(length - keepFirst - keepLast);
  if (chars === null) return text.slice(0, keepFirst) + hidden + text.slice(length - keepLast);
  return chars.slice(0, keepFirst).join("") + hidden + chars.slice(length - keepLast).join("");
}
