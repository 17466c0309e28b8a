import type { ResourceLimits, Worker } from 'node:worker_threads';
import type { Env } from '../config.js';
import { fastModelsDirIn, type EngineConfig } from '../engine/index.js';
import type { Logger } from '../log.js';

export interface QueueConfig {
  engine: EngineConfig;
  /** Jobs running at once; each has its own worker (and its own copy of the weights). */
  concurrency: number;
  /** Most jobs waiting or running. */
  maxLength: number;
  /** Most jobs one user may have waiting or running. */
  maxPerUser: number;
  /** Most jobs one Discord guild / Slack workspace may have waiting or running. */
  maxPerServer: number;
  /** A running job is stopped after this long. */
  jobTimeLimitMs: number;
  /** What `shutdown()` gives the running job when called without `graceMs`. */
  shutdownGraceMs: number;
  /** A job asked to stop gets this long to honour it before its worker is terminated. */
  cancelKillAfterMs: number;
  /** V8 heap limits of each worker; exceeding them fails the running job as out of memory. */
  workerResourceLimits?: ResourceLimits;
  /** Passed to the engine: ms between time-based progress events. */
  progressIntervalMs?: number;
  /**
   * OS nice (0–19) the paintings run at (Linux: the engine threads and their onnx processes), so
   * the chat process and its instant lane get the cores first; 0 = the process's own priority.
   */
  paintNiceness: number;
  /** Milliseconds per megapixel-step before any job has been timed. */
  etaPriorMsPerUnit?: number;
  logger?: Logger;
  /** Called with every worker thread started (metrics, logging, tests). */
  onWorkerSpawn?: (worker: Worker) => void;
  /** The worker module, when not the engine's (tests whose runtime must fault). */
  workerEntry?: URL;
}

export const QUEUE_DEFAULTS = {
  concurrency: 1,
  maxLength: 20,
  maxPerUser: 1,
  maxPerServer: 3,
  jobTimeLimitMs: 10 * 60_000,
  shutdownGraceMs: 60_000,
  cancelKillAfterMs: 15_000,
  paintNiceness: 10,
} satisfies Partial<QueueConfig>;

export type QueueOptions = Partial<QueueConfig> & { engine: EngineConfig };

export function resolveQueueConfig(options: QueueOptions): QueueConfig {
  const config = { ...QUEUE_DEFAULTS, ...options };
  // The environment's rule (config.ts intSetting): whole numbers within range, nothing read as 0 by accident.
  const least = { concurrency: 1, maxLength: 1, maxPerUser: 1, maxPerServer: 1, jobTimeLimitMs: 1, shutdownGraceMs: 0, cancelKillAfterMs: 0 } as const;
  for (const [key, min] of Object.entries(least) as [keyof typeof least, number][]) {
    if (!Number.isSafeInteger(config[key]) || config[key] < min) throw new RangeError(`queue ${key} must be a whole number ≥ ${min}, got ${config[key]}`);
  }
  if (!Number.isSafeInteger(config.paintNiceness) || config.paintNiceness < 0 || config.paintNiceness > 19) {
    throw new RangeError(`queue paintNiceness must be a whole number from 0 to 19, got ${config.paintNiceness}`);
  }
  return config;
}

/**
 * The queue's settings from the validated environment. `engine` defaults to what the environment
 * says about the engine; pass it when the weights path was resolved elsewhere (e.g. a download).
 */
export function queueConfigFromEnv(env: Env, engine?: EngineConfig): QueueConfig {
  return resolveQueueConfig({
    engine: engine ?? {
      weights: env.VGG19_WEIGHTS ?? env.WEIGHTS_CACHE_DIR,
      fastModels: env.FAST_STYLE_MODELS ?? fastModelsDirIn(env.WEIGHTS_CACHE_DIR),
      backend: env.STYLIZE_BACKEND,
      threads: env.WASM_THREADS,
      maxSize: env.MAX_IMAGE_SIZE,
      limits: { maxBytes: env.MAX_INPUT_BYTES, maxPixels: env.MAX_INPUT_PIXELS },
    },
    concurrency: env.QUEUE_CONCURRENCY,
    maxLength: env.QUEUE_MAX_LENGTH,
    maxPerUser: env.QUEUE_MAX_PER_USER,
    maxPerServer: env.QUEUE_MAX_PER_GUILD,
    jobTimeLimitMs: env.JOB_TIME_LIMIT_S * 1000,
    shutdownGraceMs: env.SHUTDOWN_GRACE_S * 1000,
    paintNiceness: env.PAINT_NICENESS,
  });
}
