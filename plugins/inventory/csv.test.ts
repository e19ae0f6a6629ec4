import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv, parseCsvRecords } from './csv.js';

const fieldsOf = (text: string) => parseCsvRecords(text).map((r) => r.fields);

describe('CSV reader (RFC 4180)', () => {
  it('reads a header and records, with CRLF or LF endings and an optional final line break', () => {
    expect(parseCsv('ip,hostname\r\n10.0.0.1,a\r\n10.0.0.2,b\r\n')).toEqual({
      header: ['ip', 'hostname'],
      records: [
        { line: 2, fields: ['10.0.0.1', 'a'] },
        { line: 3, fields: ['10.0.0.2', 'b'] },
      ],
    });
    expect(fieldsOf('a,b\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
    expect(fieldsOf('a,b\r1,2\r')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields', () => {
    expect(fieldsOf('"a,b","say ""hi""","two\r\nlines",""\n')).toEqual([['a,b', 'say "hi"', 'two\r\nlines', '']]);
  });

  it('keeps empty fields, leading and trailing ones included, and spaces as data', () => {
    expect(fieldsOf(',x,\n a , b \n')).toEqual([['', 'x', ''], [' a ', ' b ']]);
  });

  it('counts physical lines: a record starts on the line after a multi-line field', () => {
    const records = parseCsvRecords('h1,h2\n"line\nbreak",1\r\n"more\r\nbreaks\nhere",2\n\nlast,3\n');
    expect(records.map((r) => r.line)).toEqual([1, 2, 4, 8]);
    expect(records[3]!.fields).toEqual(['last', '3']);
  });

  it('drops a UTF-8 byte order mark and skips empty lines', () => {
    expect(parseCsv('\uFEFFip,hostname\n\n10.0.0.1,a\n\n')).toEqual({ header: ['ip', 'hostname'], records: [{ line: 3, fields: ['10.0.0.1', 'a'] }] });
  });

  const failure = (text: string) => {
    try {
      parseCsv(text);
    } catch (err) {
      if (err instanceof CsvError) return { line: err.line, message: err.message };
      throw err;
    }
    throw new Error('parsed without an error');
  };

  it('reports an unclosed quote at the line where the field opened', () => {
    expect(failure('a,b\n1,2\n3,"open\nand on\n')).toEqual({ line: 3, message: expect.stringMatching(/^line 3: a quoted field is never closed/) });
  });

  it('reports text after a closing quote, and a quote inside an unquoted field', () => {
    expect(failure('a,b\n"x"y,2\n')).toMatchObject({ line: 2, message: expect.stringContaining('after a closing quote') });
    expect(failure('a,b\n1,2\n3,4"5\n')).toMatchObject({ line: 3, message: expect.stringContaining('inside an unquoted field') });
  });

  it('reports a record whose field count differs from the header', () => {
    expect(failure('ip,hostname,seen\n10.0.0.1,a,2026-01-01\n10.0.0.2,b\n')).toEqual({ line: 3, message: 'line 3: 2 field(s), but the header (line 1) has 3' });
  });

  it('reports an empty file', () => {
    expect(failure('')).toMatchObject({ line: 1, message: expect.stringContaining('empty') });
    expect(failure('\uFEFF\r\n')).toMatchObject({ line: 1 });
  });
});
