// The example policies shipped in services/his/config/deid/ (research-export, share-with-doctor,
// regional-report): JSON files an operator copies, edits and publishes as versions.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { platformError } from "@health-chain/sdk";
import type { DeidPolicy } from "./policy.ts";
import { validateDeidPolicy } from "./validate.ts";

/** The folder of the example policies. */
export const DEID_POLICY_DIR = resolve(import.meta.dirname, "..", "..", "config", "deid");

export const EXAMPLE_DEID_POLICIES = ["research-export", "share-with-doctor", "regional-report"] as const;

export type ExampleDeidPolicyName = (typeof EXAMPLE_DEID_POLICIES)[number];

/** Reads and validates a policy file (INVALID_INPUT naming the file when it is not JSON or not a valid policy). */
export function loadDeidPolicyFile(path: string): DeidPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw platformError("INVALID_INPUT", {
      details: { file: path },
      message: `The policy file ${path} cannot be read as JSON: ${error instanceof Error ? error.message : String(error)}`,
      messageZh: `无法将策略文件 ${path} 读取为 JSON。`,
      cause: error,
    });
  }
  return validateDeidPolicy(parsed);
}

/** One of the shipped example policies. */
export function exampleDeidPolicy(name: ExampleDeidPolicyName): DeidPolicy {
  return loadDeidPolicyFile(resolve(DEID_POLICY_DIR, `${name}.json`));
}
