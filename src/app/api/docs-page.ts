// /api/docs: the API reference as one server-rendered HTML page made from the OpenAPI document, with its own
// style sheet and no script at all, so it works on a closed network and under a CSP that allows nothing else.
import type { JsonSchema, OpenApiDocument, Operation } from './openapi.js';

/** Nothing but our own style sheet: no script, no frame, no form, no outside request. */
export const DOCS_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
export const DOCS_STYLE_PATH = '/api/docs/style.css';

const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Backquoted words in descriptions as code, the rest escaped. */
const prose = (text: string) => esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function typeLabel(s: JsonSchema): string {
  if (s.const !== undefined) return `= ${JSON.stringify(s.const)}`;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const variants = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (variants) return variants.map(typeLabel).join(' | ');
  if (s.type === 'array') return `array of ${typeLabel((s.items as JsonSchema | undefined) ?? {})}`;
  if (s.type === 'object' && !s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeLabel(s.additionalProperties as JsonSchema)}`;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  return typeof s.type === 'string' ? s.type : 'any';
}

function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  const pairs: [string, string][] = [['format', 'format'], ['pattern', 'pattern'], ['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', 'min'], ['maximum', 'max'], ['minItems', 'min items'], ['maxItems', 'max items'], ['default', 'default']];
  // z.number().int() bounds itself to the safe integers: noise, not a constraint anyone chose.
  const safe = (key: string) => (key === 'minimum' || key === 'maximum') && Math.abs(Number(s[key])) >= Number.MAX_SAFE_INTEGER;
  for (const [key, label] of pairs) if (s[key] !== undefined && !safe(key)) out.push(`${label} ${typeof s[key] === 'string' && key !== 'default' ? s[key] : JSON.stringify(s[key])}`);
  return out;
}

/** A schema as nested lists: each property with its type, constraints and description. */
function schemaHtml(s: JsonSchema, depth = 0): string {
  const variants = ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined)?.filter((v) => v.properties);
  if (variants?.length && depth < 6) return `<ul class="variants">${((s.anyOf ?? s.oneOf) as JsonSchema[]).map((v) => `<li>${v.properties ? schemaHtml(v, depth + 1) : `<span class="type">${esc(typeLabel(v))}</span>${v.description ? ` ${prose(String(v.description))}` : ''}`}</li>`).join('')}</ul>`;
  const target = s.type === 'array' && (s.items as JsonSchema | undefined)?.properties ? (s.items as JsonSchema) : s;
  const props = target.properties as Record<string, JsonSchema> | undefined;
  if (!props || depth >= 6) return `<span class="type">${esc(typeLabel(s))}</span>`;
  const required = new Set((target.required as string[] | undefined) ?? []);
  const rows = Object.entries(props).map(([name, p]) => {
    const nested = p.properties || (p.type === 'array' && (p.items as JsonSchema | undefined)?.properties) || (p.anyOf as JsonSchema[] | undefined)?.some((v) => v.properties) ? schemaHtml(p, depth + 1) : '';
    const facts = constraints(p);
    return `<li><code class="name">${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''} <span class="type">${esc(typeLabel(p))}</span>${facts.length ? ` <span class="facts">(${esc(facts.join('; '))})</span>` : ''}${p.description ? ` <span class="desc">${prose(String(p.description))}</span>` : ''}${nested}</li>`;
  });
  return `${target === s || depth > 0 ? '' : '<span class="type">array of</span>'}<ul class="props">${rows.join('')}</ul>`;
}

function operationHtml(path: string, method: string, op: Operation): string {
  const params = op.parameters.length
    ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${op.parameters
        .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${p.in}</td><td>${esc(typeLabel(p.schema))}${constraints(p.schema).length ? ` <span class="facts">(${esc(constraints(p.schema).join('; '))})</span>` : ''}</td><td>${p.description ? prose(p.description) : ''}${p.example ? ` e.g. <code>${esc(p.example)}</code>` : ''}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const json = op.requestBody?.content['application/json'];
  const body = json ? `<h4>Body <span class="type">application/json</span></h4>${schemaHtml(json.schema)}${json.example !== undefined ? `<pre>${esc(JSON.stringify(json.example, null, 2))}</pre>` : ''}` : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const [media, content] = Object.entries(r.content ?? {})[0] ?? [];
      return `<details${status.startsWith('2') ? ' open' : ''}><summary><span class="status s${status[0]}">${esc(status)}</span> ${prose(r.description)}${media && media !== 'application/json' ? ` <span class="type">${esc(media)}</span>` : ''}</summary>${content?.schema ? schemaHtml(content.schema) : ''}</details>`;
    })
    .join('');
  const auth = op.security.length ? '<span class="auth">API key or console session</span>' : '<span class="auth open">no key</span>';
  return `<section id="${esc(op.operationId)}"><h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> ${auth}</h3><p>${prose(op.summary)}${op.description ? `. ${prose(op.description)}` : ''}</p>${params}${body}<h4>Responses</h4>${responses}</section>`;
}

export function docsPageHtml(doc: OpenApiDocument): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const byTag = doc.tags.map(({ name }) => ({ name, ops: ops.filter((o) => o.op.tags[0] === name) }));
  const nav = byTag.map((t) => `<li>${esc(t.name)}<ul>${t.ops.map((o) => `<li><a href="#${esc(o.op.operationId)}"><span class="method ${o.method}">${o.method.toUpperCase()}</span> ${esc(o.path.replace(/^\/api\/v1/, ''))}</a></li>`).join('')}</ul></li>`).join('');
  const sections = byTag.map((t) => `<h2 id="tag-${esc(t.name)}">${esc(t.name)}</h2>${t.ops.map((o) => operationHtml(o.path, o.method, o.op)).join('')}`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title><link rel="stylesheet" href="${DOCS_STYLE_PATH}"></head>
<body><nav><p><strong>${esc(doc.info.title)}</strong><br>version ${esc(doc.info.version)}</p><p><a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI ${esc(doc.openapi)})</p><ul>${nav}</ul></nav>
<main><h1>${esc(doc.info.title)}</h1><p>${prose(doc.info.description)}</p>${sections}</main></body></html>
`;
}

