// HL7 v2 text values: escape sequences (HL7 v2.5 §2.7) decoded on read and written on render, with
// the delimiters the message itself declares in MSH-1/MSH-2 (medplum's Hl7Context). medplum's parser
// splits fields, components and repetitions but hands values back still escaped.
import type { Hl7Context, Hl7Segment } from "@medplum/core";

/** Decodes \F\ \S\ \T\ \R\ \E\, \Xhh..\ (bytes, read as UTF-8) and \.br\ (line break); highlighting (\H\ \N\) is dropped. */
export function decodeHl7Text(value: string, context: Hl7Context): string {
  const escape = context.escapeCharacter;
  if (!escape || !value.includes(escape)) return value;
  let out = "";
  let index = 0;
  while (index < value.length) {
    const start = value.indexOf(escape, index);
    const end = start === -1 ? -1 : value.indexOf(escape, start + 1);
    if (start === -1 || end === -1) {
      out += value.slice(index);
      break;
    }
    out += value.slice(index, start);
    const sequence = value.slice(start + 1, end);
    const decoded = decodeSequence(sequence, context);
    // An unknown sequence is kept as received: dropping it would silently change the value.
    out += decoded ?? value.slice(start, end + 1);
    index = end + 1;
  }
  return out;
}

function decodeSequence(sequence: string, context: Hl7Context): string | null {
  switch (sequence) {
    case "F":
      return context.fieldSeparator;
    case "S":
      return context.componentSeparator;
    case "T":
      return context.subcomponentSeparator;
    case "R":
      return context.repetitionSeparator;
    case "E":
      return context.escapeCharacter;
    case ".br":
      return "\n";
    case "H":
    case "N":
      return "";
    default:
      if (/^X(?:[0-9A-Fa-f]{2})+$/.test(sequence)) return Buffer.from(sequence.slice(1), "hex").toString("utf8");
      return null;
  }
}

/** Escapes a text value so that it stays one component of one field. */
export function encodeHl7Text(value: string, context: Hl7Context): string {
  const e = context.escapeCharacter;
  let out = "";
  for (const char of value) {
    if (char === e) out += `${e}E${e}`;
    else if (char === context.fieldSeparator) out += `${e}F${e}`;
    else if (char === context.componentSeparator) out += `${e}S${e}`;
    else if (char === context.subcomponentSeparator) out += `${e}T${e}`;
    else if (char === context.repetitionSeparator) out += `${e}R${e}`;
    else if (char === "\r") out += `${e}X0D${e}`;
    else if (char === "\n") out += `${e}X0A${e}`;
    else out += char;
  }
  return out;
}

/**
 * One component of one repetition of a field, decoded; "" when absent. Field numbers are the standard's
 * (MSH-3 is 3): medplum's getField applies the MSH offset.
 */
export function hl7Text(segment: Hl7Segment | undefined, field: number, component = 1, repetition = 0): string {
  if (!segment) return "";
  const raw = segment.getField(field)?.components[repetition]?.[component - 1] ?? "";
  return decodeHl7Text(raw, segment.context).trim();
}

/** One subcomponent of a component (e.g. HD universal id inside CX-4), decoded. */
export function hl7Subcomponent(segment: Hl7Segment | undefined, field: number, component: number, subcomponent: number, repetition = 0): string {
  if (!segment) return "";
  const raw = segment.getField(field)?.components[repetition]?.[component - 1] ?? "";
  return decodeHl7Text(raw.split(segment.context.subcomponentSeparator)[subcomponent - 1] ?? "", segment.context).trim();
}

/** How many repetitions a field has (0 when absent or empty). */
export function hl7Repetitions(segment: Hl7Segment | undefined, field: number): number {
  const value = segment?.getField(field);
  if (!value) return 0;
  return value.components.length === 1 && value.components[0]!.every((component) => component === "") ? 0 : value.components.length;
}
