import { MessageFlags, type RepliableInteraction } from 'discord.js';

/**
 * Tells only the user why nothing was queued. A public "thinking…" reply cannot become ephemeral,
 * so it is deleted and the sentence comes as an ephemeral follow-up.
 */
export async function refuse(interaction: RepliableInteraction, message: string, replyIsEphemeral: boolean): Promise<void> {
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ content: message, flags: MessageFlags.Ephemeral });
    return;
  }
  if (replyIsEphemeral) {
    await interaction.editReply({ content: message, components: [], embeds: [] });
    return;
  }
  await interaction.deleteReply().catch(() => undefined);
  await interaction.followUp({ content: message, flags: MessageFlags.Ephemeral });
}

/**
 * Answers whatever state the interaction is in: a reply still "thinking…" gets the sentence (so it
 * does not think forever), otherwise an ephemeral reply or follow-up.
 */
export async function tellPrivately(interaction: RepliableInteraction, message: string): Promise<void> {
  if (interaction.deferred && !interaction.replied) {
    await interaction.editReply({ content: message, components: [], embeds: [] });
  } else if (interaction.replied) {
    await interaction.followUp({ content: message, flags: MessageFlags.Ephemeral });
  } else {
    await interaction.reply({ content: message, flags: MessageFlags.Ephemeral });
  }
}
