// The Slack Web API fake in a process of its own, for benches that measure taser's event loop: Slack is
// another machine, so the fake's HTTP server, JSON parsing and call log must not run on taser's loop (in
// taser's process they took a share of every burst the bench timed). The parent drives it over Node's IPC
// channel: set-up (channels), a reset, call counts and stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSlackFake, type FakeChannel, type SlackFake } from '../test/support/slack-fake.js';
import { isMain } from './support.js';

type Request =
  | { id: number; op: 'addChannel'; channel: FakeChannel; botIsMember?: boolean }
  | { id: number; op: 'reset' }
  | { id: number; op: 'count'; method: string }
  | { id: number; op: 'stop' };
/** A request without its id (Omit distributed over the union). */
type Call = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;
type Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

export interface RemoteSlackFake {
  apiUrl: string;
  /** A response_url the fake serves (its log is in the fake's process). */
  responseUrl(id: string): string;
  addChannel(channel: FakeChannel, options?: { botIsMember?: boolean }): Promise<void>;
  reset(): Promise<void>;
  /** Calls the fake saw to one Web API method since start or the last reset. */
  callCount(method: string): Promise<number>;
  stop(): Promise<void>;
}

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));

export async function startRemoteSlackFake(options: { token: string }): Promise<RemoteSlackFake> {
  const child = spawn(process.execPath, [RUN_TS, fileURLToPath(import.meta.url), JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let exited = false;
  const ready = new Promise<{ apiUrl: string; baseUrl: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { apiUrl: string; baseUrl: string }));
    child.once('exit', (code) => reject(new Error(`the Slack fake process exited with ${code} before it was ready`)));
  });
  child.on('message', (m: Reply | { apiUrl: string }) => {
    if (!('id' in m)) return;
    const waiter = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) waiter?.resolve(m.value);
    else waiter?.reject(new Error(m.error));
  });
  child.once('exit', () => {
    exited = true;
    for (const w of pending.values()) w.reject(new Error('the Slack fake process exited'));
    pending.clear();
  });
  const call = (request: Call): Promise<unknown> =>
    exited
      ? Promise.reject(new Error('the Slack fake process exited'))
      : new Promise((resolve, reject) => {
          const id = ++nextId;
          pending.set(id, { resolve, reject });
          child.send({ ...request, id });
        });
  const { apiUrl, baseUrl } = await ready;
  return {
    apiUrl,
    responseUrl: (id) => `${baseUrl}/response/${id}`,
    addChannel: async (channel, o = {}) => void (await call({ op: 'addChannel', channel, botIsMember: o.botIsMember })),
    reset: async () => void (await call({ op: 'reset' })),
    callCount: async (method) => (await call({ op: 'count', method })) as number,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      await call({ op: 'stop' }).catch(() => {});
      await gone;
    },
  };
}

function serve(fake: SlackFake, send: (m: unknown) => void): void {
  process.on('message', (m: Request) => {
    const answer = (value?: unknown) => send({ id: m.id, ok: true, value } satisfies Reply);
    try {
      if (m.op === 'addChannel') answer(void fake.addChannel(m.channel, { botIsMember: m.botIsMember }));
      else if (m.op === 'reset') answer(fake.reset());
      else if (m.op === 'count') answer(fake.callsTo(m.method).length);
      else if (m.op === 'stop') void fake.stop().then(() => answer()).finally(() => process.disconnect());
    } catch (err) {
      send({ id: m.id, ok: false, error: String(err) } satisfies Reply);
    }
  });
  send({ apiUrl: fake.apiUrl, baseUrl: fake.baseUrl });
}

if (isMain(import.meta.url)) {
  const send = process.send?.bind(process);
  if (!send) throw new Error('slack-fake-process.ts runs as a child with an IPC channel (startRemoteSlackFake)');
  serve(await startSlackFake(JSON.parse(process.argv[2]!) as { token: string }), send);
}
