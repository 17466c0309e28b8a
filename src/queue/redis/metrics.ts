/**
 * Prometheus metrics of the shared queue, for /metrics of any chat process: what Redis holds (jobs
 * by state, the waiting line's depth), which workers are alive, and how long jobs took on each
 * worker. Wire it with `registerRedisQueueMetrics(metrics.registry, queue)`.
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { JobQueuePort } from '../port.js';
import type { RedisJobQueue } from './queue.js';

/** The distributed queue behind a port (for the shared-queue metrics only it has). */
export function isRedisJobQueue(queue: JobQueuePort): queue is RedisJobQueue {
  return typeof (queue as Partial<RedisJobQueue>).jobCounts === 'function' && typeof (queue as Partial<RedisJobQueue>).instanceId === 'string';
}

export function registerRedisQueueMetrics(registry: Registry, queue: RedisJobQueue): () => void {
  new Gauge({
    name: 'stylize_redis_queue_depth',
    help: 'Jobs waiting in the shared queue (all chat processes).',
    registers: [registry],
    async collect() {
      const counts = await queue.jobCounts().catch(() => undefined);
      if (counts) this.set((counts.waiting ?? 0) + (counts.prioritized ?? 0));
    },
  });
  new Gauge({
    name: 'stylize_redis_jobs',
    help: 'Jobs in the shared queue by state (finished ones are kept for an hour).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await queue.jobCounts().catch(() => undefined);
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'stylize_workers_alive',
    help: 'Worker processes whose heartbeat is recent, by backend.',
    labelNames: ['backend'],
    registers: [registry],
    async collect() {
      const workers = await queue.workers().catch(() => undefined);
      if (!workers) return;
      this.reset();
      for (const w of workers) this.inc({ backend: w.backend });
    },
  });
  new Gauge({
    name: 'stylize_worker_slots',
    help: 'Jobs each live worker can run at once, and is running now.',
    labelNames: ['worker', 'kind'],
    registers: [registry],
    async collect() {
      const workers = await queue.workers().catch(() => undefined);
      if (!workers) return;
      this.reset();
      for (const w of workers) {
        this.set({ worker: w.id, kind: 'total' }, w.concurrency);
        this.set({ worker: w.id, kind: 'busy' }, w.running);
      }
    },
  });
  const durations = new Histogram({
    name: 'stylize_worker_job_duration_seconds',
    help: 'Engine time of each job, by the worker that ran it and its outcome (jobs this process heard finish).',
    labelNames: ['worker', 'outcome'],
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  });
  return queue.onFinished((run) => {
    if (run.runMs !== undefined)
      durations.observe({ worker: run.workerId ?? 'unknown', outcome: run.status }, run.runMs / 1000);
  });
}
