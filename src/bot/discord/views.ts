/** The job message in each state, as Discord components and embeds; the words come from commands/texts. */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
} from 'discord.js';
import type { FittedImage } from '../../commands/fit-result.js';
import { parameterLines } from '../../commands/job-actions.js';
import {
  cancelledText,
  doneText,
  failedText,
  formatDuration,
  progressText,
  queuedText,
  startedText,
} from '../../commands/texts.js';
import type { StylizeStats } from '../../engine/types.js';
import type { JobFailure, JobProgress } from '../../queue/types.js';
import { customId } from './custom-ids.js';
import type { View, ViewFile } from './live-reply.js';

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

function row(...buttons: ButtonBuilder[]): Row[] {
  return buttons.length === 0 ? [] : [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons).toJSON()];
}

const cancelButton = (jobId: string) =>
  new ButtonBuilder().setCustomId(customId('cancel', jobId)).setLabel('Cancel').setStyle(ButtonStyle.Danger);

function afterButtons(rerollKey: string | undefined): ButtonBuilder[] {
  if (!rerollKey) return [];
  return [
    new ButtonBuilder().setCustomId(customId('reroll', rerollKey)).setLabel('Reroll').setStyle(ButtonStyle.Primary),
    new ButtonBuilder().setCustomId(customId('params', rerollKey)).setLabel('Parameters').setStyle(ButtonStyle.Secondary),
  ];
}

export function queuedView(jobId: string, position: number, etaMs: number | undefined): View {
  const content = position <= 0 ? startedText(etaMs).replace('Started.', 'Starting now.') : queuedText(position, etaMs);
  return { content, components: row(cancelButton(jobId)) };
}

export function startedView(jobId: string, etaMs: number | undefined): View {
  return { content: startedText(etaMs), components: row(cancelButton(jobId)) };
}

/** `preview` only when a new one arrived; otherwise the message keeps the last one. */
export function progressView(jobId: string, progress: JobProgress, preview: ViewFile | undefined): View {
  const content = preview ? `${progressText(progress)}\nPreview:` : progressText(progress);
  return { content, components: row(cancelButton(jobId)), ...(preview ? { files: [preview] } : {}) };
}

export function doneView(args: {
  image: FittedImage;
  given: Record<string, unknown>;
  stats: StylizeStats;
  requestId: string;
  rerollKey: string | undefined;
}): View {
  const { image, stats } = args;
  const params = parameterLines(args.given, 'discord');
  const embed = new EmbedBuilder()
    .setTitle('Stylized')
    .setColor(0x5865f2)
    .setImage(`attachment://${image.fileName}`)
    .addFields(
      { name: 'Parameters', value: params.length > 0 ? params.join('\n') : 'defaults' },
      { name: 'Seed', value: String(stats.seed), inline: true },
      { name: 'Size', value: `${image.width}×${image.height}`, inline: true },
      { name: 'Backend', value: `${stats.backend}${stats.threads > 1 ? ` (${stats.threads} threads)` : ''}`, inline: true },
      { name: 'Time', value: formatDuration(stats.ms), inline: true },
    )
    .setFooter({ text: `request ${args.requestId}` });
  const content = [doneText(stats.ms / 1000, stats.backend), image.note].filter(Boolean).join('\n');
  return {
    content,
    embeds: [embed.toJSON()],
    components: row(...afterButtons(args.rerollKey)),
    files: [{ name: image.fileName, data: image.bytes, contentType: image.mime }],
  };
}

export function failedView(failure: JobFailure, requestId: string, rerollKey: string | undefined): View {
  return { content: failedText(failure, requestId), components: row(...afterButtons(rerollKey)), files: [] };
}

export function cancelledView(by: string, requesterId: string, rerollKey: string | undefined): View {
  return { content: cancelledText(by, requesterId), components: row(...afterButtons(rerollKey)), files: [] };
}
