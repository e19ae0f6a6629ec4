// Node flags a command is re-run with by bin/taser.js (and run with by the bench's `taser simulate` child).
// `taser simulate` and `taser preview` replay a file in one long batch: V8's young generation, left to grow
// to its default (three 16 MiB semi-spaces' worth), is about 55 MB of their peak memory and buys them no
// speed. V8 reads the flag only when the process starts, so it cannot be set from inside.

export const BATCH_NODE_FLAGS = ['--max-semi-space-size=2'];

/** The flags to re-run `taser <args>` with, or undefined when it runs as it is. */
export function reexecFlags(args, execArgv) {
  if (args[0] !== 'simulate' && args[0] !== 'preview') return undefined;
  if (execArgv.some((flag) => flag.startsWith('--max-semi-space-size'))) return undefined;
  return BATCH_NODE_FLAGS;
}
