// Buffer's own UTF-8 encoder and decoder, called directly: toString('utf8', start, end) and write(text, at)
// check their arguments and look the encoding up before calling these, which costs about as much as
// decoding or encoding the short strings the simulator moves a few million of (ids, group values, alerts'
// JSON). Callers pass ranges inside the buffer. The two methods are Buffer.prototype's own (Node's lib/buffer.js
// calls them) but not documented: a Node without them gets the public calls.
type Utf8Buffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  utf8Write(text: string, at: number, length: number): number;
};

const direct = typeof (Buffer.prototype as Partial<Utf8Buffer>).utf8Slice === 'function' && typeof (Buffer.prototype as Partial<Utf8Buffer>).utf8Write === 'function';

/** buf.toString('utf8', start, end), for start <= end <= buf.length. */
export const utf8Slice: (buf: Buffer, start: number, end: number) => string = direct
  ? (buf, start, end) => (buf as Utf8Buffer).utf8Slice(start, end)
  : (buf, start, end) => buf.toString('utf8', start, end);

/** buf.write(text, at): the bytes written (as many whole characters as fit), for at <= buf.length. */
export const utf8Write: (buf: Buffer, text: string, at: number) => number = direct
  ? (buf, text, at) => (buf as Utf8Buffer).utf8Write(text, at, buf.length - at)
  : (buf, text, at) => buf.write(text, at);
