/**
 * The job-queue port on Redis (BullMQ), chat side: admits jobs under limits shared by every chat
 * process, follows the jobs it accepted through BullMQ's event stream, and answers them again after
 * a restart. The engine runs elsewhere (worker.ts), possibly on other machines.
 *
 * Exactly one outcome per job: BullMQ completes a job once (a worker that lost its lock cannot
 * complete it), and each chat process settles a job once; only the process that accepted a job
 * (by instance id) answers it.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import type { Logger } from '../../log.js';
import { EtaModel, jobWork, scheduleEtas } from '../eta.js';
import { internalError } from '../failures.js';
import type { Limits } from '../limits.js';
import type { JobEvent, JobQueuePort, QueueEvent, ResumableJob, SubmitResult } from '../port.js';
import type { EngineInfo } from '../worker-host.js';
import type { CancelResult, JobInfo, JobOutcome, JobOwner, QueueSnapshot } from '../types.js';
import { AdmissionControl } from './admission.js';
import {
  decodeOutcome,
  decodeSpec,
  encodeJob,
  lostJob,
  stalledTooOften,
  type AdmissionRecord,
  type JobData,
  type StoredOutcome,
  type WireProgress,
} from './codec.js';
import { connectOrExplain, redisClient } from './connection.js';
import { redisKeys, type RedisKeys } from './keys.js';
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

/** A job that finished on a worker, for metrics (durations per worker). */
export interface FinishedRun {
  jobId: string;
  workerId?: string;
  status: JobOutcome['status'];
  runMs?: number;
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

const UNREACHABLE = 'The picture queue cannot be reached right now; please try again in a minute.';
const SHUTTING_DOWN =
  'The bot is restarting and is not taking new pictures right now; please try again in a minute.';
const NOT_ALLOWED = 'Only the person who asked for this picture, or a moderator, can cancel it.';
const UNKNOWN_JOB = 'That picture is no longer in the queue; it may have finished already.';
const ALREADY_FINISHED = 'That picture has already finished; there is nothing left to cancel.';

/** A tracked job is forgotten this long after it settled (a late watch reads it back from Redis). */
const FORGET_SETTLED_MS = 60_000;
/** An admission record this old whose job BullMQ does not have (a crash between the two) is freed. */
const ORPHAN_AFTER_MS = 30_000;


const validPreviewPoints = (points: number[] | undefined): number[] =>
  [...new Set(points ?? [])].filter((p) => Number.isFinite(p) && p > 0 && p <= 1).sort((a, b) => a - b);

interface Tracker {
  jobId: string;
  listeners: Set<(event: JobEvent) => void>;
  /** Events for one job are handled one after the other (some need a read from Redis first). */
  chain: Promise<void>;
  /** Accepted by (or resumed in) this process: it answers the job and reports it to `subscribe`. */
  owned: boolean;
  state: 'queued' | 'running' | 'settled';
  outcome?: JobOutcome;
  lastPosition?: number;
  work: number;
  /** Told it is held up by an outage; it hears where it stands once Redis is back. */
  delayed?: boolean;
}

const isWaitingState = (state: string): boolean =>
  state === 'waiting' || state === 'prioritized' || state === 'delayed';

export async function createRedisJobQueue(options: RedisQueueOptions): Promise<RedisJobQueue> {
  const keys: RedisKeys = redisKeys(options.prefix);
  const log = options.logger?.child({ module: 'redis-queue', instance: options.instanceId });
  const ttl = options.resultTtlS ?? 3600;
  const defaultJobWork = jobWork({}, options.maxSize);
  const reconcileMs = options.reconcileMs ?? 2000;
  const outageNoticeMs = options.outageNoticeMs ?? 15_000;

  const redis = redisClient(options.url, { name: `${options.instanceId}:chat` });
  await connectOrExplain(redis, options.url);
  let reachable = true;
  /** When Redis was last seen going away (undefined while it is reachable). */
  let unreachableSince: number | undefined;
  let outageTimer: NodeJS.Timeout | undefined;
  const lost = (why: string) => {
    if (shuttingDown) return;
    if (reachable)
      log?.warn({ err: why }, 'redis unreachable; jobs wait in Redis and continue when it is back');
    reachable = false;
    if (unreachableSince !== undefined) return;
    unreachableSince = Date.now();
    outageTimer = setTimeout(() => tellDelayed(), outageNoticeMs);
    outageTimer.unref();
  };
  redis.on('error', (e: Error) => lost(e.message));
  redis.on('close', () => lost('connection closed'));
  redis.on('ready', () => {
    if (!reachable) log?.info({ outageMs: unreachableSince && Date.now() - unreachableSince }, 'redis reachable again');
    reachable = true;
    clearTimeout(outageTimer);
    unreachableSince = undefined;
    tellWhereTheyStand();
  });

  const bull = new Queue<JobData, StoredOutcome>(keys.queueName, {
    connection: redis,
    prefix: keys.bullPrefix,
  });
  bull.on('error', () => undefined);
  // BullMQ leaves connections it was given open; this one is closed at shutdown.
  const eventsConnection = redisClient(options.url, { blocking: true, name: `${options.instanceId}:events` });
  const events = new QueueEvents(keys.queueName, { connection: eventsConnection, prefix: keys.bullPrefix });
  events.on('error', () => undefined);
  await events.waitUntilReady();
  const admission = new AdmissionControl(redis, keys, options.limits);
  const jobKey = (jobId: string) => `${keys.bullPrefix}:${keys.queueName}:${jobId}`;
  const owned = keys.owned(options.instanceId);

  const trackers = new Map<string, Tracker>();
  const subscribers = new Set<(event: QueueEvent) => void>();
  const finished = new EventEmitter<{ run: [FinishedRun] }>();
  let shuttingDown = false;
  let lastSnapshot: QueueSnapshot = {
    length: 0,
    waiting: 0,
    running: 0,
    concurrency: 1,
    jobs: [],
    etaForNewJobMs: 0,
  };

  function publish(event: QueueEvent): void {
    for (const listener of subscribers) {
      try {
        listener(event);
      } catch (e) {
        log?.error({ err: e }, 'queue subscriber threw');
      }
    }
  }

  function track(jobId: string, owner: boolean, work = defaultJobWork): Tracker {
    let tracker = trackers.get(jobId);
    if (!tracker) {
      tracker = {
        jobId,
        listeners: new Set(),
        chain: Promise.resolve(),
        owned: owner,
        state: 'queued',
        work,
      };
      trackers.set(jobId, tracker);
    }
    if (owner) tracker.owned = true;
    return tracker;
  }

  function enqueue(tracker: Tracker, step: () => Promise<void> | void): void {
    tracker.chain = tracker.chain
      .then(step)
      .catch((e: unknown) => log?.warn({ err: e, jobId: tracker.jobId }, 'job event not handled'));
  }

  function deliver(tracker: Tracker, event: JobEvent): void {
    if (tracker.state === 'settled') return;
    if (event.type === 'settled') {
      tracker.state = 'settled';
      tracker.outcome = event.outcome;
      setTimeout(
        () => trackers.get(tracker.jobId) === tracker && trackers.delete(tracker.jobId),
        FORGET_SETTLED_MS,
      ).unref();
    } else if (event.type === 'started' || event.type === 'progress') {
      tracker.state = 'running';
    } else if (event.type === 'position') {
      tracker.state = 'queued';
      tracker.lastPosition = event.position;
    }
    const listeners = [...tracker.listeners];
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (e) {
        log?.error({ err: e, jobId: tracker.jobId }, 'job listener threw');
      }
    }
    if (tracker.owned) publish(event);
    if (event.type === 'settled') {
      tracker.listeners.clear();
      if (listeners.length > 0) answered(tracker);
    }
  }

