// The mirror's behaviour on SQLite (the default database).
import { mirrorSuite } from "./helpers/suite.ts";

mirrorSuite("sqlite");
