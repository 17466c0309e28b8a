/** The distributed queue's settings from the validated environment. */
import { hostname } from 'node:os';
import type { Env } from '../../config.js';
import type { EngineConfig } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import { queueConfigFromEnv } from '../config.js';
import type { RedisQueueOptions } from './queue.js';
import type { RedisWorkerOptions } from './worker.js';

/** Finished jobs, results and previews stay this long for a chat process that was away. */
export const RESULT_TTL_S = 3600;

/**
 * Stable across restarts by default (the host name: a container's is its service's name under
 * compose with `hostname:`). A discord.js shard adds its number, so shards never answer each
 * other's jobs.
 */
export function chatInstanceId(env: Env, shards = process.env.SHARDS): string {
  const base = env.CHAT_INSTANCE_ID ?? hostname();
  return shards === undefined ? base : `${base}-shard-${shards.replace(/[^0-9,]/g, '')}`;
}

export function redisQueueOptionsFromEnv(
  env: Env & { REDIS_URL: string },
  logger?: Logger,
): RedisQueueOptions {
  const queue = queueConfigFromEnv(env);
  return {
    url: env.REDIS_URL,
    instanceId: chatInstanceId(env),
    prefix: env.REDIS_PREFIX,
    limits: { maxLength: queue.maxLength, maxPerUser: queue.maxPerUser, maxPerServer: queue.maxPerServer },
    resultTtlS: RESULT_TTL_S,
    maxSize: env.MAX_IMAGE_SIZE,
    logger,
  };
}

export function redisWorkerOptionsFromEnv(
  env: Env & { REDIS_URL: string },
  engine?: EngineConfig,
  logger?: Logger,
): RedisWorkerOptions {
  const queue = queueConfigFromEnv(env, engine);
  return {
    url: env.REDIS_URL,
    engine: queue.engine,
    concurrency: env.WORKER_CONCURRENCY,
    prefix: env.REDIS_PREFIX,
    stallMs: env.WORKER_STALL_S * 1000,
    jobTimeLimitMs: queue.jobTimeLimitMs,
    cancelKillAfterMs: queue.cancelKillAfterMs,
    paintNiceness: queue.paintNiceness,
    resultTtlS: RESULT_TTL_S,
    logger,
  };
}