  /** Someone here took the outcome; unheard, a job stays in the owned set for resumable(). */
  function answered(tracker: Tracker): void {
    if (tracker.owned) redis.srem(owned, tracker.jobId).catch(() => undefined);
  }

  const delayedEvent = (jobId: string): JobEvent => ({
    type: 'delayed',
    jobId,
    reason: 'queue-unreachable',
    sinceMs: Date.now() - (unreachableSince ?? Date.now()),
  });

  /** The outage has lasted: every job of this process still being followed hears it waits. */
  function tellDelayed(): void {
    if (unreachableSince === undefined || shuttingDown) return;
    const held = [...trackers.values()].filter((t) => t.owned && t.state !== 'settled' && !t.delayed);
    log?.warn({ jobs: held.length, outageMs: Date.now() - unreachableSince }, 'redis still unreachable; telling the users who wait');
    for (const tracker of held) {
      tracker.delayed = true;
      // Not through the chain: its steps may be waiting on Redis themselves.
      deliver(tracker, delayedEvent(tracker.jobId));
    }
  }

  /** Back from an outage: those told they wait hear where their job stands now. */
  function tellWhereTheyStand(): void {
    for (const tracker of trackers.values()) {
      if (!tracker.delayed) continue;
      tracker.delayed = false;
      if (tracker.state === 'settled') continue;
      enqueue(tracker, async () => {
        const event = await currentEvent(tracker);
        if (event) deliver(tracker, event);
      });
    }
  }

