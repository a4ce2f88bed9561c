// Dictionary code mapping (智能字典对码, issue 6): standard dictionaries, the mapper, the review queue.
export * from "./dictionary.ts";
export * from "./mapper.ts";
export * from "./normalize.ts";
export * from "./review.ts";
