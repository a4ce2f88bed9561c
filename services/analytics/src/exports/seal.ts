// The package at rest and in transit: the sdk's SM4 envelope (docs/ENVELOPE.md) with the export id as
// associated data, so a package cannot be passed off as another export's; opening also checks the
// bytes against the anchored package hash when the caller has it.
import { openEnvelope, platformError, sealEnvelope, sm3Hex, utf8, type KeyRing } from "@health-chain/sdk";
import type { Hex } from "viem";
import { EXPORT_PACKAGE_FORMAT } from "./package.ts";
import { invalidExportInput, isBytes32 } from "./invalid.ts";

export interface ExportSealContext {
  readonly exportId: string;
}

export interface ExportOpenContext extends ExportSealContext {
  /** The anchored SM3 of the package bytes; when given, the opened bytes must match it. */
  readonly packageHash?: Hex;
}

function associatedData(context: ExportSealContext): Uint8Array {
  if (typeof context?.exportId !== "string" || context.exportId === "") {
    throw invalidExportInput({ what: "exportId" }, "Sealing or opening a package needs its export id.", "封装或打开数据包需要其导出标识。");
  }
  // The format is bound too: bytes of another kind of envelope under the same id do not open as a package.
  return utf8(`${EXPORT_PACKAGE_FORMAT}\u0000${context.exportId}`);
}

/** Encrypts the package bytes under the ring's current key (SM4-CTR + HMAC-SM3, fresh IV). */
export function sealExportPackage(bytes: Uint8Array, ring: KeyRing, context: ExportSealContext): Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw invalidExportInput({ what: "bytes" }, "The package to seal must be bytes (Uint8Array).", "待封装的数据包必须是字节（Uint8Array）。");
  }
  return sealEnvelope(ring, bytes, { aad: associatedData(context) });
}

/**
 * Opens a sealed package: INTEGRITY_CHECK_FAILED when the envelope was altered, belongs to another
 * export, or (with `packageHash`) holds other bytes than the ones anchored.
 */
export function openExportPackage(envelope: Uint8Array, ring: KeyRing, context: ExportOpenContext): Uint8Array {
  const aad = associatedData(context);
  if (context.packageHash !== undefined && !isBytes32(context.packageHash)) {
    throw invalidExportInput({ what: "packageHash" }, "The package hash must be 0x and 64 hex digits.", "数据包杂凑值必须是 0x 加 64 位十六进制数字。");
  }
  const bytes = openEnvelope(ring, envelope, { aad });
  if (context.packageHash !== undefined && sm3Hex(bytes) !== context.packageHash.toLowerCase()) {
    throw platformError("INTEGRITY_CHECK_FAILED", {
      details: { what: "export package", exportId: context.exportId, expected: context.packageHash.toLowerCase(), actual: sm3Hex(bytes) },
      message: "The opened package does not match the anchored package hash.",
      messageZh: "打开的数据包与链上锚定的杂凑值不一致。",
    });
  }
  return bytes;
}
