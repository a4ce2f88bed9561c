// Database plumbing shared by the mirror and the gateway (docs/MIRROR.md, "Databases").
export { openDatabase, type Database, type OpenDatabaseOptions, type PrismaClientClass } from "./open.ts";
export { migrateDatabase, readMigrations, sqliteFilePath, type Migration } from "./migrate.ts";
export { asBool, asBoolOrNull, asDate, asDateOrNull, numberedPlaceholders, openSqlReader, placeholders, type SqlReader, type SqlValue } from "./reader.ts";
export { createSqliteClient, enableWal, SqliteAdapter } from "./sqlite.ts";
export { providerOf, redactUrl, type DatabaseProvider } from "./url.ts";
export { serialiseSqliteWrites } from "./serialise.ts";
