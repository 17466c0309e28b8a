/** A slash command without options whose whole answer is one sentence only the user sees. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { JobOwner } from '../../../queue/types.js';
import type { DiscordContext } from '../context.js';

export function privateAnswer(
  command: { name: string; description: string },
  answer: (ctx: DiscordContext, who: Pick<JobOwner, 'userId' | 'platform'>) => Promise<string>,
) {
  return {
    name: command.name,
    data: () => new SlashCommandBuilder().setName(command.name).setDescription(command.description),
    async execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
      const content = await answer(ctx, { userId: interaction.user.id, platform: 'discord' });
      await interaction.reply({ content, flags: MessageFlags.Ephemeral });
    },
  };
}
