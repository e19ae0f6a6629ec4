// Without MONGODB_URI and without Go, the embedded database cannot be built: the error says what to do.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goProblem } from '../../src/store/embedded-db.js';

describe('embedded database', () => {
  it('explains what to install when Go is missing and nothing is cached', () => {
    const runner = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
    const script = fileURLToPath(new URL('../../src/store/embedded-db.ts', import.meta.url));
    const probe = join(mkdtempSync(join(tmpdir(), 'taser-nogo-')), 'probe.mts');
    writeFileSync(probe, `import { ensureEmbeddedBinary } from ${JSON.stringify(script)};\ntry { ensureEmbeddedBinary(); console.log('built'); } catch (e) { console.log((e as Error).message); }\n`);
    const res = spawnSync(process.execPath, [runner, probe], {
      env: { PATH: '/nonexistent', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'taser-cache-')), HOME: tmpdir() },
      encoding: 'utf8',
    });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/No MONGODB_URI is set and Go is not installed/);
    expect(res.stdout).toMatch(/set MONGODB_URI/);
    expect(res.stdout).toMatch(/install Go >= 1\.24/);
  });

  it('names a Go too old to build it (Debian bookworm\'s 1.19) and accepts 1.24 and later', () => {
    expect(goProblem('go version go1.19.8 linux/amd64')).toMatch(/installed Go is go1\.19, too old.*Go >= 1\.24.*golang-go package is 1\.19/);
    expect(goProblem('go version go1.24.0 linux/amd64')).toBeUndefined();
    expect(goProblem('go version go1.26.8 linux/amd64')).toBeUndefined();
    expect(goProblem(null)).toMatch(/Go is not installed/);
  });
});
