// CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, quote, CR or LF is quoted, quotes doubled),
// with one guard: a cell starting with = + - @ (or a tab or CR) is prefixed with a single quote, so a
// spreadsheet opening the export shows the text instead of running it as a formula (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type Cell = string | number | boolean | Date | null | undefined;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  // Numbers are data, not formulas: -3 stays -3.
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
