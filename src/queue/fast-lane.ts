/**
 * The instant lane: fast pictures (engine/fast, about a second each) made at once for every
 * submission, beside the painting queue rather than behind it. It runs where the chat process is,
 * on its own worker thread with one onnx thread, one picture at a time and at most `maxWaiting`
 * waiting: a flood of submissions gets "busy" (the job still paints) instead of taking the
 * painting worker's cores or the event loop. Without model files it is off, said once in the log.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import PQueue from 'p-queue';
import type { FastEngineConfig, StylizeRequest, StylizeResult } from '../engine/index.js';
import type { Logger } from '../log.js';
import { spawnModuleWorker } from '../util/module-worker.js';
import type { FromLane, ToLane } from './fast-lane-protocol.js';
import { failureFromError } from './failures.js';
import { copyForTransfer, transferableRequest } from './protocol.js';
import type { JobFailure } from './types.js';

export type LanePicture =
  | { status: 'done'; result: StylizeResult }
  | { status: 'failed'; failure: JobFailure }
  /** No picture, and nothing wrong with the request: the lane is off (no models), full, or closed. */
  | { status: 'skipped'; reason: 'off' | 'busy' | 'closed' };

export interface FastLaneOptions {
  engine: FastEngineConfig;
  /** Pictures waiting beyond the one being made; more are skipped as busy. Default 20. */
  maxWaiting?: number;
  logger?: Logger;
  /** The worker module (tests). */
  workerEntry?: URL;
}

/** What /queue and the ETAs read of the lane. */
export interface LaneSnapshot {
  on: boolean;
  /** Being made or waiting. */
  pending: number;
  /** Median time of the last pictures (a prior of 1 s before any). */
  msPerPicture: number;
}

interface Run {
  resolve: (p: LanePicture) => void;
}

const PRIOR_MS = 1000;

export class FastLane {
  readonly #options: FastLaneOptions;
  readonly #log?: Logger;
  readonly #pq = new PQueue({ concurrency: 1 });
  readonly #runs = new Map<string, Run>();
  readonly #times: number[] = [];
  readonly #waiting = new Set<(p: LanePicture) => void>();
  #worker?: Worker;
  #ready?: Promise<boolean>;
  /** Why the lane is off, once it is (said in the log once). */
  #off?: string;
  #closed = false;

  constructor(options: FastLaneOptions) {
    this.#options = options;
    this.#log = options.logger?.child({ module: 'fast-lane' });
    const dir = options.engine.fastModels;
    if (dir === undefined) this.#turnOff('no fast style models are configured (FAST_STYLE_MODELS)');
    // Checked here so that a bot without the models does not start a thread only to hear so.
    else if (!existsSync(dir)) this.#turnOff(`the fast style models folder ${dir} was not found (FAST_STYLE_MODELS)`);
    else void this.ready();
  }

