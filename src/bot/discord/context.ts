import type { Env } from '../../config.js';
import type { Logger } from '../../log.js';
import type { JobQueue } from '../../queue/index.js';
import type { RerollStore } from '../../commands/reroll-store.js';

/** Timings that follow Discord's rules; tests shorten them. */
export interface DiscordTuning {
  /** Least time between two edits of one message (Discord rate-limits edits). */
  editIntervalMs: number;
  /** How long an interaction token works (Discord: 15 minutes). */
  tokenLifetimeMs: number;
  /** Move to a channel message this long before the token dies. */
  tokenMarginMs: number;
  /** Fractions of progress at which a preview is shown. */
  previewAt: number[];
}

export const DEFAULT_TUNING: DiscordTuning = {
  editIntervalMs: 3000,
  tokenLifetimeMs: 15 * 60_000,
  tokenMarginMs: 60_000,
  previewAt: [0.25, 0.5, 0.75],
};

export type DiscordQueue = Pick<JobQueue, 'submit' | 'cancel' | 'jobsOf' | 'snapshot'>;

/** What every command and button handler gets. */
export interface DiscordContext {
  env: Env;
  queue: DiscordQueue;
  logger: Logger;
  rerolls: RerollStore;
  tuning: DiscordTuning;
  /** Resolves when every job message has had its final edit (used by shutdown). */
  track(work: Promise<unknown>): void;
}
