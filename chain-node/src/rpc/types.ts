// The seams between the JSON-RPC transport (server.ts, subscriptions.ts) and the node behind it.

/** Where a request came from; `connection` is set for WebSocket requests. */
export interface RpcContext {
  transport: "http" | "ws";
  /** Sends a notification to the WebSocket client that made the request. */
  notify?: (message: unknown) => void;
  /** Registers a callback to run when the WebSocket connection closes. */
  onClose?: (callback: () => void) => void;
}

/** Executes one JSON-RPC method; throws RpcError for errors the client should see. */
export interface RpcBackend {
  dispatch(method: string, params: unknown, context: RpcContext): Promise<unknown>;
}

/** A log as eth_getLogs returns it (hex strings, lower-case addresses). */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  blockTimestamp: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed: boolean;
}

/** What the node announces when it commits a block. */
export interface CommittedBlock {
  number: bigint;
  hash: string;
  /** The header as eth_getBlockByNumber(n, false) returns it, without `transactions`. */
  header: Record<string, unknown>;
  transactionHashes: string[];
  logs: RpcLog[];
}

/** The node as the filter and subscription machinery sees it. */
export interface ChainFeed {
  /** Calls `listener` after each committed block, in order; returns an unsubscribe function. */
  onBlock(listener: (block: CommittedBlock) => void): () => void;
  /** Calls `listener` with the hash of each transaction accepted into the pool. */
  onPendingTransaction(listener: (hash: string) => void): () => void;
  headNumber(): bigint;
  /** eth_getLogs semantics for an already-validated filter (used by eth_getFilterLogs). */
  getLogs(filter: LogFilter): Promise<RpcLog[]>;
}

export type BlockTag = "latest" | "earliest" | "pending" | "safe" | "finalized";

/** A validated eth_getLogs / eth_newFilter filter. Addresses and topics are lower-case 0x hex. */
export interface LogFilter {
  fromBlock: bigint | BlockTag;
  toBlock: bigint | BlockTag;
  blockHash?: string;
  /** null: any address. */
  addresses: string[] | null;
  /** Per position: null matches anything, otherwise any of the listed topics. */
  topics: (string[] | null)[];
}
