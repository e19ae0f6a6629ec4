// The OpenAPI 3.1 document of /api/v1, made from the routes' own zod schemas (z.toJSONSchema): requests as the
// schemas read them (io: input), answers as the handlers write them (io: output). Nothing here is written by hand
// per route; a route is in the document because it was mounted with ApiRouter.define.
import { z } from 'zod';
import { pathParams, responsesOf, type DefinedRoute } from './route.js';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  jsonSchemaDialect: string;
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema; example?: string }[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema; example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export const API_KEY_SCHEME = 'apiKey';
/** The web console's session cookie (src/console/api-session.ts): either scheme is enough. */
export const CONSOLE_SESSION_SCHEME = 'consoleSession';

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), inline. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    reused: 'inline',
    cycles: 'throw',
    // Dates leave taser as ISO strings (JSON.stringify); other unrepresentable checks (z.custom) document as "any".
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type === 'date') Object.assign(jsonSchema, { type: 'string', format: 'date-time' });
    },
  }) as JsonSchema;
  delete json.$schema;
  // A `$ref` into `$defs` would resolve against the whole document in OpenAPI: schemas must stay inline.
  if (json.$defs) throw new Error(`a schema with an id (.meta({id})) cannot be inlined: ${Object.keys(json.$defs).join(', ')}`);
  return json;
}

/** `/api/v1/cases/:ref` -> `/api/v1/cases/{ref}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function operationId(route: DefinedRoute): string {
  const words = route.path.split('/').filter(Boolean).slice(2).map((seg) => seg.replace(/^:/, 'by-'));
  return [route.method.toLowerCase(), ...words].join('-').replace(/[-_.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

function operation(route: DefinedRoute): Operation {
  const paramsSchema = jsonSchemaOf(route.params, 'input');
  const parameters: Operation['parameters'] = pathParams(route.path).map((name) => {
    const schema = (paramsSchema.properties as Record<string, JsonSchema>)[name]!;
    const example = route.example?.params?.[name];
    return { name, in: 'path', required: true, ...(schema.description ? { description: String(schema.description) } : {}), schema, ...(example ? { example } : {}) };
  });
  if (route.query) {
    const q = jsonSchemaOf(route.query, 'input');
    const required = new Set((q.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, JsonSchema>)) {
      const example = route.example?.query?.[name];
      parameters.push({ name, in: 'query', required: required.has(name), ...(schema.description ? { description: String(schema.description) } : {}), schema, ...(example ? { example } : {}) });
    }
  }
  const responses: Operation['responses'] = {};
  for (const [status, r] of Object.entries(responsesOf(route))) {
    const media = r.contentType ?? 'application/json';
    responses[status] = { description: r.description, ...(r.schema || r.contentType ? { content: { [media]: r.schema ? { schema: jsonSchemaOf(r.schema, 'output') } : {} } } : {}) };
  }
  const body = route.body ? jsonSchemaOf(route.body, 'input') : undefined;
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [...route.tags],
    security: route.auth === 'apiKey' ? [{ [API_KEY_SCHEME]: [] }, { [CONSOLE_SESSION_SCHEME]: [] }] : [],
    parameters,
    ...(body
      ? { requestBody: { required: Array.isArray(body.required) && body.required.length > 0, content: { 'application/json': { schema: body, ...(route.example?.body !== undefined ? { example: route.example.body } : {}) } } } }
      : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly DefinedRoute[], version: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'taser HTTP API',
      version,
      description:
        'Signals, alerts, rules, cases and Positron queries. Authenticate with `Authorization: Bearer <key>`, a key named in the config file (`apiKeys`) that acts as the ACL groups listed beside it, or (the web console\'s own calls) with the console\'s session cookie, which acts as the signed-in Slack user\'s groups and needs the session\'s CSRF token in `X-CSRF-Token` on every request that is not a GET. Errors answer `{error, message?, problems?, errorId?}`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(routes.flatMap((r) => r.tags))].sort().map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        [API_KEY_SCHEME]: { type: 'http', scheme: 'bearer', description: 'An API key from the environment variable named by the config (`apiKeys.<name>.keyEnv`), at least 16 characters. When an `Authorization` header is sent, it alone decides.' },
        [CONSOLE_SESSION_SCHEME]: {
          type: 'apiKey',
          in: 'cookie',
          name: 'taser_session',
          description: 'The web console\'s signed session (Sign in with Slack at /ui/login): the same user and ACL groups as the console. Every request that is not a GET also sends the session\'s CSRF token in the `X-CSRF-Token` header (the console pages carry it), or it is refused with 403 `csrf`.',
        },
      },
    },
  };
}
