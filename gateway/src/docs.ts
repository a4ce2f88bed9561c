// The interactive API docs at /docs: Swagger UI over /openapi.json, its assets served from the
// swagger-ui-dist package (no CDN: the machines that run the gateway may have no internet). The
// page loads nothing inline, so a strict Content-Security-Policy in front of the gateway works.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Hono } from "hono";
import type { GatewayEnv } from "./context.ts";

const SWAGGER_UI_DIST = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The files of swagger-ui-dist the page loads, with their content types; nothing else is served. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const TITLE = "Health-chain gateway API / 健康数据联盟链网关";

function page(): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLE}</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;
}

function init(openApiPath: string): string {
  return `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openApiPath)}, dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true });\n`;
}

export function mountDocs(app: Hono<GatewayEnv>, openApiPath: string): void {
  const html = page();
  const script = init(openApiPath);
  app.get("/docs", (c) => c.html(html));
  app.get("/docs/init.js", (c) => c.body(script, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (type === undefined) return c.notFound();
    const bytes = await readFile(join(SWAGGER_UI_DIST, file));
    return c.body(bytes, 200, { "Content-Type": type, "Cache-Control": "public, max-age=86400" });
  });
}
