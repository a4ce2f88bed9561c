// The access-log line's canonical form and hash: stable across spellings of the same line, different
// for any change of what the line says, and exactly SM3("HCA1" ‖ JCS(line)).
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalize, sm3Hex, utf8 } from "@health-chain/sdk";
import { ACCESS_LINE_DOMAIN, accessLine, accessLineHash, accessLineText } from "../src/evidence/line.ts";

const input = {
  id: "line-1",
  requestId: "req-1",
  reader: "doctor-1",
  accessor: `0x${"00".repeat(12)}${"AB".repeat(20)}`,
  institution: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  recordId: `0x${"11".repeat(32)}`,
  residentRef: `0x${"22".repeat(32)}`,
  fields: [`0x${"44".repeat(32)}`, `0x${"33".repeat(32)}`],
  purpose: 0,
  grantIds: [`0x${"55".repeat(32)}`],
  outcome: "granted" as const,
  accessedAt: new Date("2026-11-22T10:00:00.123Z"),
};

test("the canonical line is lower-case hex with sorted lists and an ISO instant", () => {
  const line = accessLine(input);
  assert.equal(line.v, 1);
  assert.equal(line.accessor, input.accessor.toLowerCase());
  assert.equal(line.institution, input.institution.toLowerCase());
  assert.deepEqual(line.fields, [`0x${"33".repeat(32)}`, `0x${"44".repeat(32)}`]);
  assert.equal(line.reason, null);
  assert.equal(line.accessedAt, "2026-11-22T10:00:00.123Z");
  assert.equal(accessLineText(line), canonicalize(line));
});

test("the line hash is SM3 over the HCA1 domain and the JCS text", () => {
  const line = accessLine(input);
  assert.equal(accessLineHash(line), sm3Hex(utf8(ACCESS_LINE_DOMAIN + canonicalize(line))));
  assert.match(accessLineHash(line), /^0x[0-9a-f]{64}$/);
});

test("the same line spelled differently hashes the same; any change of content changes the hash", () => {
  const a = accessLineHash(accessLine(input));
  const respelled = { ...input, fields: [...input.fields].reverse(), accessor: input.accessor.toLowerCase(), grantIds: [...input.grantIds, ...input.grantIds] };
  assert.equal(accessLineHash(accessLine(respelled)), a);
  for (const changed of [
    { ...input, purpose: 1 },
    { ...input, outcome: "refused" as const },
    { ...input, fields: [input.fields[0]!] },
    { ...input, accessedAt: new Date("2026-11-22T10:00:00.124Z") },
    { ...input, reader: "doctor-2" },
  ]) {
    assert.notEqual(accessLineHash(accessLine(changed)), a);
  }
});