  async function outcomeFromStored(stored: StoredOutcome): Promise<JobOutcome> {
    if (stored.status !== 'done') return decodeOutcome(stored, undefined);
    const image = await redis.getBuffer(stored.resultKey);
    return decodeOutcome(
      stored,
      image ? new Uint8Array(image.buffer, image.byteOffset, image.byteLength) : undefined,
    );
  }

  const failedOutcome = (reason: string | undefined): JobOutcome => ({
    status: 'failed',
    failure: reason && /stalled/i.test(reason) ? stalledTooOften() : internalError(),
  });

  async function outcomeOfMissing(jobId: string): Promise<JobOutcome> {
    const by = await redis.get(keys.cancelled(jobId));
    return by !== null ? { status: 'cancelled', by } : { status: 'failed', failure: lostJob() };
  }

  /** Ids of the waiting line, first to start first. */
  const waitingIds = (): Promise<string[]> => bull.getRanges(['waiting', 'prioritized'], 0, -1, true);

  async function workersAlive(): Promise<WorkerHeartbeat[]> {
    const all = await redis.hgetall(keys.workers);
    const now = Date.now();
    const alive: WorkerHeartbeat[] = [];
    for (const [id, raw] of Object.entries(all)) {
      const beat = JSON.parse(raw) as WorkerHeartbeat;
      if (beat.until > now) alive.push(beat);
      // Gone for a long while: tidy up so the hash does not grow with every restart.
      else if (beat.until < now - 3600_000) void redis.hdel(keys.workers, id).catch(() => undefined);
    }
    return alive;
  }

  async function etaModel(): Promise<EtaModel> {
    const model = new EtaModel(options.etaPriorMsPerUnit);
    const samples = await redis.lrange(keys.etaSamples, 0, 9);
    for (const sample of samples.reverse()) {
      const [work, ms] = sample.split(':').map(Number);
      model.record(work!, ms!);
    }
    return model;
  }

