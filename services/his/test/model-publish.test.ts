import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { activeConfig, configHistory } from "../src/config/versions.ts";
import { type HisDatabase, migrateHisDatabase, openHisDatabase } from "../src/db.ts";
import {
  type StandardConfig, activateModelVersion, activeMappingRules, loadMappingRules, loadPublishedStandard, loadStandard, mapToStandard,
  modelBundle, publishMappingRules, publishModel, standardOfBundles, validateStandard,
} from "../src/model/index.ts";

const dir = mkdtempSync(join(tmpdir(), "his-model-publish-"));
let database: HisDatabase;
const standard = loadStandard();
const actor = "admin.zhang";

before(async () => {
  const url = `file:${join(dir, "his.db")}`;
  await migrateHisDatabase(url);
  database = openHisDatabase(url);
});
after(async () => {
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The standard with the encounter model at version 2: department removed. */
function encounterV2(): ReturnType<typeof validateStandard> {
  const config = structuredClone(standard.config) as StandardConfig;
  const encounter = config.models.find((m) => m.id === "encounter")!;
  encounter.version = 2;
  encounter.members = encounter.members.filter((m) => m.name !== "department");
  return validateStandard(config);
}

test("publishing every model gives version 1 of each; the published standard equals the files'", async () => {
  const db = database.prisma;
  assert.equal(await loadPublishedStandard(db), null);
  for (const id of standard.models.keys()) {
    const published = await publishModel(db, standard, id, { actor, note: "initial standard" });
    assert.deepEqual([published.kind, published.name, published.version, published.active], ["record-model", id, 1, true]);
    assert.equal(published.value.model.version, 1);
  }
  const again = await publishModel(db, standard, "patient", { actor });
  assert.equal(again.version, 1, "publishing the active content again changes nothing");
  const loaded = await loadPublishedStandard(db);
  assert.ok(loaded);
  assert.deepEqual([...loaded.models.values()].sort((a, b) => a.id.localeCompare(b.id)), [...standard.models.values()].sort((a, b) => a.id.localeCompare(b.id)));
});

test("a changed model is published as version 2 only if it says so; activation rolls back", async () => {
  const db = database.prisma;
  const v2 = encounterV2();
  const stale = structuredClone(v2.config) as StandardConfig;
  stale.models.find((m) => m.id === "encounter")!.version = 1;
  await assert.rejects(publishModel(db, validateStandard(stale), "encounter", { actor }), (error) => isPlatformError(error, "CONFLICT") && /version 2/.test(error.message));
  const skipped = structuredClone(v2.config) as StandardConfig;
  skipped.models.find((m) => m.id === "encounter")!.version = 3;
  await assert.rejects(publishModel(db, validateStandard(skipped), "encounter", { actor }), (error) => isPlatformError(error, "CONFLICT"));
  assert.equal((await configHistory(db, "record-model", "encounter")).length, 1, "a refused version writes nothing");

  const published = await publishModel(db, v2, "encounter", { actor, note: "department dropped" });
  assert.equal(published.version, 2);
  let loaded = await loadPublishedStandard(db);
  assert.equal(loaded!.models.get("encounter")!.version, 2);

  const rolledBack = await activateModelVersion(db, "encounter", 1);
  assert.equal(rolledBack.version, 1);
  loaded = await loadPublishedStandard(db);
  assert.equal(loaded!.models.get("encounter")!.version, 1);
  assert.ok(loaded!.models.get("encounter")!.members.some((m) => m.name === "department"));
  await assert.rejects(activateModelVersion(db, "encounter", 9), (error) => isPlatformError(error, "NOT_FOUND"));
});

test("mapping rules are published per source, checked against the standard, and map with the published standard", async () => {
  const db = database.prisma;
  const published = await loadPublishedStandard(db);
  assert.ok(published);
  const sql = loadMappingRules("sql");
  const version = await publishMappingRules(db, published, sql, { actor });
  assert.deepEqual([version.kind, version.name, version.version], ["mapping-rules", "sql", 1]);

  const broken = structuredClone(sql);
  broken.kinds["encounter"]!.modelVersion = 2;
  await assert.rejects(publishMappingRules(db, published, broken, { actor }), (error) => isPlatformError(error, "INVALID_INPUT"));
  assert.equal((await configHistory(db, "mapping-rules", "sql")).length, 1, "refused rules write nothing");

  const active = await activeMappingRules(db, published, "sql");
  assert.ok(active);
  assert.equal(active.version, 1);
  assert.equal(active.hash, (await activeConfig(db, "mapping-rules", "sql"))!.hash);
  const result = mapToStandard({
    itemKey: "1", format: "sql", kind: "encounter", institutionCode: "PD-CHC-01", sourceKey: "S010000001-M001", patientId: "S010000001",
    changedAt: "2024-03-05T10:00:00+08:00", status: "final", raw: "{}",
    fields: { type: "outpatient", department: "全科", start: "2024-03-05T09:00:00+08:00", end: null },
  }, { standard: published, rules: active.rules });
  assert.ok(result.ok);
  assert.equal(result.record.content.type, "1");
  assert.equal(await activeMappingRules(db, published, "hl7v2"), null);
});

test("bundles defining one element differently cannot be merged into one standard", () => {
  const a = modelBundle(standard, "patient");
  const b = structuredClone(modelBundle(standard, "encounter"));
  const element = b.elements.find((e) => e.id === "HC.01.001")!;
  (element as { nameZh: string }).nameZh = "机构代码";
  assert.throws(() => standardOfBundles([a, b]), (error) => isPlatformError(error, "CONFLICT") && /HC\.01\.001/.test(error.message));
  assert.equal(standardOfBundles([a, modelBundle(standard, "encounter")]).models.size, 2);
});
