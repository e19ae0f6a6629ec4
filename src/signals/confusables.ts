// Optional confusable folding (config `correlation.foldConfusables`, off by default; docs/confusables.md): a
// username or domain written with lookalike letters (a Cyrillic "а" for the Latin "a") is stored and grouped
// under its Unicode TR39 skeleton, so it joins the group of the name it imitates instead of making its own.
// The mapping is Unicode's confusables.txt (v13.0.0) as shipped by the `unhomoglyph` package; skeleton(X) is
// NFD(map(NFD(X))) as TR39 section 4 defines it. The raw event keeps what was sent.
import unhomoglyph from 'unhomoglyph';
import type { Signal } from './signal.js';

/** Artifact fields folded: identities and domains, where a lookalike is an attack, not a typo. */
export const FOLDED_FIELDS: readonly string[] = ['username', 'email', 'domain'];

/** The TR39 skeleton of a string, lower-cased (the confusables mapping is case-sensitive; groups are not). */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD')).normalize('NFD').toLowerCase();
}

/** The signal with its identity and domain artifacts folded to skeletons; other fields untouched. */
export function foldConfusables(signal: Signal): Signal {
  let artifacts: Signal['artifacts'] | undefined;
  for (const field of FOLDED_FIELDS) {
    if (!Object.hasOwn(signal.artifacts, field)) continue;
    const value = signal.artifacts[field]!;
    const folded = Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? skeleton(v) : v)) : typeof value === 'string' ? skeleton(value) : value;
    artifacts ??= { ...signal.artifacts };
    artifacts[field] = folded;
  }
  return artifacts ? { ...signal, artifacts } : signal;
}
