// JSON-RPC errors as the Ethereum JSON-RPC specification (EIP-1474) and geth word them, so that
// ethers, viem and Hardhat recognise them ("nonce too low", "insufficient funds ...", code 3 with
// revert data).

/** Error codes of JSON-RPC 2.0, EIP-1474 and geth. */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** geth's code for transaction-pool and state errors ("nonce too low", "already known", ...). */
  SERVER_ERROR: -32000,
  RESOURCE_NOT_FOUND: -32001,
  TRANSACTION_REJECTED: -32003,
  METHOD_NOT_SUPPORTED: -32004,
  LIMIT_EXCEEDED: -32005,
  /** A reverted eth_call / eth_estimateGas; `data` carries the revert data. */
  EXECUTION_REVERTED: 3,
} as const;

export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }
}

export const invalidParams = (message: string): RpcError => new RpcError(RpcCode.INVALID_PARAMS, message);
export const serverError = (message: string): RpcError => new RpcError(RpcCode.SERVER_ERROR, message);
