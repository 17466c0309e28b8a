/**
 * The in-process job queue, the embedded default behind the port: who runs next on the shared
 * accelerator (p-queue over the job runner's slots), where everyone stands, how long they will
 * wait, and what happens on cancel and shutdown. Running a job (time limit, crashes) is the
 * runner's; following it (listeners, replay, settled jobs) is the tracker's.
 */
import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { raceTimeout } from '../util/pending-work.js';
import { boundPort } from './bound-port.js';
import { resolveQueueConfig, type QueueConfig, type QueueOptions } from './config.js';
import { EtaModel, jobWork } from './eta.js';
import { cancelDenied, cancelledBy, cancelRefusal, droppedAtShutdown, type Refusal } from './failures.js';
import { JobRunner } from './job-runner.js';
import { JobTracker, type TrackedJob } from './job-tracker.js';
import { checkAdmission } from './limits.js';
import { defaultJobWork, lineSnapshot, type LineJob } from './line.js';
import type { JobQueuePort } from './port.js';
import type { CancelRequester, JobOutcome, JobOwner, JobSpec, QueueSnapshot } from './types.js';

interface Job extends LineJob {
  spec: JobSpec;
  state: 'queued' | 'running';
  tracked: TrackedJob;
  /** Aborting it takes the job out of p-queue while it waits; never aborted once it runs. */
  dequeue: AbortController;
  startedAt?: number;
}

export function createInProcessQueue(options: QueueOptions): JobQueuePort {
  return boundPort<JobQueuePort>(new InProcessQueue(resolveQueueConfig(options)));
}

class InProcessQueue implements JobQueuePort {
  readonly #config: QueueConfig;
  readonly #log: QueueConfig['logger'];
  readonly #eta: EtaModel;
  readonly #runner: JobRunner;
  readonly #tracker: JobTracker;
  readonly #pq: PQueue;
  /** Waiting and running jobs in the order they came: the one list positions are read from. */
  readonly #jobs = new Map<string, Job>();
  #shuttingDown = false;
  #shutdownDone?: Promise<void>;

