// EMPI matching without a database: normalisation, field comparison levels, Fellegi–Sunter weights
// and the link / review / new decision.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import {
  compareBirthDate, compareName, comparePerson, decideMatch, DEFAULT_MATCH_PROBABILITIES, DEFAULT_MATCH_THRESHOLDS, editDistance,
  normalizeIdNumber, normalizePhone, normalizeRegistration, pairwiseQuality, registrationProblems, resolveEmpiOptions, weightsOf,
  type EmpiRegistration,
} from "../src/empi/index.ts";
import { identityOfRegistration, type MatchIdentity } from "../src/empi/identity.ts";
import { checkIdNumber, makeIdNumber } from "../src/synthetic/id-number.ts";

const weights = weightsOf(DEFAULT_MATCH_PROBABILITIES);
const context = { weights, thresholds: DEFAULT_MATCH_THRESHOLDS, maxReviews: 3, phoneIsShared: false };
const ID = makeIdNumber("310115", "1980-05-17", "male", 123);

const registration = (overrides: Partial<EmpiRegistration> = {}): EmpiRegistration => ({
  institution: "PD-CHC-01", patientId: "S0001", name: "张伟", sex: "male", birthDate: "1980-05-17", idNumber: ID, phone: "13912345678", address: null,
  ...overrides,
});

const identity = (personId: string, overrides: Partial<EmpiRegistration> = {}): MatchIdentity => {
  const r = registration(overrides);
  return identityOfRegistration(normalizeRegistration(r), r.name, personId, "new", null);
};

const candidates = (...entries: [string, MatchIdentity[]][]) => new Map(entries);

describe("normalisation", () => {
  it("upgrades a 15-digit first-generation ID number to its valid 18-character form", () => {
    const upgraded = normalizeIdNumber("310115800517123");
    assert.equal(upgraded.length, 18);
    assert.equal(upgraded.slice(0, 17), "31011519800517123");
    assert.equal(checkIdNumber(upgraded).valid, true);
    assert.equal(normalizeIdNumber(` ${ID.slice(0, 17)}x `.replace(/x/, ID[17]!.toLowerCase())), ID);
  });

  it("reads full-width digits, spaces and the +86 country code out of phones", () => {
    assert.equal(normalizePhone("+86 139-1234-5678"), "13912345678");
    assert.equal(normalizePhone("１３９１２３４５６７８"), "13912345678");
    assert.equal(normalizePhone("021-5888 1234"), "02158881234");
  });

  it("keeps an ID number with a wrong check character but gives it no key, and checks it against sex and birth date", () => {
    const bad = normalizeRegistration(registration({ idNumber: ID.slice(0, 17) + (ID[17] === "1" ? "2" : "1") }));
    assert.equal(bad.idKey, null);
    assert.equal(bad.idNumber?.length, 18);
    assert.equal(normalizeRegistration(registration()).idConsistent, true);
    assert.equal(normalizeRegistration(registration({ sex: "female" })).idConsistent, false);
    assert.equal(normalizeRegistration(registration({ birthDate: "1980-05-18" })).idConsistent, false);
    assert.equal(normalizeRegistration(registration({ sex: "男" })).sex, "male");
    assert.equal(normalizeRegistration(registration({ sex: "2" })).sex, "female");
  });

  it("names the problems of a bad registration in English and Chinese", () => {
    const problems = registrationProblems(registration({ name: "  ", birthDate: "1980-02-30", sex: "x" }), "2025-01-01");
    assert.deepEqual(problems.map((p) => p.field), ["name", "sex", "birthDate"]);
    assert.ok(problems.every((p) => p.problem.length > 0 && /[\u4e00-\u9fff]/.test(p.problemZh)));
    assert.deepEqual(registrationProblems(registration({ birthDate: "2030-01-01" }), "2025-01-01").map((p) => p.field), ["birthDate"]);
    assert.deepEqual(registrationProblems(registration(), "2025-01-01"), []);
  });
});

describe("field comparison", () => {
  it("names: exact, close (same surname, one character off), otherwise disagree", () => {
    assert.equal(compareName("张伟", "张伟"), "exact");
    assert.equal(compareName("张建华", "张健华"), "close");
    assert.equal(compareName("张建华", "张建"), "close");
    assert.equal(compareName("张建华", "章建华"), "disagree", "a different surname is not a slip of the given name");
    assert.equal(compareName("张建华", "张国平"), "disagree");
    assert.equal(editDistance([..."欧阳娜娜"], [..."欧阳娜"], 1), 1);
  });

  it("birth dates: one digit off or day and month swapped are close", () => {
    assert.equal(compareBirthDate("1980-05-17", "1980-05-17"), "exact");
    assert.equal(compareBirthDate("1980-05-17", "1980-05-18"), "close");
    assert.equal(compareBirthDate("1980-05-07", "1980-07-05"), "close");
    assert.equal(compareBirthDate("1980-05-17", "1981-06-17"), "disagree");
  });
});

