// A small seeded PRNG (mulberry32): the same seed gives the same sequence, uniform in [0, 1).
// chain-node's tests and the benchmarks' load schedules use the synthetic data generator's
// (services/his), so there is one implementation.
export { mulberry32 as prng } from "../../services/his/src/synthetic/random.ts";