  /** Resolves true once the network is open, false when the lane is off. */
  ready(): Promise<boolean> {
    if (this.#off !== undefined || this.#closed) return Promise.resolve(false);
    this.#ready ??= this.#spawn();
    return this.#ready;
  }

  get on(): boolean {
    return this.#off === undefined && !this.#closed;
  }

  snapshot(): LaneSnapshot {
    const sorted = [...this.#times].sort((a, b) => a - b);
    return { on: this.on, pending: this.#pq.size + this.#pq.pending, msPerPicture: sorted.length ? sorted[sorted.length >> 1]! : PRIOR_MS };
  }

  /** When a picture asked for now would be ready, in ms. */
  etaMs(): number {
    const s = this.snapshot();
    return (s.pending + 1) * s.msPerPicture;
  }

  /** The fast picture of `request` (its own copy of the bytes is taken: they are transferred). */
  picture(request: StylizeRequest, requestId: string): Promise<LanePicture> {
    if (this.#closed) return Promise.resolve({ status: 'skipped', reason: 'closed' });
    if (this.#off !== undefined) return Promise.resolve({ status: 'skipped', reason: 'off' });
    if (this.#pq.size >= (this.#options.maxWaiting ?? 20)) {
      this.#log?.warn({ requestId, waiting: this.#pq.size }, 'instant lane full; this job gets no instant picture');
      return Promise.resolve({ status: 'skipped', reason: 'busy' });
    }
    const copy = copyForTransfer(request);
    return new Promise<LanePicture>((resolve) => {
      // Settled by the run, or by close() if it never gets its turn.
      this.#waiting.add(resolve);
      void this.#pq
        .add(async () => (this.#closed ? ({ status: 'skipped', reason: 'closed' } as const) : this.#make(copy, requestId)))
        .then((p) => resolve(p ?? { status: 'skipped', reason: 'closed' }), () => resolve({ status: 'skipped', reason: 'off' }))
        .finally(() => this.#waiting.delete(resolve));
    });
  }

  /** Stops the worker after the picture being made (at most `graceMs`); later asks are skipped. */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    this.#pq.clear();
    await Promise.race([this.#pq.onIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const run of this.#runs.values()) run.resolve({ status: 'skipped', reason: 'closed' });
    for (const resolve of this.#waiting) resolve({ status: 'skipped', reason: 'closed' });
    this.#waiting.clear();
    this.#runs.clear();
    await this.#worker?.terminate();
  }

  async #make(request: StylizeRequest, requestId: string): Promise<LanePicture> {
    if (!(await this.ready()) || !this.#worker) return { status: 'skipped', reason: this.#closed ? 'closed' : 'off' };
    const id = randomUUID();
    const started = Date.now();
    const picture = await new Promise<LanePicture>((resolve) => {
      this.#runs.set(id, { resolve });
      const { request: wire, transfer } = transferableRequest(request);
      this.#worker!.postMessage({ type: 'run', id, request: wire } satisfies ToLane, transfer);
    });
    if (picture.status === 'done') {
      this.#times.push(Date.now() - started);
      if (this.#times.length > 10) this.#times.shift();
    }
    this.#log?.debug({ requestId, status: picture.status, ms: Date.now() - started }, 'instant picture');
    return picture;
  }

  #turnOff(why: string): void {
    if (this.#off !== undefined) return;
    this.#off = why;
    this.#log?.warn({ reason: why }, 'instant pictures are off; every job still paints');
  }

  #spawn(): Promise<boolean> {
    const entry = this.#options.workerEntry ?? new URL(import.meta.url.endsWith('.ts') ? './fast-lane-worker.ts' : './fast-lane-worker.js', import.meta.url);
    const worker = spawnModuleWorker(entry, { workerData: this.#options.engine });
    this.#worker = worker;
    return new Promise<boolean>((resolveReady) => {
      worker.on('message', (message: FromLane) => {
        switch (message.type) {
          case 'ready':
            this.#log?.info('instant lane ready');
            resolveReady(true);
            return;
          case 'init-failed':
            this.#turnOff(message.error.message);
            resolveReady(false);
            void worker.terminate();
            return;
          case 'done':
          case 'failed': {
            const run = this.#runs.get(message.id);
            this.#runs.delete(message.id);
            run?.resolve(message.type === 'done' ? { status: 'done', result: message.result } : { status: 'failed', failure: failureFromError(message.error) });
            return;
          }
        }
      });
      worker.on('error', (err) => this.#log?.error({ err }, 'instant lane worker threw'));
      worker.once('exit', (code) => {
        resolveReady(false);
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        // Pictures being made are skipped (their jobs still paint); the next ask starts a fresh worker.
        for (const run of this.#runs.values()) run.resolve({ status: 'skipped', reason: 'off' });
        this.#runs.clear();
        if (!this.#closed && this.#off === undefined) this.#log?.warn({ code }, 'instant lane worker exited; the next picture starts a new one');
      });
    });
  }
}
