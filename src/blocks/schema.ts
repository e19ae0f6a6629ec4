// Block Kit's schema (https://docs.slack.dev/reference/block-kit): block and element types, the fields each
// requires, the text object types each field takes, and no unknown fields. `taser plugin check` runs it on every
// rendered template, so a template Slack would refuse (invalid_blocks) fails in CI, not in a channel.
// Limits (lengths, counts) are src/blocks/limits.ts's job: the renderer fits content to them.
import { z } from 'zod';

const plainText = z.strictObject({ type: z.literal('plain_text'), text: z.string(), emoji: z.boolean().optional() });
const mrkdwn = z.strictObject({ type: z.literal('mrkdwn'), text: z.string(), verbatim: z.boolean().optional() });
const anyText = z.discriminatedUnion('type', [plainText, mrkdwn]);
const option = z.strictObject({ text: anyText, value: z.string(), description: plainText.optional(), url: z.string().optional() });
const optionGroup = z.strictObject({ label: plainText, options: z.array(option) });
const confirm = z.strictObject({ title: plainText, text: anyText, confirm: plainText, deny: plainText, style: z.enum(['primary', 'danger']).optional() });
const slackFile = z.strictObject({ url: z.string().optional(), id: z.string().optional() });

const base = { action_id: z.string().optional(), confirm: confirm.optional(), focus_on_load: z.boolean().optional() };
const placeholder = { placeholder: plainText.optional() };

const button = z.strictObject({
  type: z.literal('button'), text: plainText, action_id: z.string().optional(), url: z.string().optional(), value: z.string().optional(),
  style: z.enum(['primary', 'danger']).optional(), confirm: confirm.optional(), accessibility_label: z.string().optional(),
});
const imageElement = z.strictObject({ type: z.literal('image'), alt_text: z.string(), image_url: z.string().optional(), slack_file: slackFile.optional() });
const staticSelect = z.strictObject({
  type: z.literal('static_select'), ...base, ...placeholder, options: z.array(option).optional(), option_groups: z.array(optionGroup).optional(), initial_option: option.optional(),
});
const multiStaticSelect = z.strictObject({
  type: z.literal('multi_static_select'), ...base, ...placeholder, options: z.array(option).optional(), option_groups: z.array(optionGroup).optional(),
  initial_options: z.array(option).optional(), max_selected_items: z.number().optional(),
});
const externalSelect = z.strictObject({ type: z.enum(['external_select', 'multi_external_select']), ...base, ...placeholder, min_query_length: z.number().optional(), initial_option: option.optional(), initial_options: z.array(option).optional(), max_selected_items: z.number().optional() });
const usersSelect = z.strictObject({ type: z.enum(['users_select', 'multi_users_select']), ...base, ...placeholder, initial_user: z.string().optional(), initial_users: z.array(z.string()).optional(), max_selected_items: z.number().optional() });
const conversationsSelect = z.strictObject({
  type: z.enum(['conversations_select', 'multi_conversations_select', 'channels_select', 'multi_channels_select']), ...base, ...placeholder,
  initial_conversation: z.string().optional(), initial_conversations: z.array(z.string()).optional(), initial_channel: z.string().optional(), initial_channels: z.array(z.string()).optional(),
  default_to_current_conversation: z.boolean().optional(), response_url_enabled: z.boolean().optional(), filter: z.record(z.string(), z.unknown()).optional(), max_selected_items: z.number().optional(),
});
const overflow = z.strictObject({ type: z.literal('overflow'), action_id: z.string().optional(), options: z.array(option).min(1), confirm: confirm.optional() });
const datepicker = z.strictObject({ type: z.literal('datepicker'), ...base, ...placeholder, initial_date: z.string().optional() });
const timepicker = z.strictObject({ type: z.literal('timepicker'), ...base, ...placeholder, initial_time: z.string().optional(), timezone: z.string().optional() });
const datetimepicker = z.strictObject({ type: z.literal('datetimepicker'), ...base, initial_date_time: z.number().optional() });
const choices = z.strictObject({ type: z.enum(['radio_buttons', 'checkboxes']), ...base, options: z.array(option).min(1), initial_option: option.optional(), initial_options: z.array(option).optional() });
const textInput = z.strictObject({
  type: z.literal('plain_text_input'), ...base, ...placeholder, initial_value: z.string().optional(), multiline: z.boolean().optional(),
  min_length: z.number().optional(), max_length: z.number().optional(), dispatch_action_config: z.record(z.string(), z.unknown()).optional(),
});
const otherInput = z.strictObject({
  type: z.enum(['email_text_input', 'url_text_input', 'number_input', 'rich_text_input', 'file_input']), ...base, ...placeholder,
  initial_value: z.unknown().optional(), is_decimal_allowed: z.boolean().optional(), min_value: z.string().optional(), max_value: z.string().optional(),
  filetypes: z.array(z.string()).optional(), max_files: z.number().optional(), dispatch_action_config: z.record(z.string(), z.unknown()).optional(),
});

const selects = [staticSelect, multiStaticSelect, externalSelect, usersSelect, conversationsSelect];
const interactive = z.union([button, overflow, datepicker, timepicker, datetimepicker, choices, ...selects]);
const accessory = z.union([button, imageElement, overflow, datepicker, timepicker, choices, ...selects]);
const inputElement = z.union([textInput, otherInput, datepicker, timepicker, datetimepicker, choices, ...selects]);

