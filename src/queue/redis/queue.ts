/**
 * The job-queue port on Redis (BullMQ), chat side: admits jobs under limits shared by every chat
 * process (admission.ts), follows the jobs it accepted through BullMQ's event stream, and answers
 * them again after a restart. The engine runs elsewhere (worker.ts), possibly on other machines.
 * Following a job is the shared tracker's; outage.ts, snapshot.ts and reconcile.ts hold the rest.
 *
 * Exactly one outcome per job: BullMQ completes a job once (a worker that lost its lock cannot
 * complete it), and each chat process settles a job once; only the process that accepted a job
 * (by instance id) answers it.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { StylizeResult } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import { boundPort } from '../bound-port.js';
import { jobWork } from '../eta.js';
import { defaultJobWork } from '../line.js';
import { cancelDenied, cancelRefusal, refusal, type Refusal } from '../failures.js';
import { JobTracker } from '../job-tracker.js';
import { checkAdmission, type Limits } from '../limits.js';
import type { JobQueuePort, ResumableJob, SubmitResult } from '../port.js';
import type { CancelRequester, CancelResult, JobOutcome, JobOwner, JobSpec, RejectionCode } from '../types.js';
import type { EngineInfo } from '../worker-host.js';
import { AdmissionControl } from './admission.js';
import { decodeResult, decodeSpec, encodeCancelMark, encodeJob, encodeResult, type AdmissionRecord, type JobData, type StoredOutcome } from './codec.js';
import { connectOrExplain, redisClient } from './connection.js';
import { redisKeys, type RedisKeys } from './keys.js';
import { JobEventFollower, type FinishedRun } from './job-events.js';
import { Outage, tellOutages } from './outage.js';
import { isWaitingState, JobStates, Reconciler } from './reconcile.js';
import { RedisLine } from './snapshot.js';
import type { WorkerHeartbeat } from './worker.js';

export interface RedisQueueOptions {
  url: string;
  /** Stable across restarts: the jobs this process accepted are found again by it. */
  instanceId: string;
  limits: Limits;
  prefix?: string;
  /** How long finished jobs, results and cancel marks stay in Redis. */
  resultTtlS?: number;
  /** How often the jobs followed here are checked directly, in case an event was missed. */
  reconcileMs?: number;
  etaPriorMsPerUnit?: number;
  /** MAX_IMAGE_SIZE: a job that names no size gets the default within it (for the ETAs). */
  maxSize?: number;
  /**
   * Redis out of reach this long: everyone following one of this process's jobs is told it is
   * held up (a `delayed` event), so a long outage is not mistaken for a hung job. Default 15 s.
   */
  outageNoticeMs?: number;
  /** A worker in this process: `ready()` follows it instead of waiting for any worker's heartbeat. */
  localReady?: Promise<EngineInfo>;
  /** That worker's stop, run after the queue has closed: it finishes or hands back its job. */
  closeLocal?: (graceMs?: number) => Promise<void>;
  logger?: Logger;
}

export interface RedisJobQueue extends JobQueuePort {
  readonly instanceId: string;
  /** Jobs by BullMQ state (waiting, active, completed, failed, delayed, prioritized). */
  jobCounts(): Promise<Record<string, number>>;
  /** Workers whose heartbeat is recent. */
  workers(): Promise<WorkerHeartbeat[]>;
  /** Every job this process hears finish on a worker, whoever owns it. */
  onFinished(listener: (run: FinishedRun) => void): () => void;
}

export async function createRedisJobQueue(options: RedisQueueOptions): Promise<RedisJobQueue> {
  const keys = redisKeys(options.prefix);
  const redis = redisClient(options.url, { name: `${options.instanceId}:chat` });
  await connectOrExplain(redis, options.url);
  const bull = new Queue<JobData, StoredOutcome>(keys.queueName, { connection: redis, prefix: keys.bullPrefix });
  bull.on('error', () => undefined);
  // BullMQ leaves connections it was given open; this one is closed at shutdown.
  const eventsConnection = redisClient(options.url, { blocking: true, name: `${options.instanceId}:events` });
  const events = new QueueEvents(keys.queueName, { connection: eventsConnection, prefix: keys.bullPrefix });
  events.on('error', () => undefined);
  await events.waitUntilReady();
  const queue = new RedisQueue(options, keys, redis, bull, events, eventsConnection);
  return Object.assign(boundPort<RedisJobQueue>(queue), { instanceId: queue.instanceId });
}

class RedisQueue implements RedisJobQueue {
  readonly instanceId: string;
  readonly #log?: Logger;
  readonly #ttl: number;
  readonly #admission: AdmissionControl;
  readonly #outage: Outage;
  readonly #line: RedisLine;
  readonly #states: JobStates;
  readonly #tracker: JobTracker;
  readonly #reconciler: Reconciler;
  readonly #finished = new EventEmitter<{ run: [FinishedRun] }>();
  readonly #owned: string;
  #shuttingDown = false;
  #closed?: Promise<void>;
  readonly #events: JobEventFollower;

