/** /cancel as a Discord slash command. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import * as command from '../../../commands/cancel.js';
import type { DiscordContext } from '../context.js';

export const name = command.name;

export function data() {
  return new SlashCommandBuilder().setName(name).setDescription(command.description);
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const content = await command.cancelMine(ctx, { userId: interaction.user.id, platform: 'discord' });
  await interaction.reply({ content, flags: MessageFlags.Ephemeral });
}
