// Node flags a command is re-run with by bin/taser.js (and run with by the bench's `taser simulate` child).
// `taser simulate` and `taser preview` replay a file in one long batch: V8's young generation, left to grow
// to its default (three 16 MiB semi-spaces' worth), is about 55 MB of their peak memory and buys them no
// speed. Their live heap stays at 20-40 MB, but what a long replay promotes and drops (signal ids that lived
// through a window, alerts waiting for their sort to spill) piles up as garbage to well over 100 MB before V8's
// default growth factor (up to 4x the live heap) calls a full collection: a growth of 20% keeps the 1M-line
// bench's peak RSS at about 175 MB instead of 300 MB, for a few percent more CPU. V8 reads these flags only
// when the process starts, so they cannot be set from inside.

// Semi-spaces of 1 MiB rather than 2: about 4 MB less at the 1M-line peak (141 against 145 MB in the same
// minutes), replay CPU within the noise of a loaded machine. `--expose-gc`: the simulator calls one full
// collection between its replay and its output, when the engine's tables have just become garbage.
export const BATCH_NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=20', '--expose-gc'];

// And the environment: `taser simulate` parses in a worker thread, and glibc gives each thread a malloc arena
// of its own that keeps what the thread freed (the buffers it handed over, its compiler's memory) after the
// worker has stopped: about 10 MB of the 1M-line bench's peak that the replay cannot reuse. One arena for all.
export const BATCH_NODE_ENV = { MALLOC_ARENA_MAX: '1' };

/** The flags to re-run `taser <args>` with, or undefined when it runs as it is. */
export function reexecFlags(args, execArgv) {
  if (args[0] !== 'simulate' && args[0] !== 'preview') return undefined;
  if (execArgv.some((flag) => flag.startsWith('--max-semi-space-size'))) return undefined;
  return BATCH_NODE_FLAGS;
}
