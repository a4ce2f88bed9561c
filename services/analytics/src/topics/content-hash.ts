// The content hash of an institution's topic file: SM3 over its rows in a canonical order (each
// table sorted by all its columns, each row as RFC 8785 canonical JSON), so the same data gives the
// same hash however and whenever it was built. Rows are hashed in fixed blocks and the block digests
// fingerprinted, which keeps memory flat for any table size.
import type { DuckDBConnection } from "@duckdb/node-api";
import { canonicalize, fingerprint, sm3Hex } from "@health-chain/sdk";
import type { Hex } from "viem";
import { TOPIC_TABLES, type TopicTable } from "./tables.ts";

const BLOCK_ROWS = 4096;
const CONTENT_DOMAIN = "health-chain/analytics/topic-content/v1";

function blockDigest(lines: readonly string[]): Hex {
  return sm3Hex(new TextEncoder().encode(lines.join("\n")));
}

async function tableDigests(connection: DuckDBConnection, schema: string, table: TopicTable): Promise<{ rows: number; blocks: Hex[] }> {
  const result = await connection.stream(`SELECT * FROM ${schema}.${table} ORDER BY ALL`);
  const blocks: Hex[] = [];
  let lines: string[] = [];
  let rows = 0;
  for await (const chunk of result.yieldRowsJson()) {
    for (const row of chunk) {
      lines.push(canonicalize(row));
      rows++;
      if (lines.length === BLOCK_ROWS) {
        blocks.push(blockDigest(lines));
        lines = [];
      }
    }
  }
  if (lines.length > 0) blocks.push(blockDigest(lines));
  return { rows, blocks };
}

/** Rows per table and the content hash of a topic file attached as `schema`. */
export async function hashTopicContent(connection: DuckDBConnection, schema: string): Promise<{ rows: Record<TopicTable, number>; contentHash: Hex }> {
  const rows = {} as Record<TopicTable, number>;
  const digests: Record<string, Hex[]> = {};
  for (const table of TOPIC_TABLES) {
    const digest = await tableDigests(connection, schema, table);
    rows[table] = digest.rows;
    digests[table] = digest.blocks;
  }
  return { rows, contentHash: fingerprint({ domain: CONTENT_DOMAIN, rows, blocks: digests }) };
}
