export { createJobQueue, type JobQueue } from './job-queue.js';
export type { JobHandle } from './job-handle.js';
export { queueConfigFromEnv, resolveQueueConfig, QUEUE_DEFAULTS, type QueueConfig, type QueueOptions } from './config.js';
export type { EngineInfo } from './worker-host.js';
export * from './types.js';
