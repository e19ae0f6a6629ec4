// An RFC 4180 CSV reader for inventory exports: a header row, fields separated by commas, records ended by
// CRLF or LF (a lone CR too, for old exports), fields optionally in double quotes where a doubled quote is a
// quote and commas and line breaks are data. Also: a UTF-8 byte order mark is dropped (spreadsheet exports
// start with one) and empty lines are skipped. Anything else that is not CSV is an error naming its line.

export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    /** 1-based physical line where the problem is. */
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

export interface CsvRecord {
  /** 1-based physical line where the record starts (a quoted field may span several lines). */
  line: number;
  fields: string[];
}

export interface CsvTable {
  header: string[];
  /** The records after the header, each with exactly as many fields as the header. */
  records: CsvRecord[];
}

/** Splits CSV text into records of fields; no header handling. */
export function parseCsvRecords(text: string): CsvRecord[] {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = input.length;

  // True at a record end (consumed, line counted) or at the end of the input.
  const atRecordEnd = (): boolean => {
    if (i >= n) return true;
    const c = input[i];
    if (c === '\n' || c === '\r') {
      i += c === '\r' && input[i + 1] === '\n' ? 2 : 1;
      line++;
      return true;
    }
    return false;
  };

  while (i < n) {
    const start = line;
    // An empty line is no record (RFC 4180 would make it one empty field; no export means that).
    if (atRecordEnd()) continue;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (input[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(opened, 'a quoted field is never closed (a " is missing)');
          const c = input[i]!;
          if (c === '"') {
            if (input[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n' || (c === '\r' && input[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        if (i < n && input[i] !== ',' && input[i] !== '\n' && input[i] !== '\r') {
          throw new CsvError(line, `unexpected ${JSON.stringify(input[i])} after a closing quote (a quote inside a quoted field is written "")`);
        }
      } else {
        while (i < n && input[i] !== ',' && input[i] !== '\n' && input[i] !== '\r') {
          if (input[i] === '"') throw new CsvError(line, 'a " inside an unquoted field (quote the whole field and double the quote: "say ""hi""")');
          field += input[i];
          i++;
        }
      }
      fields.push(field);
      if (input[i] === ',') {
        i++;
        continue;
      }
      atRecordEnd();
      break;
    }
    records.push({ line: start, fields });
  }
  return records;
}

/** A CSV file with a header row: every record must have as many fields as the header. */
export function parseCsv(text: string): CsvTable {
  const [head, ...records] = parseCsvRecords(text);
  if (!head) throw new CsvError(1, 'the file is empty: a header row is expected');
  for (const record of records) {
    if (record.fields.length !== head.fields.length) {
      throw new CsvError(record.line, `${record.fields.length} field(s), but the header (line ${head.line}) has ${head.fields.length}`);
    }
  }
  return { header: head.fields, records };
}
