import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from './csv.js';

describe('CSV cells', () => {
  it('quotes per RFC 4180 and ends rows with CRLF', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', 'two\nlines', null, undefined, 3, true])).toBe('a,"b,c","say ""hi""","two\nlines",,,3,true\r\n');
    expect(csvCell(new Date(Date.UTC(2026, 10, 30)))).toBe('2026-11-30T00:00:00.000Z');
  });

  it('guards text that a spreadsheet would run as a formula, not numbers', () => {
    expect(['=1+1', '+1', '-cmd', '@SUM(A1)', '\tx'].map(csvCell)).toEqual(["'=1+1", "'+1", "'-cmd", "'@SUM(A1)", "'\tx"]);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell('a=b')).toBe('a=b');
  });
});
