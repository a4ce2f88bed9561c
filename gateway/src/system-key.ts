// The SM2 private key a back-office service (the collection service, the EQA worker) signs in to
// the gateway with, from the one source its configuration names: a key file, an environment
// variable, or — in development only — the public development keys of gateway/config. Node only
// (the browser client in client.ts must not pull in the file system).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { platformError } from "@health-chain/sdk";

/** The public development SM2 keys of the gateway's dev staff (gateway/config/dev.json). */
export const DEV_STAFF_KEYS = resolve(import.meta.dirname, "..", "config", "dev-staff-keys.json");

/** The `gateway` section of a service's configuration: where it signs in, as whom, with which key. */
export const systemGatewaySchema = z
  .object({
    /** The gateway's base URL. */
    baseUrl: z.url(),
    /** The institution system's staff id registered with the gateway. */
    staffId: z.string().min(1),
    /** A file holding the SM2 private key (hex). */
    keyFile: z.string().min(1).optional(),
    /** An environment variable holding it. */
    keyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name").optional(),
    /** Development only: the public key of `staffId` in gateway/config/dev-staff-keys.json. */
    keyFrom: z.literal("dev-staff-keys").optional(),
    /** Per request, ms. */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

export type SystemGatewayConfig = z.infer<typeof systemGatewaySchema>;

/** The problems of a `gateway` section beyond its shape: exactly one key source; dev keys only in dev mode. */
export function systemGatewayProblems(g: SystemGatewayConfig, mode: "dev" | "production"): string[] {
  const problems: string[] = [];
  const keySources = [g.keyFile, g.keyEnv, g.keyFrom].filter((k) => k !== undefined).length;
  if (keySources !== 1) problems.push("gateway: exactly one of keyFile, keyEnv and keyFrom");
  if (g.keyFrom !== undefined && mode !== "dev") problems.push('gateway.keyFrom: "dev-staff-keys" only in dev mode');
  return problems;
}

/** The SM2 private key (0x hex) from the source the configuration names; INVALID_KEY (en/zh) otherwise. */
export function systemKeyOf(g: Pick<SystemGatewayConfig, "staffId" | "keyFile" | "keyEnv">, env: NodeJS.ProcessEnv = process.env): string {
  let text: string | undefined;
  let from: string;
  if (g.keyFile !== undefined) {
    from = g.keyFile;
    try {
      text = readFileSync(g.keyFile, "utf8");
    } catch (cause) {
      throw platformError("INVALID_KEY", { message: `Cannot read the gateway key file ${g.keyFile}.`, messageZh: `无法读取网关密钥文件 ${g.keyFile}。`, details: { file: g.keyFile }, cause });
    }
  } else if (g.keyEnv !== undefined) {
    from = `$${g.keyEnv}`;
    text = env[g.keyEnv];
  } else {
    from = `${DEV_STAFF_KEYS} (${g.staffId})`;
    text = (JSON.parse(readFileSync(DEV_STAFF_KEYS, "utf8")) as { keys: Record<string, string> }).keys[g.staffId];
  }
  const hex = (text ?? "").trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw platformError("INVALID_KEY", {
      message: `The gateway SM2 key from ${from} is not a 32-byte hex private key.`,
      messageZh: `来自 ${from} 的网关 SM2 密钥不是 32 字节十六进制私钥。`,
      details: { source: from },
    });
  }
  return `0x${hex.toLowerCase()}`;
}
