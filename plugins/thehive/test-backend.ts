// For tests: the thehive plugin loaded the way the host loads it, its case backend created with the plugin's
// context, pointed at a TheHive fake. Not imported by the plugin itself.
import { fileURLToPath } from 'node:url';
import { loadPluginForTest } from '../../test/support/plugin-harness.js';
import type { BackendCase, CaseBackend } from '../../src/cases/backend.js';
import type { TheHiveFake } from './thehive-fake.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
export const KEY_ENV = 'THEHIVE_TEST_KEY';

export async function backendFor(
  fake: Pick<TheHiveFake, 'url' | 'version' | 'apiKey'>,
  settings: Record<string, unknown> = {},
  env: Record<string, string> = { [KEY_ENV]: fake.apiKey },
): Promise<CaseBackend> {
  const plugin = await loadPluginForTest(folder, { version: fake.version, url: fake.url, organisation: 'SOC', apiKeyEnv: KEY_ENV, timeoutMs: 2_000, ...settings }, { env });
  const owned = plugin.routes.caseBackends[0];
  if (!owned) throw new Error('the thehive plugin registered no case backend');
  return owned.def.create(plugin.ctx);
}

let next = 0;
/** A taser case as the case service hands it to a backend; a fresh id each call. */
export function aCase(overrides: Partial<BackendCase> = {}): BackendCase {
  next += 1;
  return {
    caseId: `66a1f0c0c0ffee00000000${String(next).padStart(2, '0')}`,
    number: next,
    title: `Suspicious login ${next}`,
    description: 'Impossible travel for bob',
    severity: 'high',
    team: 'appsec',
    tags: ['okta'],
    alertIds: [`alert-${next}`],
    ...overrides,
  };
}

export const signal = () => new AbortController().signal;
