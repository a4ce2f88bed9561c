// Structured logging: one JSON object per line (pino), so that operators can ship the node's logs to
// any collector without a parser.

import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** pino level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent". */
  level?: string;
  name?: string;
  /** Where the lines go; stdout when absent. Tests pass a stream they can read back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = "info", name = "chain-node", destination } = options;
  return pino(
    {
      level,
      // Only the name: pid and hostname are noise in a container and cost a few bytes per line.
      base: { name },
      // pino serializes `err` by default; `error` is the other key callers naturally reach for.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination ?? pino.destination(1),
  );
}
