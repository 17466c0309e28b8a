/**
 * `npm run register`: puts /stylize, /queue, /cancel and /help to Discord — in DISCORD_DEV_GUILD_ID
 * when set (instant), otherwise globally (may take up to an hour to appear).
 */
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { commandPayloads } from '../bot/discord/commands.js';
import { ConfigError, loadEnv } from '../config.js';

export async function register(env = loadEnv()): Promise<{ scope: string; names: string[] }> {
  if (!env.DISCORD_TOKEN) {
    throw new ConfigError('Configuration error: DISCORD_TOKEN is unset; fix: copy the bot token from the Discord developer portal (Bot > Reset Token).');
  }
  if (!env.DISCORD_APPLICATION_ID) {
    throw new ConfigError('Configuration error: DISCORD_APPLICATION_ID is unset; fix: copy the Application ID from the Discord developer portal (General Information).');
  }
  const rest = new REST({ api: env.DISCORD_API_URL }).setToken(env.DISCORD_TOKEN);
  const body = commandPayloads(env.MAX_IMAGE_SIZE);
  const route = env.DISCORD_DEV_GUILD_ID
    ? Routes.applicationGuildCommands(env.DISCORD_APPLICATION_ID, env.DISCORD_DEV_GUILD_ID)
    : Routes.applicationCommands(env.DISCORD_APPLICATION_ID);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  return { scope: env.DISCORD_DEV_GUILD_ID ? `server ${env.DISCORD_DEV_GUILD_ID}` : 'all servers (global)', names: saved.map((c) => c.name) };
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  register().then(
    ({ scope, names }) => process.stdout.write(`Registered ${names.map((n) => `/${n}`).join(', ')} for ${scope}.\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
