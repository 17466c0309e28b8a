import { MessageFlags, type RepliableInteraction } from 'discord.js';

/**
 * Tells only the user `message`, whatever state the interaction is in: a fresh one gets an
 * ephemeral reply, a reply still "thinking…" gets the sentence (so it does not think forever), an
 * answered one an ephemeral follow-up. With `deferredPublicly` (nothing was queued, and a public
 * "thinking…" cannot become ephemeral) that reply is deleted and the sentence comes as a follow-up.
 */
export async function tellPrivately(
  interaction: RepliableInteraction,
  message: string,
  { deferredPublicly = false }: { deferredPublicly?: boolean } = {},
): Promise<void> {
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ content: message, flags: MessageFlags.Ephemeral });
  } else if (!interaction.replied && !deferredPublicly) {
    await interaction.editReply({ content: message, components: [], embeds: [] });
  } else {
    if (deferredPublicly) await interaction.deleteReply().catch(() => undefined);
    await interaction.followUp({ content: message, flags: MessageFlags.Ephemeral });
  }
}
