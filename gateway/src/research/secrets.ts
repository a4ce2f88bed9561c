// The research service's secrets, from the environment only: the key of perturbed counts
// (GATEWAY_ANALYTICS_NOISE_KEY, 32 bytes hex) and the de-identification secrets of the policies
// (HIS_DEID_SECRET_<ID>, as services/his reads them). In dev mode a missing one falls back to a
// public development value, with a warning; outside dev mode the noise key is required and a
// missing de-identification secret refuses the export that needs it (UNKNOWN_KEY_ID).
import { platformError, sm3, utf8 } from "@health-chain/sdk";
import { hexToBytes } from "viem";
import type { Logger } from "pino";
import { createDeidSecrets, deidSecretsFromEnv, type DeidSecrets } from "../../../services/his/src/deid/secrets.ts";

const NOISE_KEY_ENV = "GATEWAY_ANALYTICS_NOISE_KEY";

/** A public development value for a secret id: never for real data. */
const devSecret = (id: string) => sm3(utf8(`health-chain development secret: ${id}`));

export function researchSecrets(mode: "dev" | "production", env: NodeJS.ProcessEnv, log: Pick<Logger, "warn">): { noiseKey: Uint8Array; deidSecrets: DeidSecrets } {
  const noiseHex = env[NOISE_KEY_ENV]?.trim();
  let noiseKey: Uint8Array;
  if (noiseHex) {
    noiseKey = hexToBytes((noiseHex.startsWith("0x") ? noiseHex : `0x${noiseHex}`) as `0x${string}`);
    if (noiseKey.length < 16) throw platformError("INVALID_INPUT", { message: `${NOISE_KEY_ENV} must hold at least 16 bytes.`, messageZh: `${NOISE_KEY_ENV} 至少需要 16 字节。`, details: { env: NOISE_KEY_ENV } });
  } else if (mode === "dev") {
    log.warn({ env: NOISE_KEY_ENV }, "research: no noise key in the environment; using the public development key");
    noiseKey = devSecret("analytics-noise");
  } else {
    throw platformError("INVALID_INPUT", { message: `${NOISE_KEY_ENV} is required outside dev mode.`, messageZh: `非开发模式必须配置 ${NOISE_KEY_ENV}。`, details: { env: NOISE_KEY_ENV } });
  }
  const fromEnv = deidSecretsFromEnv(env);
  if (mode !== "dev") return { noiseKey, deidSecrets: fromEnv };
  const warned = new Set<string>();
  const deidSecrets: DeidSecrets = {
    secret(id) {
      try {
        return fromEnv.secret(id);
      } catch {
        if (!warned.has(id)) log.warn({ secretId: id }, "research: de-identification secret not in the environment; using the public development value");
        warned.add(id);
        return createDeidSecrets({ secrets: { [id]: devSecret(`deid:${id}`) } }).secret(id);
      }
    },
    keyRing: (id) => fromEnv.keyRing(id),
  };
  return { noiseKey, deidSecrets };
}
