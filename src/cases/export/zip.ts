// A small streaming zip writer: entries are deflated as they stream (node:zlib deflateRaw), sizes and CRC-32
// follow each entry in a data descriptor, so nothing is held but the current chunk and one central-directory
// record per entry. No zip64: an entry, and the whole archive, must stay under 4 GiB (checked, not wrapped).
import { Readable } from 'node:stream';
import { crc32, createDeflateRaw } from 'node:zlib';

const LIMIT = 0xffffffff;
const FLAGS = 0x0008 | 0x0800; // sizes in a data descriptor; UTF-8 names
const DEFLATE = 8;
const VERSION = 20;

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  time: number;
  date: number;
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((Math.max(1980, d.getUTCFullYear()) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export class ZipWriter {
  private readonly entries: Written[] = [];
  private offset = 0;

  constructor(private readonly modified = new Date()) {}

  private count(b: Buffer): Buffer {
    this.offset += b.length;
    if (this.offset > LIMIT) throw new Error('the zip archive would exceed 4 GiB (zip64 is not supported)');
    return b;
  }

  /** One file of the archive, its content deflated as it streams. */
  async *entry(name: string, content: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): AsyncGenerator<Buffer> {
    const nameBytes = Buffer.from(name, 'utf8');
    const { time, date } = dosTime(this.modified);
    const written: Written = { name: nameBytes, crc: 0, compressed: 0, size: 0, offset: this.offset, time, date };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    // crc and sizes (14..25) stay 0: they follow in the data descriptor.
    header.writeUInt16LE(nameBytes.length, 26);
    yield this.count(Buffer.concat([header, nameBytes]));

    const deflate = createDeflateRaw();
    const source = Readable.from(
      (async function* () {
        for await (const chunk of content) {
          const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          if (!b.length) continue;
          written.crc = crc32(b, written.crc);
          written.size += b.length;
          if (written.size > LIMIT) throw new Error(`zip entry ${name} would exceed 4 GiB (zip64 is not supported)`);
          yield b;
        }
      })(),
    );
    source.once('error', (err) => deflate.destroy(err));
    source.pipe(deflate);
    for await (const out of deflate as AsyncIterable<Buffer>) {
      written.compressed += out.length;
      yield this.count(out);
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(written.crc >>> 0, 4);
    descriptor.writeUInt32LE(written.compressed, 8);
    descriptor.writeUInt32LE(written.size, 12);
    yield this.count(descriptor);
    this.entries.push(written);
  }

  /** The central directory and its end record: the archive's last bytes. */
  *finish(): Generator<Buffer> {
    const start = this.offset;
    for (const e of this.entries) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(VERSION, 4);
      h.writeUInt16LE(VERSION, 6);
      h.writeUInt16LE(FLAGS, 8);
      h.writeUInt16LE(DEFLATE, 10);
      h.writeUInt16LE(e.time, 12);
      h.writeUInt16LE(e.date, 14);
      h.writeUInt32LE(e.crc >>> 0, 16);
      h.writeUInt32LE(e.compressed, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt32LE(e.offset, 42);
      yield this.count(Buffer.concat([h, e.name]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    yield this.count(end);
  }
}
