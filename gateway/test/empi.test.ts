// /v1/empi against a real collection-service database (services/his, temporary SQLite) filled by
// the service's own EMPI (createEmpi linking synthetic registrations) and records written as the
// pipeline writes them: the review queue, merge → unmerge round trip, moving an identity, the
// three-level view with residentRef, history, masking for auditors, RBAC, audit rows, typed errors.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HisDb } from "../../services/his/src/db.ts";
import { createEmpi, type Empi, type EmpiRegistration } from "../../services/his/src/empi/index.ts";
import { makeIdNumber } from "../../services/his/src/synthetic/id-number.ts";
import { maskPersonal } from "../src/routes/empi.ts";
import { body, startTestGateway, type TestGateway } from "./helpers.ts";

type Identity = { identityId: number; institution: string; patientId: string; personId: string; name: string; idNumber: string | null; phone: string | null; address: string | null; viaPersonId?: string | null };
type RecordView = { recordId: string; model: string; residentRef: string | null; personId: string; content: Record<string, unknown> };
type PersonView = {
  personId: string;
  requestedId: string;
  mergedPersonIds: string[];
  residentRefs: string[];
  masked: boolean;
  identities: Identity[];
  encounters: (RecordView & { documents: RecordView[] })[];
  unattached: RecordView[];
};
type Review = {
  id: number;
  status: string;
  score: number;
  comparison: { fields: Record<string, { level: string; weight: number }>; flags: string[] };
  identity: Identity;
  candidate: { personId: string; identities: Identity[]; identityCount: number };
};
type ErrorBody = { code: string; message: string; messageZh: string; details: Record<string, unknown> };

type Person = Omit<EmpiRegistration, "institution" | "patientId">;
const person = (name: string, sex: "male" | "female", birthDate: string, sequence: number, phone: string | null, address: string | null = null): Person => ({
  name, sex, birthDate, idNumber: makeIdNumber("310115", birthDate, sex, sequence), phone, address,
});
const reg = (institution: string, patientId: string, p: Person, overrides: Partial<EmpiRegistration> = {}): EmpiRegistration => ({ institution, patientId, ...p, ...overrides });

const ZHANG = person("张三", "male", "1968-04-12", 21, "13812345678", "上海市浦东新区张江镇科苑路88弄6号");
const LI = person("李四", "male", "1975-08-30", 33, "13987654321");
const SUN = person("孙丽", "female", "1985-09-09", 12, "13611112222");
const REF_A = `0x${"a1".repeat(32)}`;
const REF_OLD = `0x${"b2".repeat(32)}`;

