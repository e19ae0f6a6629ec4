import { describe, expect, it } from 'vitest';
import { prng } from '../../test/support/prng.js';
import { hashKey, KeyIntern } from './key-intern.js';

describe('KeyIntern (open addressing with backward-shift deletion)', () => {
  it('agrees with a Map model over random interning and releasing, across growth and wrap-around', () => {
    const random = prng(7);
    const intern = new KeyIntern();
    // The model: key -> [id, references].
    const model = new Map<string, [number, number]>();
    const holder = new Map<number, string>();
    // Few distinct keys, so lookups of present keys, releases and re-interning all happen often; short
    // keys collide in their low hash bits, which makes long probe runs that deletions must shift back.
    for (let step = 0; step < 60_000; step++) {
      const key = `k${Math.floor(random() * (step < 30_000 ? 3000 : 200))}`;
      const known = model.get(key);
      const id = intern.id(key);
      // Plain checks in the loop (expect() per step is slow on a loaded machine); a failure names the step.
      if (known && id !== known[0]) throw new Error(`step ${step}: ${key} has id ${id}, was ${known[0]}`);
      if (!known) {
        if (holder.has(id)) throw new Error(`step ${step}: id ${id} given to ${key} while ${holder.get(id)} holds it`);
        model.set(key, [id, 0]);
        holder.set(id, key);
      }
      if (intern.key(id) !== key) throw new Error(`step ${step}: id ${id} is ${intern.key(id)}, not ${key}`);
      const entry = model.get(key)!;
      if (entry[1] === 0 || random() < 0.6) {
        intern.ref(id);
        entry[1]++;
      } else {
        intern.unref(id);
        if (--entry[1] === 0) {
          model.delete(key);
          holder.delete(id);
        }
      }
      if (step % 5000 === 0) {
        expect(intern.size).toBe(model.size);
        for (const [k, [kid]] of model) if (intern.id(k) !== kid) throw new Error(`step ${step}: ${k} lost its id ${kid}`);
      }
    }
    // Release everything: the table empties and every key is new again.
    for (const [k, [kid, refs]] of model) for (let i = 0; i < refs; i++) intern.unref(kid);
    expect(intern.size).toBe(0);
    const again = intern.id('k1');
    expect(intern.size).toBe(1);
    expect(intern.key(again)).toBe('k1');
  });

  it('tells keys apart by every code unit, inline or past the inline prefix, including non-ASCII', () => {
    const intern = new KeyIntern();
    // Same length and prefix, differing only in the last unit; units above 0x7fff fill an int32's sign bit.
    const keys = ['alice', 'alicf', 'a', '', 'abcdefghij', 'abcdefghik', 'abcdefghijk', 'abcdefghijl', 'alice.smith@example.com', 'alice.smith@example.org', '\u00e9l\u00e8ve', '\uffff\u8000x', '\uffff\u8001x', '\ud83d\ude00'];
    const ids = keys.map((k) => intern.id(k));
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) intern.ref(id);
    // Many more keys force rehashes: each key still finds its own id, and a key never seen finds none.
    for (let i = 0; i < 2000; i++) intern.ref(intern.id(`user${i}@corp.example.com`));
    keys.forEach((k, n) => expect(intern.id(k)).toBe(ids[n]));
    expect(intern.find('alice.smith@example.net')).toBe(-1);
    expect(intern.find('abcdefghi')).toBe(-1);
    // Keys of one length and one hash (found by search): told apart inline, and past the 10 inline units.
    for (const [a, b] of [['ubfdvm', 'xdqfxu'], ['iladinmuqrrqja', 'fsxewvpllceghb'], ['host-0042.zufsxn', 'host-0042.ehmgpo']] as const) {
      expect(hashKey(a)).toBe(hashKey(b));
      const ia = intern.id(a);
      expect(intern.find(b)).toBe(-1);
      const ib = intern.id(b);
      expect(ib).not.toBe(ia);
      expect([intern.find(a), intern.find(b)]).toEqual([ia, ib]);
    }
    // Releasing keys shifts entries back; the others are still found.
    for (let i = 0; i < 2000; i += 2) intern.unref(intern.id(`user${i}@corp.example.com`));
    for (let i = 1; i < 2000; i += 2) expect(intern.key(intern.find(`user${i}@corp.example.com`))).toBe(`user${i}@corp.example.com`);
    expect(intern.find('user0@corp.example.com')).toBe(-1);
    keys.forEach((k, n) => expect(intern.find(k)).toBe(ids[n]));
  });

  it('idIfNormal interns a value that normalizes to itself, as id does, and makes nothing for any other', () => {
    const intern = new KeyIntern();
    const alice = intern.id('alice');
    expect(intern.idIfNormal('alice')).toBe(alice);
    const ip = intern.idIfNormal('10.1.2.3');
    expect(ip).toBeGreaterThanOrEqual(0);
    expect(intern.find('10.1.2.3')).toBe(ip);
    for (const raw of ['Alice', ' alice', '010.1.2.3', '443', '', '\u00e9l\u00e8ve', 'a'.repeat(65)]) {
      expect(intern.idIfNormal(raw), raw).toBe(-1);
      expect(intern.find(raw), raw).toBe(-1);
    }
    expect(intern.size).toBe(2);
  });
});
