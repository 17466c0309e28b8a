/**
 * A worker of the distributed queue: takes jobs from Redis (BullMQ), runs each on an engine worker
 * thread of this process, and writes back progress, previews and the outcome. BullMQ's lock on the
 * job is renewed from this process's main thread, which the engine never blocks; a process that
 * dies (kill -9) stops renewing it, and another worker's stalled check puts the job back once.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WaitingError, Worker, type Job } from 'bullmq';
import type { EngineConfig } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import { raceTimeout } from '../../util/pending-work.js';
import { JobRunner } from '../job-runner.js';
import type { EngineInfo } from '../worker-host.js';
import { AdmissionControl } from './admission.js';
import { decodeCancelMark, decodeSpec, storedOutcome, type CancelMark, type JobData, type StoredOutcome, type WireProgress } from './codec.js';
import { connectOrExplain, redisClient } from './connection.js';
import { redisKeys } from './keys.js';

export interface RedisWorkerOptions {
  url: string;
  engine: EngineConfig;
  /** Jobs this process runs at once, each on its own engine thread. */
  concurrency: number;
  /** Shown in metrics and logs; default host-pid-random. */
  workerId?: string;
  prefix?: string;
  /**
   * How long a job's lock lasts without renewal: a worker gone silent this long loses its job to
   * another. Renewed every half of it.
   */
  stallMs?: number;
  jobTimeLimitMs: number;
  cancelKillAfterMs: number;
  /** How long results, previews and finished jobs stay in Redis. */
  resultTtlS: number;
  progressIntervalMs?: number;
  /** OS nice of the paintings (see QueueConfig.paintNiceness); default QUEUE_DEFAULTS.paintNiceness. */
  paintNiceness?: number;
  heartbeatMs?: number;
  /** The engine worker module, when not the engine's (tests: a fake engine). */
  workerEntry?: URL;
  logger?: Logger;
}

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  backend: EngineInfo['backend'];
  threads: number;
  concurrency: number;
  running: number;
  /** Epoch ms after which it no longer counts as alive. */
  until: number;
}

