/** /help as a Discord slash command: Discord markdown in an embed. */
import { EmbedBuilder, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import * as command from '../../../commands/help.js';
import { LABELS } from '../../../commands/texts.js';
import type { DiscordContext } from '../context.js';

export const name = command.name;

export const DISCORD_MARKUP: command.Markup = { bold: (s) => `**${s}**`, code: (s) => `\`${s}\`` };

export function data() {
  return new SlashCommandBuilder().setName(name).setDescription(command.description);
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const embed = new EmbedBuilder().setTitle(LABELS.helpTitle).setDescription(command.help('discord', ctx.sizeCap, DISCORD_MARKUP));
  await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
}