  /** The shared line as /queue shows it, with ETAs from the shared timings and live workers. */
  async function computeSnapshot(): Promise<QueueSnapshot> {
    const [waiting, active, records, workers, eta] = await Promise.all([
      waitingIds(),
      bull.getRanges(['active'], 0, -1, true),
      redis.hgetall(keys.active),
      workersAlive(),
      etaModel(),
    ]);
    const concurrency = Math.max(
      1,
      workers.reduce((sum, w) => sum + w.concurrency, 0),
    );
    const recordOf = (id: string): AdmissionRecord | undefined =>
      records[id] ? (JSON.parse(records[id]) as AdmissionRecord) : undefined;
    const now = Date.now();
    const startedAt = await Promise.all(active.map((id) => redis.hget(jobKey(id), 'processedOn')));
    const runningMs = active.map((id, i) => {
      const work = recordOf(id)?.work ?? defaultJobWork;
      return Math.max(0, eta.estimateMs(work) - (now - Number(startedAt[i] ?? now)));
    });
    const waitingMs = waiting.map((id) => eta.estimateMs(recordOf(id)?.work ?? defaultJobWork));
    const all = scheduleEtas(runningMs, concurrency, [...waitingMs, 0]);
    const info = (id: string, position: number, etaMs: number): JobInfo | undefined => {
      const record = recordOf(id);
      if (!record) return undefined;
      return {
        id,
        requestId: record.requestId,
        owner: record.owner,
        state: position === 0 ? 'running' : 'queued',
        position,
        etaMs: Math.round(etaMs),
      };
    };
    const jobs = [
      ...active.map((id, i) => info(id, 0, runningMs[i]!)),
      ...waiting.map((id, i) => info(id, i + 1, all[i]!)),
    ].filter((j): j is JobInfo => j !== undefined);
    lastSnapshot = {
      length: active.length + waiting.length,
      waiting: waiting.length,
      running: active.length,
      concurrency,
      jobs,
      etaForNewJobMs: Math.round(all[waiting.length]! + eta.estimateMs(defaultJobWork)),
    };
    return lastSnapshot;
  }

  /** Everyone followed here who waits hears their new place when it changes. */
  let positionsTimer: NodeJS.Timeout | undefined;
  function schedulePositions(): void {
    if (positionsTimer || shuttingDown) return;
    positionsTimer = setTimeout(() => {
      positionsTimer = undefined;
      const waiters = [...trackers.values()].filter((t) => t.state === 'queued' && t.listeners.size > 0);
      if (waiters.length === 0) return;
      computeSnapshot()
        .then((snapshot) => {
          for (const job of snapshot.jobs) {
            const tracker = trackers.get(job.id);
            if (
              !tracker ||
              job.state !== 'queued' ||
              tracker.state !== 'queued' ||
              tracker.lastPosition === job.position
            )
              continue;
            enqueue(tracker, () =>
              deliver(tracker, { type: 'position', jobId: job.id, position: job.position, etaMs: job.etaMs }),
            );
          }
        })
        .catch(() => undefined);
    }, 50);
  }

  /** The event that describes where a job stands now (what a new listener hears first). */
  async function currentEvent(tracker: Tracker): Promise<JobEvent | undefined> {
    const jobId = tracker.jobId;
    if (tracker.outcome) return { type: 'settled', jobId, outcome: tracker.outcome };
    const state = await bull.getJobState(jobId);
    if (isWaitingState(state)) {
      const line = await waitingIds();
      const index = line.indexOf(jobId);
      return { type: 'position', jobId, position: index < 0 ? 1 : index + 1 };
    }
    if (state === 'active') {
      const raw = await redis.hget(jobKey(jobId), 'progress');
      const progress = raw ? (JSON.parse(raw) as WireProgress | number) : undefined;
      if (progress && typeof progress === 'object') {
        const { previewKey: _previewKey, ...rest } = progress;
        return { type: 'progress', jobId, progress: rest };
      }
      return { type: 'started', jobId };
    }
    if (state === 'completed') {
      const raw = await redis.hget(jobKey(jobId), 'returnvalue');
      const outcome = raw
        ? await outcomeFromStored(JSON.parse(raw) as StoredOutcome)
        : { status: 'failed' as const, failure: lostJob() };
      return { type: 'settled', jobId, outcome };
    }
    if (state === 'failed') {
      return {
        type: 'settled',
        jobId,
        outcome: failedOutcome((await redis.hget(jobKey(jobId), 'failedReason')) ?? undefined),
      };
    }
    if (state === 'unknown') return { type: 'settled', jobId, outcome: await outcomeOfMissing(jobId) };
    return undefined;
  }

