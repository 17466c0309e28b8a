/**
 * Puts /stylize, /queue, /cancel and /help to Discord — in DISCORD_DEV_GUILD_ID when set
 * (instant), otherwise globally (may take up to an hour to appear).
 */
import { REST, Routes } from 'discord.js';
import { requireDiscord, type Env } from '../../config.js';
import { commandPayloads } from './commands/index.js';

export async function registerCommands(env: Env): Promise<{ scope: string; names: string[] }> {
  const { token, applicationId } = requireDiscord(env);
  const rest = new REST({ api: env.DISCORD_API_URL }).setToken(token);
  const body = commandPayloads(env.MAX_IMAGE_SIZE);
  const route = env.DISCORD_DEV_GUILD_ID
    ? Routes.applicationGuildCommands(applicationId, env.DISCORD_DEV_GUILD_ID)
    : Routes.applicationCommands(applicationId);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  return { scope: env.DISCORD_DEV_GUILD_ID ? `server ${env.DISCORD_DEV_GUILD_ID}` : 'all servers (global)', names: saved.map((c) => c.name) };
}
