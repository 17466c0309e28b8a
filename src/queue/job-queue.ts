/**
 * The job queue: who runs next on the shared accelerator, where everyone stands, how long they
 * will wait, and what happens on cancel, crash, time-out and shutdown.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { resolveQueueConfig, type QueueConfig, type QueueOptions } from './config.js';
import { EtaModel, jobWork, scheduleEtas } from './eta.js';
import { droppedAtShutdown, internalError, stoppedAtShutdown, timeLimit } from './failures.js';
import { Handle, type JobHandle } from './job-handle.js';
import { checkAdmission } from './limits.js';
import { raceTimeout } from '../util/pending-work.js';
import { EngineWorker, WorkerInitError, type EngineInfo, type RunEnd } from './worker-host.js';
import type {
  CancelRequester,
  CancelResult,
  JobInfo,
  JobOutcome,
  JobOwner,
  JobProgress,
  JobSpec,
  QueueSnapshot,
} from './types.js';

export interface JobQueue {
  /** Adds a job or throws a `QueueRejection` whose message is the sentence for the user. */
  submit(spec: JobSpec): JobHandle;
  /** The owner or a moderator may cancel; anyone else gets a refusal with a sentence. */
  cancel(jobId: string, by: CancelRequester): CancelResult;
  /** The user's waiting and running jobs. */
  jobsOf(userId: string, platform?: JobOwner['platform']): JobInfo[];
  /** 0 = running, 1 = next, ...; undefined once the job has settled (or never existed). */
  positionOf(jobId: string): number | undefined;
  snapshot(): QueueSnapshot;
  /** Resolves once the engine is loaded in every worker (rejects if it cannot load). */
  ready(): Promise<EngineInfo>;
  readonly accepting: boolean;
  /** The most workers in a row one slot lost (crash, runtime fault) without a job finishing: health. */
  readonly workerDeathsInARow: number;
  /**
   * Stops accepting, drops the waiting jobs (their owners are told), gives the running ones
   * `graceMs` to finish, then stops them and the workers. Calling it again returns the same promise.
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
}

type StopReason = { kind: 'cancel'; by: string } | { kind: 'time-limit' } | { kind: 'shutdown' };

interface Job {
  id: string;
  spec: JobSpec;
  handle: Handle;
  work: number;
  previewAt: number[];
  /** Aborting it takes the job out of p-queue while it waits; never aborted once it runs. */
  dequeue: AbortController;
  announcedPosition?: number;
  startedAt?: number;
  worker?: EngineWorker;
  lastProgress?: { progress: JobProgress; at: number };
  stop?: StopReason;
}

/** A job with the engine's default options: the guess for one not yet asked for. */
const DEFAULT_JOB_WORK = jobWork({ content: new Uint8Array(), styles: [] });

/** Ascending and without repeats, which the worker relies on. */
const validPreviewPoints = (points: number[] | undefined): number[] =>
  [...new Set(points ?? [])].filter((p) => Number.isFinite(p) && p > 0 && p <= 1).sort((a, b) => a - b);