  // ---- BullMQ's event stream: every chat process hears every job; it acts on those it follows.
  const followed = (jobId: string): Tracker | undefined => {
    const tracker = trackers.get(jobId);
    return tracker && tracker.state !== 'settled' ? tracker : undefined;
  };
  events.on('active', ({ jobId }) => {
    schedulePositions();
    const tracker = followed(jobId);
    if (!tracker) return;
    enqueue(tracker, async () => {
      const eta = await etaModel();
      deliver(tracker, { type: 'started', jobId, etaMs: eta.estimateMs(tracker.work) });
    });
  });
  events.on('progress', ({ jobId, data }) => {
    const tracker = followed(jobId);
    if (!tracker || typeof data !== 'object') return;
    enqueue(tracker, async () => {
      const { previewKey, ...progress } = data as WireProgress;
      const preview = previewKey ? await redis.getBuffer(previewKey) : null;
      deliver(tracker, {
        type: 'progress',
        jobId,
        progress: preview
          ? { ...progress, preview: new Uint8Array(preview.buffer, preview.byteOffset, preview.byteLength) }
          : progress,
      });
    });
  });
  events.on('completed', ({ jobId, returnvalue }) => {
    schedulePositions();
    const stored = returnvalue as unknown as StoredOutcome;
    finished.emit('run', {
      jobId,
      workerId: stored.workerId,
      status: stored.status,
      runMs: 'runMs' in stored ? stored.runMs : undefined,
    });
    const tracker = followed(jobId);
    if (!tracker) return;
    enqueue(tracker, async () =>
      deliver(tracker, { type: 'settled', jobId, outcome: await outcomeFromStored(stored) }),
    );
  });
  events.on('failed', ({ jobId, failedReason }) => {
    schedulePositions();
    finished.emit('run', { jobId, status: 'failed' });
    const tracker = followed(jobId);
    if (tracker)
      enqueue(tracker, () =>
        deliver(tracker, { type: 'settled', jobId, outcome: failedOutcome(failedReason) }),
      );
  });
  events.on('removed', ({ jobId }) => {
    schedulePositions();
    const tracker = followed(jobId);
    if (tracker)
      enqueue(tracker, async () =>
        deliver(tracker, { type: 'settled', jobId, outcome: await outcomeOfMissing(jobId) }),
      );
  });
  events.on('waiting', ({ jobId, prev }) => {
    // Back in the line after a stall or a hand-back.
    const tracker = prev === 'active' ? followed(jobId) : undefined;
    if (tracker) {
      tracker.state = 'queued';
      tracker.lastPosition = undefined;
    }
    schedulePositions();
  });

  /**
   * Events can be missed (this process restarted, the stream was trimmed); every job followed here
   * is also looked at directly now and then. Places in the limits whose job is gone are freed.
   */
  let sweeps = 0;
  const reconcile = setInterval(() => {
    if (!reachable || shuttingDown) return;
    for (const tracker of trackers.values()) {
      if (tracker.state === 'settled' || tracker.listeners.size === 0) continue;
      enqueue(tracker, async () => {
        const event = await currentEvent(tracker);
        if (event?.type === 'settled') deliver(tracker, event);
        else if (event?.type === 'position' && tracker.state === 'running') deliver(tracker, event);
      });
    }
    if (++sweeps % Math.max(1, Math.round(10_000 / reconcileMs)) === 0)
      void sweepOrphans().catch(() => undefined);
  }, reconcileMs);
  reconcile.unref();

