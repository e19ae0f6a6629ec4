import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistrar, decodeActionValue, emptyRouteTable, InvalidPayloadError, PluginLoadError } from './routes.js';

describe('route registrar', () => {
  it('prefixes ids with the namespace and encodes validated values', () => {
    const table = emptyRouteTable();
    const plugin = createRegistrar(table, 'alerts', 'plugins/alerts', {});
    const ack = plugin.action({ name: 'ack', value: z.object({ alertId: z.string() }), handler: async () => {} });
    expect(ack.actionId).toBe('alerts:ack');
    expect(ack.withSuffix('3')).toBe('alerts:ack:3');
    expect(JSON.parse(ack.encode({ alertId: 'a1' }))).toEqual({ alertId: 'a1' });
    expect(() => ack.encode({ alertId: 'x'.repeat(2100) })).toThrow(/2000/);
    expect(plugin.job({ name: 'remind', handler: async () => {} }).name).toBe('alerts.remind');
    expect(plugin.view({ name: 'snooze', handler: async () => {} }).callbackId).toBe('alerts:snooze');
  });

  it('refuses a route registered twice and malformed names', () => {
    const plugin = createRegistrar(emptyRouteTable(), 'alerts', 'plugins/alerts', {});
    plugin.action({ name: 'ack', handler: async () => {} });
    expect(() => plugin.action({ name: 'ack', handler: async () => {} })).toThrow(PluginLoadError);
    expect(() => plugin.action({ name: 'Ack Now', handler: async () => {} })).toThrow(/lower-case/);
    expect(() => plugin.command({ command: '/Taser' as `/${string}`, usage: '', description: '', handler: async () => {} })).toThrow(/slash command/);
  });

  it('refuses a whole-command owner next to subcommand owners', () => {
    const table = emptyRouteTable();
    createRegistrar(table, 'one', 'a', {}).command({ command: '/case', usage: '/case', description: '', handler: async () => {} });
    expect(() =>
      createRegistrar(table, 'two', 'b', {}).command({ command: '/case', subcommand: 'new', usage: '/case new', description: '', handler: async () => {} }),
    ).toThrow(/registered twice: by plugin "one"/);
  });

  it('decodes button values and rejects tampered ones', () => {
    const def = { name: 'ack', value: z.object({ alertId: z.string() }), handler: async () => {} };
    expect(decodeActionValue(def, '{"alertId":"a1"}')).toEqual({ alertId: 'a1' });
    expect(() => decodeActionValue(def, 'not json')).toThrow(InvalidPayloadError);
    expect(() => decodeActionValue(def, '{"alertId":5}')).toThrow(InvalidPayloadError);
  });
});
