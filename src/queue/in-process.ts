/**
 * The in-process job queue, the embedded default behind the port: who runs next on the shared
 * accelerator (p-queue, one engine worker thread per slot), where everyone stands, how long they
 * will wait, and what happens on cancel, crash, time-out and shutdown.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { resolveQueueConfig, type QueueConfig, type QueueOptions } from './config.js';
import { EtaModel, jobWork, scheduleEtas } from './eta.js';
import { cancelRefusal, droppedAtShutdown, internalError, stoppedAtShutdown, timeLimit } from './failures.js';
import { checkAdmission } from './limits.js';
import { raceTimeout } from '../util/pending-work.js';
import { EngineWorker, WorkerInitError, type RunEnd } from './worker-host.js';
import type { DurableJobSpec, JobEvent, JobQueuePort, QueueEvent } from './port.js';
import type { JobInfo, JobOutcome, JobProgress } from './types.js';

type StopReason = { kind: 'cancel'; by: string } | { kind: 'time-limit' } | { kind: 'shutdown' };

interface Job {
  id: string;
  spec: DurableJobSpec;
  state: 'queued' | 'running';
  work: number;
  previewAt: number[];
  /** Aborting it takes the job out of p-queue while it waits; never aborted once it runs. */
  dequeue: AbortController;
  listeners: Set<(event: JobEvent) => void>;
  settled: Promise<JobOutcome>;
  resolve: (outcome: JobOutcome) => void;
  announcedPosition?: number;
  startedAt?: number;
  startEtaMs?: number;
  worker?: EngineWorker;
  lastProgress?: { progress: JobProgress; at: number };
  stop?: StopReason;
}

interface Settled {
  outcome: JobOutcome;
  listeners: Set<(event: JobEvent) => void>;
}

/** How long a settled job's outcome stays for a late `watch` or `outcome`. */
const KEEP_SETTLED_MS = 60_000;

/** Ascending and without repeats, which the worker relies on. */
const validPreviewPoints = (points: number[] | undefined): number[] =>
  [...new Set(points ?? [])].filter((p) => Number.isFinite(p) && p > 0 && p <= 1).sort((a, b) => a - b);

