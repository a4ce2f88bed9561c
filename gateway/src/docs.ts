// The interactive API docs at /docs. With the `swagger-ui-dist` package installed: Swagger UI, its
// assets served from node_modules at /docs/assets (no CDN). Without it: a small self-contained page
// (docs-page.ts) listing every operation with a "try it" form; Swagger UI from the CDN stays
// available at /docs/swagger for machines that reach it.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, normalize } from "node:path";
import { swaggerUI } from "@hono/swagger-ui";
import type { Hono } from "hono";
import type { GatewayEnv } from "./context.ts";
import { offlineDocsPage } from "./docs-page.ts";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".html": "text/html; charset=utf-8",
  ".map": "application/json",
};

/** The directory of swagger-ui-dist, when installed. */
export function swaggerUiDistDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  } catch {
    return undefined;
  }
}

export function mountDocs(app: Hono<GatewayEnv>, openApiPath: string): void {
  const dist = swaggerUiDistDir();
  if (dist !== undefined) {
    app.get("/docs/assets/swagger-ui-dist/:file", async (c) => {
      const file = normalize(c.req.param("file"));
      const ext = file.slice(file.lastIndexOf("."));
      if (file.includes("/") || file.includes("..") || !(ext in TYPES)) return c.notFound();
      try {
        const bytes = await readFile(join(dist, file));
        return c.body(bytes, 200, { "Content-Type": TYPES[ext] as string, "Cache-Control": "public, max-age=86400" });
      } catch {
        return c.notFound();
      }
    });
  }
  const title = "Health-chain gateway API / 健康数据联盟链网关";
  if (dist) {
    (app as unknown as Hono).get("/docs", swaggerUI({ url: openApiPath, title, baseUrl: "/docs/assets" }));
    return;
  }
  const html = offlineDocsPage(openApiPath);
  app.get("/docs", (c) => c.html(html));
  (app as unknown as Hono).get("/docs/swagger", swaggerUI({ url: openApiPath, title }));
}
