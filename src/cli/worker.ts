/**
 * `npm run worker`: a worker only, for a GPU or CPU box that serves the chat processes through
 * Redis. Loads the engine once (and says which runtime it got), runs WORKER_CONCURRENCY jobs at a
 * time; SIGTERM lets the running job finish within SHUTDOWN_GRACE_S, else hands it back to the queue.
 */
import { ConfigError, loadEnv, secretValues, type Env } from '../config.js';
import { isStylizeError } from '../engine/index.js';
import { createLogger } from '../log.js';
import { isEntry } from './is-entry.js';
import { withWeightsFix } from './weights-fix.js';

/** Tests swap the engine thread for a fake one (`workerEntry`); everything else runs as shipped. */
export interface WorkerOverrides {
  workerEntry?: URL;
}

export async function runWorker(env: Env = loadEnv(), overrides: WorkerOverrides = {}): Promise<void> {
  if (env.REDIS_URL === undefined) {
    throw new ConfigError(
      'Configuration error: REDIS_URL is unset; fix: a worker takes its jobs from Redis, so set REDIS_URL=redis://host:6379 (the same as the chat processes).',
    );
  }
  const logger = createLogger({ level: env.LOG_LEVEL, secrets: secretValues(env) });
  const { ensureWeights, ensureFastModels, fastModelsDirIn } = await import('../engine/index.js');
  const { startRedisWorker } = await import('../queue/redis/worker.js');
  const { redisWorkerOptionsFromEnv } = await import('../queue/redis/config.js');
  const withUrl = { ...env, REDIS_URL: env.REDIS_URL };
  const weights = await ensureWeights(env, { log: (message) => logger.info(message) });
  // Without the fast models only fast pictures fail (with their own sentence): the worker still starts.
  if (!env.FAST_STYLE_MODELS) await ensureFastModels(fastModelsDirIn(env.WEIGHTS_CACHE_DIR), { log: (m) => logger.info(m) }).catch((err: unknown) => logger.error({ err }, 'fast style models unavailable'));
  const worker = await startRedisWorker(
    { ...redisWorkerOptionsFromEnv({ ...withUrl, VGG19_WEIGHTS: weights }, undefined, logger), ...overrides },
  );
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(1);
    received = true;
    logger.info({ signal }, 'signal received');
    worker.close(env.SHUTDOWN_GRACE_S * 1000).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (isEntry(import.meta.url)) {
  runWorker().catch((e: unknown) => {
    const message =
      e instanceof ConfigError || isStylizeError(e)
        ? withWeightsFix(e)
        : `Worker start-up failed: ${e instanceof Error ? withWeightsFix(e) : String(e)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
}
