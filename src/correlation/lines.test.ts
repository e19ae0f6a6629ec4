import { afterAll, describe, expect, it } from 'vitest';
import { LineReader } from './lines.js';
import { TempDir } from '../../test/correlation/helpers.js';

const dir = new TempDir();
afterAll(() => dir.remove());

function readAll(text: string, blockSize: number): string[] {
  const reader = new LineReader(dir.file('lines.txt', text), blockSize);
  const out: string[] = [];
  for (let line = reader.next(); line !== undefined; line = reader.next()) out.push(line);
  return out;
}

describe('LineReader', () => {
  it('splits on \\n, \\r\\n and a lone \\r as readline does, whatever the block size', () => {
    const text = 'a\r\nbé\r\rc\n\n𝄞 d\re';
    for (const blockSize of [1, 2, 3, 5, 64]) expect(readAll(text, blockSize), `block ${blockSize}`).toEqual(['a', 'bé', '', 'c', '', '𝄞 d', 'e']);
  });

  it('gives no empty last line after a final line end, and nothing for an empty file', () => {
    for (const blockSize of [1, 4, 64]) {
      expect(readAll('x\r\n', blockSize)).toEqual(['x']);
      expect(readAll('x\r', blockSize)).toEqual(['x']);
      expect(readAll('', blockSize)).toEqual([]);
    }
  });
});
