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
  // An ES module; it imports ./forms.js (shared with the server's pages) by a URL without the hash.
  'console.js': { path: join(HERE, 'assets', 'console.js'), type: 'text/javascript; charset=utf-8' },
  'forms.js': { path: join(HERE, 'assets', 'forms.js'), type: 'text/javascript; charset=utf-8' },
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

  /**
   * Answers a request for /ui/assets/<name>; false when there is no such asset. Cached for a year when the URL
   * carries the asset's hash (`version`); otherwise (a module's import) revalidated each time by its ETag.
   */
  serve(name: string, res: ServerResponse, version: string | null = null, ifNoneMatch?: string): boolean {
    const asset = this.assets.get(name);
    if (!asset) return false;
    const etag = `"${asset.hash}"`;
    const headers = {
      'content-type': asset.type,
      'cache-control': version === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag,
      'x-content-type-options': 'nosniff',
    };
    if (ifNoneMatch === etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(asset.body);
    return true;
  }
}
