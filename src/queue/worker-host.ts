/**
 * The main-thread side of one engine worker: spawns it, keeps it warm, runs one job at a time on
 * it, and turns a crash into a failure of that job alone before starting a fresh worker.
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/module-worker.js';
import type { Logger } from '../log.js';
import type { BackendName, StylizeResult } from '../engine/index.js';
import { failureFromError, isCancellation, outOfMemory, workerCrash } from './failures.js';
import { transferableRequest, type FromWorker, type ToWorker, type WorkerInit, type WorkerJob } from './protocol.js';
import type { JobFailure, JobProgress } from './types.js';

export interface EngineInfo {
  backend: BackendName;
  threads: number;
}

/** How a run ended, as the worker (or its death) told it. */
export type RunEnd =
  | { status: 'done'; result: StylizeResult }
  | { status: 'failed'; failure: JobFailure }
  | { status: 'cancelled' };

export interface EngineWorkerOptions {
  init: WorkerInit;
  resourceLimits?: ResourceLimits;
  /** Called with every new worker thread (logging, metrics, tests that kill it). */
  onSpawn?: (worker: Worker) => void;
  logger?: Logger;
  /** The worker module (default: engine-worker). Tests point it at one whose runtime faults. */
  entry?: URL;
}

/**
 * The worker could not start the engine; `failure` says why, for the job that was waiting, and
 * the message is the engine's own sentence (for the operator) when it gave one.
 */
export class WorkerInitError extends Error {
  override name = 'WorkerInitError';
  constructor(
    readonly failure: JobFailure,
    detail?: string,
  ) {
    super(detail ?? failure.message);
  }
}

interface CurrentRun {
  id: string;
  /** The thread it runs on: a retired thread's exit must not end a job on its successor. */
  worker: Worker;
  finish: (end: RunEnd) => void;
  onProgress: (progress: JobProgress) => void;
  cancelRequested: boolean;
  killTimer?: NodeJS.Timeout;
}

function spawnWorker(init: WorkerInit, resourceLimits?: ResourceLimits, entryOverride?: URL): Worker {
  const entry = entryOverride ?? new URL(import.meta.url.endsWith('.ts') ? './engine-worker.ts' : './engine-worker.js', import.meta.url);
  return spawnModuleWorker(entry, { workerData: init, resourceLimits });
}

export class EngineWorker {
  #worker?: Worker;
  #ready?: Promise<EngineInfo>;
  #current?: CurrentRun;
  #stopping = false;
  /** Workers that died (crash, out of memory, runtime fault) since a job last finished. */
  #deathsInARow = 0;
  /** A cancel that arrived while the job was still waiting for the worker to load. */
  #cancelBeforeStart?: { id: string; killAfterMs: number };
  readonly #options: EngineWorkerOptions;

  constructor(options: EngineWorkerOptions) {
    this.#options = options;
  }

  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** How many workers in a row died without a job finishing on any of them (0 when healthy). */
  get deathsInARow(): number {
    return this.#deathsInARow;
  }