export function createInProcessQueue(options: QueueOptions): JobQueuePort {
  const config: QueueConfig = resolveQueueConfig(options);
  const log = config.logger?.child({ module: 'queue' });
  const eta = new EtaModel(config.etaPriorMsPerUnit);
  /** A job with the engine's default options: the guess for one not yet asked for. */
  const defaultJobWork = jobWork({}, config.engine.maxSize);
  const workers = Array.from(
    { length: config.concurrency },
    () =>
      new EngineWorker({
        init: { engine: config.engine, progressIntervalMs: config.progressIntervalMs },
        resourceLimits: config.workerResourceLimits,
        onSpawn: config.onWorkerSpawn,
        logger: log,
        entry: config.workerEntry,
      }),
  );
  const idleWorkers = [...workers];
  const pq = new PQueue({ concurrency: config.concurrency });
  /** Waiting and running jobs in the order they came: the one list positions are read from. */
  const jobs = new Map<string, Job>();
  const settled = new Map<string, Settled>();
  const subscribers = new Set<(event: QueueEvent) => void>();
  let shuttingDown = false;
  let shutdownDone: Promise<void> | undefined;

  // Warm up now: the first user should not wait for the weights to load.
  const warm = Promise.all(workers.map((w) => w.ready())).then(([first]) => first!);
  warm.catch((e: unknown) => {
    // Stopped before it loaded (a failed start-up, a quick restart): nothing went wrong with the engine.
    if (!shuttingDown) log?.error({ err: e }, 'engine did not load; jobs will fail until it does');
  });

  const waitingJobs = (): Job[] => [...jobs.values()].filter((j) => j.state === 'queued');
  const runningJobs = (): Job[] => [...jobs.values()].filter((j) => j.state === 'running');

  /** Listeners hear events on the next tick, in the order they happened. */
  function publish(event: QueueEvent, listeners?: Iterable<(event: JobEvent) => void>): void {
    const targets = listeners ? [...listeners] : [];
    process.nextTick(() => {
      for (const l of targets) l(event as JobEvent);
      for (const s of [...subscribers]) s(event);
    });
  }

  function remainingMs(job: Job, now: number): number {
    const last = job.lastProgress;
    const sinceEvent = last ? now - last.at : 0;
    if (last?.progress.etaMs !== undefined) return Math.max(0, last.progress.etaMs - sinceEvent);
    if (last && last.progress.step > 0) {
      const { elapsedMs, step, totalSteps } = last.progress;
      return Math.max(0, (elapsedMs * (totalSteps - step)) / step - sinceEvent);
    }
    return Math.max(0, eta.estimateMs(job.work) - (now - (job.startedAt ?? now)));
  }

  /** Ready-in times for the running jobs, then for the waiting line in order. */
  function etas(running: Job[], waiting: Job[], extra: number[] = []) {
    const now = Date.now();
    const runningMs = running.map((j) => remainingMs(j, now));
    const all = scheduleEtas(runningMs, config.concurrency, [...waiting.map((j) => eta.estimateMs(j.work)), ...extra]);
    return { running: runningMs, waiting: all.slice(0, waiting.length), extra: all.slice(waiting.length) };
  }

  /** Everyone in the line hears about it when their place changes. */
  function announcePositions(): void {
    const waiting = waitingJobs();
    const { waiting: waitingEtas } = etas(runningJobs(), waiting);
    waiting.forEach((job, i) => {
      const position = i + 1;
      if (job.announcedPosition === position) return;
      job.announcedPosition = position;
      publish({ type: 'position', jobId: job.id, position, etaMs: waitingEtas[i] }, job.listeners);
    });
  }

  function settle(job: Job, outcome: JobOutcome): void {
    if (!jobs.delete(job.id)) return;
    settled.set(job.id, { outcome, listeners: job.listeners });
    setTimeout(() => settled.delete(job.id), KEEP_SETTLED_MS).unref();
    // The event first, then the promise: whoever awaits `outcome` has seen every event.
    publish({ type: 'settled', jobId: job.id, outcome }, job.listeners);
    process.nextTick(() => process.nextTick(() => job.resolve(outcome)));
    const fields = { jobId: job.id, requestId: job.spec.requestId, status: outcome.status };
    if (outcome.status === 'failed') log?.info({ ...fields, kind: outcome.failure.kind }, 'job failed');
    else log?.info(fields, `job ${outcome.status}`);
  }

  function outcomeOf(job: Job, end: RunEnd): JobOutcome {
    if (end.status === 'done') return end;
    // Whatever the worker said after we asked it to stop, the reason we asked is the story.
    switch (job.stop?.kind) {
      case 'cancel':
        return { status: 'cancelled', by: job.stop.by };
      case 'time-limit':
        return { status: 'failed', failure: timeLimit(config.jobTimeLimitMs) };
      case 'shutdown':
        return { status: 'failed', failure: stoppedAtShutdown() };
      default:
        return end.status === 'failed' ? end : { status: 'failed', failure: internalError() };
    }
  }

  function requestStop(job: Job, reason: StopReason): void {
    job.stop ??= reason;
    job.worker?.cancel(job.id, config.cancelKillAfterMs);
  }

  async function execute(job: Job): Promise<void> {
    const worker = idleWorkers.pop();
    if (!worker) throw new Error('p-queue started more jobs than there are workers');
    job.worker = worker;
    job.startedAt = Date.now();
    job.state = 'running';
    job.startEtaMs = eta.estimateMs(job.work);
    publish({ type: 'started', jobId: job.id, etaMs: job.startEtaMs }, job.listeners);
    log?.info({ jobId: job.id, requestId: job.spec.requestId }, 'job started');
    announcePositions();

    let timer: NodeJS.Timeout | undefined;
    let end: RunEnd;
    try {
      // A worker that cannot load fails this job now; the next job gets a fresh one.
      await worker.ready();
      // The time limit counts the job's own work, not a worker (re)loading its weights.
      const runStart = Date.now();
      timer = setTimeout(() => requestStop(job, { kind: 'time-limit' }), config.jobTimeLimitMs);
      end = job.stop
        ? { status: 'cancelled' }
        : await worker.run(job.id, job.spec.request, job.previewAt, (progress) => {
            job.lastProgress = { progress, at: Date.now() };
            publish({ type: 'progress', jobId: job.id, progress }, job.listeners);
          });
      if (end.status === 'done') eta.record(job.work, Date.now() - runStart);
    } catch (e) {
      if (e instanceof WorkerInitError) {
        end = { status: 'failed', failure: e.failure };
      } else {
        log?.error({ err: e, jobId: job.id }, 'job runner failed');
        end = { status: 'failed', failure: internalError() };
      }
    } finally {
      clearTimeout(timer);
      idleWorkers.push(worker);
    }
    settle(job, outcomeOf(job, end));
  }

  function infoOf(job: Job, position: number, etaMs: number): JobInfo {
    return {
      id: job.id,
      requestId: job.spec.requestId,
      owner: job.spec.owner,
      state: position === 0 ? 'running' : 'queued',
      position,
      etaMs: Math.round(etaMs),
    };
  }

  function allInfo(running = runningJobs(), waiting = waitingJobs(), t = etas(running, waiting)): JobInfo[] {
    return [...running.map((job, i) => infoOf(job, 0, t.running[i]!)), ...waiting.map((job, i) => infoOf(job, i + 1, t.waiting[i]!))];
  }

  /** What a new listener hears first: where the job stands now. */
  function currentEvent(jobId: string): JobEvent | undefined {
    const job = jobs.get(jobId);
    if (job?.state === 'running') {
      return job.lastProgress
        ? { type: 'progress', jobId, progress: { ...job.lastProgress.progress, preview: undefined } }
        : { type: 'started', jobId, etaMs: job.startEtaMs };
    }
    if (job) {
      const i = waitingJobs().indexOf(job);
      return { type: 'position', jobId, position: job.announcedPosition ?? i + 1, etaMs: allInfo().find((j) => j.id === jobId)?.etaMs };
    }
    const done = settled.get(jobId);
    return done ? { type: 'settled', jobId, outcome: done.outcome } : undefined;
  }

  return {
    get accepting() {
      return !shuttingDown;
    },

    get workerDeathsInARow() {
      return Math.max(0, ...workers.map((w) => w.deathsInARow));
    },

    ready: () => warm,

    async submit(spec) {
      const active = [...jobs.values()].map((j) => j.spec);
      const refusal = checkAdmission(spec.owner, active, config, shuttingDown);
      if (refusal) {
        log?.info({ requestId: spec.requestId, code: refusal.code }, 'job refused');
        publish({ type: 'refused', code: refusal.code, owner: spec.owner });
        return { accepted: false, ...refusal };
      }
      const id = randomUUID();
      let resolve!: (outcome: JobOutcome) => void;
      const outcome = new Promise<JobOutcome>((r) => (resolve = r));
      const job: Job = {
        id,
        spec,
        state: 'queued',
        work: jobWork(spec.request, config.engine.maxSize),
        previewAt: validPreviewPoints(spec.previewAt),
        dequeue: new AbortController(),
        listeners: new Set(),
        settled: outcome,
        resolve,
      };
      // p-queue starts a job inside add() when a worker is free; say so instead of "you are next".
      const startsNow = pq.pending < config.concurrency && pq.size === 0;
      const waiting = waitingJobs();
      const { extra } = etas(runningJobs(), waiting, [eta.estimateMs(job.work)]);
      jobs.set(id, job);
      job.announcedPosition = startsNow ? 0 : waiting.length + 1;
      publish({ type: 'submitted', jobId: id, owner: spec.owner });
      log?.info({ jobId: id, requestId: spec.requestId, position: job.announcedPosition }, 'job queued');
      pq.add(() => execute(job), { signal: job.dequeue.signal }).catch((e: unknown) => {
        // An abort while waiting is a cancel or shutdown, already settled; anything else is a bug.
        if (!job.dequeue.signal.aborted) log?.error({ err: e, jobId: id }, 'job runner failed');
      });
      return { accepted: true, jobId: id, position: job.announcedPosition, etaMs: extra[0] };
    },

    watch(jobId, listener) {
      let ended = false;
      // The current state and a scheduled event may say the same; nothing comes after `settled`.
      const once = (event: JobEvent) => {
        if (ended) return;
        if (event.type === 'settled') ended = true;
        listener(event);
      };
      const first = currentEvent(jobId);
      const listeners = jobs.get(jobId)?.listeners ?? settled.get(jobId)?.listeners;
      listeners?.add(once);
      if (first) process.nextTick(() => once(first));
      return () => {
        listeners?.delete(once);
      };
    },

    async outcome(jobId) {
      const job = jobs.get(jobId);
      if (job) return job.settled;
      const done = settled.get(jobId);
      if (done) return done.outcome;
      throw new Error(`no job ${jobId} in this queue`);
    },

    async cancel(jobId, by) {
      const job = jobs.get(jobId);
      if (!job) return cancelRefusal('unknown-job');
      if (job.spec.owner.userId !== by.userId && !by.moderator) return cancelRefusal('not-allowed');
      if (job.state === 'queued') {
        job.dequeue.abort();
        settle(job, { status: 'cancelled', by: by.userId });
        announcePositions();
        return { ok: true, was: 'queued' };
      }
      requestStop(job, { kind: 'cancel', by: by.userId });
      return { ok: true, was: 'running' };
    },

    async jobsOf(userId, platform) {
      return allInfo().filter((j) => j.owner.userId === userId && (platform === undefined || j.owner.platform === platform));
    },

    async snapshot() {
      // A new job cannot start before the running ones free a worker, plus its own (unknown) work.
      const running = runningJobs();
      const waiting = waitingJobs();
      const t = etas(running, waiting, [0]);
      return {
        length: running.length + waiting.length,
        waiting: waiting.length,
        running: running.length,
        concurrency: config.concurrency,
        jobs: allInfo(running, waiting, t),
        etaForNewJobMs: Math.round(t.extra[0]! + eta.estimateMs(defaultJobWork)),
      };
    },

    subscribe(listener) {
      subscribers.add(listener);
      return () => {
        subscribers.delete(listener);
      };
    },

    // Nothing outlives this process here: its jobs end with it.
    resumable: async () => [],

    shutdown({ graceMs = config.shutdownGraceMs } = {}) {
      shutdownDone ??= (async () => {
        shuttingDown = true;
        const waiting = waitingJobs();
        log?.info({ waiting: waiting.length, running: runningJobs().length, graceMs }, 'queue shutting down');
        for (const job of waiting) {
          job.dequeue.abort();
          settle(job, { status: 'failed', failure: droppedAtShutdown() });
        }
        const runningSettled = () => Promise.all(runningJobs().map((j) => j.settled));
        await raceTimeout(runningSettled(), graceMs);
        for (const job of runningJobs()) requestStop(job, { kind: 'shutdown' });
        // A worker that ignores the stop is terminated after cancelKillAfterMs; do not wait longer.
        await raceTimeout(runningSettled(), config.cancelKillAfterMs + 1000);
        await Promise.all(workers.map((w) => w.stop()));
        pq.clear();
        log?.info('queue stopped');
      })();
      return shutdownDone;
    },
  };
}
