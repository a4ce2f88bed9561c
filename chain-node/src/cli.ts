#!/usr/bin/env node
// chain-node: run a node, or prepare a directory for one.
//
//   chain-node init --dir <dir> [--dev] [--chain-id <n>] [--http-port <port>] [--validator-key <file>]
//   chain-node run --config <dir>/config.json
//   chain-node keygen --out <file>
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { publicKeyOf } from "./common.ts";
import { keccak256, toHex } from "./codec.ts";
import { ConfigError, loadConfig, loadValidatorKey } from "./config.ts";
import { DEV_ACCOUNTS } from "./dev-accounts.ts";
import { startNode } from "./node.ts";

const USAGE = `usage:
  chain-node init --dir <dir> [--dev] [--chain-id <n>] [--http-port <port>] [--http-host <host>] [--validator-key <file>]
      writes <dir>/config.json, <dir>/genesis.json and (unless given) a new <dir>/validator.key
      --dev: development chain: the 20 Hardhat development accounts are funded operators and the
             evm_*/hardhat_* development methods are on (never for a shared chain)
  chain-node run --config <file>
      runs the node until SIGINT/SIGTERM
  chain-node keygen --out <file>
      writes a new secp256k1 validator key (mode 0600) and prints its address`;

class UsageError extends Error {}

function addressOf(key: Uint8Array): string {
  return toHex(keccak256(publicKeyOf(key)).subarray(12));
}

function writeKey(file: string): Uint8Array {
  if (existsSync(file)) throw new UsageError(`${file} exists; refusing to overwrite a key`);
  const key = randomBytes(32);
  writeFileSync(file, `${toHex(key)}\n`, { mode: 0o600 });
  return key;
}

function init(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string" },
      dev: { type: "boolean", default: false },
      "chain-id": { type: "string", default: "424242" },
      "http-port": { type: "string", default: "8545" },
      "http-host": { type: "string", default: "127.0.0.1" },
      "validator-key": { type: "string" },
    },
  });
  if (values.dir === undefined) throw new UsageError("init needs --dir");
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, "config.json"))) throw new UsageError(`${dir}/config.json exists; refusing to overwrite`);
  const chainId = Number(values["chain-id"]);
  const port = Number(values["http-port"]);
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new UsageError("--chain-id must be a positive integer");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--http-port must be a port number");
  const keyFile = values["validator-key"] === undefined ? join(dir, "validator.key") : resolve(values["validator-key"]);
  const key = values["validator-key"] === undefined ? writeKey(keyFile) : loadValidatorKey(keyFile);
  const validator = addressOf(key);
  const genesis = {
    chainId,
    hardfork: "shanghai",
    timestamp: Math.floor(Date.now() / 1000),
    gasLimit: 1_000_000_000,
    vanity: "health-chain",
    validators: [validator],
    operators: values.dev ? DEV_ACCOUNTS : [validator],
    alloc: values.dev ? Object.fromEntries(DEV_ACCOUNTS.map((a) => [a, { balance: "0x21e19e0c9bab2400000" }])) : {},
  };
  const config = {
    dataDir: "./data",
    genesis: "./genesis.json",
    validatorKey: keyFile,
    http: { host: values["http-host"], port },
    blockTime: 0,
    dev: values.dev,
  };
  writeFileSync(join(dir, "genesis.json"), `${JSON.stringify(genesis, null, 2)}\n`);
  writeFileSync(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  console.log(`initialised ${dir}\n  chain id   ${chainId}\n  validator  ${validator}\n  dev mode   ${values.dev ? "on" : "off"}\nrun it with: chain-node run --config ${join(dir, "config.json")}`);
}

async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: "string" } } });
  if (values.config === undefined) throw new UsageError("run needs --config");
  const config = loadConfig(values.config);
  const node = await startNode({ config });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.logger.info({ signal }, "shutting down");
    node
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        node.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

function keygen(args: string[]): void {
  const { values } = parseArgs({ args, options: { out: { type: "string" } } });
  if (values.out === undefined) throw new UsageError("keygen needs --out");
  const key = writeKey(resolve(values.out));
  console.log(addressOf(key));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case "init":
      return init(rest);
    case "run":
      return run(rest);
    case "keygen":
      return keygen(rest);
    default:
      throw new UsageError(command === undefined ? "a command is needed" : `unknown command ${command}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
