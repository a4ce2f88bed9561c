// The mirror's behaviour on PostgreSQL: a throwaway cluster (test/helpers/postgres.ts), or
// HEALTH_CHAIN_TEST_PG_URL. Fails when PostgreSQL is missing; never skipped.
// The process runs in the district's time zone (UTC+8), not UTC: a date read in local time instead of
// UTC, as node-postgres's default parser does, shows as an 8-hour difference from Prisma's rows.
import { mirrorSuite } from "./helpers/suite.ts";

process.env.TZ = "Asia/Shanghai";
mirrorSuite("postgresql");