export interface RedisWorker {
  readonly id: string;
  ready(): Promise<EngineInfo>;
  /**
   * Takes no new job; gives the running ones `graceMs` to finish, then stops them and hands them
   * back to the queue for another worker. Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startRedisWorker(options: RedisWorkerOptions): Promise<RedisWorker> {
  const keys = redisKeys(options.prefix);
  const id = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const log = options.logger?.child({ module: 'redis-worker', workerId: id });
  const stallMs = options.stallMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 5000;

  // Commands wait through an outage rather than fail: a finished picture must reach Redis.
  const redis = redisClient(options.url, { blocking: true, name: `${id}:cmd` });
  await connectOrExplain(redis, options.url);
  const subscriber = redis.duplicate({ connectionName: `${id}:cancel` });
  for (const c of [redis, subscriber])
    c.on('error', (e: Error) => log?.warn({ err: e.message }, 'redis connection problem; retrying'));
  const admission = new AdmissionControl(redis, keys);

  const runner = new JobRunner({ ...options, logger: log });
  let info: EngineInfo | undefined;
  const ready = runner.ready().then((first) => (info = first));
  ready.catch((e: unknown) => log?.error({ err: e }, 'engine did not load'));
  const loaded = await ready;
  log?.info({ backend: loaded.backend, threads: loaded.threads, concurrency: options.concurrency }, 'worker ready');

  await subscriber.subscribe(keys.cancelChannel);
  subscriber.on('message', (_channel: string, message: string) => {
    const { jobId, by, keep } = JSON.parse(message) as { jobId: string } & CancelMark;
    if (runner.stop(jobId, { kind: 'cancel', by, keep })) log?.info({ jobId, by, keep }, 'cancel received');
  });

  async function checkCancelled(jobId: string): Promise<void> {
    const mark = await redis.get(keys.cancelled(jobId));
    if (mark !== null) runner.stop(jobId, { kind: 'cancel', ...decodeCancelMark(mark) });
  }

  async function processJob(job: Job<JobData, StoredOutcome>, token?: string): Promise<StoredOutcome> {
    const jobId = job.id!;
    const spec = decodeSpec(job.data.spec);
    const log1 = log?.child({ jobId, requestId: spec.requestId });
    log1?.info({ attempt: job.attemptsStarted, stalled: job.stalledCounter }, 'job started');
    let previews = 0;
    // Progress goes out in order; an outage delays it, and the job does not wait for it.
    let outbox: Promise<unknown> = Promise.resolve();
    const report = await runner.run(jobId, spec, {
      beforeStart: () => checkCancelled(jobId),
      onProgress: (progress) => {
        outbox = outbox
          .then(async () => {
            const { preview, ...rest } = progress;
            const wire: WireProgress = rest;
            if (preview) {
              const key = keys.preview(jobId, ++previews);
              await redis.set(key, Buffer.from(preview), 'EX', options.resultTtlS);
              wire.previewKey = key;
            }
            await job.updateProgress(wire);
            // Pub/sub misses what was sent during an outage; the key does not.
            await checkCancelled(jobId);
          })
          .catch((e: unknown) => log1?.warn({ err: e }, 'progress not sent'));
      },
    });
    await raceTimeout(outbox, 5000);
    const { outcome, runMs } = report;
    // A job that finished while being asked to stop is delivered, not run again.
    if (report.stop?.kind === 'hand-back' && outcome.status !== 'done') {
      log1?.info('handing the job back to the queue');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const resultKey = keys.result(jobId);
    if (outcome.status === 'done') {
      await redis.set(resultKey, Buffer.from(outcome.result.image), 'EX', options.resultTtlS);
      await redis.multi().lpush(keys.etaSamples, `${job.data.work}:${runMs}`).ltrim(keys.etaSamples, 0, 9).exec();
    }
    log1?.info({ status: outcome.status, runMs }, 'job ended');
    return storedOutcome(outcome, { workerId: id, runMs, work: job.data.work, resultKey });
  }

  const bullConnection = redis.duplicate({ connectionName: `${id}:bullmq`, maxRetriesPerRequest: null });
  const worker = new Worker<JobData, StoredOutcome>(keys.queueName, processJob, {
    connection: bullConnection,
    prefix: keys.bullPrefix,
    concurrency: options.concurrency,
    lockDuration: stallMs,
    stalledInterval: Math.max(1000, Math.round(stallMs / 2)),
    // Once back in the line after a stall, then failed: a job that kills workers must not kill them all.
    maxStalledCount: 1,
    removeOnComplete: { age: options.resultTtlS },
    removeOnFail: { age: options.resultTtlS },
    name: id,
  });
  worker.on('error', (e) => log?.warn({ err: e.message }, 'worker: redis problem; retrying'));
  // BullMQ puts a job that stalled too often back in the line too, marked to fail when taken.
  worker.on('stalled', (jobId) =>
    log?.warn(
      { jobId },
      'a job stalled (its worker went silent); it runs again, or fails if it stalled before',
    ),
  );
  // Whoever sees a job end frees its place in the limits; the chat side sweeps what is missed.
  const release = (jobId: string | undefined) => {
    if (jobId)
      admission
        .release(jobId)
        .catch((e: unknown) => log?.warn({ err: e, jobId }, 'could not free the place'));
  };
  worker.on('completed', (job) => release(job.id));
  worker.on('failed', (job) => release(job?.id));

  const beat = async () => {
    const heartbeat: WorkerHeartbeat = {
      id,
      host: hostname(),
      pid: process.pid,
      backend: info!.backend,
      threads: info!.threads,
      concurrency: options.concurrency,
      running: runner.running,
      until: Date.now() + 3 * heartbeatMs,
    };
    await redis.hset(keys.workers, id, JSON.stringify(heartbeat));
  };
  await beat();
  const heartbeat = setInterval(() => void beat().catch(() => undefined), heartbeatMs);

  let closed: Promise<void> | undefined;
  return {
    id,
    ready: () => ready,
    close(graceMs = 60_000) {
      closed ??= (async () => {
        log?.info({ running: runner.running, graceMs }, 'worker stopping');
        const closing = worker.close();
        await raceTimeout(closing, graceMs);
        for (const jobId of runner.runningIds()) runner.stop(jobId, { kind: 'hand-back' });
        await raceTimeout(closing, options.cancelKillAfterMs + 2000);
        clearInterval(heartbeat);
        await redis.hdel(keys.workers, id).catch(() => undefined);
        await runner.close();
        subscriber.disconnect();
        bullConnection.disconnect();
        await redis.quit().catch(() => undefined);
        log?.info('worker stopped');
      })();
      return closed;
    },
  };
}
