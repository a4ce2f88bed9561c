import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import type { PullAdapter, PullPage } from "../src/adapters/types.ts";
import { createFhirPullAdapter } from "../src/adapters/fhir/index.ts";

interface StoredResource {
  resourceType: string;
  id: string;
  meta: { lastUpdated: string };
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/fhir/regional-platform-observations.searchset.json", import.meta.url), "utf8")) as {
  entry: { resource: StoredResource }[];
};

/**
 * A small FHIR search endpoint over the fixture's resources: _lastUpdated (ge/gt), _sort=_lastUpdated,
 * _count and an _offset its next links carry. Among equal timestamps it changes order on every search,
 * as a server is free to; `nextOrigin` makes it hand out next links to another site.
 */
class FakeFhirServer {
  resources: StoredResource[] = fixture.entry.map((entry) => structuredClone(entry.resource));
  requests: URL[] = [];
  failWith: number | null = null;
  nextOrigin: string | null = null;
  private searches = 0;
  private server: Server | null = null;
  base = "";

  async start(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/fhir/R4`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url!, this.base);
    this.requests.push(url);
    if (this.failWith !== null) {
      response.writeHead(this.failWith, { "content-type": "application/fhir+json" });
      response.end(JSON.stringify({ resourceType: "OperationOutcome", issue: [{ severity: "error", code: "transient" }] }));
      return;
    }
    const type = url.pathname.split("/").pop()!;
    const filter = url.searchParams.get("_lastUpdated");
    const count = Number(url.searchParams.get("_count") ?? 50);
    const offset = Number(url.searchParams.get("_offset") ?? 0);
    if (!url.searchParams.has("_offset")) this.searches++;
    const reverseTies = this.searches % 2 === 0;
    const matching = this.resources
      .filter((resource) => resource.resourceType === type)
      .filter((resource) => {
        if (filter === null) return true;
        const at = Date.parse(resource.meta.lastUpdated);
        const bound = Date.parse(filter.slice(2));
        return filter.startsWith("ge") ? at >= bound : at > bound;
      })
      .sort((a, b) => Date.parse(a.meta.lastUpdated) - Date.parse(b.meta.lastUpdated) || (reverseTies ? b.id.localeCompare(a.id) : a.id.localeCompare(b.id)));
    const page = matching.slice(offset, offset + count);
    const link = [{ relation: "self", url: url.toString() }];
    if (offset + count < matching.length) {
      const next = new URL(url.toString());
      next.searchParams.set("_offset", String(offset + count));
      link.push({ relation: "next", url: this.nextOrigin === null ? next.toString() : `${this.nextOrigin}${next.pathname}${next.search}` });
    }
    response.writeHead(200, { "content-type": "application/fhir+json" });
    response.end(JSON.stringify({
      resourceType: "Bundle", type: "searchset", total: matching.length, link,
      entry: page.map((resource) => ({ fullUrl: `${this.base}/${type}/${resource.id}`, resource, search: { mode: "match" } })),
    }));
  }
}

const server = new FakeFhirServer();
before(() => server.start());
after(() => server.stop());

const keysOf = (page: PullPage) => [...page.items.map((item) => item.itemKey), ...page.rejected.map((item) => item.itemKey)];

async function drain(adapter: PullAdapter, cursor: string | null, limit: number): Promise<{ keys: string[]; cursor: string | null; pulls: number }> {
  const keys: string[] = [];
  let pulls = 0;
  for (;;) {
    const page = await adapter.pull(cursor, limit);
    pulls++;
    keys.push(...keysOf(page));
    cursor = page.cursor;
    if (page.done) return { keys, cursor, pulls };
    assert.ok(pulls < 50, "the adapter makes progress");
  }
}

test("pages through _lastUpdated order: five resources sharing one instant, cut by pages of 2 and pulls of 3, are each read once", async () => {
  server.resources = fixture.entry.map((entry) => structuredClone(entry.resource));
  const adapter = createFhirPullAdapter({ baseUrl: server.base, resourceTypes: ["Observation"], pageSize: 2 });
  const { keys, pulls } = await drain(adapter, null, 3);
  const expected = fixture.entry.map((entry) => `Observation/${entry.resource.id}/_history/1`);
  assert.deepEqual([...keys].sort(), [...expected].sort(), "nothing skipped, nothing read twice");
  assert.equal(pulls, 3);
  // The vital-sign Observation is quarantined, not silently dropped; its cursor position is passed.
  assert.ok(keys.includes("Observation/rhip-obs-100235/_history/1"));
  const searches = server.requests.filter((url) => !url.searchParams.has("_offset"));
  assert.equal(searches[0]!.searchParams.get("_lastUpdated"), null, "the first search reads from the beginning");
  assert.ok(searches.slice(1).every((url) => url.searchParams.get("_lastUpdated")?.startsWith("ge") && url.searchParams.get("_sort") === "_lastUpdated" && url.searchParams.get("_count") === "2"));
  assert.ok(server.requests.some((url) => url.searchParams.has("_offset")), "next links were followed");
});

test("a stored cursor resumes: later resources, and a late one at the cursor's own instant, are read; nothing before is repeated", async () => {
  server.resources = fixture.entry.map((entry) => structuredClone(entry.resource));
  const adapter = createFhirPullAdapter({ baseUrl: server.base, resourceTypes: ["Observation"], pageSize: 3 });
  const first = await adapter.pull(null, 4);
  assert.equal(first.done, false);
  const cursor = JSON.parse(first.cursor!) as { positions: { Observation: { at: string; ids: string[] } } };
  assert.equal(cursor.positions.Observation.at, "2024-06-02T01:00:00.000Z");
  assert.equal(cursor.positions.Observation.ids.length, 3, "three of the five at that instant read so far");

  // A new version arrives after, and another resource commits late with the very instant of the cursor.
  const template = server.resources[1]!;
  server.resources.push({ ...structuredClone(template), id: "rhip-obs-100240", meta: { ...template.meta, lastUpdated: "2024-06-02T01:00:00.000Z" } });
  server.resources.push({ ...structuredClone(server.resources[0]!), meta: { ...server.resources[0]!.meta, lastUpdated: "2024-06-02T02:00:00.000Z", versionId: "2" } as StoredResource["meta"] });

  const rest = await drain(adapter, first.cursor, 100);
  const all = [...keysOf(first), ...rest.keys];
  assert.equal(new Set(all).size, all.length, "no item read twice across the resume");
  assert.ok(rest.keys.includes("Observation/rhip-obs-100240/_history/1"), "the late resource at the cursor's instant");
  assert.ok(rest.keys.includes("Observation/rhip-obs-100231/_history/2"), "the new version of a resource already read");
  assert.equal(all.length, fixture.entry.length + 2);

  const again = await adapter.pull(rest.cursor, 100);
  assert.deepEqual([again.items.length, again.rejected.length, again.done], [0, 0, true], "caught up: nothing new");
});

test("items carry the institution from identifier assigners and the patient number from subject identifiers", async () => {
  server.resources = fixture.entry.map((entry) => structuredClone(entry.resource));
  const adapter = createFhirPullAdapter({ baseUrl: `${server.base}/`, resourceTypes: ["Observation"] });
  const page = await adapter.pull(null, 100);
  assert.equal(page.done, true);
  const creatinine = page.items.find((item) => item.sourceKey === "ZY0088142-Z002-CREA")!;
  assert.deepEqual([creatinine.institutionCode, creatinine.patientId, creatinine.changedAt, creatinine.fields.value], ["PD-TH-01", "ZY0088142", "2024-06-02T01:03:44.120Z", 168]);
  assert.deepEqual(page.rejected.map((r) => r.reason), ["unsupported-observation-category"]);
  await adapter.close();
  await assert.rejects(adapter.pull(null, 1), (error: unknown) => isPlatformError(error, "CONFLICT"));
});

test("every configured resource type is searched in turn with its own position", async () => {
  server.resources = fixture.entry.map((entry) => structuredClone(entry.resource));
  server.requests = [];
  const adapter = createFhirPullAdapter({ baseUrl: server.base });
  const page = await adapter.pull(null, 1000);
  assert.equal(page.done, true);
  assert.deepEqual(
    [...new Set(server.requests.map((url) => url.pathname.split("/").pop()))],
    ["Patient", "Encounter", "Condition", "Observation", "MedicationRequest", "DocumentReference"],
  );
  assert.deepEqual(Object.keys((JSON.parse(page.cursor!) as { positions: object }).positions).sort(), ["Condition", "DocumentReference", "Encounter", "MedicationRequest", "Observation", "Patient"]);
});

test("server failures, next links to another site and foreign cursors are errors, not silent gaps", async () => {
  server.resources = fixture.entry.map((entry) => structuredClone(entry.resource));
  const adapter = createFhirPullAdapter({ baseUrl: server.base, resourceTypes: ["Observation"], pageSize: 2 });

  server.failWith = 503;
  await assert.rejects(adapter.pull(null, 10), (error: unknown) => isPlatformError(error, "INTERNAL") && /503/.test((error as Error).message));
  server.failWith = null;

  server.nextOrigin = "http://198.51.100.7:8080";
  await assert.rejects(adapter.pull(null, 10), (error: unknown) => isPlatformError(error, "INTERNAL") && /next link/.test((error as Error).message));
  server.nextOrigin = null;

  await assert.rejects(adapter.pull("{\"lastUpdated\":1}", 10), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  await assert.rejects(adapter.pull(null, 0), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  assert.throws(() => createFhirPullAdapter({ baseUrl: "ftp://x" }), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  assert.throws(() => createFhirPullAdapter({ baseUrl: server.base, pageSize: 0 }), (error: unknown) => isPlatformError(error, "INVALID_INPUT"));
  assert.throws(
    () => createFhirPullAdapter({ baseUrl: server.base, resourceTypes: ["AllergyIntolerance" as "Patient"] }),
    (error: unknown) => isPlatformError(error, "INVALID_INPUT"),
  );
});
