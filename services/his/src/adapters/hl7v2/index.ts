// HL7 v2 source adapter (issue 6, adapter c): ORU^R01 lab results messages, parsed with medplum's
// Hl7Message, acknowledged over MLLP with @medplum/hl7.
export { type Hl7RejectionReason, type OruParseOptions, RESIDENT_ID_CARD_OID, SUPPORTED_HL7_VERSIONS, parseOruR01, readOruR01 } from "./parse.ts";
export { type OruRenderOptions, oruR01Of } from "./render.ts";
export { type MllpListener, type MllpListenerOptions, startMllpListener } from "./mllp.ts";
export { type AckCode, type AckError, type Hl7Location, ackMessage, buildAck } from "./ack.ts";
export { decodeHl7Text, encodeHl7Text } from "./text.ts";
export { DEFAULT_HL7_OFFSET, hl7DateTimeToIso, isoToHl7DateTime } from "./timestamp.ts";
