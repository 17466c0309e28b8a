import type { Worker } from 'node:worker_threads';
import { createInProcessQueue, type JobEvent, type JobQueuePort, type QueueOptions } from '../../src/queue/index.js';
import type { JobOutcome, JobOwner, JobProgress, JobSpec, RejectionCode } from '../../src/queue/types.js';
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
  queue: JobQueuePort;
  workers: Worker[];
}

export async function startQueue(options: Partial<QueueOptions> = {}): Promise<TestQueue> {
  const workers: Worker[] = [];
  const queue = createInProcessQueue({
    engine: { weights: WEIGHTS },
    progressIntervalMs: 0,
    ...options,
    onWorkerSpawn: (w) => workers.push(w),
  });
  await queue.ready().catch(() => undefined);
  return { queue, workers };
}

/** The payload of each event type, as a listener receives it. */
export interface EventArgs {
  position: { position: number; etaMs?: number };
  started: { etaMs?: number };
  progress: JobProgress;
  settled: JobOutcome;
}
export type Recorded = { [K in keyof EventArgs]: { event: K; at: number; args: [EventArgs[K]] } }[keyof EventArgs];

/** One accepted job, followed through the port from the moment it was accepted. */
export interface Tracked {
  id: string;
  /** Where `submit` said it stands. */
  position: number;
  settled: Promise<JobOutcome>;
  /** Everything `watch` delivered, in order, with the time it arrived. */
  events: Recorded[];
  on<K extends keyof EventArgs>(event: K, listener: (args: EventArgs[K]) => void): void;
}

function payload(event: JobEvent): unknown {
  switch (event.type) {
    case 'position':
      return { position: event.position, etaMs: event.etaMs };
    case 'started':
      return { etaMs: event.etaMs };
    case 'progress':
      return event.progress;
    case 'settled':
      return event.outcome;
  }
}

/** A submission the queue refused. */
export class Refused extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
  }
}

export async function submit(queue: JobQueuePort, spec: JobSpec): Promise<Tracked> {
  const result = await queue.submit(spec);
  if (!result.accepted) throw new Refused(result.code, result.message);
  const events: Recorded[] = [];
  const listeners = new Set<(e: Recorded) => void>();
  queue.watch(result.jobId, (event) => {
    const recorded = { event: event.type, at: performance.now(), args: [payload(event)] } as Recorded;
    events.push(recorded);
    for (const l of listeners) l(recorded);
  });
  return {
    id: result.jobId,
    position: result.position,
    settled: queue.outcome(result.jobId),
    events,
    on(event, listener) {
      listeners.add((e) => {
        if (e.event === event) (listener as (a: unknown) => void)(e.args[0]);
      });
    },
  };
}

/** The refusal of a submission that the test expects to be refused. */
export async function refusalOf(queue: JobQueuePort, spec: JobSpec): Promise<Refused> {
  const result = await queue.submit(spec);
  if (result.accepted) throw new Error(`expected a refusal, the job was accepted (${result.jobId})`);
  return new Refused(result.code, result.message);
}

export function record(job: Tracked): Recorded[] {
  return job.events;
}

export function once<K extends keyof EventArgs>(job: Tracked, event: K, when: (args: EventArgs[K]) => boolean = () => true): Promise<EventArgs[K]> {
  return new Promise((resolve) => {
    const seen = job.events.find((e) => e.event === event && when(e.args[0] as EventArgs[K]));
    if (seen) return resolve(seen.args[0] as EventArgs[K]);
    job.on(event, (args) => {
      if (when(args)) resolve(args);
    });
  });
}

/** 0 = running, 1 = next, ...; undefined once the job has settled. */
export async function positionOf(queue: JobQueuePort, jobId: string): Promise<number | undefined> {
  return (await queue.snapshot()).jobs.find((j) => j.id === jobId)?.position;
}
