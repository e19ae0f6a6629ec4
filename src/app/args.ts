/** Splits slash-command text on whitespace, keeping "double quoted" or “smart quoted” arguments whole. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  const re = /"([^"]*)"|“([^”]*)”|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) args.push(m[1] ?? m[2] ?? m[3] ?? '');
  return args;
}
