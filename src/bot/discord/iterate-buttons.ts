/** The row of More style, Less style and HD under a finished picture (commands/iterate.ts). */
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import { ITERATE_LABELS } from '../../commands/iterate-texts.js';
import type { Screen } from '../../commands/job-view.js';
import { customId } from './custom-ids.js';

/** A row of its own, so the job's other buttons keep theirs (a row holds five). */
export function iterateRow(screen: Screen): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const key = screen.rerollKey;
  if (key === undefined || !screen.result) return [];
  const button = (action: 'more' | 'less' | 'hd') =>
    new ButtonBuilder().setCustomId(customId(action, key)).setLabel(ITERATE_LABELS[action]).setStyle(ButtonStyle.Secondary);
  return [new ActionRowBuilder<ButtonBuilder>().addComponents(button('less'), button('more'), button('hd')).toJSON()];
}
