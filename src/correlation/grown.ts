// The engine's and the sorts' growable typed arrays: each grows by doubling into a new array.

type Growable = Int32Array | Uint32Array | Float64Array;

/** A typed array of `a`'s kind twice as long (and at least `least`), `a`'s elements at its start. */
export function grown<T extends Growable>(a: T, least = 0): T {
  const b = new (a.constructor as new (length: number) => T)(Math.max(least, a.length * 2));
  b.set(a);
  return b;
}
