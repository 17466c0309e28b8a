/** /help (Discord): every option with its range, default and an example, from the one schema. */
import { EmbedBuilder, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordContext } from '../bot/discord/context.js';
import { helpLines, optionsFor } from './options.js';

export const name = 'help';

export function data() {
  return new SlashCommandBuilder().setName(name).setDescription('What /stylize does and what each option means.');
}

/** Discord's help: Discord markdown, Discord's options and /stylize syntax (Slack has its own in bot/slack/app.ts). */
export function helpText(sizeCap: number): string {
  const examples = optionsFor('discord')
    .filter((d) => d.example !== undefined)
    .map((d) => `${d.name}:${d.example}`);
  return [
    'Attach a photo as **content** and a painting as **style**; the bot repaints the photo in that style.',
    'Optional **style2** blends a second painting in.',
    '',
    '**Options**',
    ...helpLines('discord', sizeCap).map((l) => `• ${l}`),
    '',
    '**Examples**',
    '`/stylize content:<photo> style:<painting>`',
    `\`/stylize content:<photo> style:<painting> ${examples.join(' ')}\``,
    '`/stylize content:<photo> style:<painting> preserve_colors:true seed:42 private:true`',
    '',
    '**Other commands**',
    '• /queue: your place in the queue and when your picture will be ready',
    '• /cancel: cancel your picture (the Cancel button does the same)',
    'When a picture is done, **Reroll** makes another with a new seed and **Parameters** shows the command to make it again.',
  ].join('\n');
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void> {
  const embed = new EmbedBuilder().setTitle('/stylize help').setDescription(helpText(ctx.env.MAX_IMAGE_SIZE));
  await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral });
}
