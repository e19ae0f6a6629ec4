// `taser init DIR`: scaffolds a deployment repository (config, an example plugin, Dockerfile, compose, the
// GitHub Actions workflows that check pull requests and ship merges, CODEOWNERS, README). Refuses to write
// over anything that exists.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { scaffoldPlugin } from '../plugins/scaffold.js';
import * as files from './repo-files.js';

export interface InitOptions {
  image?: string;
  owners?: string;
  example?: string;
}

export function initDeploymentRepo(dir: string, options: InitOptions = {}): string[] {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).some((f) => f !== '.git')) throw new Error(`${root} is not empty: taser init writes a new repository`);
  const o: files.RepoOptions = {
    image: options.image ?? 'ghcr.io/your-org/taser:0.1.0',
    owners: options.owners ?? '@your-org/taser-admins',
    example: options.example ?? 'hello',
  };
  if (!/^@[\w.-]+(\/[\w.-]+)?$|^[^@\s]+@[^@\s]+$/.test(o.owners)) throw new Error(`--owners ${JSON.stringify(o.owners)}: a GitHub @user, @org/team or an e-mail`);
  const text: [string, string][] = [
    ['taser.yaml', files.taserYaml(o)],
    ['Dockerfile', files.dockerfile(o)],
    ['.dockerignore', files.dockerignore],
    ['compose.yaml', files.compose],
    ['CODEOWNERS', files.codeowners(o)],
    ['.gitignore', files.gitignore],
    ['README.md', files.readme(o)],
    ['.github/checks.sh', files.checksSh],
    ['.github/manifest-diff.mjs', files.manifestDiff],
    ['.github/workflows/pull-request.yaml', files.pullRequestWorkflow(o)],
    ['.github/workflows/deploy.yaml', files.deployWorkflow],
  ];
  const written: string[] = [];
  for (const [name, body] of text) {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body, { mode: name.endsWith('.sh') ? 0o755 : 0o644 });
    written.push(path);
  }
  written.push(...scaffoldPlugin(join(root, 'plugins'), o.example, 'command'));
  return written;
}