  async function sweepOrphans(): Promise<void> {
    const records = await redis.hgetall(keys.active);
    const now = Date.now();
    for (const [jobId, raw] of Object.entries(records)) {
      const record = JSON.parse(raw) as AdmissionRecord;
      if (now - record.at < ORPHAN_AFTER_MS) continue;
      const state = await bull.getJobState(jobId);
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        if (await admission.release(jobId))
          log?.info({ jobId, state }, 'freed the place of a job that had ended');
      }
    }
  }

  const refused = (code: 'shutting-down', message: string, owner: JobOwner): SubmitResult => {
    publish({ type: 'refused', code, owner });
    return { accepted: false, code, message };
  };

  const queue: RedisJobQueue = {
    instanceId: options.instanceId,

    get accepting() {
      return !shuttingDown && reachable && redis.status === 'ready';
    },

    ready() {
      if (options.localReady) return options.localReady;
      return (async () => {
        for (;;) {
          const workers = await workersAlive().catch(() => []);
          if (workers[0]) return { backend: workers[0].backend, threads: workers[0].threads };
          if (shuttingDown) throw new Error('the queue shut down before any worker was ready');
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
    },

    async submit(spec) {
      if (shuttingDown) return refused('shutting-down', SHUTTING_DOWN, spec.owner);
      if (!queue.accepting) return refused('shutting-down', UNREACHABLE, spec.owner);
      const jobId = randomUUID();
      const work = jobWork(spec.request, options.maxSize);
      const fields = { jobId, requestId: spec.requestId };
      try {
        const admitted = await admission.admit(jobId, spec.owner, options.instanceId, spec.requestId, work);
        if (!admitted.ok) {
          log?.info({ ...fields, code: admitted.rejection.code }, 'job refused');
          publish({ type: 'refused', code: admitted.rejection.code, owner: spec.owner });
          return { accepted: false, code: admitted.rejection.code, message: admitted.rejection.message };
        }
      } catch (e) {
        log?.warn({ ...fields, err: e }, 'could not reach redis to admit a job');
        return refused('shutting-down', UNREACHABLE, spec.owner);
      }
      const tracker = track(jobId, true, work);
      try {
        await bull.add(
          'stylize',
          encodeJob(spec, options.instanceId, work, validPreviewPoints(spec.previewAt)),
          {
            jobId,
            attempts: 1,
            removeOnComplete: { age: ttl },
            removeOnFail: { age: ttl },
          },
        );
      } catch (e) {
        trackers.delete(jobId);
        log?.warn({ ...fields, err: e }, 'could not add the job to redis');
        await Promise.allSettled([admission.release(jobId), redis.srem(owned, jobId)]);
        return refused('shutting-down', UNREACHABLE, spec.owner);
      }
      publish({ type: 'submitted', jobId, owner: spec.owner });
      const snapshot = await computeSnapshot().catch(() => undefined);
      const mine = snapshot?.jobs.find((j) => j.id === jobId);
      // With a worker free, the job starts now: say so instead of "you are next".
      const free = snapshot ? snapshot.concurrency - snapshot.running : 0;
      const position = mine ? Math.max(0, mine.position - Math.max(0, free)) : 0;
      tracker.lastPosition = position;
      log?.info({ ...fields, position }, 'job queued');
      return { accepted: true, jobId, position, ...(mine ? { etaMs: mine.etaMs } : {}) };
    },

    watch(jobId, listener) {
      const tracker = track(jobId, false);
      let stopped = false;
      const wrapped = (event: JobEvent) => {
        if (!stopped) listener(event);
      };
      enqueue(tracker, async () => {
        if (stopped) return;
        const first = await currentEvent(tracker);
        if (first?.type === 'settled' && tracker.state !== 'settled') {
          tracker.listeners.add(wrapped);
          deliver(tracker, first);
          return;
        }
        if (first) wrapped(first);
        if (tracker.delayed && tracker.state !== 'settled') wrapped(delayedEvent(jobId));
        if (tracker.state !== 'settled') tracker.listeners.add(wrapped);
        // Settled before anyone listened (a quick job): this listener is the one who answers it.
        else if (first?.type === 'settled') answered(tracker);
      });
      return () => {
        stopped = true;
        tracker.listeners.delete(wrapped);
      };
    },

    outcome(jobId) {
      return new Promise((resolve) => {
        const stop = queue.watch(jobId, (event) => {
          if (event.type !== 'settled') return;
          stop();
          resolve(event.outcome);
        });
      });
    },

    async cancel(jobId, by): Promise<CancelResult> {
      const raw = await redis.hget(keys.active, jobId);
      let state = await bull.getJobState(jobId);
      if (!raw) {
        return state === 'completed' || state === 'failed'
          ? { ok: false, code: 'already-finished', message: ALREADY_FINISHED }
          : { ok: false, code: 'unknown-job', message: UNKNOWN_JOB };
      }
      const record = JSON.parse(raw) as AdmissionRecord;
      if (record.owner.userId !== by.userId && !by.moderator)
        return { ok: false, code: 'not-allowed', message: NOT_ALLOWED };
      // Written first: the worker that may pick the job up this instant reads it before starting.
      await redis.set(keys.cancelled(jobId), by.userId, 'EX', ttl);
      if (isWaitingState(state)) {
        // Fails on a job a worker has just locked; then it is stopped like a running one.
        const removed = await bull.remove(jobId).catch(() => 0);
        if (removed === 1) {
          await admission.release(jobId);
          log?.info({ jobId, by: by.userId }, 'waiting job cancelled');
          return { ok: true, was: 'queued' };
        }
        state = await bull.getJobState(jobId);
      }
      if (state === 'completed' || state === 'failed')
        return { ok: false, code: 'already-finished', message: ALREADY_FINISHED };
      await redis.publish(keys.cancelChannel, JSON.stringify({ jobId, by: by.userId }));
      log?.info({ jobId, by: by.userId }, 'running job asked to stop');
      return { ok: true, was: 'running' };
    },

    async jobsOf(userId, platform) {
      const snapshot = await computeSnapshot().catch(() => lastSnapshot);
      return snapshot.jobs.filter(
        (j) => j.owner.userId === userId && (platform === undefined || j.owner.platform === platform),
      );
    },

    snapshot: () => computeSnapshot().catch(() => lastSnapshot),

    subscribe(listener) {
      subscribers.add(listener);
      return () => subscribers.delete(listener);
    },

    async resumable() {
      const ids = await redis.smembers(owned);
      const jobs: ResumableJob[] = [];
      for (const jobId of ids) {
        const raw = await redis.hget(jobKey(jobId), 'data');
        const data = raw ? (JSON.parse(raw) as JobData) : undefined;
        if (!data?.reply) {
          // Gone (expired or cancelled while waiting) or nowhere to answer: nothing to resume.
          await redis.srem(owned, jobId);
          continue;
        }
        track(jobId, true, data.work);
        jobs.push({
          jobId,
          requestId: data.requestId,
          owner: data.owner,
          reply: data.reply,
          spec: decodeSpec(data),
        });
      }
      log?.info({ jobs: jobs.length }, 'jobs to resume');
      return jobs;
    },

    jobCounts: () => bull.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'),

    workers: () => workersAlive(),

    onFinished(listener) {
      finished.on('run', listener);
      return () => finished.off('run', listener);
    },

    shutdown: (() => {
      let done: Promise<void> | undefined;
      return (shutdownOptions?: { graceMs?: number }) => {
        done ??= (async () => {
          shuttingDown = true;
          clearInterval(reconcile);
          clearTimeout(positionsTimer);
          clearTimeout(outageTimer);
          // Jobs stay in Redis; the owned set lets the next process with this instance id answer them.
          await Promise.allSettled([...trackers.values()].map((t) => t.chain));
          await events.close().catch(() => undefined);
          eventsConnection.disconnect();
          await bull.close().catch(() => undefined);
          await redis.quit().catch(() => redis.disconnect());
          log?.info('redis queue closed');
          await options.closeLocal?.(shutdownOptions?.graceMs);
        })();
        return done;
      };
    })(),
  };
  return queue;
}
