/**
 * The style library's Discord interactions besides /style: autocomplete of saved style names, and
 * the right-click apps on a message with a picture (Stylize this photo, Save as style), each
 * asking in a small form, then running as /stylize or /style save would.
 */
import {
  ActionRowBuilder,
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  MessageFlags,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type AutocompleteInteraction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import { downloadImage, InputError, type AttachmentRef } from '../../commands/attachments.js';
import { OptionError, parseOptions } from '../../commands/options.js';
import { newRequestId } from '../../commands/request-id.js';
import { savedStyleImage } from '../../commands/style-library/by-name.js';
import { PendingPictures, pictureOf } from '../../commands/style-library/pictures.js';
import { libraryOf } from '../../commands/style-library/store.js';
import { emptyLibraryText, formExpiredText, LIBRARY_LABELS, libraryOffText, needServerText } from '../../commands/style-library/texts.js';
import { stylize } from '../../commands/stylize.js';
import type { DiscordContext } from './context.js';
import { replyData } from './inputs.js';
import { DiscordJobView } from './job-view.js';

const STYLIZE_APP = LIBRARY_LABELS.stylizeThisPhoto;
const SAVE_APP = LIBRARY_LABELS.saveAsStyle;
const FORM_PREFIX = 'stylelib:';
const FIELDS = { style: 'style', strength: 'strength', name: 'name' } as const;

/** The message context menu commands `npm run register` puts to Discord. */
export function contextMenuPayloads(): RESTPostAPIContextMenuApplicationCommandsJSONBody[] {
  return [STYLIZE_APP, SAVE_APP].map((name) => ({ ...new ContextMenuCommandBuilder().setName(name).setType(ApplicationCommandType.Message).toJSON(), contexts: [0] }));
}

export function isLibraryApp(name: string): boolean {
  return name === STYLIZE_APP || name === SAVE_APP;
}

export function isLibraryForm(customId: string): boolean {
  return customId.startsWith(FORM_PREFIX);
}

/** The picture each open form was opened on. */
const pending = new PendingPictures<AttachmentRef>();

/** Saved style names for `style_name` (/stylize) and `name` (/style remove), as the user types. */
export async function autocompleteStyle(interaction: AutocompleteInteraction, ctx: DiscordContext): Promise<void> {
  const typed = String(interaction.options.getFocused());
  const names = ctx.styles && interaction.guildId ? await ctx.styles.suggest(libraryOf('discord', interaction.guildId), typed) : [];
  await interaction.respond(names.map((n) => ({ name: n, value: n })));
}

/** Right-click → Apps → Stylize this photo / Save as style: checks the picture, then opens the form. */
export async function openLibraryApp(interaction: MessageContextMenuCommandInteraction, ctx: DiscordContext): Promise<void> {
  const answer = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral });
  if (!ctx.styles) return void (await answer(libraryOffText()));
  if (!interaction.guildId) return void (await answer(needServerText()));
  const files = [...interaction.targetMessage.attachments.values()].map((a) => ({ url: a.url, name: a.name, size: a.size, contentType: a.contentType ?? undefined }));
  const stylizing = interaction.commandName === STYLIZE_APP;
  const picture = pictureOf(files, ctx.env.MAX_INPUT_BYTES, stylizing ? 'content image' : 'style image');
  if ('error' in picture) return void (await answer(picture.error));
  const modal = new ModalBuilder().setTitle(stylizing ? STYLIZE_APP : SAVE_APP);
  if (stylizing) {
    const names = (await ctx.styles.list(libraryOf('discord', interaction.guildId))).map((s) => s.name);
    if (names.length === 0) return void (await answer(emptyLibraryText()));
    const placeholder = `e.g. ${names.slice(0, 3).join(', ')}`.slice(0, 100);
    modal.setCustomId(`${FORM_PREFIX}stylize:${pending.put(picture)}`).addComponents(
      row(new TextInputBuilder().setCustomId(FIELDS.style).setLabel(LIBRARY_LABELS.styleField).setStyle(TextInputStyle.Short).setRequired(true).setMaxLength(32).setPlaceholder(placeholder)),
      row(new TextInputBuilder().setCustomId(FIELDS.strength).setLabel(LIBRARY_LABELS.strengthField).setStyle(TextInputStyle.Short).setRequired(false).setMaxLength(8)),
    );
  } else {
    modal
      .setCustomId(`${FORM_PREFIX}save:${pending.put(picture)}`)
      .addComponents(row(new TextInputBuilder().setCustomId(FIELDS.name).setLabel(LIBRARY_LABELS.nameField).setStyle(TextInputStyle.Short).setRequired(true).setMinLength(1).setMaxLength(32)));
  }
  await interaction.showModal(modal);
}

function row(input: TextInputBuilder): ActionRowBuilder<TextInputBuilder> {
  return new ActionRowBuilder<TextInputBuilder>().addComponents(input);
}

/** The form's answer: paint the picture with the saved style, or save the picture as a style. */
export async function submitLibraryForm(interaction: ModalSubmitInteraction, ctx: DiscordContext): Promise<void> {
  const [, kind, key] = interaction.customId.split(':');
  const picture = pending.take(key ?? '');
  const answer = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral });
  if (!picture) return void (await answer(formExpiredText()));
  if (!ctx.styles || !interaction.guildId) return void (await answer(libraryOffText()));
  const library = libraryOf('discord', interaction.guildId);
  const download = { allowedHosts: ctx.env.DISCORD_CDN_HOSTS, maxBytes: ctx.env.MAX_INPUT_BYTES };
  if (kind === 'save') {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let bytes: Uint8Array;
    try {
      bytes = (await downloadImage(picture, download)).bytes;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return void (await interaction.editReply({ content: e.message }));
    }
    const result = await ctx.styles.save(library, { name: interaction.fields.getTextInputValue(FIELDS.name), ownerId: interaction.user.id, image: bytes });
    await interaction.editReply({ content: result.message });
    return;
  }
  const strength = interaction.fields.getTextInputValue(FIELDS.strength).trim();
  let options;
  try {
    options = parseOptions(strength === '' ? {} : { strength }, { sizeCap: ctx.sizeCap });
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    return void (await answer(e.message));
  }
  const found = await ctx.styles.find(library, interaction.fields.getTextInputValue(FIELDS.style));
  if ('error' in found) return void (await answer(found.error));
  const requestId = newRequestId();
  const log = ctx.logger.child({ requestId, userId: interaction.user.id, command: 'stylize-this-photo' });
  await interaction.deferReply();
  await stylize(ctx, {
    options,
    attachments: [picture],
    savedStyles: [savedStyleImage(found)],
    download,
    owner: { userId: interaction.user.id, platform: 'discord', serverId: interaction.guildId },
    requestId,
    view: new DiscordJobView(ctx.rest, replyData(interaction, false, ctx.tuning), { tuning: ctx.tuning, logger: log }),
    logger: log,
  });
}
