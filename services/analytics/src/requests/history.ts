// A sponsor's search history: their requests with every run (protected results only), re-runnable.
import type { RequestStore } from "./store.ts";
import type { ScreeningRequest } from "./types.ts";

/** The sponsor's requests in submission order, each with its review and runs. */
export async function sponsorHistory(store: RequestStore, sponsor: string): Promise<ScreeningRequest[]> {
  return store.list({ sponsor });
}
