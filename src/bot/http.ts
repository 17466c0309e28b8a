/**
 * Health and metrics over HTTP: `GET /healthz` (JSON, 200 while serving, 503 while stopping) and
 * `GET /metrics` (Prometheus text: queue length, job durations, failures by kind).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobHandle, JobQueue } from '../queue/index.js';
import { QueueRejection, type JobSpec } from '../queue/types.js';

export interface Metrics {
  registry: Registry;
  /** Follows one job to its end. */
  observe(handle: JobHandle, platform: string): void;
  rejected(code: string, platform: string): void;
}

export function createMetrics(queue: Pick<JobQueue, 'snapshot'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'stylize_queue_length',
    help: 'Jobs waiting or running.',
    registers: [registry],
    collect() {
      this.set(queue.snapshot().length);
    },
  });
  new Gauge({
    name: 'stylize_queue_running',
    help: 'Jobs running now.',
    registers: [registry],
    collect() {
      this.set(queue.snapshot().running);
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

  return {
    registry,
    observe(handle, platform) {
      const submittedAt = Date.now();
      let startedAt: number | undefined;
      handle.once('started', () => {
        startedAt = Date.now();
        wait.observe({ platform }, (startedAt - submittedAt) / 1000);
      });
      void handle.settled.then((outcome) => {
        jobs.inc({ platform, outcome: outcome.status });
        if (startedAt !== undefined) duration.observe({ platform, outcome: outcome.status }, (Date.now() - startedAt) / 1000);
        if (outcome.status === 'failed') failures.inc({ platform, kind: outcome.failure.kind });
      });
    },
    rejected(code, platform) {
      rejections.inc({ platform, code });
    },
  };
}

/** The same queue, with every submission counted, whichever adapter makes it. */
export function instrumentQueue<Q extends Pick<JobQueue, 'submit'>>(queue: Q, metrics: Metrics): Q {
  return new Proxy(queue, {
    get(target, prop, receiver) {
      if (prop !== 'submit') {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (spec: JobSpec) => {
        try {
          const handle = target.submit(spec);
          metrics.observe(handle, spec.owner.platform);
          return handle;
        } catch (e) {
          if (e instanceof QueueRejection) metrics.rejected(e.code, spec.owner.platform);
          throw e;
        }
      };
    },
  });
}

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: {
  port: number;
  host?: string;
  metrics: Metrics;
  health: () => HealthReport;
}): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const report = opts.health();
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      return;
    }
    if (path === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found. Try /healthz or /metrics.\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
