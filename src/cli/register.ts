/**
 * `npm run register`: puts /stylize, /queue, /cancel and /help to Discord — in DISCORD_DEV_GUILD_ID
 * when set (instant), otherwise globally (may take up to an hour to appear).
 */
import { REST, Routes } from 'discord.js';
import { commandPayloads } from '../bot/discord/commands/index.js';
import { loadEnv, requireDiscord } from '../config.js';
import { isEntry } from './is-entry.js';

export async function register(env = loadEnv()): Promise<{ scope: string; names: string[] }> {
  const { token, applicationId } = requireDiscord(env);
  const rest = new REST({ api: env.DISCORD_API_URL }).setToken(token);
  const body = commandPayloads(env.MAX_IMAGE_SIZE);
  const route = env.DISCORD_DEV_GUILD_ID
    ? Routes.applicationGuildCommands(applicationId, env.DISCORD_DEV_GUILD_ID)
    : Routes.applicationCommands(applicationId);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  return { scope: env.DISCORD_DEV_GUILD_ID ? `server ${env.DISCORD_DEV_GUILD_ID}` : 'all servers (global)', names: saved.map((c) => c.name) };
}

if (isEntry(import.meta.url)) {
  register().then(
    ({ scope, names }) => process.stdout.write(`Registered ${names.map((n) => `/${n}`).join(', ')} for ${scope}.\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
