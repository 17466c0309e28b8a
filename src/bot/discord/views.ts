/** A job screen as a Discord message: components and embeds; the words come from commands/texts. */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
} from 'discord.js';
import type { Screen } from '../../commands/job-view.js';
import { BUTTON_LABELS, DEFAULTS_TEXT, KEEP_LABEL, PARAMETERS_TITLE, requestFooter, RESULT_TITLE } from '../../commands/texts.js';
import { customId } from './custom-ids.js';
import { iterateRow } from './iterate-buttons.js';

export interface MessageFile {
  name: string;
  data: Uint8Array;
  contentType: string;
}

export interface Message {
  content: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
  /** undefined keeps the files the message shows; [] removes them; a list replaces them. */
  files?: MessageFile[];
}

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

function row(...buttons: ButtonBuilder[]): Row[] {
  return buttons.length === 0 ? [] : [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON()];
}

const keepButton = (jobId: string) => new ButtonBuilder().setCustomId(customId('keep', jobId)).setLabel(KEEP_LABEL).setStyle(ButtonStyle.Success);

function buttons(screen: Screen): ButtonBuilder[] {
  if (screen.cancelJobId !== undefined) {
    const cancel = new ButtonBuilder().setCustomId(customId('cancel', screen.cancelJobId)).setLabel(BUTTON_LABELS.cancel).setStyle(ButtonStyle.Danger);
    return screen.keepJobId === undefined ? [cancel] : [keepButton(screen.keepJobId), cancel];
  }
  if (screen.rerollKey === undefined) return [];
  return [
    new ButtonBuilder().setCustomId(customId('reroll', screen.rerollKey)).setLabel(BUTTON_LABELS.reroll).setStyle(ButtonStyle.Primary),
    new ButtonBuilder().setCustomId(customId('params', screen.rerollKey)).setLabel(BUTTON_LABELS.params).setStyle(ButtonStyle.Secondary),
  ];
}

export function renderScreen(screen: Screen): Message {
  const message: Message = { content: screen.text, components: [...row(...buttons(screen)), ...iterateRow(screen)] };
  if (screen.result) {
    const { picture, facts, requestId } = screen.result;
    const embed = new EmbedBuilder()
      .setTitle(RESULT_TITLE)
      .setColor(0x5865f2)
      .setImage(`attachment://${picture.name}`)
      .addFields(
        { name: PARAMETERS_TITLE, value: screen.parameters.length > 0 ? screen.parameters.join('\n') : DEFAULTS_TEXT },
        ...facts.map((f) => ({ ...f, inline: true })),
      )
      .setFooter({ text: requestFooter(requestId) });
    return { ...message, embeds: [embed.toJSON()], files: [{ name: picture.name, data: picture.image, contentType: picture.mime }] };
  }
  if (screen.preview) {
    return { ...message, files: [{ name: screen.preview.name, data: screen.preview.image, contentType: screen.preview.mime }] };
  }
  return screen.final ? { ...message, embeds: [], files: [] } : message;
}
