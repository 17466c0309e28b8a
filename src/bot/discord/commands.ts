/** The Discord commands, one module each (as in the discord.js guide). */
import type { ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import * as cancel from '../../commands/cancel.js';
import * as help from '../../commands/help.js';
import * as queue from '../../commands/queue.js';
import * as stylize from '../../commands/stylize.js';
import type { DiscordContext } from './context.js';

export interface DiscordCommand {
  name: string;
  data(limits: { sizeCap: number }): { toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void>;
}

export const COMMANDS: readonly DiscordCommand[] = [stylize, queue, cancel, help];

/** The JSON `npm run register` puts to Discord. Guild-only: the per-server limits need a server. */
export function commandPayloads(sizeCap: number): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return COMMANDS.map((c) => ({ ...c.data({ sizeCap }).toJSON(), contexts: [0] }));
}
