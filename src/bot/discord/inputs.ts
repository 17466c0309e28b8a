/** Reads /stylize's options and attachments from a discord.js interaction, in schema terms. */
import type { ChatInputCommandInteraction } from 'discord.js';
import type { AttachmentRef } from '../../commands/attachments.js';
import { optionsFor } from '../../commands/options.js';

/** The picture options of /stylize, in the order they appear (the photo, then the paintings). */
export const IMAGE_OPTIONS = [
  { name: 'content', label: 'content image', placeholder: '<photo>', required: true, help: 'The photo to repaint.' },
  { name: 'style', label: 'style image', placeholder: '<painting>', required: true, help: 'The painting whose style to use.' },
  { name: 'style2', label: 'second style image', placeholder: '<painting>', required: false, help: 'Optional second painting, blended with the first.' },
] as const;

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
  for (const o of IMAGE_OPTIONS) {
    const a = interaction.options.getAttachment(o.name, o.required);
    if (a) refs.push({ url: a.url, name: a.name, size: a.size, label: o.label });
  }
  return refs;
}
