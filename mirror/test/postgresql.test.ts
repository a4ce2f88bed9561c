// The mirror's behaviour on PostgreSQL: a throwaway cluster (test/helpers/postgres.ts), or
// HEALTH_CHAIN_TEST_PG_URL. Fails when PostgreSQL is missing; never skipped.
import { mirrorSuite } from "./helpers/suite.ts";

mirrorSuite("postgresql");
