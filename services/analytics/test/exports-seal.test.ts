import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalize, createKeyRing, isPlatformError, sm3Hex, utf8 } from "@health-chain/sdk";
import { openExportPackage, sealExportPackage } from "../src/exports/index.ts";
import { mulberry32 } from "../src/synthetic/random.ts";
import { assertInvalidInput } from "./helpers.ts";

const rng = mulberry32(2025);
const keyBytes = () => Uint8Array.from({ length: 32 }, () => rng.int(256));
const ring = createKeyRing([{ keyId: "export-2025", key: keyBytes() }], "export-2025");
const records = Array.from({ length: 50 }, (_, i) => ({ model: "lab-result", personRef: `R-${i}`, content: { testCode: "4548-4", value: 5 + (i % 40) / 10, unit: "%" } }));
const bytes = utf8(canonicalize({ format: "health-chain-research-export/1", exportId: "EXP-1", records }));
const context = { exportId: "EXP-1", packageHash: sm3Hex(bytes) };

const integrityFailure = (e: unknown) => isPlatformError(e, "INTEGRITY_CHECK_FAILED");

describe("sealExportPackage / openExportPackage", () => {
  it("round-trips the exact bytes and checks them against the anchored hash", () => {
    const sealed = sealExportPackage(bytes, ring, context);
    assert.deepEqual(openExportPackage(sealed, ring, context), bytes);
    assert.deepEqual(openExportPackage(sealed, ring, { exportId: "EXP-1" }), bytes);
    // Encrypted: no run of the plaintext survives, and two seals differ (fresh IV).
    assert.ok(!Buffer.from(sealed).includes(Buffer.from('"testCode":"4548-4"')));
    assert.notDeepEqual(sealExportPackage(bytes, ring, context), sealed);
  });

  it("refuses a tampered envelope, another export's id, another hash, or another key under the same id", () => {
    const sealed = sealExportPackage(bytes, ring, context);
    for (const index of [30, sealed.length - 40, sealed.length - 1]) {
      const tampered = Uint8Array.from(sealed);
      tampered[index]! ^= 0x01;
      assert.throws(() => openExportPackage(tampered, ring, context), integrityFailure);
    }
    assert.throws(() => openExportPackage(sealed, ring, { exportId: "EXP-2" }), integrityFailure);
    assert.throws(() => openExportPackage(sealed, ring, { exportId: "EXP-1", packageHash: sm3Hex(utf8("another package")) }), integrityFailure);
    const impostor = createKeyRing([{ keyId: "export-2025", key: keyBytes() }], "export-2025");
    assert.throws(() => openExportPackage(sealed, impostor, context), integrityFailure);
  });

  it("refuses bad input", () => {
    assertInvalidInput(() => sealExportPackage("not bytes" as never, ring, context));
    assertInvalidInput(() => sealExportPackage(bytes, ring, { exportId: "" }));
    assertInvalidInput(() => openExportPackage(sealExportPackage(bytes, ring, context), ring, { exportId: "EXP-1", packageHash: "0x12" }));
  });
});
