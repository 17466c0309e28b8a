/**
 * `npm start`: reads the configuration, makes sure the weights are there, starts the bot.
 * A configuration problem is one line on stderr and exit code 1, never a stack trace.
 */
import { ConfigError, loadEnv, requirePlatforms, secretValues } from './config.js';
import { isStylizeError } from './engine/index.js';
import { fileURLToPath } from 'node:url';
import type { AppOverrides } from './app.js';
import { isEntry } from './cli/is-entry.js';
import { createLogger } from './log.js';
import { weightsFix, withWeightsFix } from './cli/weights-fix.js';

/** Where the in-process queue's running jobs are noted (app.ts), beside the default weights cache. */
const JOB_LEDGER_FILE = '.cache/jobs-in-flight.json';
/** Where jobs' inputs are kept for their buttons across a restart (in-process queue; app.ts). */
const KEPT_INPUTS_DIR = '.cache/kept-inputs';

/**
 * Tests about the process (signals, start-up, restarts) start it from their own entry with a fake
 * engine thread (`queue.workerEntry`), as test/redis does with `runWorker`; `npm start` passes none.
 */
export interface BotOverrides {
  queue?: AppOverrides['queue'];
  /** The script each Discord shard runs (this file unless a test entry starts the bot). */
  shardEntry?: string;
}

export async function runBot(overrides: BotOverrides = {}): Promise<void> {
  const env = loadEnv();
  requirePlatforms(env);
  const logger = createLogger({ level: env.LOG_LEVEL, secrets: secretValues(env) });
  if (env.DISCORD_SHARDS !== 'off' && process.env.SHARDING_MANAGER === undefined) {
    // This process becomes the shard manager; each shard runs this file again as a chat process.
    const { runShards } = await import('./bot/discord/sharding.js');
    const shards = await runShards(env, logger, overrides.shardEntry ?? fileURLToPath(import.meta.url));
    process.once('SIGTERM', () => void shards.stop().then(() => process.exit(0)));
    return;
  }
  // Loaded after the configuration is known to be good, so a mistake there is reported at once.
  const { ensureWeights, ensureFastModels, fastModelsDirIn } = await import('./engine/index.js');
  const { startApp, exitOnSignals } = await import('./app.js');
  const weights = await ensureWeights(env, { log: (message) => logger.info(message) });
  // Without the fast models only fast pictures fail (with their own sentence): the bot still starts.
  if (!env.FAST_STYLE_MODELS) await ensureFastModels(fastModelsDirIn(env.WEIGHTS_CACHE_DIR), { log: (m) => logger.info(m) }).catch((err: unknown) => logger.error({ err }, 'fast style models unavailable'));
  // From here a signal stops the bot cleanly, even while start-up still tells users about old jobs.
  const signals = exitOnSignals(logger);
  const app = await startApp({ ...env, VGG19_WEIGHTS: weights }, logger, { jobLedgerFile: JOB_LEDGER_FILE, keptInputsDir: KEPT_INPUTS_DIR, queue: overrides.queue });
  // The bot stays up (it answers that pictures cannot be made); the operator learns how to fix it.
  app.queue.ready().catch((e: unknown) => {
    const fix = weightsFix(e);
    if (fix !== undefined) logger.error(`${(e as Error).message} ${fix}`);
  });
  signals.started(app);
}

/** One line on stderr and exit code 1 for a start-up that failed. */
export function exitOnStartFailure(e: unknown): never {
  if (e instanceof ConfigError || isStylizeError(e)) {
    process.stderr.write(`${withWeightsFix(e)}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${e instanceof Error ? withWeightsFix(e) : String(e)}\n`);
  }
  process.exit(1);
}

if (isEntry(import.meta.url)) runBot().catch(exitOnStartFailure);
