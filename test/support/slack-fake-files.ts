// Slack's external file upload in the fake: files.getUploadURLExternal hands out an upload URL the fake
// itself serves (`/upload/<file id>`), the bytes POSTed there are kept, and files.completeUploadExternal
// shares the file in a channel (a DM too, from conversations.open in slack-fake-confirm.ts). Errors as Slack names them.
import type { SlackFake } from './slack-fake.js';

type Args = Record<string, unknown>;
type Result = Record<string, unknown> | { error: string };
type Method = (fake: SlackFake, args: Args) => Result;

export interface FakeFile {
  id: string;
  filename: string;
  /** The length announced to files.getUploadURLExternal. */
  length: number;
  bytes?: Buffer;
  title?: string;
  channel?: string;
  initialComment?: string;
  completed: boolean;
}

const files = new WeakMap<SlackFake, Map<string, FakeFile>>();

/** The files of this fake, by id. */
export function fakeFiles(fake: SlackFake): Map<string, FakeFile> {
  let map = files.get(fake);
  if (!map) files.set(fake, (map = new Map()));
  return map;
}

/** The upload URL's handler: 200 "OK - <length>" as Slack answers, 404 for an unknown file, 400 on a size mismatch. */
export function receiveUpload(fake: SlackFake, fileId: string, body: Buffer): { status: number; text: string } {
  const file = fakeFiles(fake).get(fileId);
  if (!file) return { status: 404, text: 'unknown upload' };
  if (body.length !== file.length) return { status: 400, text: `expected ${file.length} bytes, got ${body.length}` };
  file.bytes = body;
  return { status: 200, text: `OK - ${body.length}` };
}

export const fileMethods: Record<string, Method> = {
  'files.getUploadURLExternal': (fake, args) => {
    const filename = typeof args.filename === 'string' ? args.filename : '';
    const length = Number(args.length);
    if (!filename) return { error: 'invalid_arguments' };
    if (!Number.isInteger(length) || length < 1) return { error: 'invalid_arguments' };
    const id = fake.nextId('F');
    fakeFiles(fake).set(id, { id, filename, length, completed: false });
    return { upload_url: `${fake.baseUrl}/upload/${id}`, file_id: id };
  },

  'files.completeUploadExternal': (fake, args) => {
    let list: unknown = args.files;
    if (typeof list === 'string') {
      try {
        list = JSON.parse(list);
      } catch {
        return { error: 'invalid_arguments' };
      }
    }
    if (!Array.isArray(list) || !list.length) return { error: 'invalid_arguments' };
    const channel = typeof args.channel_id === 'string' ? args.channel_id : typeof args.channels === 'string' ? args.channels : undefined;
    if (channel && !fake.channels.has(channel)) return { error: 'channel_not_found' };
    const done: Record<string, unknown>[] = [];
    for (const item of list as { id?: unknown; title?: unknown }[]) {
      const file = typeof item.id === 'string' ? fakeFiles(fake).get(item.id) : undefined;
      if (!file) return { error: 'file_not_found' };
      if (!file.bytes) return { error: 'file_upload_not_complete' } as Result;
      Object.assign(file, { completed: true, ...(typeof item.title === 'string' ? { title: item.title } : {}), ...(channel ? { channel } : {}), ...(typeof args.initial_comment === 'string' ? { initialComment: args.initial_comment } : {}) });
      done.push({ id: file.id, name: file.filename, title: file.title ?? file.filename, size: file.length });
    }
    return { files: done };
  },
};
