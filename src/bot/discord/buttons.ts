/** Cancel, Reroll, Parameters, More style, Less style and HD on a job message. */
import { MessageFlags, PermissionFlagsBits, type ButtonInteraction } from 'discord.js';
import { cancelJob } from '../../commands/cancel.js';
import { parametersMessage } from '../../commands/job-actions.js';
import { keepJob } from '../../commands/keep.js';
import { iterated, startIteration } from '../../commands/iterate.js';
import { newRequestId } from '../../commands/request-id.js';
import { reroll, storedInputs } from '../../commands/stylize.js';
import { oldButtonText, rerollExpiredText } from '../../commands/texts.js';
import type { DiscordContext } from './context.js';
import { parseCustomId } from './custom-ids.js';
import { DISCORD_MARKUP } from './commands/help.js';
import { replyData } from './inputs.js';
import { DiscordJobView } from './job-view.js';

export async function handleButton(interaction: ButtonInteraction, ctx: DiscordContext): Promise<void> {
  const parsed = parseCustomId(interaction.customId);
  if (!parsed) {
    await interaction.reply({ content: oldButtonText(), flags: MessageFlags.Ephemeral });
    return;
  }
  const log = ctx.logger.child({ userId: interaction.user.id, button: parsed.action });
  if (parsed.action === 'cancel') {
    const moderator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
    const result = await cancelJob(ctx, parsed.arg, { userId: interaction.user.id, moderator });
    await interaction.reply({ content: result.message, flags: MessageFlags.Ephemeral });
    return;
  }
  if (parsed.action === 'keep') {
    const result = await keepJob(ctx, parsed.arg, { userId: interaction.user.id });
    await interaction.reply({ content: result.message, flags: MessageFlags.Ephemeral });
    return;
  }
  const inputs = await storedInputs(ctx, parsed.arg);
  if (!inputs) {
    await interaction.reply({ content: rerollExpiredText(ctx.rerollKeepMin), flags: MessageFlags.Ephemeral });
    return;
  }
  if (parsed.action === 'params') {
    await interaction.reply({ content: parametersMessage(inputs, 'discord', DISCORD_MARKUP.bold), flags: MessageFlags.Ephemeral });
    return;
  }
  const next = parsed.action === 'reroll' ? undefined : iterated(parsed.action, inputs, ctx.sizeCap);
  if (next && !next.ok) {
    await interaction.reply({ content: next.message, flags: MessageFlags.Ephemeral });
    return;
  }
  const isPrivate = inputs.adapter.private === true;
  await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
  const requestId = newRequestId();
  const jobLog = log.child({ requestId });
  const run = {
    owner: { userId: interaction.user.id, platform: 'discord' as const, serverId: interaction.guildId ?? undefined },
    requestId,
    view: new DiscordJobView(ctx.rest, replyData(interaction, isPrivate, ctx.tuning), { tuning: ctx.tuning, logger: jobLog }),
    logger: jobLog,
  };
  await (next ? startIteration(ctx, next.inputs, run) : reroll(ctx, inputs, run));
}
