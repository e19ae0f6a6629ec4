// The zip writer against the real `unzip`: entries of text rows (put together in pieces before deflating),
// Buffers between them, and non-ASCII text, read back byte for byte.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZipWriter } from './zip.js';

async function archive(entries: [string, (string | Buffer)[]][]): Promise<Buffer> {
  const zip = new ZipWriter();
  const parts: Buffer[] = [];
  for (const [name, content] of entries) for await (const b of zip.entry(name, content)) parts.push(b);
  for (const b of zip.finish()) parts.push(b);
  return Buffer.concat(parts);
}

describe('ZipWriter', () => {
  it('writes what unzip reads back: rows past several pieces, Buffers between rows, UTF-8', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => `${i},user${i}@example.com,"héllo ✓ ${'x'.repeat(i % 50)}"\r\n`);
    const mixed: (string | Buffer)[] = ['a,b\r\n', Buffer.from('raw bytes ✓\n'), Buffer.alloc(0), ...rows.slice(0, 3_000), Buffer.from('between\n'), ...rows.slice(3_000)];
    const dir = mkdtempSync(join(tmpdir(), 'taser-zip-'));
    try {
      const path = join(dir, 'x.zip');
      writeFileSync(path, await archive([['d/rows.csv', rows], ['d/mixed.txt', mixed], ['d/empty.csv', []]]));
      const unzip = (args: string[]) => execFileSync('unzip', args, { encoding: 'utf8' });
      expect(unzip(['-tq', path])).toMatch(/No errors detected/);
      expect(unzip(['-p', path, 'd/rows.csv'])).toBe(rows.join(''));
      expect(unzip(['-p', path, 'd/mixed.txt'])).toBe(mixed.map((c) => c.toString()).join(''));
      expect(unzip(['-p', path, 'd/empty.csv'])).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
