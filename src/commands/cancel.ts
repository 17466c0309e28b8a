/** /cancel (Discord): cancels your job, queued or running. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../bot/discord/context.js';
import { cancelFor } from './job-actions.js';
import { noJobToCancelText } from './texts.js';

export const name = 'cancel';

export function data() {
  return new SlashCommandBuilder().setName(name).setDescription('Cancel your picture, waiting or running.');
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const mine = ctx.queue.jobsOf(interaction.user.id, 'discord');
  if (mine.length === 0) {
    await interaction.reply({ content: noJobToCancelText(), flags: MessageFlags.Ephemeral });
    return;
  }
  const results = await Promise.all(mine.map((job) => cancelFor(ctx.queue, job.id, { userId: interaction.user.id })));
  await interaction.reply({ content: results.map((r) => r.message).join('\n'), flags: MessageFlags.Ephemeral });
}
