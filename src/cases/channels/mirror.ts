// How the case outbox (src/cases/sync.ts) mirrors channel events: each case channel is its own log folder in
// the backend, a task "Slack #<name>" in group `slack` (made on `channel_opened`, or on the first message if
// that came first), and each `channel_message` one task log, dated by its Slack ts. The task id is kept on the
// channel's doc once made; both backend calls are idempotent, so a retried event never doubles anything.
import type { BackendCaseRef, CaseBackend } from '../backend.js';
import type { CaseEvent, CaseEventData } from '../model.js';
import { entryLine } from './entry.js';
import type { CaseChannelStore } from './store.js';

export const TASK_GROUP = 'slack';
export const taskTitle = (name: string) => `Slack #${name}`;

export async function mirrorChannelEvent(channels: CaseChannelStore, backend: CaseBackend, ref: BackendCaseRef, event: CaseEvent, signal: () => AbortSignal): Promise<void> {
  if (event.kind === 'channel_opened') {
    const { channel, name } = event.data as CaseEventData['channel_opened'];
    await taskOf(channels, backend, ref, channel, name, signal);
    return;
  }
  if (event.kind !== 'channel_message') return;
  const entry = event.data as CaseEventData['channel_message'];
  const taskId = await taskOf(channels, backend, ref, entry.channel, entry.channelName, signal);
  await backend.addTaskLog(ref, taskId, { message: entryLine(entry), date: new Date(Number(entry.ts) * 1000) }, signal());
}

async function taskOf(channels: CaseChannelStore, backend: CaseBackend, ref: BackendCaseRef, channel: string, name: string, signal: () => AbortSignal): Promise<string> {
  const doc = await channels.get(channel);
  if (doc?.taskId) return doc.taskId;
  const { id } = await backend.addTask(ref, { title: taskTitle(name), group: TASK_GROUP, description: `Every message of the Slack channel #${name}, logged by taser.` }, signal());
  await channels.setTask(channel, id);
  return id;
}