describe("the master patient index through the gateway", () => {
  let gw: TestGateway;
  let his: HisDb;
  let dir: string;
  let empi: Empi;
  let admin: string;
  let auditor: string;
  let doctor: string;
  let zhangId: string;
  let liId: string;
  let sunA: string;
  let sunB: string;
  let n = 0;

  /** Who holds which identity, and each person's status: what a merge and its unmerge must round-trip. */
  async function snapshot() {
    const identities = await his.empiIdentity.findMany({ select: { institution: true, patientId: true, personId: true }, orderBy: { id: "asc" } });
    const persons = await his.empiPerson.findMany({ select: { id: true, status: true, mergedInto: true }, orderBy: { id: "asc" } });
    return { identities: identities.map((i) => `${i.institution}/${i.patientId}→${i.personId}`), persons: persons.map((p) => `${p.id}:${p.status}:${p.mergedInto}`) };
  }

  /** A record as the pipeline stores it; an encounter's documents name its sourceKey as their encounterKey. */
  const record = (n: number, model: string, personId: string, residentRef: string, content: Record<string, unknown>, fields: Record<string, string>, sourceKey = `${model}-${n}`) =>
    his.collectedRecord.create({
      data: {
        recordId: `0x${n.toString(16).padStart(64, "0")}`,
        institution: "PD-SH-01",
        model,
        modelVersion: 1,
        sourceKey,
        personId,
        residentRef,
        category: model,
        contentHash: `0x${"cd".repeat(32)}`,
        contentJson: JSON.stringify(content),
        fieldsJson: JSON.stringify(fields),
        sourceTime: new Date(Date.UTC(2026, 2, n)),
      },
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gateway-empi-"));
    gw = await startTestGateway({ configure: (file) => void (file.his = { databaseUrl: `file:${join(dir, "his.db")}` }) });
    his = gw.deps.his as HisDb;
    empi = createEmpi(his, { newPersonId: () => `R${String(++n).padStart(4, "0")}` });
    admin = (await gw.signInStaff("hospital-admin")).token;
    auditor = (await gw.signInStaff("platform-auditor")).token;
    doctor = (await gw.signInStaff("hospital-doctor")).token;

    // 张三 at two institutions with one ID number: one person. 李四 alone.
    const linked = await empi.linkMany([reg("PD-SH-01", "Z1", ZHANG), reg("PD-CHC-01", "Z2", ZHANG), reg("PD-SH-01", "L1", LI)], "collector:test");
    zhangId = linked[0]!.personId;
    liId = linked[2]!.personId;
    assert.equal(linked[1]!.personId, zhangId);
    // 孙丽 twice with her ID number, then without it and with another phone: a grey-zone pair, two persons.
    sunA = (await empi.linkMany([reg("PD-CHC-01", "S1", SUN), reg("PD-TH-01", "S2", SUN)], "collector:test"))[0]!.personId;
    const grey = await empi.linkMany([reg("PD-CHC-02", "S3", SUN, { idNumber: null, phone: "13799998888" })], "collector:test");
    sunB = grey[0]!.personId;
    assert.notEqual(sunA, sunB);
    assert.ok(grey[0]!.reviewId, "the grey-zone registration opened a review");

    // 张三's records: a registration, an encounter and a lab result of that encounter.
    await record(1, "patient", zhangId, REF_A, { institutionCode: "PD-SH-01", patientId: "Z1", name: "张三", idNumber: ZHANG.idNumber, phone: ZHANG.phone, address: ZHANG.address, sex: "male" }, {
      institutionCode: "record.source", patientId: "record.source", name: "identity.name", idNumber: "identity.id-number", phone: "contact.phone", address: "home-address", sex: "demographics",
    });
    await record(2, "encounter", zhangId, REF_A, { type: "outpatient" }, { type: "encounter" }, "E1");
    await record(3, "lab-result", zhangId, REF_A, { encounterKey: "E1", testCode: "14771-0", value: 5.2 }, { value: "lab.result.value" });
    // 李四's record, collected while he had another residentRef (before a re-derivation).
    await record(4, "patient", liId, REF_OLD, { name: "李四" }, { name: "identity.name" });
  });

  after(async () => {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists open review pairs with the field-by-field comparison, personal details in full for admins, and audits the read", async () => {
    const res = await gw.call("GET", "/v1/empi/reviews", { token: admin });
    assert.equal(res.status, 200);
    const page = await body<{ items: Review[]; nextCursor?: string }>(res);
    const pair = page.items.find((r) => r.identity.patientId === "S3");
    assert.ok(pair, "the grey-zone pair is listed");
    assert.equal(pair.status, "open");
    assert.equal(pair.candidate.personId, sunA);
    assert.equal(pair.identity.personId, sunB);
    assert.deepEqual(Object.keys(pair.comparison.fields).sort(), ["birthDate", "idNumber", "name", "phone", "sex"]);
    assert.equal(pair.comparison.fields.name!.level, "exact");
    assert.equal(pair.comparison.fields.phone!.level, "disagree");
    assert.equal(pair.identity.name, "孙丽");
    assert.equal(pair.identity.phone, "13799998888");
    assert.deepEqual(pair.candidate.identities.map((i) => i.patientId).sort(), ["S1", "S2"]);
    assert.equal(pair.candidate.identityCount, 2);
    assert.equal(pair.candidate.identities[0]!.idNumber, SUN.idNumber);
    const audit = await gw.deps.db.auditLog.findFirst({ where: { action: "empi.reviews.read", subject: "hospital-admin" }, orderBy: { id: "desc" } });
    assert.ok(audit);
    assert.deepEqual((JSON.parse(audit.detailsJson ?? "{}") as { reviewIds: number[] }).reviewIds, page.items.map((r) => r.id));
  });

  it("pages the review queue by cursor", async () => {
    const open = await his.empiReview.count({ where: { status: "open" } });
    assert.ok(open >= 1);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await body<{ items: Review[]; nextCursor?: string }>(await gw.call("GET", `/v1/empi/reviews?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { token: admin }));
      assert.ok(page.items.length <= 1);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.length, open);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), "oldest first, no repeats");
    assert.equal((await gw.call("GET", "/v1/empi/reviews?limit=0", { token: admin })).status, 400);
  });

  it("shows a resident's identities, encounters and documents with residentRef, in full to an admin, and audits the read", async () => {
    const res = await gw.call("GET", `/v1/empi/persons/${zhangId}`, { token: admin });
    assert.equal(res.status, 200);
    const view = await body<PersonView>(res);
    assert.equal(view.personId, zhangId);
    assert.equal(view.masked, false);
    assert.deepEqual(view.identities.map((i) => `${i.institution}/${i.patientId}`).sort(), ["PD-CHC-01/Z2", "PD-SH-01/Z1"]);
    assert.equal(view.identities[0]!.name, "张三");
    assert.equal(view.identities[0]!.idNumber, ZHANG.idNumber);
    assert.equal(view.identities[0]!.phone, "13812345678");
    assert.equal(view.encounters.length, 1);
    assert.equal(view.encounters[0]!.model, "encounter");
    assert.deepEqual(view.encounters[0]!.documents.map((d) => d.model), ["lab-result"]);
    assert.equal(view.encounters[0]!.documents[0]!.residentRef, REF_A);
    assert.deepEqual(view.unattached.map((r) => r.model), ["patient"]);
    assert.equal(view.unattached[0]!.content.name, "张三");
    assert.deepEqual(view.residentRefs, [REF_A]);
    const audit = await gw.deps.db.auditLog.findFirst({ where: { action: "empi.persons.read", target: zhangId }, orderBy: { id: "desc" } });
    assert.ok(audit);
    assert.equal(audit.subject, "hospital-admin");
    assert.equal(audit.outcome, "success");
  });

  it("masks names, ID numbers, phones and addresses for an auditor — in identities and in record content — and audits the read", async () => {
    const before = await gw.deps.db.auditLog.count({ where: { action: "empi.persons.read", subject: "platform-auditor" } });
    const view = await body<PersonView>(await gw.call("GET", `/v1/empi/persons/${zhangId}`, { token: auditor }));
    assert.equal(view.masked, true);
    const z1 = view.identities.find((i) => i.patientId === "Z1")!;
    assert.equal(z1.name, "张*");
    assert.equal(z1.idNumber, `310115********${ZHANG.idNumber!.slice(-4)}`);
    assert.equal(z1.phone, "138****5678");
    assert.equal(z1.address, "上海市浦东新区");
    const patient = view.unattached[0]!.content;
    assert.equal(patient.name, "张*");
    assert.equal(patient.idNumber, `310115********${ZHANG.idNumber!.slice(-4)}`);
    assert.equal(patient.phone, "138****5678");
    assert.equal(patient.address, "上海市浦东新区");
    assert.equal(patient.sex, "male", "members that are not personal details stay");
    assert.equal(view.encounters[0]!.documents[0]!.content.value, 5.2);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "empi.persons.read", subject: "platform-auditor" } }), before + 1);

    const reviews = await body<{ items: Review[] }>(await gw.call("GET", "/v1/empi/reviews", { token: auditor }));
    const pair = reviews.items.find((r) => r.identity.patientId === "S3")!;
    assert.equal(pair.identity.name, "孙*");
    assert.equal(pair.identity.phone, "137****8888");
    assert.ok(pair.candidate.identities.every((i) => i.idNumber !== null && /^310115\*{8}\d{3}[\dX]$/.test(i.idNumber)));
  });

  it("merges through the API and unmerges back to exactly the state before, answering the changed persons", async () => {
    const start = await snapshot();
    const merged = await gw.call("POST", "/v1/empi/merge", { token: admin, json: { survivorId: zhangId, mergedId: liId, reason: "同一居民，两处建档" } });
    assert.equal(merged.status, 200);
    const m = await body<{ eventId: number; survivorId: string; mergedId: string; movedIdentityIds: number[]; changedPersonIds: string[] }>(merged);
    assert.equal(m.survivorId, zhangId);
    assert.equal(m.mergedId, liId);
    assert.deepEqual(m.changedPersonIds, [liId]);
    const liIdentity = await his.empiIdentity.findFirstOrThrow({ where: { patientId: "L1" } });
    assert.deepEqual(m.movedIdentityIds, [liIdentity.id]);
    assert.equal(liIdentity.personId, zhangId);

    // The merged person's id now answers the survivor, with 李四's identity and records under it.
    const view = await body<PersonView>(await gw.call("GET", `/v1/empi/persons/${liId}`, { token: admin }));
    assert.equal(view.personId, zhangId);
    assert.equal(view.requestedId, liId);
    assert.deepEqual(view.mergedPersonIds, [liId]);
    assert.equal(view.identities.find((i) => i.patientId === "L1")!.viaPersonId, liId);
    assert.deepEqual(view.residentRefs.sort(), [REF_A, REF_OLD].sort(), "records collected under the merged person keep their residentRef until re-derived");

    const unmerged = await gw.call("POST", "/v1/empi/unmerge", { token: admin, json: { mergedId: liId, reason: "误合并" } });
    assert.equal(unmerged.status, 200);
    const u = await body<{ personId: string; survivorId: string; restoredIdentityIds: number[]; keptIdentityIds: number[]; changedPersonIds: string[] }>(unmerged);
    assert.equal(u.personId, liId);
    assert.equal(u.survivorId, zhangId);
    assert.deepEqual(u.restoredIdentityIds, [liIdentity.id]);
    assert.deepEqual(u.keptIdentityIds, []);
    assert.ok(u.changedPersonIds.includes(liId) && u.changedPersonIds.includes(zhangId));
    assert.deepEqual(await snapshot(), start);

    for (const action of ["empi.merge", "empi.unmerge"]) {
      const row = await gw.deps.db.auditLog.findFirst({ where: { action, target: liId, outcome: "success" } });
      assert.ok(row, action);
      assert.equal(row.subject, "hospital-admin");
      assert.ok(row.purpose === "同一居民，两处建档" || row.purpose === "误合并");
    }
    const history = await body<{ events: { kind: string; actor: string; reason: string | null }[] }>(await gw.call("GET", `/v1/empi/persons/${liId}/history`, { token: admin }));
    const kinds = history.events.map((e) => e.kind);
    assert.deepEqual(kinds.filter((k) => k === "merge" || k === "unmerge"), ["merge", "unmerge"]);
    assert.equal(history.events.find((e) => e.kind === "merge")!.actor, "hospital-admin");
  });

  it("refuses bad merges and unmerges with typed bilingual errors, changing nothing, and leaves failure rows", async () => {
    const start = await snapshot();
    const cases: [unknown, number, string][] = [
      [{ survivorId: zhangId, mergedId: zhangId, reason: "x" }, 400, "INVALID_INPUT"],
      [{ survivorId: zhangId, mergedId: liId, reason: "   " }, 400, "INVALID_INPUT"],
      [{ survivorId: zhangId, mergedId: "no-such-person", reason: "x" }, 404, "NOT_FOUND"],
      [{ survivorId: zhangId, mergedId: liId }, 400, "INVALID_INPUT"],
      [{ survivorId: zhangId, mergedId: liId, reason: "x", extra: 1 }, 400, "INVALID_INPUT"],
    ];
    for (const [json, status, code] of cases) {
      const res = await gw.call("POST", "/v1/empi/merge", { token: admin, json });
      assert.equal(res.status, status, JSON.stringify(json));
      const e = await body<ErrorBody>(res);
      assert.equal(e.code, code);
      assert.ok(e.messageZh.length > 0 && e.message !== e.messageZh);
    }
    const notMerged = await gw.call("POST", "/v1/empi/unmerge", { token: admin, json: { mergedId: liId, reason: "nothing to undo" } });
    assert.equal(notMerged.status, 409);
    const e = await body<ErrorBody>(notMerged);
    assert.equal(e.code, "CONFLICT");
    assert.match(e.messageZh, /未被合并/);
    assert.deepEqual(await snapshot(), start);
    assert.ok(await gw.deps.db.auditLog.findFirst({ where: { action: "empi.unmerge", target: liId, outcome: "failure" } }));
    assert.ok(await gw.deps.db.auditLog.findFirst({ where: { action: "empi.merge", target: "no-such-person", outcome: "failure" } }));
  });

  it("decides a review pair: merge makes one person (the candidate survives); a second decision is a conflict", async () => {
    const review = await his.empiReview.findFirstOrThrow({ where: { status: "open", candidatePersonId: sunA } });
    const res = await gw.call("POST", `/v1/empi/reviews/${review.id}/decide`, { token: admin, json: { decision: "merge" } });
    assert.equal(res.status, 200);
    const d = await body<{ review: Review; decision: string; merge: { survivorId: string; mergedId: string } | null; changedPersonIds: string[] }>(res);
    assert.equal(d.decision, "merge");
    assert.equal(d.review.status, "merged");
    assert.deepEqual(d.merge && [d.merge.survivorId, d.merge.mergedId], [sunA, sunB]);
    assert.deepEqual(d.changedPersonIds, [sunB]);
    assert.equal((await his.empiIdentity.findFirstOrThrow({ where: { patientId: "S3" } })).personId, sunA);
    assert.ok(await gw.deps.db.auditLog.findFirst({ where: { action: "empi.reviews.decide", target: String(review.id), outcome: "success", purpose: "merge" } }));

    const again = await gw.call("POST", `/v1/empi/reviews/${review.id}/decide`, { token: admin, json: { decision: "keep-apart" } });
    assert.equal(again.status, 409);
    assert.equal((await body<ErrorBody>(again)).code, "CONFLICT");
    assert.equal((await gw.call("POST", `/v1/empi/reviews/${review.id}/decide`, { token: admin, json: { decision: "maybe" } })).status, 400);
    assert.equal((await gw.call("POST", "/v1/empi/reviews/999999/decide", { token: admin, json: { decision: "merge" } })).status, 404);
  });

  it("moves an identity to a new person and back, answering the changed persons", async () => {
    const z2 = await his.empiIdentity.findFirstOrThrow({ where: { patientId: "Z2" } });
    const out = await gw.call("POST", `/v1/empi/identities/${z2.id}/move`, { token: admin, json: { toPersonId: null, reason: "另一位同名居民" } });
    assert.equal(out.status, 200);
    const moved = await body<{ identityId: number; fromPersonId: string; toPersonId: string; changedPersonIds: string[] }>(out);
    assert.equal(moved.fromPersonId, zhangId);
    assert.notEqual(moved.toPersonId, zhangId);
    assert.deepEqual(moved.changedPersonIds, [zhangId, moved.toPersonId]);
    assert.equal((await his.empiIdentity.findUniqueOrThrow({ where: { id: z2.id } })).personId, moved.toPersonId);

    const back = await body<{ toPersonId: string }>(await gw.call("POST", `/v1/empi/identities/${z2.id}/move`, { token: admin, json: { toPersonId: zhangId, reason: "核实为同一人" } }));
    assert.equal(back.toPersonId, zhangId);
    const same = await gw.call("POST", `/v1/empi/identities/${z2.id}/move`, { token: admin, json: { toPersonId: zhangId, reason: "again" } });
    assert.equal(same.status, 409);
    assert.equal((await gw.call("POST", "/v1/empi/identities/999999/move", { token: admin, json: { toPersonId: null, reason: "x" } })).status, 404);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "empi.identities.move", target: String(z2.id), outcome: "success" } }), 2);
  });

  it("shows a person's history, with an update's previous personal details masked for an auditor", async () => {
    // The hospital re-sends 张三's registration with a new phone: an "update" event keeps the old one.
    await empi.linkMany([reg("PD-SH-01", "Z1", ZHANG, { phone: "13800001111" })], "collector:test");
    const full = await body<{ masked: boolean; events: { kind: string; details: { previous?: { phone?: string } } }[] }>(await gw.call("GET", `/v1/empi/persons/${zhangId}/history`, { token: admin }));
    assert.equal(full.masked, false);
    assert.equal(full.events.find((e) => e.kind === "update")!.details.previous!.phone, "13812345678");
    const masked = await body<{ masked: boolean; events: { kind: string; details: { previous?: { phone?: string } } }[] }>(await gw.call("GET", `/v1/empi/persons/${zhangId}/history`, { token: auditor }));
    assert.equal(masked.masked, true);
    assert.equal(masked.events.find((e) => e.kind === "update")!.details.previous!.phone, "138****5678");
    assert.ok(masked.events.some((e) => e.kind === "create"));
    assert.ok(await gw.deps.db.auditLog.findFirst({ where: { action: "empi.persons.history", target: zhangId, subject: "platform-auditor" } }));
    assert.equal((await gw.call("GET", "/v1/empi/persons/no-such-person/history", { token: admin })).status, 404);
    assert.equal((await gw.call("GET", "/v1/empi/persons/no-such-person", { token: admin })).status, 404);
  });

  it("lets an auditor read but not write, and a doctor do neither (403, nothing changed)", async () => {
    const start = await snapshot();
    const review = await his.empiReview.findFirst({ where: { status: "open" } });
    const z2 = await his.empiIdentity.findFirstOrThrow({ where: { patientId: "Z2" } });
    const writes: [string, unknown][] = [
      ["/v1/empi/merge", { survivorId: zhangId, mergedId: liId, reason: "x" }],
      ["/v1/empi/unmerge", { mergedId: liId, reason: "x" }],
      [`/v1/empi/identities/${z2.id}/move`, { toPersonId: null, reason: "x" }],
      [`/v1/empi/reviews/${review?.id ?? 1}/decide`, { decision: "merge" }],
    ];
    for (const token of [auditor, doctor]) {
      for (const [path, json] of writes) {
        const res = await gw.call("POST", path, { token, json });
        assert.equal(res.status, 403, path);
        assert.equal((await body<ErrorBody>(res)).code, "ROLE_REQUIRED");
      }
    }
    for (const path of ["/v1/empi/reviews", `/v1/empi/persons/${zhangId}`, `/v1/empi/persons/${zhangId}/history`]) {
      assert.equal((await gw.call("GET", path, { token: doctor })).status, 403, path);
      assert.equal((await gw.call("GET", path)).status, 401, path);
    }
    assert.deepEqual(await snapshot(), start);
    assert.equal(await gw.deps.db.auditLog.count({ where: { action: "empi.persons.read", subject: "hospital-doctor" } }), 0);
  });

  it("masks personal details the way the share-with-doctor policy does", () => {
    assert.equal(maskPersonal("name", "张三"), "张*");
    assert.equal(maskPersonal("name", "欧阳娜娜"), "欧***");
    assert.equal(maskPersonal("idNumber", "310115196804120215"), "310115********0215");
    assert.equal(maskPersonal("phone", "13812345678"), "138****5678");
    assert.equal(maskPersonal("address", "上海市浦东新区张江镇科苑路88弄6号"), "上海市浦东新区");
    assert.equal(maskPersonal("address", "科苑路88弄"), "******", "an address whose district cannot be read is hidden whole");
  });

  it("documents its routes in the OpenAPI document", async () => {
    const doc = await body<{ paths: Record<string, unknown> }>(await gw.call("GET", "/openapi.json"));
    for (const path of ["/v1/empi/reviews", "/v1/empi/reviews/{id}/decide", "/v1/empi/merge", "/v1/empi/unmerge", "/v1/empi/identities/{identityId}/move", "/v1/empi/persons/{personId}", "/v1/empi/persons/{personId}/history"]) {
      assert.ok(doc.paths[path], path);
    }
  });

  it("answers the same typed 'not configured' as /v1/collection on a gateway without a collection service", async () => {
    const bare = await startTestGateway({ chain: gw.chain });
    try {
      const bareAdmin = (await bare.signInStaff("hospital-admin")).token;
      const expected = await body<ErrorBody>(await bare.call("GET", "/v1/collection/tasks", { token: bareAdmin }));
      for (const [method, path, json] of [
        ["GET", "/v1/empi/reviews", undefined],
        ["GET", "/v1/empi/persons/R0001", undefined],
        ["POST", "/v1/empi/merge", { survivorId: "a", mergedId: "b", reason: "x" }],
      ] as const) {
        const res = await bare.call(method, path, { token: bareAdmin, ...(json ? { json } : {}) });
        assert.equal(res.status, 404, path);
        const e = await body<ErrorBody>(res);
        assert.deepEqual([e.code, e.message, e.messageZh, e.details], [expected.code, expected.message, expected.messageZh, expected.details]);
      }
    } finally {
      await bare.close();
    }
  });
});
