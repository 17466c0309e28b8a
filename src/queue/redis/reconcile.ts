/**
 * Where a job stands, read from Redis rather than heard from BullMQ's event stream, and the
 * periodic look that mends what the stream missed: events can be lost (this process restarted,
 * the stream was trimmed), so every job followed here is also read directly now and then, and
 * places in the limits whose job is gone (a crash between admission and BullMQ) are freed.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { cancelledBy, internalError, lostJob, stalledTooOften } from '../failures.js';
import type { JobTracker, TrackedJob } from '../job-tracker.js';
import type { JobEvent } from '../port.js';
import type { JobOutcome } from '../types.js';
import type { AdmissionControl } from './admission.js';
import { decodeCancelMark, decodeOutcome, type AdmissionRecord, type StoredOutcome, type WireProgress } from './codec.js';
import type { RedisKeys } from './keys.js';
import type { RedisLine } from './snapshot.js';

/** An admission record this old whose job BullMQ does not have (a crash between the two) is freed. */
const ORPHAN_AFTER_MS = 30_000;
/** How often orphans are looked for. */
const SWEEP_EVERY_MS = 10_000;

export const isWaitingState = (state: string): boolean => state === 'waiting' || state === 'prioritized' || state === 'delayed';

/** A job's state and outcome as Redis holds them. */
export class JobStates {
  constructor(
    private readonly redis: Redis,
    private readonly bull: Queue,
    private readonly keys: RedisKeys,
    private readonly line: RedisLine,
  ) {}

  jobKey(jobId: string): string {
    return `${this.keys.bullPrefix}:${this.keys.queueName}:${jobId}`;
  }

  /** The user-facing outcome of a stored one, with its picture read from its key. */
  async fromStored(stored: StoredOutcome): Promise<JobOutcome> {
    if (stored.status !== 'done') return decodeOutcome(stored, undefined);
    const image = await this.redis.getBuffer(stored.resultKey);
    return decodeOutcome(stored, image ? new Uint8Array(image.buffer, image.byteOffset, image.byteLength) : undefined);
  }

  /** BullMQ failed the job itself: stalled too often, or something unforeseen. */
  failed(reason: string | undefined): JobOutcome {
    return { status: 'failed', failure: reason && /stalled/i.test(reason) ? stalledTooOften() : internalError() };
  }

  /** The job is gone from BullMQ: cancelled while it waited, or lost. */
  async missing(jobId: string): Promise<JobOutcome> {
    const mark = await this.redis.get(this.keys.cancelled(jobId));
    if (mark === null) return { status: 'failed', failure: lostJob() };
    const { by, keep } = decodeCancelMark(mark);
    return cancelledBy(by, keep);
  }

  /** The event that describes where a job stands now (what a new listener hears first). */
  async current(job: TrackedJob): Promise<JobEvent | undefined> {
    const jobId = job.jobId;
    if (job.outcome) return { type: 'settled', jobId, outcome: job.outcome };
    const state = await this.bull.getJobState(jobId);
    if (isWaitingState(state)) {
      const index = (await this.line.waitingIds()).indexOf(jobId);
      return { type: 'position', jobId, position: index < 0 ? 1 : index + 1 };
    }
    if (state === 'active') {
      const raw = await this.redis.hget(this.jobKey(jobId), 'progress');
      const progress = raw ? (JSON.parse(raw) as WireProgress | number) : undefined;
      if (progress && typeof progress === 'object') {
        const { previewKey: _previewKey, ...rest } = progress;
        return { type: 'progress', jobId, progress: rest };
      }
      return { type: 'started', jobId };
    }
    if (state === 'completed') {
      const raw = await this.redis.hget(this.jobKey(jobId), 'returnvalue');
      const outcome = raw ? await this.fromStored(JSON.parse(raw) as StoredOutcome) : { status: 'failed' as const, failure: lostJob() };
      return { type: 'settled', jobId, outcome };
    }
    if (state === 'failed') return { type: 'settled', jobId, outcome: this.failed((await this.redis.hget(this.jobKey(jobId), 'failedReason')) ?? undefined) };
    if (state === 'unknown') return { type: 'settled', jobId, outcome: await this.missing(jobId) };
    return undefined;
  }
}

/** Reads every watched job directly every `everyMs`, and frees orphaned places now and then. */
export class Reconciler {
  readonly #timer: NodeJS.Timeout;
  #sweeps = 0;

  constructor(
    private readonly states: JobStates,
    private readonly tracker: JobTracker,
    private readonly admission: AdmissionControl,
    private readonly redis: Redis,
    private readonly bull: Queue,
    private readonly keys: RedisKeys,
    everyMs: number,
    /** False while Redis cannot be reached or the queue is closing. */
    private readonly active: () => boolean,
    private readonly log?: Logger,
  ) {
    this.#timer = setInterval(() => this.#look(everyMs), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #look(everyMs: number): void {
    if (!this.active()) return;
    for (const job of this.tracker.all()) {
      if (job.state === 'settled' || job.listeners.size === 0) continue;
      this.tracker.enqueue(job, async () => {
        const event = await this.states.current(job);
        if (event?.type === 'settled') this.tracker.deliver(job, event);
        else if (event?.type === 'position' && job.state === 'running') this.tracker.deliver(job, event);
      });
    }
    if (++this.#sweeps % Math.max(1, Math.round(SWEEP_EVERY_MS / everyMs)) === 0) void this.#sweepOrphans().catch(() => undefined);
  }

  async #sweepOrphans(): Promise<void> {
    const records = await this.redis.hgetall(this.keys.active);
    const now = Date.now();
    for (const [jobId, raw] of Object.entries(records)) {
      const record = JSON.parse(raw) as AdmissionRecord;
      if (now - record.at < ORPHAN_AFTER_MS) continue;
      const state = await this.bull.getJobState(jobId);
      if ((state === 'completed' || state === 'failed' || state === 'unknown') && (await this.admission.release(jobId)))
        this.log?.info({ jobId, state }, 'freed the place of a job that had ended');
    }
  }
}
