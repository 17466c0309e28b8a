import type { REST } from 'discord.js';
import type { CommandContext } from '../../commands/context.js';
import type { Env } from '../../config.js';

/** Timings that follow Discord's rules; tests shorten them. */
export interface DiscordTuning {
  /** Least time between two edits of one message (Discord rate-limits edits). */
  editIntervalMs: number;
  /** How long an interaction token works (Discord: 15 minutes). */
  tokenLifetimeMs: number;
  /** Move to a channel message this long before the token dies. */
  tokenMarginMs: number;
}

export const DEFAULT_TUNING: DiscordTuning = {
  editIntervalMs: 3000,
  tokenLifetimeMs: 15 * 60_000,
  tokenMarginMs: 60_000,
};

/** What every Discord command and button handler gets: the shared context plus Discord's own. */
export interface DiscordContext extends CommandContext {
  env: Env;
  rest: REST;
  tuning: DiscordTuning;
}
