// Speed of standard-model mapping: 50,000 synthetic source items mapped to standard records and
// tallied for the quality report. The pipeline needs >= 2,000 records/s end to end, so mapping,
// one of its stages, should sustain >= 30,000 records/s.
import os from "node:os";
import type { SourceItem } from "../src/adapters/types.ts";
import { CodeMapper, DecisionLog, districtInstitutions, standardLabDictionary, syntheticRecords } from "../src/index.ts";
import { compileRules, createQualityTally, itemOfSynthetic, loadMappingRules, loadStandard, mapToStandard } from "../src/model/index.ts";

const TARGET = 50_000;
const options = { seed: 20240101, residents: 100_000, eventsPerResident: 4 };

const items: SourceItem[] = [];
for (const record of syntheticRecords(options)) {
  items.push(itemOfSynthetic(record));
  if (items.length === TARGET) break;
}

let started = process.hrtime.bigint();
const standard = loadStandard();
const rules = compileRules(standard, loadMappingRules("sql"));
const setupMs = Number(process.hrtime.bigint() - started) / 1e6;

/** A mapper whose reviewers have decided every local lab code of the district (the steady state). */
function reviewedMapper(): CodeMapper {
  const dictionary = standardLabDictionary();
  const decisions = new DecisionLog();
  for (const institution of districtInstitutions(options.seed)) {
    for (const entry of institution.labDictionary) {
      decisions.record({
        institution: institution.code, localCode: entry.localCode, code: entry.loinc, action: "accept-code", reviewer: "bench",
        decidedAt: "2024-01-01T00:00:00+08:00", note: "", proposedCode: null, proposedScore: 0, dictionaryVersion: dictionary.version,
      });
    }
  }
  return new CodeMapper(dictionary, { decisions });
}

function pass(label: string, codeMapper: CodeMapper, withTally: boolean) {
  const tally = createQualityTally({ rules });
  let accepted = 0;
  started = process.hrtime.bigint();
  for (const item of items) {
    const result = mapToStandard(item, { standard, rules, codeMapper });
    if (result.ok) accepted++;
    if (withTally) tally.add(result, item);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (withTally) tally.report();
  console.log(`  ${label}: ${Math.round(items.length / seconds).toLocaleString("en-US")} records/s (${(seconds * 1000).toFixed(0)} ms; ${accepted} accepted, ${items.length - accepted} to quarantine)`);
}

console.log(`standard-model mapping: ${items.length} synthetic items (all seven kinds), rules "sql"; standard loaded and rules compiled in ${setupMs.toFixed(0)} ms`);
const reviewed = reviewedMapper();
pass("first pass, every local code reviewed, cold dictionary cache", reviewed, false);
pass("second pass, warm cache", reviewed, false);
pass("second pass + quality tally", reviewed, true);
pass("fresh mapper, no reviews (codes under review go to quarantine)", new CodeMapper(standardLabDictionary(), { decisions: new DecisionLog() }), true);
console.log(`  seed ${options.seed}, eventsPerResident ${options.eventsPerResident}, default dirt rates; node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}`);
