/** /queue (Discord): your position, the queue length and an ETA, only to you. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../bot/discord/context.js';
import { queueStatusText } from './texts.js';

export const name = 'queue';

export function data() {
  return new SlashCommandBuilder().setName(name).setDescription('Your place in the queue, its length and when your picture will be ready.');
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const snapshot = ctx.queue.snapshot();
  // Only this platform's jobs are "yours": a Slack user may have the same id format.
  const view = { ...snapshot, jobs: snapshot.jobs.filter((j) => j.owner.platform === 'discord') };
  await interaction.reply({ content: queueStatusText(view, interaction.user.id), flags: MessageFlags.Ephemeral });
}
