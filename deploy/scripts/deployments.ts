// The deployments file, <dir>/<chainId>.json: where sdk, gateway and mirror find the contracts.
// Format: deploy/README.md.
import { resolve } from "node:path";

export const CONTRACT_NAMES = [
  "ConsortiumRegistry",
  "ConsentRegistry",
  "DataIndex",
  "CertificateRegistry",
  "AuditTrail",
] as const;

export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface DeployedContract {
  address: string;
  blockNumber: number;
  txHash: string;
}

export interface Deployments {
  chainId: number;
  network: string;
  deployedAt: string;
  deployer: string;
  contracts: Record<ContractName, DeployedContract>;
}

/** The deployments file of a chain; DEPLOYMENTS_DIR moves the directory (default deploy/deployments). */
export function deploymentsFile(chainId: number, root: string, dir: string | undefined = process.env.DEPLOYMENTS_DIR): string {
  return resolve(root, dir ?? "deploy/deployments", `${chainId}.json`);
}
