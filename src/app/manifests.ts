// Reads the Slack app manifests in manifests/ (YAML), e.g. to check that every slash command is declared.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** manifest file name -> the slash commands it declares. */
export function manifestSlashCommands(dir: string): Record<string, Set<string>> {
  const result: Record<string, Set<string>> = {};
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const manifest = parse(readFileSync(join(dir, file), 'utf8')) as { features?: { slash_commands?: { command: string }[] } };
    result[file] = new Set((manifest.features?.slash_commands ?? []).map((c) => c.command));
  }
  return result;
}
