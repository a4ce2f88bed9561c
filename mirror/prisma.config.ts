// Prisma CLI configuration for scripts/prisma.ts (the only caller): the JavaScript schema engine,
// which works offline (the classic engine downloads a binary at start-up). Generation and
// `migrate diff` between two schema files never connect; the in-memory SQLite adapter is only
// there because the "js" engine requires one.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaLibSQL({ url: ":memory:" }),
});