export const DOCS_STYLE = `body{margin:0;display:flex;font:15px/1.45 system-ui,sans-serif;color:#1d1d1f;background:#fff}
nav{position:sticky;top:0;align-self:flex-start;height:100vh;overflow:auto;width:18rem;flex:none;padding:1rem;background:#f5f5f7;border-right:1px solid #ddd;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding-left:.5rem}nav a{color:inherit;text-decoration:none}nav a:hover{text-decoration:underline}
main{padding:1rem 2rem;max-width:60rem;min-width:0}h2{border-bottom:2px solid #ddd;text-transform:capitalize;margin-top:2.5rem}
section{border:1px solid #e3e3e3;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}h3{font-size:1rem;margin:.5rem 0}h4{margin:.8rem 0 .3rem}
code,pre{font:13px ui-monospace,Menlo,monospace}pre{background:#f5f5f7;padding:.5rem;overflow:auto}
.method{display:inline-block;min-width:3.5em;text-align:center;border-radius:3px;color:#fff;font:bold 11px ui-monospace,monospace;padding:2px 4px}
.get{background:#2b6cb0}.post{background:#2f855a}.put,.patch{background:#b7791f}.delete{background:#c53030}
.auth{font-size:11px;border:1px solid #999;border-radius:3px;padding:0 4px;color:#555}.auth.open{border-color:#2f855a;color:#2f855a}
.req{color:#c53030;font-size:11px}.type{color:#6b46c1;font-family:ui-monospace,monospace;font-size:13px}.facts{color:#666;font-size:12px}
.props,.variants{margin:.2rem 0;padding-left:1.2rem}.variants>li{list-style:square}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #e3e3e3;padding:3px 6px;text-align:left;vertical-align:top}
summary{cursor:pointer}.status{font-weight:bold;font-family:ui-monospace,monospace}.s2{color:#2f855a}.s4{color:#b7791f}.s5{color:#c53030}
`;
