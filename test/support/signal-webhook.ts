// A whole taser (startTestApp) with one plugin enabled and one bearer-authenticated source, and a POST to
// that source's webhook route (/signals/<source>), as the vendor plugins' HTTP tests need.
import { startTestApp, type TestApp } from './app.js';

export interface SourceAppOptions {
  /** Plugin namespace to enable. */
  plugin: string;
  /** Plugin settings besides `enabled: true`. */
  settings?: Record<string, unknown>;
  /** Source name: the route is /signals/<source>. */
  source: string;
  /** The bearer token the source accepts (given to the app through the env, as in production). */
  token: string;
}

export function startSourceApp({ plugin, settings = {}, source, token }: SourceAppOptions): Promise<TestApp> {
  const tokenEnv = `${source.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;
  return startTestApp({
    file: {
      plugins: { [plugin]: { enabled: true, ...settings } },
      sources: { [source]: { auth: { type: 'bearer', tokenEnv } } },
    },
    env: { [tokenEnv]: token },
  });
}

export function postSignals(app: TestApp, source: string, body: string | Uint8Array, token: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${app.taser.url}/signals/${source}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
}
