import assert from "node:assert/strict";
import { test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import {
  CodeMapper, DEFAULT_SYNTHETIC_OPTIONS, DecisionLog, ReviewQueue, districtInstitutions, diceCoefficient, normalizeName, standardLabDictionary,
} from "../src/index.ts";

const dictionary = standardLabDictionary();

test("normalisation: full-width, case, spaces, punctuation and bracket variants", () => {
  assert.equal(normalizeName("葡萄糖（空腹）"), normalizeName("葡萄糖 [空腹]"));
  assert.equal(normalizeName("ＨｂＡ１ｃ"), "hba1c");
  assert.equal(normalizeName("LDL-C"), "ldlc");
  assert.equal(diceCoefficient("空腹葡萄糖", "葡萄糖空腹"), 0.75);
});

test("every local lab entry of all 25 institutions maps to the generator's LOINC (auto or review)", () => {
  for (const seed of [DEFAULT_SYNTHETIC_OPTIONS.seed, 7]) {
    const mapper = new CodeMapper(dictionary);
    const institutions = districtInstitutions(seed);
    assert.equal(institutions.length, 25);
    let total = 0;
    let auto = 0;
    const wrong: string[] = [];
    for (const institution of institutions) {
      for (const entry of institution.labDictionary) {
        total++;
        const proposal = mapper.propose({ institution: institution.code, localCode: entry.localCode, localName: entry.localName, localUnit: entry.unit });
        assert.notEqual(proposal.status, "unmapped", `${entry.localName} ${entry.unit}`);
        if (proposal.status === "auto") {
          auto++;
          if (proposal.code !== entry.loinc) wrong.push(`${institution.code} ${entry.localName}`);
        } else if (proposal.candidates[0]?.code !== entry.loinc) {
          wrong.push(`${institution.code} ${entry.localName} (review)`);
        }
      }
    }
    assert.deepEqual(wrong, []);
    console.log(`seed ${seed}: ${auto}/${total} auto-accepted (${((100 * auto) / total).toFixed(1)}%), the rest to review with the right top candidate, 0 wrong`);
    assert.ok(auto / total > 0.4);
  }
});

test("exact, synonym and fuzzy methods; the unit decides between LOINC codes of one test", () => {
  const mapper = new CodeMapper(dictionary);
  const at = (localName: string, localUnit: string) => mapper.propose({ institution: "X", localCode: "1", localName, localUnit });
  const exact = at("糖化血红蛋白", "%");
  assert.deepEqual([exact.status, exact.code, exact.method, exact.score], ["auto", "4548-4", "exact", 1]);
  const synonym = at("ＧＨｂ", "mmol/mol");
  assert.deepEqual([synonym.status, synonym.code, synonym.method], ["auto", "59261-8", "synonym"]);
  assert.equal(at("FPG", "mmol/L").code, "14771-0");
  assert.equal(at("空腹血糖", "mg/dL").code, "1558-6");
  const fuzzy = at("血清总胆固醇", "mmol/L");
  assert.deepEqual([fuzzy.status, fuzzy.method, fuzzy.candidates[0]?.code], ["review", "fuzzy", "14647-2"]);
  assert.ok(fuzzy.candidates.length > 1 && fuzzy.reason?.zh);
  // An incompatible unit is a penalty: not auto-accepted.
  const badUnit = at("钾", "mg/L");
  assert.equal(badUnit.status, "review");
  assert.equal(badUnit.candidates[0]?.unitCompatible, false);
  // No unit: both glucose codes tie, so it is ambiguous.
  const noUnit = at("空腹血糖", "");
  assert.equal(noUnit.status, "review");
  assert.match(noUnit.reason!.en, /Ambiguous/);
  const none = at("乙肝表面抗原", "IU/mL");
  assert.equal(none.status, "unmapped");
  assert.ok(none.reason!.en && none.reason!.zh);
});

test("thresholds are configurable and respected", () => {
  const local = { institution: "X", localCode: "1", localName: "血清总胆固醇", localUnit: "mmol/L" };
  const score = new CodeMapper(dictionary).propose(local).score;
  assert.equal(new CodeMapper(dictionary, { thresholds: { autoAccept: score } }).propose(local).status, "auto");
  assert.equal(new CodeMapper(dictionary, { thresholds: { autoAccept: score + 0.01 } }).propose(local).status, "review");
  assert.equal(new CodeMapper(dictionary, { thresholds: { review: score + 0.01 } }).propose(local).status, "unmapped");
  assert.equal(new CodeMapper(dictionary, { thresholds: { review: score } }).propose(local).status, "review");
  assert.equal(new CodeMapper(dictionary, { thresholds: { maxCandidates: 1 } }).propose(local).candidates.length, 1);
  assert.throws(() => new CodeMapper(dictionary, { thresholds: { review: 0.95, autoAccept: 0.9 } }), (e) => isPlatformError(e, "INVALID_INPUT"));
});

test("review queue: accept a candidate or a chosen code, reject; confirmed decisions win next time, with history", () => {
  const decisions = new DecisionLog();
  const mapper = new CodeMapper(dictionary, { decisions });
  const queue = new ReviewQueue(mapper);
  const a = queue.submit(mapper.propose({ institution: "H1", localCode: "A", localName: "血肌酐", localUnit: "µmol/L" }))!;
  const b = queue.submit(mapper.propose({ institution: "H1", localCode: "B", localName: "血红蛋白浓度", localUnit: "g/L" }))!;
  const c = queue.submit(mapper.propose({ institution: "H1", localCode: "C", localName: "钾离子", localUnit: "mmol/L" }))!;
  assert.equal(queue.submit(mapper.propose({ institution: "H1", localCode: "D", localName: "肌酐", localUnit: "µmol/L" })), null);
  assert.equal(queue.submit(a.proposal), a);
  assert.deepEqual(queue.pending().map((item) => item.id), [a.id, b.id, c.id]);

  const first = queue.accept(a.id, { reviewer: "dr.li", at: "2024-03-05T10:00:00+08:00" });
  assert.deepEqual([first.code, first.action, first.version, first.reviewer], ["14682-9", "accept-candidate", 1, "dr.li"]);
  queue.accept(b.id, { reviewer: "dr.wang", at: "2024-03-05T10:01:00+08:00", code: "718-7", note: "血红蛋白" });
  queue.reject(c.id, { reviewer: "dr.li", at: "2024-03-05T10:02:00+08:00", note: "本院为尿钾" });
  assert.equal(queue.pending().length, 0);
  assert.equal(queue.get(c.id)!.status, "rejected");

  const again = mapper.propose({ institution: "H1", localCode: "A", localName: "血肌酐", localUnit: "µmol/L" });
  assert.deepEqual([again.status, again.code, again.method, again.decisionVersion], ["confirmed", "14682-9", "confirmed", 1]);
  const rejected = mapper.propose({ institution: "H1", localCode: "C", localName: "钾离子", localUnit: "mmol/L" });
  assert.deepEqual([rejected.status, rejected.code], ["unmapped", null]);
  assert.match(rejected.reason!.zh, /尿钾/);
  // Another institution with the same local code is not affected.
  assert.equal(mapper.propose({ institution: "H2", localCode: "A", localName: "血肌酐", localUnit: "µmol/L" }).status, "review");

  // A second decision on the same key supersedes the first; both stay in the log.
  const redo = queue.submit({ ...again, status: "review" })!;
  const second = queue.accept(redo.id, { reviewer: "dr.zhao", at: "2024-03-06T09:00:00+08:00", code: "2160-0" });
  assert.deepEqual([second.version, second.supersedes], [2, first.sequence]);
  assert.deepEqual(decisions.history("H1", "A").map((d) => [d.code, d.reviewer, d.decidedAt]), [
    ["14682-9", "dr.li", "2024-03-05T10:00:00+08:00"],
    ["2160-0", "dr.zhao", "2024-03-06T09:00:00+08:00"],
  ]);
  assert.equal(mapper.propose({ institution: "H1", localCode: "A", localName: "血肌酐", localUnit: "µmol/L" }).code, "2160-0");
  assert.equal(decisions.all().length, 4);
  assert.ok(decisions.all().every((d) => d.dictionaryVersion === dictionary.version));
});

test("bad input gives typed errors with Chinese and English messages", () => {
  const mapper = new CodeMapper(dictionary, { decisions: new DecisionLog() });
  const queue = new ReviewQueue(mapper);
  const bilingual = (code: string) => (e: unknown) => isPlatformError(e) && e.code === code && e.message.length > 0 && e.messageZh.length > 0;
  assert.throws(() => mapper.propose({ institution: "H1", localCode: "A", localName: "  " }), bilingual("INVALID_INPUT"));
  assert.throws(() => mapper.propose({ institution: "", localCode: "A", localName: "肌酐" }), bilingual("INVALID_INPUT"));
  assert.throws(() => mapper.propose({ institution: "H1", localCode: "A", localName: "（）-" }), bilingual("INVALID_INPUT"));
  const item = queue.submit(mapper.propose({ institution: "H1", localCode: "A", localName: "血肌酐", localUnit: "µmol/L" }))!;
  assert.throws(() => queue.accept(item.id, { reviewer: "dr.li", code: "9999-9" }), bilingual("NOT_FOUND"));
  assert.throws(() => queue.accept(item.id, { reviewer: "" }), bilingual("INVALID_INPUT"));
  assert.throws(() => queue.accept(item.id, { reviewer: "dr.li", candidate: 99 }), bilingual("INVALID_INPUT"));
  assert.throws(() => queue.accept("R999999", { reviewer: "dr.li" }), bilingual("NOT_FOUND"));
  queue.reject(item.id, { reviewer: "dr.li" });
  assert.throws(() => queue.accept(item.id, { reviewer: "dr.li" }), bilingual("CONFLICT"));
  assert.throws(() => new ReviewQueue(new CodeMapper(dictionary)), bilingual("INVALID_INPUT"));
  assert.throws(() => new CodeMapper({ ...dictionary, entries: [...dictionary.entries, dictionary.entries[0]!] }), bilingual("INVALID_INPUT"));
});
