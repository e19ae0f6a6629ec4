// Reading a file line by line, synchronously and in large blocks: the simulator's input and its sort runs.
// Line ends as readline sees them (\n, \r\n or a lone \r); a last line without an end is a line too.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const BLOCK = 1 << 20;

/** Lines of a file, one at a time; `close()` releases the file early (reading to the end closes it too). */
export class LineReader {
  private fd: number | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buffer: Buffer;
  private text = '';
  private at = 0;
  private ended = false;

  /** Opens the file: throws the system error (ENOENT, EISDIR...) as fs does. */
  constructor(path: string, blockSize = BLOCK) {
    this.fd = openSync(path, 'r');
    this.buffer = Buffer.allocUnsafe(blockSize);
  }

  /** The next line, or undefined at the end of the file. */
  next(): string | undefined {
    for (;;) {
      const text = this.text;
      let end = this.at;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 10 || c === 13) break;
        end++;
      }
      if (end < text.length) {
        const c = text.charCodeAt(end);
        // A \r at the end of a block may be half of a \r\n: read on before deciding.
        if (c === 13 && end === text.length - 1 && !this.ended) {
          if (!this.fill()) continue;
          continue;
        }
        const line = text.slice(this.at, end);
        this.at = end + (c === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
        return line;
      }
      if (this.ended) {
        if (this.at >= text.length) return undefined;
        const line = text.slice(this.at);
        this.at = text.length;
        return line;
      }
      this.fill();
    }
  }

  /** Reads one more block onto the unread text; false at the end of the file. */
  private fill(): boolean {
    const read = this.fd === undefined ? 0 : readSync(this.fd, this.buffer, 0, this.buffer.length, null);
    const rest = this.text.slice(this.at);
    this.at = 0;
    if (read === 0) {
      this.text = rest + this.decoder.end();
      this.ended = true;
      this.close();
      return false;
    }
    this.text = rest + this.decoder.write(this.buffer.subarray(0, read));
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
