/** /queue on every platform: your position, the queue length and an ETA, only to you. */
import type { JobOwner } from '../queue/types.js';
import type { CommandContext } from './context.js';
import { queueStatusText } from './texts.js';

export const name = 'queue';
export const description = 'Your place in the queue, its length and when your picture will be ready.';

export async function queueStatus(ctx: CommandContext, who: Pick<JobOwner, 'userId' | 'platform'>): Promise<string> {
  const snapshot = await ctx.queue.snapshot();
  // Only this platform's jobs are "yours": a user on another platform may have the same id.
  const view = { ...snapshot, jobs: snapshot.jobs.filter((j) => j.owner.platform === who.platform) };
  return queueStatusText(view, who.userId);
}
