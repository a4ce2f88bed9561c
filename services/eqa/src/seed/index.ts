// The demonstration data of `eqa seed` / `npm start`: plans, labs, rounds and results.
export { CHEMISTRY_LABS, DEMO_LABS, DEV_INSTITUTIONS, demoEntries, demoPlans, demoSamples, ENTRY_LAB, FAILING_LAB, NON_PARTICIPATING_LAB, ROUND2_DRAFT, ROUND2_SUBMITTED, SPECIAL_LABS, type DemoPlan } from "./demo-data.ts";
export { clinicalChemistryAnalytes, specialSchemesAnalytes } from "./plans.ts";
export { mulberry32, normalFrom, seedOf } from "./prng.ts";
export { seedDemo, type SeedDemoOptions, type SeedDemoSummary, type SeededRound } from "./seed-demo.ts";
