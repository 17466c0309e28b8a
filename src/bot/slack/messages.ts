/** A job screen as the Slack channel message that follows the job: the shared sentences, in blocks. */
import type { Screen } from '../../commands/job-view.js';
import { ITERATE_LABELS } from '../../commands/iterate-texts.js';
import { BUTTON_LABELS, KEEP_LABEL, LABELS, requestFooter } from '../../commands/texts.js';

export const CANCEL_ACTION = 'stylize_cancel';
export const REROLL_ACTION = 'stylize_reroll';
export const PARAMS_ACTION = 'stylize_params';
export const KEEP_ACTION = 'stylize_keep';
/** More style, Less style and HD (commands/iterate.ts). */
export const ITERATE_ACTIONS = { less: 'stylize_less', more: 'stylize_more', hd: 'stylize_hd' } as const;

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

const button = (actionId: string, label: string, value: string, style?: 'danger' | 'primary') => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text: label },
  value,
  ...(style ? { style } : {}),
});

export function jobMessage(userId: string, screen: Screen, previewFileId?: string): SlackMessage {
  const text = `<@${userId}>'s /stylize: ${screen.text}`;
  const blocks: unknown[] = [{ type: 'section', block_id: 'status', text: { type: 'mrkdwn', text } }];
  if (previewFileId && !screen.final) {
    blocks.push({ type: 'image', block_id: 'preview', slack_file: { id: previewFileId }, alt_text: LABELS.previewAlt });
  }
  if (screen.result) {
    const facts = screen.result.facts.map((f) => `${f.name} ${f.value}`).join(' · ');
    blocks.push({ type: 'context', block_id: 'result', elements: [{ type: 'mrkdwn', text: `${facts} · ${requestFooter(screen.result.requestId)}` }] });
  }
  const options = screen.parameters.length > 0 ? screen.parameters.join(' · ') : LABELS.defaultOptions;
  blocks.push({ type: 'context', block_id: 'options', elements: [{ type: 'mrkdwn', text: options }] });
  const actions =
    screen.cancelJobId !== undefined
      ? [
          ...(screen.keepJobId !== undefined ? [button(KEEP_ACTION, KEEP_LABEL, screen.keepJobId, 'primary')] : []),
          button(CANCEL_ACTION, BUTTON_LABELS.cancel, screen.cancelJobId, 'danger'),
        ]
      : screen.rerollKey !== undefined
        ? [button(REROLL_ACTION, BUTTON_LABELS.reroll, screen.rerollKey, 'primary'), button(PARAMS_ACTION, BUTTON_LABELS.params, screen.rerollKey)]
        : [];
  if (screen.result && screen.rerollKey !== undefined) {
    const key = screen.rerollKey;
    actions.push(...(['less', 'more', 'hd'] as const).map((kind) => button(ITERATE_ACTIONS[kind], ITERATE_LABELS[kind], key)));
  }
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: 'job_actions', elements: actions });
  return { text, blocks };
}
