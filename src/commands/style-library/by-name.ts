/** /stylize style_name: on every platform: the saved painting(s) a job paints with, or the sentence why not. */
import type { CommandContext } from '../context.js';
import { libraryOf } from './store.js';
import { libraryOffText, needServerText, noStyleGivenText } from './texts.js';

export async function savedStylesFor(
  ctx: Pick<CommandContext, 'styles'>,
  where: { platform: 'discord' | 'slack'; serverId?: string },
  styleName: string | undefined,
  attachedStyles: number,
): Promise<{ savedStyles: Uint8Array[] } | { error: string }> {
  if (styleName === undefined || styleName.trim() === '') return attachedStyles > 0 ? { savedStyles: [] } : { error: noStyleGivenText() };
  if (!ctx.styles) return { error: libraryOffText() };
  if (!where.serverId) return { error: needServerText() };
  const found = await ctx.styles.find(libraryOf(where.platform, where.serverId), styleName);
  return 'error' in found ? found : { savedStyles: [found.image] };
}
