/** Reads /stylize's options and attachments from a discord.js interaction, in schema terms. */
import type { ChatInputCommandInteraction, RepliableInteraction } from 'discord.js';
import type { AttachmentRef } from '../../commands/attachments.js';
import { IMAGE_INPUTS, optionsFor } from '../../commands/options.js';
import type { DiscordTuning } from './context.js';
import type { DiscordReplyData } from './job-view.js';

/** Discord's upload limit when the interaction does not say (servers without boosts). */
const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;
/** Multipart framing and the JSON payload count against the limit too. */
const UPLOAD_HEADROOM = 16 * 1024;

/** Option values as the user gave them, by schema name (validation happens in parseOptions). */
export function rawOptions(interaction: ChatInputCommandInteraction): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const def of optionsFor('discord')) {
    const option = interaction.options.get(def.name);
    if (option?.value !== undefined && option.value !== null) raw[def.name] = option.value;
  }
  return raw;
}

export function attachmentRefs(interaction: ChatInputCommandInteraction): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  for (const o of IMAGE_INPUTS) {
    // Discord enforces the photo; the style may come from the library (style_name) instead.
    const a = interaction.options.getAttachment(o.name);
    if (a) refs.push({ url: a.url, name: a.name, size: a.size, label: o.label });
  }
  return refs;
}

/** What a job's view needs of this interaction, as plain data the queue can keep. */
export function replyData(interaction: RepliableInteraction, isPrivate: boolean, tuning: DiscordTuning): DiscordReplyData {
  return {
    applicationId: interaction.applicationId,
    interactionToken: interaction.token,
    // The token's clock starts when Discord created the interaction; use whichever is earlier.
    tokenExpiresAt: Math.min(interaction.createdTimestamp, Date.now()) + tuning.tokenLifetimeMs,
    channelId: interaction.channelId ?? undefined,
    userId: interaction.user.id,
    private: isPrivate,
    uploadLimit: (interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT) - UPLOAD_HEADROOM,
  };
}
