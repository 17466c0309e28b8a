/**
 * Prometheus metrics fed by the queue's events (`subscribe`): queue length, job durations and
 * waits, outcomes, failures by kind, refusals. Every counter lives in the registry this returns;
 * nothing is kept at module level.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobQueuePort, QueueEvent } from '../../queue/port.js';
import type { JobOwner } from '../../queue/types.js';

export interface Metrics {
  registry: Registry;
  /** Stops listening to the queue. */
  close(): void;
}

export function createMetrics(queue: Pick<JobQueuePort, 'snapshot' | 'subscribe'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'stylize_queue_length',
    help: 'Jobs waiting or running.',
    registers: [registry],
    async collect() {
      this.set((await queue.snapshot()).length);
    },
  });
  new Gauge({
    name: 'stylize_queue_running',
    help: 'Jobs running now.',
    registers: [registry],
    async collect() {
      this.set((await queue.snapshot()).running);
    },
  });
  const duration = new Histogram({
    name: 'stylize_job_duration_seconds',
    help: 'Time from a job starting to run until it ended, by outcome.',
    labelNames: ['platform', 'outcome'],
    // Small previews take seconds, large pictures on a CPU take minutes.
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200],
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'stylize_job_wait_seconds',
    help: 'Time a job waited in the queue before it started.',
    labelNames: ['platform'],
    buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const jobs = new Counter({
    name: 'stylize_jobs_total',
    help: 'Jobs that ended, by outcome (done, failed, cancelled).',
    labelNames: ['platform', 'outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'stylize_job_failures_total',
    help: 'Jobs that failed, by kind (bad-input, engine, worker-crash, out-of-memory, time-limit, shutdown).',
    labelNames: ['platform', 'kind'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'stylize_job_rejections_total',
    help: 'Submissions the queue refused, by reason (queue-full, user-limit, server-limit, shutting-down).',
    labelNames: ['platform', 'code'],
    registers: [registry],
  });

  /** Jobs seen being submitted, until they settle: when, by whom, and when they started. */
  const open = new Map<string, { platform: JobOwner['platform']; submittedAt: number; startedAt?: number }>();
  const onEvent = (event: QueueEvent): void => {
    const now = Date.now();
    switch (event.type) {
      case 'submitted':
        open.set(event.jobId, { platform: event.owner.platform, submittedAt: now });
        return;
      case 'refused':
        rejections.inc({ platform: event.owner.platform, code: event.code });
        return;
      case 'started': {
        const job = open.get(event.jobId);
        if (!job) return;
        job.startedAt = now;
        wait.observe({ platform: job.platform }, (now - job.submittedAt) / 1000);
        return;
      }
      case 'settled': {
        const job = open.get(event.jobId);
        open.delete(event.jobId);
        const platform = job?.platform ?? 'unknown';
        const outcome = event.outcome.status;
        jobs.inc({ platform, outcome });
        if (job?.startedAt !== undefined) duration.observe({ platform, outcome }, (now - job.startedAt) / 1000);
        if (event.outcome.status === 'failed') failures.inc({ platform, kind: event.outcome.failure.kind });
        return;
      }
      default:
        return;
    }
  };
  const unsubscribe = queue.subscribe(onEvent);
  return { registry, close: unsubscribe };
}
