// Node configuration (a JSON file) and the genesis file, validated with zod. Relative paths in the
// configuration are relative to the file's own directory.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { SUPPORTED_HARDFORKS } from "./common.ts";

const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "0x-prefixed hex bytes");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte 0x address");
const quantity = z.union([z.number().int().nonnegative(), z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, "a number or 0x quantity")]).transform((value) => BigInt(value));

export const genesisSchema = z.strictObject({
  chainId: quantity,
  hardfork: z.enum(SUPPORTED_HARDFORKS).default("shanghai"),
  /** Unix seconds. */
  timestamp: quantity.default(0n),
  gasLimit: quantity.default(1_000_000_000n),
  /** Up to 32 bytes of free text in the genesis header. */
  vanity: z.string().max(32).default("health-chain"),
  /** Addresses whose keys may seal blocks (one validator until the consortium issue). */
  validators: z.array(address).min(1),
  /** Accounts that may always send transactions (bootstrap, before the registry lists anyone). */
  operators: z.array(address).default([]),
  /** ConsortiumRegistry whose `isAllowedAccount` decides who else may transact; none: operators only. */
  permissioning: z.strictObject({ registry: address }).optional(),
  alloc: z
    .record(
      address,
      z.strictObject({
        balance: quantity.default(0n),
        nonce: quantity.default(0n),
        code: hexData.optional(),
        storage: z.record(z.string().regex(/^0x[0-9a-fA-F]{1,64}$/), z.string().regex(/^0x[0-9a-fA-F]{1,64}$/)).optional(),
      }),
    )
    .default({}),
});
export type Genesis = z.infer<typeof genesisSchema>;

export const configSchema = z.strictObject({
  dataDir: z.string().default("./data"),
  genesis: z.string().default("./genesis.json"),
  /** File holding the validator's secp256k1 private key as 0x hex (mode 0600). */
  validatorKey: z.string().default("./validator.key"),
  http: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(8545),
      cors: z.array(z.string()).default(["*"]),
    })
    .prefault({}),
  /** Milliseconds between blocks; 0 seals as soon as transactions are waiting. */
  blockTime: z.number().int().min(0).default(0),
  /** Seal empty blocks at blockTime when idle (only with blockTime > 0). */
  emptyBlocks: z.boolean().default(false),
  maxBlockTransactions: z.number().int().min(1).default(5000),
  pool: z
    .strictObject({
      maxTransactions: z.number().int().min(1).default(100_000),
      maxPerSender: z.number().int().min(1).default(20_000),
      /** A transaction may be at most this far beyond its sender's nonce ("nonce too high"). */
      maxNonceGap: z.number().int().min(1).default(4096),
    })
    .prefault({}),
  rpc: z
    .strictObject({
      maxBodyBytes: z.number().int().min(1024).default(5 * 1024 * 1024),
      maxBatch: z.number().int().min(1).default(1000),
      /** eth_getLogs: most logs in one answer, widest block range. */
      maxLogs: z.number().int().min(1).default(10_000),
      maxBlockRange: z.number().int().min(1).default(100_000),
      /** Gas cap of eth_call and eth_estimateGas. */
      gasCap: z.number().int().min(21_000).default(50_000_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info") }).prefault({}),
  /** Development methods (evm_snapshot, evm_revert, evm_mine, evm_setNextBlockTimestamp, hardhat_setCode ...). Never in production. */
  dev: z.boolean().default(false),
});
export type NodeConfig = z.infer<typeof configSchema>;

/** A config with its paths made absolute. */
export interface LoadedConfig extends NodeConfig {
  file?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}

export function parseConfig(raw: unknown, baseDir: string): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describe(parsed.error)}`);
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  return { ...parsed.data, dataDir: at(parsed.data.dataDir), genesis: at(parsed.data.genesis), validatorKey: at(parsed.data.validatorKey) };
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the ${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}

export function loadConfig(file: string): LoadedConfig {
  const path = resolve(file);
  return { ...parseConfig(readJson(path, "configuration file"), dirname(path)), file: path };
}

export function parseGenesis(raw: unknown): Genesis {
  const parsed = genesisSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid genesis: ${describe(parsed.error)}`);
  return parsed.data;
}

export function loadGenesis(file: string): Genesis {
  return parseGenesis(readJson(file, "genesis file"));
}

export function loadValidatorKey(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`cannot read the validator key ${file}: ${(error as Error).message}`);
  }
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(`the validator key ${file} must hold a 32-byte private key as hex`);
  return Uint8Array.from(Buffer.from(text.replace(/^0x/, ""), "hex"));
}
