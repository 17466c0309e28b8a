/**
 * Which queue this process runs: REDIS_URL set → the distributed one (BullMQ on Redis), with a
 * worker in this process too unless LOCAL_WORKER=false; unset → the in-process queue, as before.
 */
import type { Env } from '../config.js';
import type { EngineConfig } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { JobQueuePort } from './port.js';
import { redisQueueOptionsFromEnv, redisWorkerOptionsFromEnv } from './redis/config.js';
import type { RedisJobQueue } from './redis/queue.js';
import type { RedisWorker } from './redis/worker.js';

export interface QueueRuntime {
  kind: 'in-process' | 'redis';
  queue: JobQueuePort;
  /** Set when distributed: shared-queue metrics (see redis/metrics.ts). */
  redis?: RedisJobQueue;
  localWorker?: RedisWorker;
  /** Stops the queue, then the local worker (which finishes or hands back its job). */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * `inProcess` builds the embedded queue (the caller knows its options); it is only called when
 * REDIS_URL is unset. Redis unreachable at start → ConfigError, one line naming REDIS_URL.
 */
export async function createQueueFromEnv(
  env: Env,
  logger: Logger,
  inProcess: () => JobQueuePort,
  engine?: EngineConfig,
): Promise<QueueRuntime> {
  const url = env.REDIS_URL;
  if (url === undefined) {
    const queue = inProcess();
    return { kind: 'in-process', queue, stop: (options) => queue.shutdown(options) };
  }
  const withUrl = { ...env, REDIS_URL: url };
  const { createRedisJobQueue } = await import('./redis/queue.js');
  let localWorker: RedisWorker | undefined;
  if (env.LOCAL_WORKER) {
    const { startRedisWorker } = await import('./redis/worker.js');
    localWorker = await startRedisWorker(redisWorkerOptionsFromEnv(withUrl, engine, logger));
  }
  const queue = await createRedisJobQueue({
    ...redisQueueOptionsFromEnv(withUrl, logger),
    localReady: localWorker?.ready(),
    closeLocal: localWorker ? (graceMs) => localWorker.close(graceMs ?? env.SHUTDOWN_GRACE_S * 1000) : undefined,
  });
  logger.info({ instance: queue.instanceId, localWorker: localWorker?.id ?? false }, 'job queue on redis');
  return {
    kind: 'redis',
    queue,
    redis: queue,
    localWorker,
    stop: (options) => queue.shutdown(options),
  };
}
