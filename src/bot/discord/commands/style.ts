/** /style save | list | remove: the server's style library on Discord. */
import { AttachmentBuilder, EmbedBuilder, MessageFlags, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { downloadImage, InputError } from '../../../commands/attachments.js';
import { libraryOf } from '../../../commands/style-library/store.js';
import { emptyLibraryText, libraryOffText, listHeaderText, needServerText, savedByLine } from '../../../commands/style-library/texts.js';
import type { DiscordContext } from '../context.js';

export const name = 'style';
export const description = "This server's saved styles: save a painting under a name, list them, remove one.";

export function data() {
  return new SlashCommandBuilder()
    .setName(name)
    .setDescription(description)
    .addSubcommand((s) =>
      s
        .setName('save')
        .setDescription('Save a painting under a name, for /stylize style_name:')
        .addStringOption((o) => o.setName('name').setDescription('1-32 letters, digits, spaces, - or _').setRequired(true).setMinLength(1).setMaxLength(32))
        .addAttachmentOption((o) => o.setName('image').setDescription('The painting').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('list')
        .setDescription('The saved styles, with thumbnails')
        .addIntegerOption((o) => o.setName('page').setDescription('Which page (10 styles a page)').setMinValue(1)),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Remove a saved style (yours, or any with Manage Messages)')
        .addStringOption((o) => o.setName('name').setDescription('The style').setRequired(true).setAutocomplete(true)),
    );
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const styles = ctx.styles;
  const answer = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral });
  if (!styles) return void (await answer(libraryOffText()));
  if (!interaction.guildId) return void (await answer(needServerText()));
  const library = libraryOf('discord', interaction.guildId);
  const sub = interaction.options.getSubcommand();
  if (sub === 'remove') {
    const moderator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
    const result = await styles.remove(library, interaction.options.getString('name', true), { userId: interaction.user.id, moderator, platform: 'discord' });
    await answer(result.message);
    return;
  }
  // Downloads, decoding and a page of thumbnails can take longer than Discord's 3 s.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  if (sub === 'save') {
    const a = interaction.options.getAttachment('image', true);
    let bytes: Uint8Array;
    try {
      bytes = (
        await downloadImage(
          { url: a.url, name: a.name, size: a.size, label: 'style image' },
          { allowedHosts: ctx.env.DISCORD_CDN_HOSTS, maxBytes: ctx.env.MAX_INPUT_BYTES },
        )
      ).bytes;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      await interaction.editReply({ content: e.message });
      return;
    }
    const result = await styles.save(library, { name: interaction.options.getString('name', true), ownerId: interaction.user.id, image: bytes });
    await interaction.editReply({ content: result.message });
    return;
  }
  const page = await styles.page(library, interaction.options.getInteger('page') ?? 1);
  if ('error' in page) return void (await interaction.editReply({ content: page.error }));
  if (page.total === 0) return void (await interaction.editReply({ content: emptyLibraryText() }));
  const files = page.styles.map((s, i) => new AttachmentBuilder(Buffer.from(s.thumbnail), { name: `style-${i + 1}.jpg` }));
  const embeds = page.styles.map((s, i) =>
    new EmbedBuilder()
      .setTitle(s.name)
      .setDescription(savedByLine(`<@${s.ownerId}>`, s.width, s.height))
      .setThumbnail(`attachment://style-${i + 1}.jpg`),
  );
  const pageNumber = interaction.options.getInteger('page') ?? 1;
  await interaction.editReply({ content: listHeaderText(page.total, pageNumber, page.pages), embeds, files, allowedMentions: { parse: [] } });
}
