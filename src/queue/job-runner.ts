/**
 * Runs jobs on slots of engine workers, for both queues (in-process, and the Redis worker): one
 * job per slot, a time limit counted from when the engine is loaded, and why a job was asked to
 * stop turned into its outcome (whatever the worker said after being asked, the reason is the story).
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import type { EngineConfig } from '../engine/index.js';
import type { Logger } from '../log.js';
import { QUEUE_DEFAULTS } from './config.js';
import { cancelledBy, internalError, stoppedAtShutdown, timeLimit } from './failures.js';
import { jobTimeLimitMs } from './time-limit.js';
import type { JobOutcome, JobProgress, JobSpec } from './types.js';
import { EngineWorker, WorkerInitError, type EngineInfo, type RunEnd } from './worker-host.js';

/** Why a running job was asked to stop; `hand-back` puts it back in a shared line for another worker. */
export type StopReason = { kind: 'cancel'; by: string; keep?: boolean } | { kind: 'time-limit' } | { kind: 'shutdown' } | { kind: 'hand-back' };

export interface JobRunnerOptions {
  engine: EngineConfig;
  /** Slots: jobs at once, each on its own engine worker thread. */
  concurrency: number;
  jobTimeLimitMs: number;
  /** A job asked to stop gets this long before its worker is terminated. */
  cancelKillAfterMs: number;
  progressIntervalMs?: number;
  /** OS nice of the engine threads and their onnx processes (Linux); default QUEUE_DEFAULTS.paintNiceness. */
  paintNiceness?: number;
  resourceLimits?: ResourceLimits;
  onWorkerSpawn?: (worker: Worker) => void;
  /** The worker module, when not the engine's (tests: a fake or faulting engine). */
  workerEntry?: URL;
  logger?: Logger;
}

/** How a job ended on a slot: its outcome, what stopped it, and how long its own work took. */
export interface RunReport {
  outcome: JobOutcome;
  stop?: StopReason;
  /** From the engine being ready to the end (what the time limit and ETAs count). */
  runMs: number;
}

export interface RunHooks {
  onProgress(progress: JobProgress): void;
  /** Runs once the slot's engine is ready, before the job starts (a cancel may be read there). */
  beforeStart?(): Promise<void>;
}

/** Ascending and without repeats, which the engine worker relies on. */
export const validPreviewPoints = (points: readonly number[] | undefined): number[] =>
  [...new Set(points ?? [])].filter((p) => Number.isFinite(p) && p > 0 && p <= 1).sort((a, b) => a - b);

interface Slot {
  engine: EngineWorker;
  jobId?: string;
  stop?: StopReason;
}

export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #slots: Slot[];
  readonly #ready: Promise<EngineInfo>;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
    this.#slots = Array.from({ length: options.concurrency }, () => ({
      engine: new EngineWorker({
        init: { engine: options.engine, progressIntervalMs: options.progressIntervalMs, niceness: options.paintNiceness ?? QUEUE_DEFAULTS.paintNiceness },
        resourceLimits: options.resourceLimits,
        onSpawn: options.onWorkerSpawn,
        logger: options.logger,
        entry: options.workerEntry,
      }),
    }));
    // Warm up now: the first job should not wait for the weights to load.
    this.#ready = Promise.all(this.#slots.map((s) => s.engine.ready())).then(([first]) => first!);
    this.#ready.catch(() => undefined);
  }

  /** Resolves once every slot's engine is loaded (rejects if one cannot load). */
  ready(): Promise<EngineInfo> {
    return this.#ready;
  }

  get concurrency(): number {
    return this.#slots.length;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#slots.filter((s) => s.jobId !== undefined).length;
  }

  /** Engine workers lost in a row on the worst slot (0 when healthy). */
  get deathsInARow(): number {
    return Math.max(0, ...this.#slots.map((s) => s.engine.deathsInARow));
  }

  /** Runs one job on a free slot; the caller never starts more jobs than there are slots. */
  async run(jobId: string, spec: Pick<JobSpec, 'request' | 'previewAt'>, hooks: RunHooks): Promise<RunReport> {
    const { request, previewAt } = spec;
    const slot = this.#slots.find((s) => s.jobId === undefined);
    if (!slot) throw new Error('more jobs started than there are engine slots');
    slot.jobId = jobId;
    slot.stop = undefined;
    let timer: NodeJS.Timeout | undefined;
    let runStart = Date.now();
    const limitMs = jobTimeLimitMs(request, this.#options.jobTimeLimitMs);
    let end: RunEnd;
    try {
      // A worker that cannot load fails this job now; the next job gets a fresh one.
      await slot.engine.ready();
      await hooks.beforeStart?.();
      runStart = Date.now();
      timer = setTimeout(() => this.stop(jobId, { kind: 'time-limit' }), limitMs);
      end = slot.stop
        ? { status: 'cancelled' }
        : await slot.engine.run(jobId, { request, previewAt: validPreviewPoints(previewAt) }, hooks.onProgress);
    } catch (e) {
      if (e instanceof WorkerInitError) end = { status: 'failed', failure: e.failure };
      else {
        this.#options.logger?.error({ err: e, jobId }, 'job runner failed');
        end = { status: 'failed', failure: internalError() };
      }
    } finally {
      clearTimeout(timer);
      slot.jobId = undefined;
    }
    const stop = slot.stop;
    return { outcome: this.#outcomeOf(end, stop, limitMs), stop, runMs: Date.now() - runStart };
  }

  /** Asks a running job to stop; the first reason given is the one its outcome tells. */
  stop(jobId: string, reason: StopReason): boolean {
    const slot = this.#slots.find((s) => s.jobId === jobId);
    if (!slot) return false;
    slot.stop ??= reason;
    slot.engine.cancel(jobId, this.#options.cancelKillAfterMs);
    return true;
  }

  /** The ids of the jobs running now. */
  runningIds(): string[] {
    return this.#slots.flatMap((s) => (s.jobId === undefined ? [] : [s.jobId]));
  }

  /** Terminates every engine worker (stop the jobs first). */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.engine.stop()));
  }

  #outcomeOf(end: RunEnd, stop: StopReason | undefined, limitMs: number): JobOutcome {
    if (end.status === 'done') return end;
    switch (stop?.kind) {
      case 'cancel':
        return cancelledBy(stop.by, stop.keep);
      case 'time-limit':
        return { status: 'failed', failure: timeLimit(limitMs) };
      case 'shutdown':
      case 'hand-back':
        return { status: 'failed', failure: stoppedAtShutdown() };
      default:
        return end.status === 'failed' ? end : { status: 'failed', failure: internalError() };
    }
  }
}
