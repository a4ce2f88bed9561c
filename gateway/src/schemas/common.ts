// zod schemas shared by the routes (they also make the OpenAPI document's components).
import { z } from "@hono/zod-openapi";
import { getAddress, isAddress } from "viem";
import { ROLES } from "../context.ts";

/** A 0x address, any case in; checksummed out. */
export const AddressSchema = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { message: "not a 0x address (40 hex digits)" })
  .transform((v) => getAddress(v))
  .openapi({ type: "string", example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", description: "Chain address (0x + 40 hex)" });

/** 32 bytes as 0x hex (lower-cased). */
export const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "not 32 bytes of 0x hex")
  .transform((v) => v.toLowerCase() as `0x${string}`)
  .openapi({ type: "string", example: `0x${"ab".repeat(32)}` });

/** Any 0x hex bytes. */
export const HexSchema = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})*$/, "not 0x hex bytes")
  .openapi({ type: "string", example: "0x3045…" });

export const RoleSchema = z.enum(ROLES).openapi("Role");

export const PrincipalSchema = z
  .object({
    kind: z.enum(["resident", "staff", "system"]),
    subject: z.string(),
    roles: z.array(RoleSchema),
    institution: z.string().optional(),
    wallet: z.string().optional(),
    staffId: z.string().optional(),
    sessionId: z.string(),
    sessionPublicKey: z.string().optional(),
  })
  .openapi("Principal");

/** Keyset paging: `limit` (1..500, default 50) and the `cursor` a previous page returned. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ example: 50 }),
  cursor: z.string().max(200).optional().openapi({ description: "nextCursor of the previous page" }),
});

/** The transaction a relayed write was mined in. */
export const TransactionSchema = z
  .object({
    txHash: z.string().openapi({ example: `0x${"12".repeat(32)}` }),
    blockNumber: z.number().int(),
  })
  .openapi("Transaction");

export const OkSchema = z.object({ ok: z.literal(true) }).openapi("Ok");
