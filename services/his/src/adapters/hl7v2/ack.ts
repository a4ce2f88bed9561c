// The acknowledgement of an HL7 v2 message (original mode): MSA AA when everything was accepted, AE
// with one ERR segment per refused part, AR when the message as a whole is refused (it cannot be read,
// it is not ORU^R01, or the receiver failed). Each ERR carries the HL7 error code (table 0357), where
// (segment, occurrence, field), the adapter's reason code, and the message in English and Chinese.
import { randomUUID } from "node:crypto";
import { Hl7Context, Hl7Message, Hl7Segment } from "@medplum/core";
import { encodeHl7Text } from "./text.ts";

/** Where in the message a problem is: segment id, its occurrence (1-based), field number. */
export interface Hl7Location {
  readonly segment: string;
  readonly sequence: number;
  readonly field: number;
}

export interface AckError {
  /** HL7 table 0357: 100 segment sequence, 101 required field missing, 102 data type, 103 table value, 200/203 unsupported type/version, 207 internal. */
  readonly hl7Code: 100 | 101 | 102 | 103 | 200 | 203 | 207;
  readonly location?: Hl7Location;
  readonly reason: string;
  readonly message: string;
  readonly messageZh: string;
}

export type AckCode = "AA" | "AE" | "AR";

const HL7_ERROR_TEXT: Record<AckError["hl7Code"], string> = {
  100: "Segment sequence error",
  101: "Required field missing",
  102: "Data type error",
  103: "Table value not found",
  200: "Unsupported message type",
  203: "Unsupported version id",
  207: "Application internal error",
};

/** A control id for the ACK itself: medplum's (Date.now()) repeats within a millisecond; 20 characters fit ST(20) of v2.4/2.5. */
const ackControlId = () => randomUUID().replace(/-/g, "").slice(0, 20).toUpperCase();

/** An HL7 DTM of now, with its offset (medplum's buildAck writes UTC digits without one). */
function nowDtm(): string {
  const now = new Date();
  return `${now.toISOString().slice(0, 19).replace(/[-:T]/g, "")}+0000`;
}

function errSegment(error: AckError, context: Hl7Context): Hl7Segment {
  const text = (value: string) => encodeHl7Text(value, context);
  const { componentSeparator: c } = context;
  return new Hl7Segment([
    "ERR",
    "",
    error.location ? [error.location.segment, error.location.sequence, error.location.field].join(c) : "",
    [String(error.hl7Code), HL7_ERROR_TEXT[error.hl7Code], "HL70357"].join(c),
    "E",
    [text(error.reason), "", "L"].join(c),
    "",
    text(error.message),
    text(error.messageZh),
  ], context);
}

/** The ACK of a message (null: one so broken that it has no MSH). */
export function ackMessage(message: Hl7Message | null, code: AckCode, errors: readonly AckError[]): Hl7Message {
  if (message === null) {
    const context = new Hl7Context();
    const header = new Hl7Segment(["MSH", context.getMsh2(), "", "", "", "", nowDtm(), "", "ACK", ackControlId(), "P", "2.5.1"], context);
    const msa = new Hl7Segment(["MSA", code, ""], context);
    return new Hl7Message([header, msa, ...errors.map((error) => errSegment(error, context))], context);
  }
  const ack = message.buildAck({ ackCode: code });
  ack.header.setField(7, nowDtm());
  ack.header.setField(10, ackControlId());
  return new Hl7Message([...ack.segments, ...errors.map((error) => errSegment(error, message.context))], message.context);
}

/** The ACK as text, segments separated by CR. */
export function buildAck(message: Hl7Message | null, code: AckCode, errors: readonly AckError[]): string {
  return ackMessage(message, code, errors).toString();
}
