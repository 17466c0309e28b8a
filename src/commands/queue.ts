/** /queue on every platform: your position, the queue length and an ETA, only to you. */
import type { JobOwner } from '../queue/types.js';
import type { CommandContext } from './context.js';
import { instantQueueText, queueStatusText } from './texts.js';

export const name = 'queue';
export const description = 'Your place in the queue, its length and when your picture will be ready.';

export async function queueStatus(ctx: CommandContext, who: Pick<JobOwner, 'userId' | 'platform'>): Promise<string> {
  const snapshot = await ctx.queue.snapshot();
  // Only this platform's jobs are "yours": a user on another platform may have the same id.
  const view = { ...snapshot, jobs: snapshot.jobs.filter((j) => j.owner.platform === who.platform) };
  const text = queueStatusText(view, who.userId);
  const mine = view.jobs.filter((j) => j.owner.userId === who.userId).map((j) => ctx.flow.instantOf(j.id));
  const lane = ctx.flow.options.lane;
  const laneLine = lane ? instantQueueText(lane.on ? lane.etaMs() : undefined, mine.some((s) => s?.state === 'shown' || s?.state === 'replaced')) : undefined;
  return laneLine ? `${text}\n${laneLine}` : text;
}
