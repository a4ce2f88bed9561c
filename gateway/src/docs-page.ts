// A self-contained API docs page (no external assets), served at /docs when swagger-ui-dist is not
// installed: it reads /openapi.json and lists every operation with its parameters, body and
// responses, and can send a request with a bearer token ("try it").
export function offlineDocsPage(openApiPath: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Health-chain gateway API / 健康数据联盟链网关</title>
<style>
body{font:14px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#0b5394;color:#fff;padding:12px 20px}header h1{font-size:18px;margin:0}
main{max-width:1100px;margin:0 auto;padding:16px}
.token{display:flex;gap:8px;margin:8px 0 16px}.token input{flex:1;padding:6px;font-family:monospace}
h2{font-size:16px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
details{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 10px;font-family:monospace}
.m{display:inline-block;min-width:52px;font-weight:bold;text-transform:uppercase}
.get{color:#1a7f37}.post{color:#0969da}.put,.patch{color:#9a6700}.delete{color:#cf222e}
.op{padding:0 12px 12px}pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:320px}
textarea{width:100%;min-height:90px;font-family:monospace}input.p{font-family:monospace;width:60%}
button{padding:5px 12px;cursor:pointer}.lock{color:#9a6700}
</style>
</head>
<body>
<header><h1>Health-chain gateway API / 健康数据联盟链网关</h1></header>
<main>
<p>OpenAPI document: <a href="${openApiPath}">${openApiPath}</a></p>
<div class="token"><input id="token" placeholder="Bearer token (from POST /v1/auth/sm2 or /v1/auth/siwe) / 会话令牌"><button id="save">Use / 使用</button></div>
<div id="ops">Loading… / 加载中…</div>
</main>
<script>
const $ = (t, a = {}, ...c) => { const e = document.createElement(t); Object.assign(e, a); e.append(...c); return e; };
const token = document.getElementById("token");
token.value = sessionStorage.getItem("gatewayToken") || "";
document.getElementById("save").onclick = () => sessionStorage.setItem("gatewayToken", token.value.trim());
const resolve = (doc, s) => s && s.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s;
fetch(${JSON.stringify(openApiPath)}).then((r) => r.json()).then((doc) => {
  const root = document.getElementById("ops"); root.textContent = "";
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags && op.tags[0]) || "other";
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push({ path, method, op });
  }
  for (const t of doc.tags || []) if (!byTag.has(t.name)) byTag.set(t.name, []);
  for (const [tag, list] of byTag) {
    if (list.length === 0) continue;
    const info = (doc.tags || []).find((t) => t.name === tag);
    root.append($("h2", { textContent: tag + (info && info.description ? " — " + info.description : "") }));
    for (const { path, method, op } of list) {
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      const params = op.parameters || [];
      const d = $("details");
      d.append($("summary", {}, $("span", { className: "m " + method, textContent: method }), " " + path + "  ", $("span", { textContent: op.summary || "" }), op.security ? $("span", { className: "lock", textContent: " 🔒" }) : ""));
      const box = $("div", { className: "op" });
      const inputs = {};
      for (const p of params) {
        inputs[p.in + ":" + p.name] = $("input", { className: "p", placeholder: p.name + " (" + p.in + ")" + (p.required ? " *" : "") });
        box.append($("div", {}, $("code", { textContent: p.in + " " + p.name + " " }), inputs[p.in + ":" + p.name]));
      }
      let bodyInput;
      if (body) {
        box.append($("div", { textContent: "Request body / 请求体:" }), $("pre", { textContent: JSON.stringify(resolve(doc, body.schema), null, 2) }));
        bodyInput = $("textarea", { placeholder: "JSON" }); box.append(bodyInput);
      }
      const out = $("pre", { textContent: "" });
      const send = $("button", { textContent: "Send / 发送" });
      send.onclick = async () => {
        let url = path; const query = new URLSearchParams();
        for (const p of params) { const v = inputs[p.in + ":" + p.name].value; if (!v) continue; if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(v)); else if (p.in === "query") query.set(p.name, v); }
        const headers = { "content-type": "application/json" }; if (token.value.trim()) headers.authorization = "Bearer " + token.value.trim();
        const res = await fetch(url + (query.size ? "?" + query : ""), { method: method.toUpperCase(), headers, body: bodyInput && bodyInput.value ? bodyInput.value : undefined });
        const text = await res.text(); let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
        out.textContent = res.status + " " + res.statusText + "\\n" + shown;
      };
      box.append($("div", { textContent: "Responses / 响应: " + Object.keys(op.responses || {}).join(", ") }), send, out);
      d.append(box); root.append(d);
    }
  }
}, (e) => { document.getElementById("ops").textContent = "Cannot load " + ${JSON.stringify(openApiPath)} + ": " + e; });
</script>
</body>
</html>`;
}
