// Decoding the five contracts' logs into mirror events, and their canonical text: the `args`
// column and the lines `verify` digests (docs/MIRROR.md, "Canonical events").
import { decodeEventLog, getAddress, type Abi, type Address, type Hex, type Log } from "viem";
import {
  auditTrailAbi,
  certificateRegistryAbi,
  consentRegistryAbi,
  consortiumRegistryAbi,
  dataIndexAbi,
  type ContractName,
} from "../../sdk/src/index.ts";

export const CONTRACT_ABIS: Record<ContractName, Abi> = {
  ConsortiumRegistry: consortiumRegistryAbi as Abi,
  ConsentRegistry: consentRegistryAbi as Abi,
  DataIndex: dataIndexAbi as Abi,
  CertificateRegistry: certificateRegistryAbi as Abi,
  AuditTrail: auditTrailAbi as Abi,
};

/** One decoded log of a contract of the suite, as the mirror stores it. */
export interface MirrorEvent {
  chainId: number;
  contract: ContractName;
  /** Checksummed. */
  address: Address;
  eventName: string;
  blockNumber: number;
  blockHash: Hex;
  txHash: Hex;
  txIndex: number;
  logIndex: number;
  /** Block time, seconds. */
  timestamp: number;
  /** The decoded arguments, canonical (see {@link canonicalValue}). */
  args: Record<string, CanonicalValue>;
}

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue };

/**
 * The canonical form of a decoded value: bigints as decimal strings, hex (bytes, addresses) in
 * lower case, arrays in order, objects with keys sorted; numbers (uint8…uint48) and booleans as
 * they are.
 */
export function canonicalValue(value: unknown): CanonicalValue {
  if (typeof value === "bigint") return value.toString(10);
  if (typeof value === "string") return /^0x[0-9a-fA-F]*$/.test(value) ? value.toLowerCase() : value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (typeof value === "object" && value !== undefined) {
    const out: Record<string, CanonicalValue> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonicalValue((value as Record<string, unknown>)[key]);
    return out;
  }
  throw new TypeError(`cannot canonicalise ${typeof value}`);
}

/** The canonical JSON text of decoded arguments (keys sorted at every level, no spaces). */
export function canonicalJson(args: Record<string, CanonicalValue>): string {
  return JSON.stringify(canonicalValue(args));
}

/** Contract by lower-case address. */
export type ContractsByAddress = Map<string, { name: ContractName; address: Address }>;

/** Decodes one raw log of a known contract (undefined when the log is not one of its events). */
export function decodeLog(
  log: Log,
  contracts: ContractsByAddress,
  chainId: number,
  timestamp: number,
): MirrorEvent | undefined {
  const contract = contracts.get(log.address.toLowerCase());
  if (!contract || log.blockNumber === null || log.blockHash === null || log.transactionHash === null || log.logIndex === null || log.transactionIndex === null) {
    return undefined;
  }
  let decoded: { eventName: string | undefined; args: unknown };
  try {
    decoded = decodeEventLog({ abi: CONTRACT_ABIS[contract.name], data: log.data, topics: log.topics, strict: true });
  } catch {
    return undefined;
  }
  if (decoded.eventName === undefined) return undefined;
  const args = canonicalValue(decoded.args ?? {});
  return {
    chainId,
    contract: contract.name,
    address: getAddress(contract.address),
    eventName: decoded.eventName,
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash.toLowerCase() as Hex,
    txHash: log.transactionHash.toLowerCase() as Hex,
    txIndex: log.transactionIndex,
    logIndex: log.logIndex,
    timestamp,
    args: args as Record<string, CanonicalValue>,
  };
}

/** The fields of an event line, in line order (what `verify` names when a field differs). */
export const LINE_FIELDS = ["blockNumber", "logIndex", "blockHash", "txHash", "txIndex", "address", "eventName", "args"] as const;
export type LineField = (typeof LINE_FIELDS)[number];

/** The values of an event's line, by field. */
export function lineValues(event: {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  txIndex: number;
  address: string;
  eventName: string;
  args: string;
}): Record<LineField, string> {
  return {
    blockNumber: String(event.blockNumber),
    logIndex: String(event.logIndex),
    blockHash: event.blockHash.toLowerCase(),
    txHash: event.txHash.toLowerCase(),
    txIndex: String(event.txIndex),
    address: event.address.toLowerCase(),
    eventName: event.eventName,
    args: event.args,
  };
}

/**
 * The canonical line of an event: the fields of {@link LINE_FIELDS}, tab-separated, hex in lower
 * case, args as canonical JSON. `verify` digests the lines of a range, each followed by "\n".
 */
export function eventLine(values: Record<LineField, string>): string {
  return LINE_FIELDS.map((f) => values[f]).join("\t");
}
