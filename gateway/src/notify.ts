// Residents' notifications (access requests, grants used, answers, …). Other modules create them
// with `notify`, inside their own transaction when they have one, so a failed request leaves none.
import { getAddress, type Address } from "viem";
import type { GatewayDb, GatewayTx } from "./db.ts";

/** What a notification is about; the apps show a label per kind. */
export type NotificationKind =
  | "access-requested"
  | "access-answered"
  | "grant-created"
  | "grant-used"
  | "grant-refused-read"
  | "grant-revoked"
  | "record-anchored"
  | "other";

/** Creates a notification for a resident (checksummed wallet address); returns its id. */
export async function notify(
  deps: { db: GatewayDb } | { tx: GatewayTx },
  resident: Address | string,
  kind: NotificationKind,
  payload: Record<string, unknown>,
): Promise<number> {
  const db = "tx" in deps ? deps.tx : deps.db;
  const row = await db.notification.create({
    data: {
      resident: getAddress(resident),
      kind,
      payloadJson: JSON.stringify(payload, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    },
  });
  return row.id;
}
