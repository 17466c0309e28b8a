/**
 * /stylize (Discord): one photo, one or two paintings, the schema's options. Acknowledges at once,
 * downloads the attachments before their links expire, then hands over to the job message.
 */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../bot/discord/context.js';
import { attachmentRefs, IMAGE_OPTIONS, rawOptions } from '../bot/discord/inputs.js';
import { runJob } from '../bot/discord/job-message.js';
import { tellPrivately } from '../bot/discord/respond.js';
import { downloadImage, InputError } from './attachments.js';
import { withSeed } from './job-actions.js';
import { maxOf, optionsFor, OptionError, parseOptions } from './options.js';
import { newRequestId } from './request-id.js';

export const name = 'stylize';

/** Discord caps option descriptions at 100 characters. */
function describe(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 99)}…`;
}

export function data(limits: { sizeCap: number }) {
  const builder = new SlashCommandBuilder()
    .setName(name)
    .setDescription('Repaint a photo in the style of a painting.');
  for (const img of IMAGE_OPTIONS) {
    builder.addAttachmentOption((o) => o.setName(img.name).setDescription(img.help).setRequired(img.required));
  }
  for (const def of optionsFor('discord')) {
    const description = describe(def.help);
    switch (def.kind) {
      case 'integer':
        builder.addIntegerOption((o) => o.setName(def.name).setDescription(description).setMinValue(def.min).setMaxValue(maxOf(def, limits.sizeCap)));
        break;
      case 'number':
        builder.addNumberOption((o) => o.setName(def.name).setDescription(description).setMinValue(def.min).setMaxValue(maxOf(def, limits.sizeCap)));
        break;
      case 'boolean':
        builder.addBooleanOption((o) => o.setName(def.name).setDescription(description));
        break;
      case 'choice':
        builder.addStringOption((o) =>
          o
            .setName(def.name)
            .setDescription(description)
            .addChoices(...def.choices.map((c) => ({ name: c, value: c }))),
        );
        break;
    }
  }
  return builder;
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const requestId = newRequestId();
  const log = ctx.logger.child({ requestId, userId: interaction.user.id, command: name });

  let parsed;
  try {
    parsed = parseOptions(rawOptions(interaction), { sizeCap: ctx.env.MAX_IMAGE_SIZE });
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    log.info({ option: e.option }, 'option refused');
    await interaction.reply({ content: e.message, flags: MessageFlags.Ephemeral });
    return;
  }
  const isPrivate = parsed.adapter.private === true;
  // Discord allows 3 s to acknowledge; downloads and queueing can take longer.
  await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});

  let images;
  try {
    const policy = { allowedHosts: ctx.env.DISCORD_CDN_HOSTS, maxBytes: ctx.env.MAX_INPUT_BYTES };
    images = await Promise.all(attachmentRefs(interaction).map((ref) => downloadImage(ref, policy)));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    log.info({ reason: e.message }, 'attachment refused');
    await tellPrivately(interaction, e.message, { deferredPublicly: !isPrivate });
    return;
  }
  const [content, ...styles] = images.map((i) => i.bytes);
  const seeded = withSeed(parsed.engine, parsed.given);
  await runJob(ctx, {
    interaction,
    inputs: { content: content!, styles, ...seeded, adapter: parsed.adapter, requesterId: interaction.user.id },
    requestId,
    isPrivate,
    logger: log,
  });
}