describe("weights and decisions", () => {
  it("weights are log2(m/u): agreement positive, disagreement negative, missing zero", () => {
    assert.ok(Math.abs(weights.name.exact - Math.log2(0.92 / 1e-4)) < 1e-9);
    for (const field of Object.keys(weights) as (keyof typeof weights)[]) {
      assert.ok(weights[field].exact > 0 && weights[field].disagree < 0 && weights[field].missing === 0, field);
    }
    assert.ok(weights.name.close > 0 && weights.name.close < weights.name.exact);
  });

  it("a valid, consistent ID number held by a candidate links deterministically, whatever the name", () => {
    const decision = decideMatch(normalizeRegistration(registration({ name: "张大伟", phone: null })), candidates(["P1", [identity("P1")]]), context);
    assert.equal(decision.kind, "link");
    assert.equal(decision.kind === "link" && decision.method, "deterministic");
  });

  it("the same ID number with a contradicting sex is not linked: a new person and a flagged review", () => {
    const decision = decideMatch(normalizeRegistration(registration({ sex: "female" })), candidates(["P1", [identity("P1")]]), context);
    assert.equal(decision.kind, "new");
    assert.equal(decision.reviews[0]?.personId, "P1");
    assert.ok(decision.reviews[0]?.flags.includes("id-contradiction"));
  });

  it("without an ID number, a homophone slip in the name still links on birth date, sex and phone", () => {
    const decision = decideMatch(normalizeRegistration(registration({ name: "张炜", idNumber: null })), candidates(["P1", [identity("P1")]]), context);
    assert.equal(decision.kind, "link");
    assert.equal(decision.kind === "link" && decision.method, "probabilistic");
    assert.ok(decision.kind === "link" && decision.comparison.score >= DEFAULT_MATCH_THRESHOLDS.link);
  });

  it("name, birth date and sex alone are the grey zone: a new person and a review", () => {
    const decision = decideMatch(normalizeRegistration(registration({ idNumber: null, phone: null })), candidates(["P1", [identity("P1")]]), context);
    assert.equal(decision.kind, "new");
    assert.equal(decision.reviews.length, 1);
    const score = decision.kind === "new" ? decision.best!.score : 0;
    assert.ok(score >= DEFAULT_MATCH_THRESHOLDS.review && score < DEFAULT_MATCH_THRESHOLDS.link, String(score));
  });

  it("two different valid ID numbers never link automatically, however much else agrees", () => {
    const other = makeIdNumber("310115", "1980-05-17", "male", 555);
    const decision = decideMatch(normalizeRegistration(registration({ idNumber: other })), candidates(["P1", [identity("P1")]]), context);
    assert.equal(decision.kind, "new");
    assert.ok(decision.reviews[0]?.flags.includes("id-disagree"));
  });

  it("a person is compared as a whole: another identity's ID number counts as a disagreement", () => {
    const noId = identity("P1", { idNumber: null, patientId: "S2" });
    const withId = identity("P1", { patientId: "S3" });
    const other = makeIdNumber("310115", "1980-05-17", "male", 777);
    const comparison = comparePerson(normalizeRegistration(registration({ idNumber: other })), "P1", [noId, withId], context);
    assert.equal(comparison.fields.idNumber.level, "disagree");
    assert.equal(comparison.fields.name.level, "exact");
  });

  it("a phone shared by many persons is no evidence", () => {
    const r = normalizeRegistration(registration({ idNumber: null, name: "李娜", birthDate: "1990-01-01", sex: "female" }));
    const c = comparePerson(r, "P9", [identity("P9", { idNumber: null, name: "王芳", birthDate: "1970-03-03", sex: "female" })], { ...context, phoneIsShared: true });
    assert.equal(c.fields.phone.level, "missing");
    assert.ok(c.flags.includes("shared-phone"));
  });
});

describe("configuration and evaluation", () => {
  it("refuses thresholds in the wrong order and m values that do not sum to one, in both languages", () => {
    for (const bad of [{ thresholds: { link: 10, review: 20 } }, { probabilities: { sex: { exact: { m: 0.5 } } } }, { cacheSize: -1 }]) {
      assert.throws(() => resolveEmpiOptions(bad), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /[\u4e00-\u9fff]/.test(error.messageZh));
    }
  });

  it("pairwise precision and recall count pairs from cluster sizes", () => {
    // Truth: {a1, a2, a3} {b1}; linked: {a1, a2} {a3, b1}.
    const quality = pairwiseQuality([
      { personId: "X", truePersonId: "A" }, { personId: "X", truePersonId: "A" }, { personId: "Y", truePersonId: "A" }, { personId: "Y", truePersonId: "B" },
    ]);
    assert.deepEqual([quality.linkedPairs, quality.truePairs, quality.correctPairs], [2, 3, 1]);
    assert.equal(quality.precision, 0.5);
    assert.equal(quality.recall, 1 / 3);
  });
});
