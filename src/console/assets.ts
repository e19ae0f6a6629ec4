// Static assets, served by taser itself (SOC networks are often closed: no CDN). A fixed list, no paths from
// the request; each URL carries its content hash, so browsers may cache it for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const SOURCES: Record<string, { path: string; type: string }> = {
  // htmx, pinned in package.json (htmx.org), from its npm package.
  'htmx.min.js': { path: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'console.css': { path: join(HERE, 'assets', 'console.css'), type: 'text/css; charset=utf-8' },
  'console.js': { path: join(HERE, 'assets', 'console.js'), type: 'text/javascript; charset=utf-8' },
};

export class Assets {
  private readonly assets = new Map<string, Asset>();

  constructor() {
    for (const [name, { path, type }] of Object.entries(SOURCES)) {
      const body = readFileSync(path);
      this.assets.set(name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
    }
  }

  /** The URL to put in a page: /ui/assets/<name>?v=<hash>. */
  url(name: string): string {
    const asset = this.assets.get(name);
    if (!asset) throw new Error(`no console asset ${name}`);
    return `/ui/assets/${name}?v=${asset.hash}`;
  }

  /** Answers a request for /ui/assets/<name>; false when there is no such asset. */
  serve(name: string, res: ServerResponse): boolean {
    const asset = this.assets.get(name);
    if (!asset) return false;
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    res.end(asset.body);
    return true;
  }
}
