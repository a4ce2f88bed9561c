// The seeded synthetic district dataset (issue 6): institutions, residents and their records, with dirt.
export * from "./catalog.ts";
export * from "./district.ts";
export * from "./generate.ts";
export * from "./id-number.ts";
export * from "./options.ts";
export * from "./records.ts";
export { chineseName, nameWithTypo } from "./names.ts";
export { mulberry32, deriveSeed } from "./random.ts";
