/**
 * The line as /queue shows it, for both queues: running jobs first, then the waiting ones in
 * order, each with its place and when its picture should be ready.
 */
import { EtaModel, jobWork, scheduleEtas } from './eta.js';
import type { JobInfo, JobOwner, QueueSnapshot } from './types.js';

/** A job with the engine's default options on an engine capped at `maxSize`: the guess for one not yet asked for. */
export const defaultJobWork = (maxSize?: number): number => jobWork({}, maxSize);

export interface LineJob {
  id: string;
  requestId: string;
  owner: JobOwner;
  /** Megapixel-steps (eta.ts). */
  work: number;
}

/**
 * `remainingMs` of each running job is the queue's own estimate (from progress, or from when it
 * started); a waiting job takes the slot that frees up first. `newJobWork` sizes the job a new
 * submission would be (`etaForNewJobMs`).
 */
export function lineSnapshot(
  running: readonly (LineJob & { remainingMs: number })[],
  waiting: readonly LineJob[],
  concurrency: number,
  eta: EtaModel,
  newJobWork = defaultJobWork(),
): QueueSnapshot {
  const readyAt = scheduleEtas(
    running.map((j) => j.remainingMs),
    concurrency,
    [...waiting.map((j) => eta.estimateMs(j.work)), eta.estimateMs(newJobWork)],
  );
  const info = (job: LineJob, position: number, etaMs: number): JobInfo => ({
    id: job.id,
    requestId: job.requestId,
    owner: job.owner,
    state: position === 0 ? 'running' : 'queued',
    position,
    etaMs: Math.round(etaMs),
  });
  return {
    length: running.length + waiting.length,
    waiting: waiting.length,
    running: running.length,
    concurrency,
    jobs: [...running.map((j) => info(j, 0, j.remainingMs)), ...waiting.map((j, i) => info(j, i + 1, readyAt[i]!))],
    etaForNewJobMs: Math.round(readyAt[waiting.length]!),
  };
}
