// The compact rule form from the original design:
//   [( 1 SSO login from a new location) + ( 2 failed Duo pushes) ] IN [ 4 Hours ] WITH [ username ] IN COMMON
// Grammar (keywords case-insensitive, spaces free):
//   expr   := "[" part (sep part)* "]" "IN" "[" duration "]" [ "WITH" "[" field ("," field)* "]" "IN" "COMMON" ]
//   part   := "(" count name ")"          count: integer >= 1; name: a signal type in words
//   sep    := "+"                          unordered (all "+")
//           | "THEN" | "->"                ordered: each part's signals precede the next part's (all THEN/->)
// No WITH clause means one group for all signals (groupBy []).

export interface CompactRule {
  parts: { type: string; count: number }[];
  window: string;
  groupBy: string[];
  ordered: boolean;
}

export class CompactParseError extends Error {
  override readonly name = 'CompactParseError';
}

const EXPR = /^\s*\[(.*)\]\s*IN\s*\[([^\]]*)\]\s*(?:WITH\s*\[([^\]]*)\]\s*IN\s+COMMON\s*)?$/is;
const PART = /^\s*\(\s*(\d+)\s+([^()]*?)\s*\)\s*$/;

export function parseCompact(expr: string): CompactRule {
  const m = EXPR.exec(expr);
  if (!m) {
    throw new CompactParseError('expected "[(COUNT TYPE) + (COUNT TYPE)] IN [DURATION] WITH [FIELD, ...] IN COMMON" (the WITH clause is optional)');
  }
  const [, partsText, windowText, fieldsText] = m;
  // Split on separators outside parentheses.
  const tokens: string[] = [];
  const separators: string[] = [];
  let depth = 0;
  let current = '';
  const text = partsText!;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new CompactParseError('unbalanced parentheses in the parts');
    // A separator follows a closed part; spaces around it are optional ("(1 a)THEN(2 b)" as well).
    if (depth === 0 && current.trimEnd().endsWith(')')) {
      const sep = /^\s*(\+|->|THEN\b)\s*/i.exec(text.slice(i));
      if (sep) {
        tokens.push(current);
        separators.push(sep[1]!.toUpperCase());
        current = '';
        i += sep[0].length - 1;
        continue;
      }
    }
    current += ch;
  }
  if (depth !== 0) throw new CompactParseError('unbalanced parentheses in the parts');
  tokens.push(current);
  const parts = tokens.map((token, i) => {
    const p = PART.exec(token);
    if (!p) throw new CompactParseError(`part ${i + 1} ${JSON.stringify(token.trim())}: expected "( COUNT TYPE )", e.g. "( 2 failed Duo pushes )"`);
    const count = Number(p[1]);
    if (!Number.isInteger(count) || count < 1) throw new CompactParseError(`part ${i + 1}: the count must be an integer >= 1`);
    if (!p[2]!.trim()) throw new CompactParseError(`part ${i + 1}: names no signal type`);
    return { count, type: p[2]!.trim() };
  });
  const kinds = new Set(separators.map((s) => (s === '+' ? '+' : 'THEN')));
  if (kinds.size > 1) throw new CompactParseError('mixes "+" (any order) and THEN/-> (in order) between parts: use one kind');
  // "WITH [ ] IN COMMON" has nothing in common: one group, as without the clause.
  const groupBy = fieldsText === undefined || fieldsText.trim() === '' ? [] : fieldsText.split(',').map((f) => f.trim());
  if (groupBy.some((f) => f === '')) throw new CompactParseError('WITH [...] has an empty field name');
  if (!windowText!.trim()) throw new CompactParseError('IN [...] needs a duration, e.g. [ 4 Hours ]');
  return { parts, window: windowText!.trim(), groupBy, ordered: kinds.has('THEN') };
}
