/** `npm run register`: puts the slash commands to Discord (see bot/discord/register.ts). */
import { registerCommands } from '../bot/discord/register.js';
import { loadEnv } from '../config.js';
import { isEntry } from './is-entry.js';

export async function register(env = loadEnv()): Promise<{ scope: string; names: string[] }> {
  return registerCommands(env);
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
