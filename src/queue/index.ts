/**
 * The queue layer's surface: the port (all that commands and bots know of a queue) and the
 * factory the app opens its queue with.
 */
import type { Env } from '../config.js';
import { createLogger } from '../log.js';
import { queueConfigFromEnv, type QueueOptions } from './config.js';
import { createQueueFromEnv } from './from-env.js';
import { createInProcessQueue } from './in-process.js';
import type { JobQueuePort } from './port.js';

export { createInProcessQueue } from './in-process.js';
export { queueConfigFromEnv, resolveQueueConfig, QUEUE_DEFAULTS, type QueueConfig, type QueueOptions } from './config.js';
export type { EngineInfo } from './worker-host.js';
export type * from './port.js';
export * from './types.js';

/**
 * The queue the bot process runs on. The in-process queue is the embedded default; the
 * distributed queue (src/queue/redis) plugs in here, chosen by the environment, so app.ts, the
 * commands and the bots never name a concrete queue.
 */
export async function openQueue(env: Env, overrides: Partial<QueueOptions> = {}): Promise<JobQueuePort> {
  const options = { ...queueConfigFromEnv(env), ...overrides };
  if (env.REDIS_URL === undefined) return createInProcessQueue(options);
  const logger = options.logger ?? createLogger({ level: 'silent' });
  return (await createQueueFromEnv(env, logger, () => createInProcessQueue(options), options.engine)).queue;
}
