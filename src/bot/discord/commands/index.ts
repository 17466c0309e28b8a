/** The Discord commands, one module each with `data` and `execute` (as in the discord.js guide). */
import type { ChatInputCommandInteraction, RESTPostAPIApplicationCommandsJSONBody, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { contextMenuPayloads } from '../library-apps.js';
import type { DiscordContext } from '../context.js';
import * as cancel from './cancel.js';
import * as help from './help.js';
import * as queue from './queue.js';
import * as style from './style.js';
import * as stylize from './stylize.js';

export interface DiscordCommand {
  name: string;
  data(limits: { sizeCap: number }): { toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void>;
}

export const COMMANDS: readonly DiscordCommand[] = [stylize, style, queue, cancel, help];

/** The JSON `npm run register` puts to Discord. Guild-only: the per-server limits need a server. */
export function commandPayloads(sizeCap: number): RESTPostAPIApplicationCommandsJSONBody[] {
  return [...COMMANDS.map((c) => ({ ...c.data({ sizeCap }).toJSON(), contexts: [0] })), ...contextMenuPayloads()];
}
