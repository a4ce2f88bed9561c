// The types the gateway takes from its sibling packages, in one place.
export type { InstitutionStore } from "@health-chain/store";
export type { MirrorQueries } from "../../mirror/src/queries.ts";
