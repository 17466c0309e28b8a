/** /cancel (Discord): cancels your job, queued or running. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../bot/discord/context.js';
import { cancelledByCommandText, noJobToCancelText } from './texts.js';

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
  const lines = mine.map((job) => {
    const result = ctx.queue.cancel(job.id, { userId: interaction.user.id });
    return result.ok ? cancelledByCommandText(result.was) : result.message;
  });
  await interaction.reply({ content: lines.join('\n'), flags: MessageFlags.Ephemeral });
}
