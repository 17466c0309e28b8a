/** Cancel, Reroll and Parameters on a job message. */
import { MessageFlags, PermissionFlagsBits, type ButtonInteraction } from 'discord.js';
import { cancelFor, commandLine, parameterLines, rerolled } from '../../commands/job-actions.js';
import { newRequestId } from '../../commands/request-id.js';
import { rerollExpiredText } from '../../commands/texts.js';
import type { DiscordContext } from './context.js';
import { parseCustomId } from './custom-ids.js';
import { IMAGE_OPTIONS } from './inputs.js';
import { runJob } from './job-message.js';

export async function handleButton(interaction: ButtonInteraction, ctx: DiscordContext): Promise<void> {
  const parsed = parseCustomId(interaction.customId);
  if (!parsed) {
    await interaction.reply({ content: 'This button is from an older version of the bot; run /stylize again.', flags: MessageFlags.Ephemeral });
    return;
  }
  const log = ctx.logger.child({ userId: interaction.user.id, button: parsed.action });
  switch (parsed.action) {
    case 'cancel': {
      const moderator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
      const result = await cancelFor(ctx.queue, parsed.arg, { userId: interaction.user.id, moderator });
      log.info({ jobId: parsed.arg, ok: result.ok }, 'cancel clicked');
      await interaction.reply({ content: result.message, flags: MessageFlags.Ephemeral });
      return;
    }
    case 'params': {
      const inputs = ctx.rerolls.get(parsed.arg);
      if (!inputs) {
        await interaction.reply({ content: rerollExpiredText(ctx.env.REROLL_KEEP_MIN), flags: MessageFlags.Ephemeral });
        return;
      }
      const lines = parameterLines(inputs.given, 'discord');
      const attachments = IMAGE_OPTIONS.slice(0, 1 + inputs.styles.length).map((o) => `${o.name}:${o.placeholder}`);
      await interaction.reply({
        content: `**Parameters**\n${lines.join('\n') || 'defaults'}\n\nTo make it again, attach the same pictures to:\n\`\`\`\n${commandLine(inputs.given, 'discord', attachments)}\n\`\`\``,
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    case 'reroll': {
      const inputs = ctx.rerolls.get(parsed.arg);
      if (!inputs) {
        await interaction.reply({ content: rerollExpiredText(ctx.env.REROLL_KEEP_MIN), flags: MessageFlags.Ephemeral });
        return;
      }
      const isPrivate = inputs.adapter.private === true;
      await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
      const requestId = newRequestId();
      const next = { ...rerolled(inputs), requesterId: interaction.user.id };
      await runJob(ctx, { interaction, inputs: next, requestId, isPrivate, logger: log.child({ requestId }) });
      return;
    }
  }
}
