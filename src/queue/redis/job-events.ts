/**
 * BullMQ's event stream, chat side: every chat process hears every job; it acts on those it
 * follows (started, progress with its preview read from Redis, settled) and tells the waiting ones
 * of this process their new place when the line moves.
 */
import type { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobTracker } from '../job-tracker.js';
import type { JobOutcome } from '../types.js';
import type { StoredOutcome, WireProgress } from './codec.js';
import type { JobStates } from './reconcile.js';
import type { RedisLine } from './snapshot.js';

/** A job that finished on a worker, for metrics (durations per worker). */
export interface FinishedRun {
  jobId: string;
  workerId?: string;
  status: JobOutcome['status'];
  runMs?: number;
}

/** Places are read once for a burst of events this close together. */
const POSITIONS_AFTER_MS = 50;

export class JobEventFollower {
  #positionsTimer?: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly events: QueueEvents,
    private readonly redis: Redis,
    private readonly tracker: JobTracker,
    private readonly states: JobStates,
    private readonly line: RedisLine,
    private readonly finished: EventEmitter<{ run: [FinishedRun] }>,
  ) {
    this.#follow();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#positionsTimer);
  }

  #follow(): void {
    const { events, tracker, states } = this;
    events.on('active', ({ jobId }) => {
      this.#schedulePositions();
      const job = tracker.followed(jobId);
      if (job)
        tracker.enqueue(job, async () => {
          const eta = await this.line.etaModel();
          tracker.deliver(job, { type: 'started', jobId, etaMs: eta.estimateMs(job.work) });
        });
    });
    events.on('progress', ({ jobId, data }) => {
      const job = tracker.followed(jobId);
      if (!job || typeof data !== 'object') return;
      tracker.enqueue(job, async () => {
        const { previewKey, ...progress } = data as WireProgress;
        const preview = previewKey ? await this.redis.getBuffer(previewKey) : null;
        const bytes = preview ? { preview: new Uint8Array(preview.buffer, preview.byteOffset, preview.byteLength) } : {};
        tracker.deliver(job, { type: 'progress', jobId, progress: { ...progress, ...bytes } });
      });
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      this.#schedulePositions();
      const stored = returnvalue as unknown as StoredOutcome;
      this.finished.emit('run', { jobId, workerId: stored.workerId, status: stored.status, runMs: 'runMs' in stored ? stored.runMs : undefined });
      const job = tracker.followed(jobId);
      if (job) tracker.enqueue(job, async () => tracker.deliver(job, { type: 'settled', jobId, outcome: await states.fromStored(stored) }));
    });
    events.on('failed', ({ jobId, failedReason }) => {
      this.#schedulePositions();
      this.finished.emit('run', { jobId, status: 'failed' });
      if (tracker.followed(jobId)) tracker.post({ type: 'settled', jobId, outcome: states.failed(failedReason) });
    });
    events.on('removed', ({ jobId }) => {
      this.#schedulePositions();
      const job = tracker.followed(jobId);
      if (job) tracker.enqueue(job, async () => tracker.deliver(job, { type: 'settled', jobId, outcome: await states.missing(jobId) }));
    });
    events.on('waiting', ({ jobId, prev }) => {
      // Back in the line after a stall or a hand-back.
      const job = prev === 'active' ? tracker.followed(jobId) : undefined;
      if (job) tracker.requeued(job);
      this.#schedulePositions();
    });
  }

  /** Everyone followed here who waits hears their new place when it changes. */
  #schedulePositions(): void {
    if (this.#positionsTimer || this.#closed) return;
    this.#positionsTimer = setTimeout(() => {
      this.#positionsTimer = undefined;
      if (!this.tracker.all().some((t) => t.state === 'queued' && t.listeners.size > 0)) return;
      this.line
        .read()
        .then((snapshot) => {
          for (const info of snapshot.jobs) {
            const job = this.tracker.get(info.id);
            if (job && info.state === 'queued') this.tracker.announce(job, info.position, info.etaMs);
          }
        })
        .catch(() => undefined);
    }, POSITIONS_AFTER_MS);
  }
}
