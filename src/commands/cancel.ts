/** /cancel and the Cancel button on every platform: the requester (or a moderator) stops a job. */
import type { CancelRefusalCode, CancelRequester, JobOwner } from '../queue/types.js';
import type { CommandContext } from './context.js';
import { cancelFor } from './job-actions.js';
import { noJobToCancelText } from './texts.js';

export const name = 'cancel';
export const description = 'Cancel your picture, waiting or running.';

/** /cancel: every job of the user on this platform. Returns the sentence for them. */
export async function cancelMine(ctx: CommandContext, who: Pick<JobOwner, 'userId' | 'platform'>): Promise<string> {
  const mine = await ctx.queue.jobsOf(who.userId, who.platform);
  if (mine.length === 0) return noJobToCancelText();
  const results = await Promise.all(mine.map((job) => cancelFor(ctx.queue, job.id, { userId: who.userId })));
  return results.map((r) => r.message).join('\n');
}

/** The Cancel button of one job. */
export async function cancelJob(
  ctx: CommandContext,
  jobId: string,
  by: CancelRequester,
): Promise<{ ok: boolean; message: string; code?: CancelRefusalCode }> {
  const result = await cancelFor(ctx.queue, jobId, by);
  ctx.logger.info({ jobId, userId: by.userId, ok: result.ok }, 'cancel asked');
  return result;
}
