/** The Keep this button on every platform: the requester keeps the picture shown and the painting stops. */
import type { CancelRequester } from '../queue/types.js';
import type { CommandContext } from './context.js';

export async function keepJob(ctx: CommandContext, jobId: string, by: Pick<CancelRequester, 'userId'>): Promise<{ ok: boolean; message: string }> {
  const result = await ctx.flow.keep(jobId, { userId: by.userId });
  ctx.logger.info({ jobId, userId: by.userId, ok: result.ok }, 'keep asked');
  return result;
}
