import type { Worker } from 'node:worker_threads';
import { createJobQueue, type JobHandle, type JobQueue, type QueueOptions } from '../../src/queue/index.js';
import type { JobEvents, JobOwner, JobSpec } from '../../src/queue/types.js';
import { WEIGHTS, image } from '../support/fixtures.js';

const CONTENT = image('chicago.jpg');
const STYLE = image('udnie.jpg');

/** A real job small enough to take well under a second on a warm worker. */
export function tinyJob(owner: Partial<JobOwner> & { userId: string }, options: { size?: number; iterations?: number } = {}): JobSpec {
  return {
    owner: { platform: 'discord', ...owner },
    requestId: `req-${owner.userId}-${Math.random().toString(36).slice(2, 8)}`,
    // Fresh copies: the queue transfers (detaches) the buffers it is given.
    request: {
      content: new Uint8Array(CONTENT),
      styles: [{ bytes: new Uint8Array(STYLE) }],
      options: { size: options.size ?? 48, iterations: options.iterations ?? 2, scales: [{ size: options.size ?? 48, iterations: options.iterations ?? 2 }] },
    },
  };
}

/** A job that runs until stopped: a few hundred steps, each a fraction of a second. */
export const longJob = (owner: Partial<JobOwner> & { userId: string }): JobSpec => tinyJob(owner, { size: 64, iterations: 1000 });

export interface TestQueue {
  queue: JobQueue;
  workers: Worker[];
}

export async function startQueue(options: Partial<QueueOptions> = {}): Promise<TestQueue> {
  const workers: Worker[] = [];
  const queue = createJobQueue({
    engine: { weights: WEIGHTS },
    progressIntervalMs: 0,
    ...options,
    onWorkerSpawn: (w) => workers.push(w),
  });
  await queue.ready().catch(() => undefined);
  return { queue, workers };
}

export type Recorded = { [K in keyof JobEvents]: { event: K; at: number; args: JobEvents[K] } }[keyof JobEvents];

/** Everything a handle emits, in order, with the time it arrived. */
export function record(handle: JobHandle): Recorded[] {
  const events: Recorded[] = [];
  for (const event of ['queued', 'position', 'started', 'progress', 'settled'] as const) {
    (handle.on as (e: string, l: (...args: unknown[]) => void) => void)(event, (...args) =>
      events.push({ event, at: performance.now(), args } as unknown as Recorded),
    );
  }
  return events;
}

export function once<K extends keyof JobEvents>(handle: JobHandle, event: K, when: (...args: JobEvents[K]) => boolean = () => true): Promise<JobEvents[K]> {
  return new Promise((resolve) => {
    const listener = (...args: JobEvents[K]) => {
      if (!when(...args)) return;
      (handle.off as (e: K, l: typeof listener) => void)(event, listener);
      resolve(args);
    };
    (handle.on as (e: K, l: typeof listener) => void)(event, listener);
  });
}
