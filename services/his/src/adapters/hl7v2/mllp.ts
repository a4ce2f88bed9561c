// The MLLP endpoint a hospital's LIS sends ORU^R01 messages to (inside the institution's front-end
// gateway, 前置机). Every message is parsed, handed to `onMessage` (which stores items and quarantines
// rejections), and acknowledged only after `onMessage` resolved: an AA/AE the sender sees means the
// message is kept. When `onMessage` fails the ACK is AR with error 207, and the sender retransmits
// (item keys make the retransmission harmless). Messages of one connection are handled in order.
//
// Framing, decoding (UTF-8 by default; GBK/GB18030 LIS supported through iconv-lite) and sending are
// @medplum/hl7's Hl7Connection. Its Hl7Server is not used: its start(port) cannot bind an address
// (a 前置机 must listen on its internal interface only) and retries EADDRINUSE forever instead of failing.
import net from "node:net";
import { Hl7Message } from "@medplum/core";
import { Hl7Connection } from "@medplum/hl7";
import { platformError } from "@health-chain/sdk";
import type { ParseResult } from "../types.ts";
import { ackMessage } from "./ack.ts";
import { type OruParseOptions, readOruR01 } from "./parse.ts";

export interface MllpListenerOptions {
  /** The address to bind, e.g. the front-end gateway's internal interface or 127.0.0.1. */
  readonly host: string;
  /** 0 picks a free port (see the returned port). */
  readonly port: number;
  /** Stores the items and quarantines the rejections; the ACK waits for it. */
  readonly onMessage: (result: ParseResult, raw: string) => Promise<void>;
  /** Character encoding of the byte stream (default utf-8; e.g. gb18030 for older LIS). */
  readonly encoding?: string;
  readonly parse?: OruParseOptions;
  /** Connection-level problems (a frame that is not HL7, a socket error); default: ignored after the AR is sent. */
  readonly onError?: (error: Error) => void;
}

export interface MllpListener {
  readonly port: number;
  /** Stops accepting, lets messages in hand finish and be acknowledged, then closes every connection. */
  close(): Promise<void>;
}

/** Starts an MLLP listener for ORU^R01 messages. */
export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  checkOptions(options);
  const { onMessage, onError = () => {} } = options;
  const connections = new Map<Hl7Connection, { queue: Promise<void> }>();

  const handle = async (connection: Hl7Connection, message: Hl7Message) => {
    const raw = message.toString();
    const result = readOruR01(message, raw, options.parse);
    let ack = Hl7Message.parse(result.ack);
    try {
      await onMessage({ items: result.items, rejected: result.rejected }, raw);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
      ack = ackMessage(message, "AR", [{
        hl7Code: 207, reason: "application-error",
        message: "The message could not be stored; send it again later.",
        messageZh: "消息未能保存，请稍后重发。",
      }]);
    }
    if (!connection.isClosed()) connection.send(ack);
  };

  const server = net.createServer((socket) => {
    const connection = new Hl7Connection(socket, options.encoding ?? "utf-8");
    const state = { queue: Promise.resolve() };
    connections.set(connection, state);
    connection.addEventListener("message", (event) => {
      const message = event.message;
      // Never acknowledge an acknowledgement: two receivers would echo each other forever.
      if (message.header.getComponent(9, 1) === "ACK") return;
      state.queue = state.queue.then(() => handle(connection, message));
    });
    connection.addEventListener("error", (event) => {
      const error = event.error;
      // A frame that does not start with MSH is refused by the library before it becomes a message: AR without a control id.
      if ((error as { type?: string }).type === "entity.parse.failed" && !connection.isClosed()) {
        connection.send(ackMessage(null, "AR", [{
          hl7Code: 100, reason: "malformed-message",
          message: "The frame is not an HL7 v2 message (it does not begin with MSH).",
          messageZh: "该帧不是 HL7 v2 消息（不以 MSH 开头）。",
        }]));
      }
      onError(error);
    });
    connection.addEventListener("close", () => {
      connections.delete(connection);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => onError(error));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;

  return {
    port,
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map(async ([connection, state]) => {
        await state.queue;
        await connection.close();
      }));
      await closed;
    },
  };
}

function checkOptions(options: MllpListenerOptions): void {
  const problems: { key: string; problem: string; value: unknown }[] = [];
  if (typeof options.host !== "string" || options.host === "") problems.push({ key: "host", problem: "an address to bind", value: options.host });
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) problems.push({ key: "port", problem: "an integer in [0, 65535]", value: options.port });
  if (typeof options.onMessage !== "function") problems.push({ key: "onMessage", problem: "a function", value: typeof options.onMessage });
  if (problems.length > 0) {
    throw platformError("INVALID_INPUT", {
      message: `The MLLP listener options are not valid: ${problems.map((p) => `${p.key} must be ${p.problem}`).join("; ")}.`,
      messageZh: "MLLP 监听配置无效。",
      details: { problems },
    });
  }
}
