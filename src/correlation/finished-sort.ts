// The simulator's finished alerts, waiting for the output: their JSON as binary records in a RecordSorter
// (which spills by bytes), not as objects and strings the garbage collector would carry through the replay.
// The output order is firstSeen, then rule id, then group, then the first signal's line: the records are
// keyed by firstSeen and the rule id's rank, and the few that tie on both are put in order as they come out.
import { utf8Slice, utf8Write } from './buffer-utf8.js';
import { RecordSorter, type RecordSortLimits, type RecordView } from './record-sort.js';

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Payload: [f64 first signal's line][f64 the ids' spilled part, or -1][u32 byte length of the JSON before
// the ids][u32 byte length of the group][group values joined by \u0001, UTF-8][the alert's JSON, UTF-8].
const FIXED = 24;

interface Tie {
  group: string;
  q: number;
  json: string;
}

export class FinishedSort {
  private readonly sorter: RecordSorter;
  private readonly ranks: number[];
  count = 0;

  /** `ruleIds`: by the rule index `add` is given. */
  constructor(ruleIds: readonly string[], limits: RecordSortLimits) {
    this.sorter = new RecordSorter(limits);
    const order = [...new Set(ruleIds)].sort(cmp);
    this.ranks = ruleIds.map((id) => order.indexOf(id));
  }

  /**
   * A finished alert of rule `r`: its JSON is `head` + `ids` + `tail`; when its ids spilled (`part`, not -1),
   * `ids` is empty and they are read back from `part` at the output.
   */
  add(r: number, firstSeen: number, firstSeq: number, group: string, head: string, ids: string, tail: string, part: number): void {
    this.count++;
    const sorter = this.sorter;
    const start = sorter.begin(firstSeen, this.ranks[r]!, FIXED + 3 * (group.length + head.length + ids.length + tail.length));
    const buf = sorter.buf;
    buf.writeDoubleLE(firstSeq, start);
    buf.writeDoubleLE(part, start + 8);
    const groupLength = utf8Write(buf, group, start + FIXED);
    let at = start + FIXED + groupLength;
    const headLength = utf8Write(buf, head, at);
    at += headLength;
    if (ids.length) at += utf8Write(buf, ids, at);
    at += utf8Write(buf, tail, at);
    buf.writeUInt32LE(headLength, start + 16);
    buf.writeUInt32LE(groupLength, start + 20);
    sorter.commit(at);
  }

  /** The alerts' JSON in output order, spilled ids read from `readIds`; the sort is spent afterwards. */
  *sorted(readIds: (part: number) => string): Generator<string> {
    let ties: Tie[] = [];
    let k1 = NaN;
    let k2 = NaN;
    for (const r of this.sorter.records()) {
      if (r.k1 !== k1 || r.k2 !== k2) {
        if (ties.length) yield* inOrder(ties);
        ties = [];
        k1 = r.k1;
        k2 = r.k2;
      }
      ties.push(read(r, readIds));
    }
    if (ties.length) yield* inOrder(ties);
  }

  /** Removes what spilled (when the run is abandoned before the output). */
  discard(): void {
    this.sorter.discard();
  }
}

function read(r: RecordView, readIds: (part: number) => string): Tie {
  const { buf, start, end } = r;
  const part = buf.readDoubleLE(start + 8);
  const headLength = buf.readUInt32LE(start + 16);
  const json = start + FIXED + buf.readUInt32LE(start + 20);
  return {
    group: utf8Slice(buf, start + FIXED, json),
    q: buf.readDoubleLE(start),
    json: part === -1 ? utf8Slice(buf, json, end) : utf8Slice(buf, json, json + headLength) + readIds(part) + utf8Slice(buf, json + headLength, end),
  };
}

/** Alerts of one firstSeen and rule, by group, then first signal (almost always just one). */
function* inOrder(ties: Tie[]): Generator<string> {
  if (ties.length > 1) ties.sort((a, b) => cmp(a.group, b.group) || a.q - b.q);
  for (const t of ties) yield t.json;
}