  constructor(
    private readonly options: RedisQueueOptions,
    private readonly keys: RedisKeys,
    private readonly redis: Redis,
    private readonly bull: Queue<JobData, StoredOutcome>,
    private readonly events: QueueEvents,
    private readonly eventsConnection: Redis,
  ) {
    this.instanceId = options.instanceId;
    const log = (this.#log = options.logger?.child({ module: 'redis-queue', instance: options.instanceId }));
    this.#ttl = options.resultTtlS ?? 3600;
    this.#owned = keys.owned(options.instanceId);
    this.#admission = new AdmissionControl(redis, keys, options.limits);
    this.#line = new RedisLine(redis, bull, keys, options.etaPriorMsPerUnit, options.maxSize);
    this.#states = new JobStates(redis, bull, keys, this.#line);
    this.#tracker = new JobTracker({ current: (job) => this.#states.current(job), defaultWork: defaultJobWork(options.maxSize), logger: log });
    // Someone here took the outcome; unheard, a job stays in the owned set for resumable().
    this.#tracker.on('answered', (job) => job.owned && void redis.multi().srem(this.#owned, job.jobId).del(keys.instant(job.jobId)).exec().catch(() => undefined));
    this.#outage = new Outage(redis, options.outageNoticeMs ?? 15_000);
    tellOutages(this.#outage, this.#tracker, this.#states, log);
    this.#reconciler = new Reconciler(this.#states, this.#tracker, this.#admission, redis, bull, keys, options.reconcileMs ?? 2000, () => this.#outage.reachable && !this.#shuttingDown, log);
    this.#events = new JobEventFollower(events, redis, this.#tracker, this.#states, this.#line, this.#finished);
  }

  get accepting(): boolean {
    return !this.#shuttingDown && this.#outage.reachable;
  }

  ready(): Promise<EngineInfo> {
    if (this.options.localReady) return this.options.localReady;
    return (async () => {
      for (;;) {
        const workers = await this.#line.workersAlive().catch(() => []);
        if (workers[0]) return { backend: workers[0].backend, threads: workers[0].threads };
        if (this.#shuttingDown) throw new Error('the queue shut down before any worker was ready');
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
  }

  async submit(spec: JobSpec): Promise<SubmitResult> {
    if (this.#shuttingDown) return this.#refused('shutting-down', spec.owner);
    if (!this.accepting) return this.#refused('unreachable', spec.owner);
    const jobId = randomUUID();
    const work = jobWork(spec.request, this.options.maxSize);
    const fields = { jobId, requestId: spec.requestId };
    try {
      const admitted = await this.#admission.admit(jobId, spec.owner, this.instanceId, spec.requestId, work);
      if (!admitted.ok) {
        this.#log?.info({ ...fields, code: admitted.rejection.code }, 'job refused');
        return this.#refused(admitted.rejection.code, spec.owner);
      }
    } catch (e) {
      this.#log?.warn({ ...fields, err: e }, 'could not reach redis to admit a job');
      return this.#refused('unreachable', spec.owner);
    }
    const tracked = this.#tracker.track(jobId, true, work);
    try {
      const age = { age: this.#ttl };
      await this.bull.add('stylize', encodeJob(spec, this.instanceId, work), { jobId, attempts: 1, removeOnComplete: age, removeOnFail: age });
    } catch (e) {
      this.#tracker.forget(jobId);
      this.#log?.warn({ ...fields, err: e }, 'could not add the job to redis');
      await Promise.allSettled([this.#admission.release(jobId), this.redis.srem(this.#owned, jobId)]);
      return this.#refused('unreachable', spec.owner);
    }
    this.#tracker.publish({ type: 'submitted', jobId, owner: spec.owner });
    const snapshot = await this.#line.read().catch(() => undefined);
    const mine = snapshot?.jobs.find((j) => j.id === jobId);
    // With a worker free, the job starts now: say so instead of "you are next".
    const free = snapshot ? snapshot.concurrency - snapshot.running : 0;
    const position = mine ? Math.max(0, mine.position - Math.max(0, free)) : 0;
    tracked.position = position;
    this.#log?.info({ ...fields, position }, 'job queued');
    return { accepted: true, jobId, position, ...(mine ? { etaMs: mine.etaMs } : {}) };
  }

  watch(jobId: string, listener: Parameters<JobQueuePort['watch']>[1]): () => void {
    return this.#tracker.watch(jobId, listener);
  }

  outcome(jobId: string): Promise<JobOutcome> {
    return this.#tracker.outcome(jobId);
  }

  async cancel(jobId: string, by: CancelRequester): Promise<CancelResult> {
    const raw = await this.redis.hget(this.keys.active, jobId);
    let state = await this.bull.getJobState(jobId);
    const ended = () => state === 'completed' || state === 'failed';
    if (!raw) return cancelRefusal(ended() ? 'already-finished' : 'unknown-job');
    const denied = cancelDenied((JSON.parse(raw) as AdmissionRecord).owner.userId, by);
    if (denied) return denied;
    const mark = { by: by.userId, ...(by.keep ? { keep: true } : {}) };
    // Written first: the worker that may pick the job up this instant reads it before starting.
    await this.redis.set(this.keys.cancelled(jobId), encodeCancelMark(mark), 'EX', this.#ttl);
    if (isWaitingState(state)) {
      // Fails on a job a worker has just locked; then it is stopped like a running one.
      if ((await this.bull.remove(jobId).catch(() => 0)) === 1) {
        await this.#admission.release(jobId);
        this.#log?.info({ jobId, ...mark }, 'waiting job cancelled');
        return { ok: true, was: 'queued' };
      }
      state = await this.bull.getJobState(jobId);
    }
    if (ended()) return cancelRefusal('already-finished');
    await this.redis.publish(this.keys.cancelChannel, JSON.stringify({ jobId, ...mark }));
    this.#log?.info({ jobId, ...mark }, 'running job asked to stop');
    return { ok: true, was: 'running' };
  }

  async jobsOf(userId: string, platform?: JobOwner['platform']) {
    const snapshot = await this.#line.snapshot();
    return snapshot.jobs.filter((j) => j.owner.userId === userId && (platform === undefined || j.owner.platform === platform));
  }

  snapshot() {
    return this.#line.snapshot();
  }

  subscribe(listener: Parameters<JobQueuePort['subscribe']>[0]): () => void {
    return this.#tracker.subscribe(listener);
  }

  async resumable(): Promise<ResumableJob[]> {
    const jobs: ResumableJob[] = [];
    for (const jobId of await this.redis.smembers(this.#owned)) {
      const raw = await this.redis.hget(this.#states.jobKey(jobId), 'data');
      const data = raw ? (JSON.parse(raw) as JobData) : undefined;
      const spec = data && decodeSpec(data.spec);
      if (!data || !spec?.reply) {
        // Gone (expired or cancelled while waiting) or nowhere to answer: nothing to resume.
        await this.redis.srem(this.#owned, jobId);
        continue;
      }
      this.#tracker.track(jobId, true, data.work);
      const instant = await this.redis.get(this.keys.instant(jobId));
      jobs.push({ ...spec, jobId, reply: spec.reply, ...(instant ? { instant: decodeResult(instant) } : {}) });
    }
    this.#log?.info({ jobs: jobs.length }, 'jobs to resume');
    return jobs;
  }

  async keepInstant(jobId: string, picture: StylizeResult | undefined): Promise<void> {
    const key = this.keys.instant(jobId);
    if (picture) await this.redis.set(key, encodeResult(picture), 'EX', this.#ttl);
    // Answered meanwhile (its key deleted before this one was written): nothing left to resume.
    if (!picture || this.#tracker.get(jobId)?.state === 'settled') await this.redis.del(key);
  }

  jobCounts() {
    return this.bull.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
  }

  workers() {
    return this.#line.workersAlive();
  }

  onFinished(listener: (run: FinishedRun) => void): () => void {
    this.#finished.on('run', listener);
    return () => this.#finished.off('run', listener);
  }

  shutdown(shutdownOptions?: { graceMs?: number }): Promise<void> {
    this.#closed ??= (async () => {
      this.#shuttingDown = true;
      this.#reconciler.stop();
      this.#events.close();
      this.#outage.close();
      // Jobs stay in Redis; the owned set lets the next process with this instance id answer them.
      await this.#tracker.drain();
      await this.events.close().catch(() => undefined);
      this.eventsConnection.disconnect();
      await this.bull.close().catch(() => undefined);
      await this.redis.quit().catch(() => this.redis.disconnect());
      this.#log?.info('redis queue closed');
      await this.options.closeLocal?.(shutdownOptions?.graceMs);
    })();
    return this.#closed;
  }

  async refusalFor(owner: JobOwner): Promise<Refusal | undefined> {
    if (this.#shuttingDown) return this.#refused('shutting-down', owner);
    if (!this.accepting) return this.#refused('unreachable', owner);
    const line = await this.#line.read().catch(() => undefined);
    const found = line && checkAdmission(owner, line.jobs, this.options.limits, false);
    return found ? this.#refused(found.code, owner) : undefined;
  }

  #refused(code: RejectionCode, owner: JobOwner): SubmitResult & Refusal {
    this.#tracker.publish({ type: 'refused', code, owner });
    return { accepted: false, ...refusal(code, this.options.limits) };
  }
}

export type { FinishedRun } from './job-events.js';
