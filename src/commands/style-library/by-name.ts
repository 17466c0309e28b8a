/** /stylize style_name: on every platform: the saved painting(s) a job paints with, or the sentence why not. */
import type { StyleImage } from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { libraryOf, type StoredStyle } from './store.js';
import { libraryOffText, needServerText, noStyleGivenText } from './texts.js';

export async function savedStylesFor(
  ctx: Pick<CommandContext, 'styles'>,
  where: { platform: 'discord' | 'slack'; serverId?: string },
  styleName: string | undefined,
  attachedStyles: number,
): Promise<{ savedStyles: StyleImage[] } | { error: string }> {
  if (styleName === undefined || styleName.trim() === '') return attachedStyles > 0 ? { savedStyles: [] } : { error: noStyleGivenText() };
  if (!ctx.styles) return { error: libraryOffText() };
  if (!where.serverId) return { error: needServerText() };
  const found = await ctx.styles.find(libraryOf(where.platform, where.serverId), styleName);
  return 'error' in found ? found : { savedStyles: [savedStyleImage(found)] };
}

/** A saved style as the engine takes it: the painting and its kept style vector. */
export function savedStyleImage(style: StoredStyle): StyleImage {
  return { bytes: style.image, ...(style.vector ? { vector: style.vector } : {}) };
}