  constructor(config: QueueConfig) {
    this.#config = config;
    this.#log = config.logger?.child({ module: 'queue' });
    this.#eta = new EtaModel(config.etaPriorMsPerUnit);
    this.#runner = new JobRunner({
      engine: config.engine,
      concurrency: config.concurrency,
      jobTimeLimitMs: config.jobTimeLimitMs,
      cancelKillAfterMs: config.cancelKillAfterMs,
      progressIntervalMs: config.progressIntervalMs,
      paintNiceness: config.paintNiceness,
      resourceLimits: config.workerResourceLimits,
      onWorkerSpawn: config.onWorkerSpawn,
      workerEntry: config.workerEntry,
      logger: this.#log,
    });
    this.#tracker = new JobTracker({ logger: this.#log });
    this.#pq = new PQueue({ concurrency: config.concurrency });
    this.#runner.ready().catch((e: unknown) => {
      // Stopped before it loaded (a failed start-up, a quick restart): nothing went wrong with the engine.
      if (!this.#shuttingDown) this.#log?.error({ err: e }, 'engine did not load; jobs will fail until it does');
    });
  }

  get accepting(): boolean {
    return !this.#shuttingDown;
  }

  get workerDeathsInARow(): number {
    return this.#runner.deathsInARow;
  }

  ready() {
    return this.#runner.ready();
  }

  async refusalFor(owner: JobOwner): Promise<Refusal | undefined> {
    const refusal = checkAdmission(owner, [...this.#jobs.values()], this.#config, this.#shuttingDown);
    if (refusal) this.#tracker.publish({ type: 'refused', code: refusal.code, owner });
    return refusal;
  }

  async submit(spec: JobSpec) {
    const refusal = checkAdmission(spec.owner, [...this.#jobs.values()], this.#config, this.#shuttingDown);
    if (refusal) {
      this.#log?.info({ requestId: spec.requestId, code: refusal.code }, 'job refused');
      this.#tracker.publish({ type: 'refused', code: refusal.code, owner: spec.owner });
      return { accepted: false as const, ...refusal };
    }
    const id = randomUUID();
    const work = jobWork(spec.request, this.#config.engine.maxSize);
    // p-queue starts a job inside add() when a slot is free; say so instead of "you are next".
    const startsNow = this.#pq.pending < this.#config.concurrency && this.#pq.size === 0;
    const { etaForNewJobMs, waiting } = this.#line(work);
    const position = startsNow ? 0 : waiting + 1;
    const tracked = this.#tracker.track(id, true, work);
    tracked.position = position;
    tracked.latest = { type: 'position', jobId: id, position, etaMs: etaForNewJobMs };
    const job: Job = { id, requestId: spec.requestId, owner: spec.owner, work, spec, state: 'queued', tracked, dequeue: new AbortController() };
    this.#jobs.set(id, job);
    this.#tracker.publish({ type: 'submitted', jobId: id, owner: spec.owner });
    this.#log?.info({ jobId: id, requestId: spec.requestId, position }, 'job queued');
    this.#pq.add(() => this.#execute(job), { signal: job.dequeue.signal }).catch((e: unknown) => {
      // An abort while waiting is a cancel or shutdown, already settled; anything else is a bug.
      if (!job.dequeue.signal.aborted) this.#log?.error({ err: e, jobId: id }, 'job runner failed');
    });
    return { accepted: true as const, jobId: id, position, etaMs: etaForNewJobMs };
  }

  watch(jobId: string, listener: Parameters<JobQueuePort['watch']>[1]): () => void {
    // Nothing outlives this process: a job not tracked here is no job of this queue.
    return this.#tracker.get(jobId) ? this.#tracker.watch(jobId, listener) : () => undefined;
  }

  async outcome(jobId: string): Promise<JobOutcome> {
    if (!this.#tracker.get(jobId)) throw new Error(`no job ${jobId} in this queue`);
    return this.#tracker.outcome(jobId);
  }

  async cancel(jobId: string, by: CancelRequester) {
    const job = this.#jobs.get(jobId);
    if (!job) return cancelRefusal('unknown-job');
    const denied = cancelDenied(job.owner.userId, by);
    if (denied) return denied;
    if (job.state === 'queued') {
      job.dequeue.abort();
      this.#settle(job, cancelledBy(by.userId, by.keep));
      this.#announcePositions();
      return { ok: true as const, was: 'queued' as const };
    }
    this.#runner.stop(jobId, { kind: 'cancel', by: by.userId, keep: by.keep });
    return { ok: true as const, was: 'running' as const };
  }

  async jobsOf(userId: string, platform?: JobSpec['owner']['platform']) {
    return this.#line().jobs.filter((j) => j.owner.userId === userId && (platform === undefined || j.owner.platform === platform));
  }

  async snapshot(): Promise<QueueSnapshot> {
    return this.#line();
  }

  subscribe(listener: Parameters<JobQueuePort['subscribe']>[0]): () => void {
    return this.#tracker.subscribe(listener);
  }

  // Nothing outlives this process here: its jobs end with it.
  async resumable() {
    return [];
  }

  async keepInstant() {}

  shutdown({ graceMs = this.#config.shutdownGraceMs }: { graceMs?: number } = {}): Promise<void> {
    this.#shutdownDone ??= (async () => {
      this.#shuttingDown = true;
      const waiting = this.#inState('queued');
      this.#log?.info({ waiting: waiting.length, running: this.#inState('running').length, graceMs }, 'queue shutting down');
      for (const job of waiting) {
        job.dequeue.abort();
        this.#settle(job, { status: 'failed', failure: droppedAtShutdown() });
      }
      const runningSettled = () => Promise.all(this.#inState('running').map((j) => this.#tracker.outcome(j.id)));
      await raceTimeout(runningSettled(), graceMs);
      for (const job of this.#inState('running')) this.#runner.stop(job.id, { kind: 'shutdown' });
      // A worker that ignores the stop is terminated after cancelKillAfterMs; do not wait longer.
      await raceTimeout(runningSettled(), this.#config.cancelKillAfterMs + 1000);
      await this.#runner.close();
      this.#pq.clear();
      this.#log?.info('queue stopped');
    })();
    return this.#shutdownDone;
  }

  #inState(state: Job['state']): Job[] {
    return [...this.#jobs.values()].filter((j) => j.state === state);
  }

  /** The line now; `newJobWork` sizes the job a submission would add. */
  #line(newJobWork = defaultJobWork(this.#config.engine.maxSize)): QueueSnapshot {
    const now = Date.now();
    const running = this.#inState('running').map((job) => ({ ...job, remainingMs: this.#remainingMs(job, now) }));
    return lineSnapshot(running, this.#inState('queued'), this.#config.concurrency, this.#eta, newJobWork);
  }

  /** From the job's own progress where it has any (the engine's ETA, or its pace), else the model. */
  #remainingMs(job: Job, now: number): number {
    const latest = job.tracked.latest;
    const sinceEvent = now - job.tracked.latestAt;
    if (latest?.type === 'progress') {
      const { etaMs, elapsedMs, step, totalSteps } = latest.progress;
      if (etaMs !== undefined) return Math.max(0, etaMs - sinceEvent);
      if (step > 0) return Math.max(0, (elapsedMs * (totalSteps - step)) / step - sinceEvent);
    }
    return Math.max(0, this.#eta.estimateMs(job.work) - (now - (job.startedAt ?? now)));
  }

  /** Everyone in the line hears about it when their place changes. */
  #announcePositions(): void {
    for (const info of this.#line().jobs) {
      const job = this.#jobs.get(info.id);
      if (job?.state === 'queued') this.#tracker.announce(job.tracked, info.position, info.etaMs);
    }
  }

  async #execute(job: Job): Promise<void> {
    job.state = 'running';
    job.startedAt = Date.now();
    this.#tracker.post({ type: 'started', jobId: job.id, etaMs: this.#eta.estimateMs(job.work) });
    this.#log?.info({ jobId: job.id, requestId: job.requestId }, 'job started');
    this.#announcePositions();
    const report = await this.#runner.run(job.id, job.spec, {
      onProgress: (progress) => this.#tracker.post({ type: 'progress', jobId: job.id, progress }),
    });
    if (report.outcome.status === 'done') this.#eta.record(job.work, report.runMs);
    this.#settle(job, report.outcome);
  }

  #settle(job: Job, outcome: JobOutcome): void {
    if (!this.#jobs.delete(job.id)) return;
    this.#tracker.post({ type: 'settled', jobId: job.id, outcome });
    const fields = { jobId: job.id, requestId: job.requestId, status: outcome.status };
    if (outcome.status === 'failed') this.#log?.info({ ...fields, kind: outcome.failure.kind }, 'job failed');
    else this.#log?.info(fields, `job ${outcome.status}`);
  }
}
