/**
 * Every Redis key the distributed queue uses besides BullMQ's own, under one prefix, so that two
 * bots (or two test runs) can share a Redis without seeing each other's jobs.
 */
export interface RedisKeys {
  /** BullMQ's prefix and queue name: its keys are `<prefix>:jobs:*`. */
  bullPrefix: string;
  queueName: string;
  /** Hash jobId → admission record: what the limits count; a job leaves it when it settles. */
  active: string;
  /** Hashes userKey / serverKey → jobs in `active`. */
  userCounts: string;
  serverCounts: string;
  /** Set of the jobs one chat process accepted and has not yet answered. */
  owned(instanceId: string): string;
  /** The result picture, apart from BullMQ's return value so that it stays out of the event stream. */
  result(jobId: string): string;
  preview(jobId: string, n: number): string;
  /** The instant picture a job's message shows, for the chat process that resumes it. */
  instant(jobId: string): string;
  /** Who cancelled a job (and whether to keep its picture), read by the worker running it and by the chat process that owns it. */
  cancelled(jobId: string): string;
  cancelChannel: string;
  /** Hash workerId → heartbeat (what it runs, until when it counts as alive). */
  workers: string;
  /** List of recent (work, ms) pairs: the shared ETA model. */
  etaSamples: string;
}

export function redisKeys(prefix = 'stylize'): RedisKeys {
  return {
    bullPrefix: prefix,
    queueName: 'jobs',
    active: `${prefix}:active`,
    userCounts: `${prefix}:count:user`,
    serverCounts: `${prefix}:count:server`,
    owned: (instanceId) => `${prefix}:owned:${instanceId}`,
    result: (jobId) => `${prefix}:result:${jobId}`,
    preview: (jobId, n) => `${prefix}:preview:${jobId}:${n}`,
    instant: (jobId) => `${prefix}:instant:${jobId}`,
    cancelled: (jobId) => `${prefix}:cancelled:${jobId}`,
    cancelChannel: `${prefix}:cancel`,
    workers: `${prefix}:workers`,
    etaSamples: `${prefix}:eta`,
  };
}
