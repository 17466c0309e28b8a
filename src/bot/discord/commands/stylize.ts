/** /stylize as a Discord slash command: the schema's options as Discord options, then the shared command. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { OptionError, maxOf } from '../../../commands/options.js';
import { newRequestId } from '../../../commands/request-id.js';
import { savedStylesFor } from '../../../commands/style-library/by-name.js';
import * as command from '../../../commands/stylize.js';
import type { DiscordContext } from '../context.js';
import { attachmentRefs, rawOptions, replyData } from '../inputs.js';
import { DiscordJobView } from '../job-view.js';

export const name = command.name;
/** The option that names a saved style (autocompleted from the server's library). */
export const STYLE_NAME = 'style_name';

/** Discord caps option descriptions at 100 characters. */
function describe(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 99)}…`;
}

export function data(limits: { sizeCap: number }) {
  const builder = new SlashCommandBuilder().setName(name).setDescription(command.description);
  const { images, options } = command.collects('discord');
  for (const img of images) {
    // The style may come from the server's library instead (style_name), so only the photo is required.
    const required = img.required && img.name !== 'style';
    builder.addAttachmentOption((o) => o.setName(img.name).setDescription(img.help).setRequired(required));
  }
  builder.addStringOption((o) => o.setName(STYLE_NAME).setDescription("A style saved on this server (/style list), instead of or besides an attached one").setAutocomplete(true));
  for (const def of options) {
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
  let options;
  try {
    options = command.validate(rawOptions(interaction), ctx);
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    log.info({ option: e.option }, 'option refused');
    await interaction.reply({ content: e.message, flags: MessageFlags.Ephemeral });
    return;
  }
  const attachments = attachmentRefs(interaction);
  const saved = await savedStylesFor(
    ctx,
    { platform: 'discord', serverId: interaction.guildId ?? undefined },
    interaction.options.getString(STYLE_NAME) ?? undefined,
    attachments.length - 1,
  );
  if ('error' in saved) {
    await interaction.reply({ content: saved.error, flags: MessageFlags.Ephemeral });
    return;
  }
  const isPrivate = options.adapter.private === true;
  // Discord allows 3 s to acknowledge; downloads and queueing can take longer.
  await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
  await command.stylize(ctx, {
    options,
    attachments,
    savedStyles: saved.savedStyles,
    download: { allowedHosts: ctx.env.DISCORD_CDN_HOSTS, maxBytes: ctx.env.MAX_INPUT_BYTES },
    owner: { userId: interaction.user.id, platform: 'discord', serverId: interaction.guildId ?? undefined },
    requestId,
    view: new DiscordJobView(ctx.rest, replyData(interaction, isPrivate, ctx.tuning), { tuning: ctx.tuning, logger: log }),
    logger: log,
  });
}
