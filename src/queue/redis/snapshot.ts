/**
 * The shared line as /queue shows it, read from Redis: BullMQ's waiting and active jobs, the
 * admission records (owner, work), live workers' slots and the shared ETA samples. When Redis
 * cannot be read, the last snapshot stands in.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { EtaModel } from '../eta.js';
import { defaultJobWork, lineSnapshot, type LineJob } from '../line.js';
import type { QueueSnapshot } from '../types.js';
import type { AdmissionRecord } from './codec.js';
import type { RedisKeys } from './keys.js';
import type { WorkerHeartbeat } from './worker.js';

/** A heartbeat this stale is tidied away, so the hash does not grow with every restart. */
const FORGET_WORKER_MS = 3600_000;
const UNKNOWN_OWNER: LineJob['owner'] = { userId: '', platform: 'discord' };

export class RedisLine {
  #last: QueueSnapshot = { length: 0, waiting: 0, running: 0, concurrency: 1, jobs: [], etaForNewJobMs: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly bull: Queue,
    private readonly keys: RedisKeys,
    private readonly etaPriorMsPerUnit?: number,
    /** MAX_IMAGE_SIZE, which sizes a job that names no size. */
    private readonly maxSize?: number,
  ) {}

  /** Ids of the waiting line, first to start first. */
  waitingIds(): Promise<string[]> {
    return this.bull.getRanges(['waiting', 'prioritized'], 0, -1, true);
  }

  async workersAlive(): Promise<WorkerHeartbeat[]> {
    const all = await this.redis.hgetall(this.keys.workers);
    const now = Date.now();
    const alive: WorkerHeartbeat[] = [];
    for (const [id, raw] of Object.entries(all)) {
      const beat = JSON.parse(raw) as WorkerHeartbeat;
      if (beat.until > now) alive.push(beat);
      else if (beat.until < now - FORGET_WORKER_MS) void this.redis.hdel(this.keys.workers, id).catch(() => undefined);
    }
    return alive;
  }

  /** The ETA model from the shared timings of the last jobs. */
  async etaModel(): Promise<EtaModel> {
    const model = new EtaModel(this.etaPriorMsPerUnit);
    const samples = await this.redis.lrange(this.keys.etaSamples, 0, 9);
    for (const sample of samples.reverse()) {
      const [work, ms] = sample.split(':').map(Number);
      model.record(work!, ms!);
    }
    return model;
  }

  /** The line now, or the last one read when Redis cannot be read. */
  snapshot(): Promise<QueueSnapshot> {
    return this.read().catch(() => this.#last);
  }

  async read(): Promise<QueueSnapshot> {
    const [waiting, active, records, workers, eta] = await Promise.all([
      this.waitingIds(),
      this.bull.getRanges(['active'], 0, -1, true),
      this.redis.hgetall(this.keys.active),
      this.workersAlive(),
      this.etaModel(),
    ]);
    const concurrency = Math.max(1, workers.reduce((sum, w) => sum + w.concurrency, 0));
    // A job whose record is gone (it has just ended) still holds its slot, but is not listed.
    const lineJob = (id: string): LineJob => {
      const raw = records[id];
      const record = raw ? (JSON.parse(raw) as AdmissionRecord) : undefined;
      return { id, requestId: record?.requestId ?? '', owner: record?.owner ?? UNKNOWN_OWNER, work: record?.work ?? defaultJobWork(this.maxSize) };
    };
    const now = Date.now();
    const jobKey = (id: string) => `${this.keys.bullPrefix}:${this.keys.queueName}:${id}`;
    const startedAt = await Promise.all(active.map((id) => this.redis.hget(jobKey(id), 'processedOn')));
    const running = active.map((id, i) => {
      const job = lineJob(id);
      return { ...job, remainingMs: Math.max(0, eta.estimateMs(job.work) - (now - Number(startedAt[i] ?? now))) };
    });
    const line = lineSnapshot(running, waiting.map(lineJob), concurrency, eta, defaultJobWork(this.maxSize));
    this.#last = { ...line, jobs: line.jobs.filter((j) => records[j.id] !== undefined) };
    return this.#last;
  }
}
