import { DiscordAPIError } from 'discord.js';

/** Discord error codes the bot reacts to (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
const DISCORD_CODES = {
  unknownWebhook: 10015,
  unknownInteraction: 10062,
  missingAccess: 50001,
  cannotMessageUser: 50007,
  missingPermissions: 50013,
  invalidWebhookToken: 50027,
} as const;

function apiCode(e: unknown): number | string | undefined {
  return e instanceof DiscordAPIError ? e.code : undefined;
}

/** The interaction token is dead: edits must continue somewhere else. */
export function isDeadToken(e: unknown): boolean {
  const code = apiCode(e);
  return code === DISCORD_CODES.invalidWebhookToken || code === DISCORD_CODES.unknownWebhook;
}

/** The bot may not post there. */
export function isForbidden(e: unknown): boolean {
  if (!(e instanceof DiscordAPIError)) return false;
  return e.status === 403 || e.code === DISCORD_CODES.missingPermissions || e.code === DISCORD_CODES.missingAccess || e.code === DISCORD_CODES.cannotMessageUser;
}