export function createJobQueue(options: QueueOptions): JobQueue {
  const config: QueueConfig = resolveQueueConfig(options);
  const log = config.logger?.child({ module: 'queue' });
  const eta = new EtaModel(config.etaPriorMsPerUnit);
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
  const jobs = new Map<string, Job>();
  const waiting: Job[] = [];
  const running = new Set<Job>();
  let shuttingDown = false;
  let shutdownDone: Promise<void> | undefined;

  // Warm up now: the first user should not wait for the weights to load.
  const warm = Promise.all(workers.map((w) => w.ready())).then(([first]) => first!);
  warm.catch((e: unknown) => {
    // Stopped before it loaded (a failed start-up, a quick restart): nothing went wrong with the engine.
    if (!shuttingDown) log?.error({ err: e }, 'engine did not load; jobs will fail until it does');
  });

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
  function etas(extra: number[] = []): { running: number[]; waiting: number[]; extra: number[] } {
    const now = Date.now();
    const runningMs = [...running].map((j) => remainingMs(j, now));
    const waitingMs = waiting.map((j) => eta.estimateMs(j.work));
    const all = scheduleEtas(runningMs, config.concurrency, [...waitingMs, ...extra]);
    return { running: runningMs, waiting: all.slice(0, waiting.length), extra: all.slice(waiting.length) };
  }

  /** Everyone in the line hears about it when their place changes. */
  function announcePositions(): void {
    const { waiting: waitingEtas } = etas();
    waiting.forEach((job, i) => {
      const position = i + 1;
      if (job.announcedPosition === position) return;
      job.announcedPosition = position;
      job.handle.emitLater('position', { position, etaMs: waitingEtas[i] });
    });
  }

  function settle(job: Job, outcome: JobOutcome): void {
    if (!job.handle.settle(outcome)) return;
    jobs.delete(job.id);
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
    const index = waiting.indexOf(job);
    if (index >= 0) waiting.splice(index, 1);
    const worker = idleWorkers.pop();
    if (!worker) throw new Error('p-queue started more jobs than there are workers');
    job.worker = worker;
    job.startedAt = Date.now();
    running.add(job);
    job.handle.markRunning();
    job.handle.emitLater('started', { etaMs: eta.estimateMs(job.work) });
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
            job.handle.emitLater('progress', progress);
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
      running.delete(job);
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

  function allInfo(t = etas()): JobInfo[] {
    return [
      ...[...running].map((job, i) => infoOf(job, 0, t.running[i]!)),
      ...waiting.map((job, i) => infoOf(job, i + 1, t.waiting[i]!)),
    ];
  }

  return {
    get accepting() {
      return !shuttingDown;
    },

    get workerDeathsInARow() {
      return Math.max(0, ...workers.map((w) => w.deathsInARow));
    },

    ready: () => warm,

    submit(spec) {
      const refusal = checkAdmission(spec.owner, [...running, ...waiting].map((j) => j.spec), config, shuttingDown);
      if (refusal) {
        log?.info({ requestId: spec.requestId, code: refusal.code }, 'job refused');
        throw refusal;
      }
      const id = randomUUID();
      const job: Job = {
        id,
        spec,
        handle: new Handle(id, spec.requestId, spec.owner),
        work: jobWork(spec.request),
        previewAt: validPreviewPoints(spec.previewAt),
        dequeue: new AbortController(),
      };
      jobs.set(id, job);
      waiting.push(job);
      // p-queue starts a job inside add() when a worker is free; say so instead of "you are next".
      const startsNow = pq.pending < config.concurrency && pq.size === 0;
      const { waiting: waitingEtas } = etas();
      job.announcedPosition = startsNow ? 0 : waiting.length;
      job.handle.emitLater('queued', { position: job.announcedPosition, etaMs: waitingEtas[waiting.length - 1] });
      log?.info({ jobId: id, requestId: spec.requestId, position: job.announcedPosition }, 'job queued');
      pq.add(() => execute(job), { signal: job.dequeue.signal }).catch((e: unknown) => {
        // An abort while waiting is a cancel or shutdown, already settled; anything else is a bug.
        if (!job.dequeue.signal.aborted) log?.error({ err: e, jobId: id }, 'job runner failed');
      });
      return job.handle;
    },

    cancel(jobId, by) {
      const job = jobs.get(jobId);
      if (!job) {
        return { ok: false, code: 'unknown-job', message: 'That picture is no longer in the queue; it may have finished already.' };
      }
      if (job.spec.owner.userId !== by.userId && !by.moderator) {
        return { ok: false, code: 'not-allowed', message: 'Only the person who asked for this picture, or a moderator, can cancel it.' };
      }
      if (job.handle.state === 'queued') {
        job.dequeue.abort();
        waiting.splice(waiting.indexOf(job), 1);
        settle(job, { status: 'cancelled', by: by.userId });
        announcePositions();
        return { ok: true, was: 'queued' };
      }
      requestStop(job, { kind: 'cancel', by: by.userId });
      return { ok: true, was: 'running' };
    },

    jobsOf(userId, platform) {
      return allInfo().filter((j) => j.owner.userId === userId && (platform === undefined || j.owner.platform === platform));
    },

    positionOf(jobId) {
      const job = jobs.get(jobId);
      if (!job) return undefined;
      return running.has(job) ? 0 : waiting.indexOf(job) + 1;
    },

    snapshot() {
      // A new job cannot start before the running ones free a worker, plus its own (unknown) work.
      const t = etas([0]);
      return {
        length: running.size + waiting.length,
        waiting: waiting.length,
        running: running.size,
        concurrency: config.concurrency,
        jobs: allInfo(t),
        etaForNewJobMs: Math.round(t.extra[0]! + eta.estimateMs(DEFAULT_JOB_WORK)),
      };
    },

    shutdown({ graceMs = config.shutdownGraceMs } = {}) {
      shutdownDone ??= (async () => {
        shuttingDown = true;
        log?.info({ waiting: waiting.length, running: running.size, graceMs }, 'queue shutting down');
        for (const job of waiting.splice(0)) {
          job.dequeue.abort();
          settle(job, { status: 'failed', failure: droppedAtShutdown() });
        }
        const runningSettled = () => Promise.all([...running].map((j) => j.handle.settled));
        await raceTimeout(runningSettled(), graceMs);
        for (const job of running) requestStop(job, { kind: 'shutdown' });
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
