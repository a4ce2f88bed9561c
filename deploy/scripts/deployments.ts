// The deployments file, <dir>/<chainId>.json: where sdk, gateway and mirror find the contracts.
// Format: deploy/README.md. Its type and the contract names are the sdk's (sdk/src/deployments.ts),
// which also checks a file when it reads one.
import { resolve } from "node:path";

export { CONTRACT_NAMES, type ContractName, type DeployedContract, type Deployments } from "@health-chain/sdk";

/** The deployments file of a chain; DEPLOYMENTS_DIR moves the directory (default deploy/deployments). */
export function deploymentsFile(
  chainId: number,
  root: string,
  dir: string | undefined = process.env.DEPLOYMENTS_DIR,
): string {
  return resolve(root, dir ?? "deploy/deployments", `${chainId}.json`);
}
