// `/case export N [json|csv]`: the whole case as a file in the asker's direct messages with taser, through
// Slack's external upload: files.getUploadURLExternal (name and size) -> the bytes POSTed to the upload URL
// Slack returns -> files.completeUploadExternal (shares it in the DM). The export is written to a temporary
// file first (its size is part of step one) and streamed from there, so a big case never sits in memory.
import { createReadStream } from 'node:fs';
import { UserError } from '../../src/app/errors.js';
import { escapeMrkdwn } from '../../src/blocks/escape.js';
import type { CommandInput, PluginContext } from '../../src/plugins/types.js';
import type { CasesPluginConfig } from './config.js';
import { nameOf } from './replies.js';

/** An upload of a big case may take a while; Slack's upload URL accepts it for longer than an API call. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export async function exportToAsker(input: CommandInput, ctx: PluginContext<CasesPluginConfig>, ref: string, format: 'json' | 'csv'): Promise<void> {
  const c = await ctx.cases.get(ref);
  if (!c) throw new UserError(`There is no case ${escapeMrkdwn(ref)}.`);
  await input.respond(`Exporting ${nameOf(ctx, c)} as ${format === 'csv' ? 'CSV (a zip)' : 'JSON'}: the file will arrive in your direct messages with taser.`);
  const file = await ctx.cases.exportFile(c._id, format);
  try {
    const ticket = await ctx.slack.files.getUploadURLExternal({ filename: file.filename, length: file.bytes });
    if (!ticket.upload_url || !ticket.file_id) throw new Error('files.getUploadURLExternal answered without upload_url or file_id');
    const uploaded = await ctx.http.request(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(file.bytes) },
      body: createReadStream(file.path),
      timeoutMs: UPLOAD_TIMEOUT_MS,
    });
    await uploaded.text();
    if (uploaded.status !== 200) throw new Error(`the Slack upload URL answered HTTP ${uploaded.status}`);
    const dm = await ctx.slack.conversations.open({ users: input.user.id });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open answered without a channel');
    const head = file.case.headHash ? ` Log head at export: \`${file.case.headHash}\` (${file.case.lastSeq} entries); the file holds the head it verified.` : '';
    await ctx.slack.files.completeUploadExternal({
      files: [{ id: ticket.file_id, title: `Case #${c.number} export (${format})` }],
      channel_id: channel,
      initial_comment: `Export of case #${c.number}: ${c.title}.${head}`,
    });
    ctx.logger.info({ audit: 'case_exported', case: c._id, number: c.number, actor: input.user.id, format, bytes: file.bytes }, 'case exported to Slack');
    await input.respond(`Sent the export of ${nameOf(ctx, c)} (${file.filename}, ${file.bytes} bytes) to your direct messages.`);
  } finally {
    await file.remove();
  }
}
