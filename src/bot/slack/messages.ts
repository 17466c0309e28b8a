import { parameterLines } from '../../commands/job-actions.js';
import {
  cancelledText,
  doneText,
  failedText,
  progressText,
  queuedText,
  startedText,
} from '../../commands/texts.js';
import type { JobOutcome, JobProgress } from '../../queue/types.js';

/** The channel message that follows one job: the shared sentences, in Slack blocks. */

export const CANCEL_ACTION = 'stylize_cancel';

export type JobPhase =
  | { kind: 'queued'; position: number; etaMs?: number }
  | { kind: 'running'; etaMs?: number; progress?: JobProgress }
  | { kind: 'settled'; outcome: JobOutcome };

export interface JobView {
  jobId: string;
  requestId: string;
  userId: string;
  /** Option values as the user gave them, shown so the message says what was asked. */
  given: Record<string, unknown>;
  phase: JobPhase;
}

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

function statusText(view: JobView): string {
  const { phase } = view;
  switch (phase.kind) {
    case 'queued':
      return queuedText(phase.position, phase.etaMs);
    case 'running':
      return phase.progress ? progressText(phase.progress) : startedText(phase.etaMs);
    case 'settled': {
      const { outcome } = phase;
      if (outcome.status === 'done')
        return doneText(outcome.result.stats.ms / 1000, outcome.result.stats.backend);
      if (outcome.status === 'cancelled') return cancelledText(outcome.by, view.userId);
      return failedText(outcome.failure, view.requestId);
    }
  }
}

function optionsLine(given: Record<string, unknown>): string {
  const parts = parameterLines(given, 'slack');
  return parts.length > 0 ? parts.join(' · ') : 'default options';
}

export function jobMessage(view: JobView): SlackMessage {
  const status = statusText(view);
  const text = `<@${view.userId}>'s /stylize: ${status}`;
  const blocks: unknown[] = [
    { type: 'section', block_id: 'status', text: { type: 'mrkdwn', text } },
    { type: 'context', block_id: 'options', elements: [{ type: 'mrkdwn', text: optionsLine(view.given) }] },
  ];
  if (view.phase.kind !== 'settled') {
    blocks.push({
      type: 'actions',
      block_id: 'job_actions',
      elements: [
        {
          type: 'button',
          action_id: CANCEL_ACTION,
          text: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
          value: view.jobId,
        },
      ],
    });
  }
  return { text, blocks };
}