  /** Starts the worker if none is alive and waits until its engine is loaded. */
  ready(): Promise<EngineInfo> {
    if (this.#stopping) return Promise.reject(new WorkerInitError(workerCrash()));
    if (!this.#worker || !this.#ready) this.#spawn();
    return this.#ready!;
  }

  async run(id: string, job: WorkerJob, onProgress: (progress: JobProgress) => void): Promise<RunEnd> {
    if (this.#current) throw new Error(`worker is busy with ${this.#current.id}`);
    try {
      await this.ready();
    } catch (e) {
      return { status: 'failed', failure: e instanceof WorkerInitError ? e.failure : workerCrash() };
    }
    const worker = this.#worker;
    if (!worker) return { status: 'failed', failure: workerCrash() };
    return new Promise<RunEnd>((resolve) => {
      this.#current = {
        id,
        worker,
        onProgress,
        cancelRequested: false,
        finish: (end) => {
          clearTimeout(this.#current?.killTimer);
          this.#current = undefined;
          resolve(end);
        },
      };
      const { request, transfer } = transferableRequest(job.request);
      const message: ToWorker = { type: 'run', id, request, previewAt: job.previewAt };
      worker.postMessage(message, transfer);
      const early = this.#cancelBeforeStart;
      this.#cancelBeforeStart = undefined;
      if (early?.id === id) this.cancel(id, early.killAfterMs);
    });
  }

  /**
   * Asks the engine to stop the job (it checks its AbortSignal every optimisation step). A worker
   * that has not stopped within `killAfterMs` is terminated: a stuck kernel cannot hold the queue.
   */
  cancel(id: string, killAfterMs: number): void {
    const current = this.#current;
    if (!current || current.id !== id || !this.#worker) {
      this.#cancelBeforeStart = { id, killAfterMs };
      return;
    }
    current.cancelRequested = true;
    this.#worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
    if (current.killTimer === undefined) {
      current.killTimer = setTimeout(() => {
        this.#options.logger?.warn({ jobId: id }, 'worker did not stop the job in time; terminating it');
        void this.#worker?.terminate();
      }, killAfterMs);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker?.terminate();
  }

  /** Threads taken out of service after a runtime fault, until they have exited. */
  readonly #retired = new Set<Worker>();

  /** Stops giving `worker` jobs at once and terminates it; its exit starts the replacement. */
  #retire(worker: Worker): void {
    this.#deathsInARow += 1;
    this.#retired.add(worker);
    if (this.#worker === worker) {
      this.#worker = undefined;
      this.#ready = undefined;
    }
    void worker.terminate();
  }

  #spawn(): void {
    const { init, resourceLimits, onSpawn, logger, entry } = this.#options;
    const worker = spawnWorker(init, resourceLimits, entry);
    this.#worker = worker;
    let lastError: Error | undefined;
    let initFailed: { failure: JobFailure; detail: string } | undefined;
    let settleReady!: { resolve: (info: EngineInfo) => void; reject: (e: WorkerInitError) => void };
    let readySettled = false;
    this.#ready = new Promise<EngineInfo>((resolve, reject) => {
      settleReady = { resolve, reject };
    });
    // Nobody may be waiting yet (eager start); the rejection is still delivered to later callers.
    this.#ready.catch(() => undefined);

    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ready':
          readySettled = true;
          logger?.info({ backend: message.backend, threads: message.threads, niceness: message.niceness }, 'engine worker ready');
          settleReady.resolve({ backend: message.backend, threads: message.threads });
          break;
        case 'init-failed':
          initFailed = { failure: failureFromError(message.error), detail: message.error.message };
          logger?.error({ err: message.error }, 'engine worker could not start the engine');
          void worker.terminate();
          break;
        case 'progress':
          if (this.#current?.id === message.id) this.#current.onProgress(message.progress);
          break;
        case 'done':
          if (this.#current?.id === message.id) {
            this.#deathsInARow = 0;
            this.#current.finish({ status: 'done', result: message.result });
          }
          break;
        case 'failed': {
          const current = this.#current;
          if (current?.id !== message.id) break;
          if (message.error.fatal) {
            // Nothing more may run on this thread: take it out of service before anyone else is
            // given it, fail only this job, and let the exit below start a fresh one.
            logger?.error({ jobId: message.id, err: message.error }, 'engine runtime fault; replacing the worker');
            this.#retire(worker);
            // Its words still tell out-of-memory (the onnx process killed by the kernel) from the rest.
            current.finish(current.cancelRequested ? { status: 'cancelled' } : { status: 'failed', failure: failureFromError(message.error) });
          } else if (current.cancelRequested && isCancellation(message.error)) {
            current.finish({ status: 'cancelled' });
          } else {
            const failure = failureFromError(message.error);
            if (failure.kind === 'engine') logger?.error({ jobId: message.id, err: message.error }, 'engine failed');
            current.finish({ status: 'failed', failure });
          }
          break;
        }
      }
    });
    worker.on('error', (e) => {
      lastError = e;
      logger?.error({ err: e }, 'engine worker threw');
    });
    worker.once('exit', (code) => {
      const retired = this.#retired.delete(worker);
      if (this.#worker === worker) {
        this.#worker = undefined;
        this.#ready = undefined;
      }
      const oom = (lastError as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const failure = initFailed?.failure ?? (oom ? outOfMemory() : workerCrash());
      if (!readySettled) settleReady.reject(new WorkerInitError(failure, initFailed?.detail));
      const current = this.#current?.worker === worker ? this.#current : undefined;
      if (current) {
        current.finish(current.cancelRequested ? { status: 'cancelled' } : { status: 'failed', failure });
      }
      if (this.#stopping) return;
      if (!retired) {
        this.#deathsInARow += 1;
        logger?.warn({ code, oom, jobId: current?.id, deathsInARow: this.#deathsInARow }, 'engine worker exited');
      }
      // A worker that died after loading is replaced at once, so the next job finds one warm
      // (unless a job already started one); one that could not even load is retried only when a
      // job asks, so a bad config cannot spin.
      if (readySettled && !this.#worker) this.#spawn();
    });
    onSpawn?.(worker);
  }
}
