// Which database a connection string names: `file:` → SQLite, `postgres://` / `postgresql://` →
// PostgreSQL. One place decides it for the mirror and the gateway.
import { platformError } from "../../../sdk/src/index.ts";

export type DatabaseProvider = "sqlite" | "postgresql";

export function providerOf(url: string): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgresql";
  throw platformError("INVALID_INPUT", {
    message: `Database URL "${redactUrl(url)}" is neither file: (SQLite) nor postgres:// / postgresql:// (PostgreSQL).`,
    messageZh: `数据库地址 "${redactUrl(url)}" 既不是 file:（SQLite），也不是 postgres:// / postgresql://（PostgreSQL）。`,
    details: { url: redactUrl(url) },
  });
}

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