const blockBase = { block_id: z.string().optional() };
const section = z
  .strictObject({ type: z.literal('section'), ...blockBase, text: anyText.optional(), fields: z.array(anyText).min(1).optional(), accessory: accessory.optional(), expand: z.boolean().optional() })
  .refine((b) => b.text !== undefined || b.fields !== undefined, 'a section needs text or fields');
const BLOCKS = {
  section,
  header: z.strictObject({ type: z.literal('header'), ...blockBase, text: plainText }),
  divider: z.strictObject({ type: z.literal('divider'), ...blockBase }),
  context: z.strictObject({ type: z.literal('context'), ...blockBase, elements: z.array(z.union([imageElement, anyText])).min(1) }),
  actions: z.strictObject({ type: z.literal('actions'), ...blockBase, elements: z.array(interactive).min(1) }),
  image: z
    .strictObject({ type: z.literal('image'), ...blockBase, alt_text: z.string(), image_url: z.string().optional(), slack_file: slackFile.optional(), title: plainText.optional() })
    .refine((b) => b.image_url !== undefined || b.slack_file !== undefined, 'an image needs image_url or slack_file'),
  input: z.strictObject({
    type: z.literal('input'), ...blockBase, label: plainText, element: inputElement, hint: plainText.optional(), optional: z.boolean().optional(), dispatch_action: z.boolean().optional(),
  }),
  // Rich text, files and videos have deep schemas of their own: their type and shape are checked loosely.
  rich_text: z.looseObject({ type: z.literal('rich_text'), ...blockBase, elements: z.array(z.looseObject({ type: z.string() })) }),
  file: z.strictObject({ type: z.literal('file'), ...blockBase, external_id: z.string(), source: z.literal('remote') }),
  video: z.looseObject({ type: z.literal('video'), ...blockBase, alt_text: z.string(), title: plainText, thumbnail_url: z.string(), video_url: z.string() }),
} as const;
type BlockType = keyof typeof BLOCKS;

/** Which blocks each surface accepts. */
const SURFACE_BLOCKS: Record<'message' | 'modal' | 'home', BlockType[]> = {
  message: ['section', 'header', 'divider', 'context', 'actions', 'image', 'rich_text', 'file', 'video', 'input'],
  modal: ['section', 'header', 'divider', 'context', 'actions', 'image', 'rich_text', 'input', 'video'],
  home: ['section', 'header', 'divider', 'context', 'actions', 'image', 'rich_text', 'input', 'video'],
};

const modalView = z.looseObject({
  type: z.literal('modal'), title: plainText, blocks: z.array(z.unknown()), submit: plainText.optional(), close: plainText.optional(),
  callback_id: z.string().optional(), private_metadata: z.string().optional(), external_id: z.string().optional(),
});
const homeView = z.looseObject({ type: z.literal('home'), blocks: z.array(z.unknown()), callback_id: z.string().optional(), private_metadata: z.string().optional() });

function issues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('');
    if (i.code === 'unrecognized_keys') return `${path}: unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}

function blockProblems(blocks: unknown, surface: 'message' | 'modal' | 'home'): string[] {
  if (!Array.isArray(blocks)) return ['blocks: must be an array'];
  const problems: string[] = [];
  blocks.forEach((block, i) => {
    const path = `blocks[${i}]`;
    const type = (block as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !(type in BLOCKS)) return void problems.push(`${path}.type: ${JSON.stringify(type)} is not a Block Kit block type`);
    if (!SURFACE_BLOCKS[surface].includes(type as BlockType)) return void problems.push(`${path}.type: a ${surface} cannot hold a "${type}" block`);
    const parsed = BLOCKS[type as BlockType].safeParse(block);
    if (!parsed.success) problems.push(...issues(path, parsed.error));
  });
  return problems;
}

/** What Slack would refuse in a message payload ({text, blocks}); [] when it is valid. */
export function messageSchemaProblems(message: unknown): string[] {
  const m = message as { text?: unknown; blocks?: unknown } | null;
  if (typeof m !== 'object' || m === null) return ['message: must be an object'];
  const problems: string[] = [];
  if (m.text !== undefined && typeof m.text !== 'string') problems.push('text: must be a string');
  if (m.blocks !== undefined) problems.push(...blockProblems(m.blocks, 'message'));
  return problems;
}

/** What Slack would refuse in a view (modal or Home tab); [] when it is valid. */
export function viewSchemaProblems(view: unknown): string[] {
  const type = (view as { type?: unknown } | null)?.type;
  if (type !== 'modal' && type !== 'home') return [`view.type: ${JSON.stringify(type)} is not "modal" or "home"`];
  const parsed = (type === 'modal' ? modalView : homeView).safeParse(view);
  if (!parsed.success) return issues('view', parsed.error);
  const problems = blockProblems(parsed.data.blocks, type);
  if (type === 'modal' && !parsed.data.submit && (parsed.data.blocks as { type?: string }[]).some((b) => b?.type === 'input')) {
    problems.push('view.submit: a modal with input blocks needs a submit button');
  }
  return problems;
}
