/** What `GET /healthz` reports: serving or stopping, each platform's state and the queue's size. */
import type { JobQueuePort } from '../../queue/port.js';
import type { HealthReport } from '../http.js';

/** Workers lost in a row (no job finishing between) at which /healthz turns 503. */
export const WORKER_DEATHS_UNHEALTHY = 3;

export interface HealthSources {
  queue: Pick<JobQueuePort, 'snapshot' | 'accepting' | 'workerDeathsInARow'>;
  /** Each platform's state ('ready', 'connecting', 'on', 'off'…), read when asked. */
  platforms: Record<string, () => string>;
}

export function healthReporter({ queue, platforms }: HealthSources): () => Promise<HealthReport> {
  return async () => {
    const snapshot = await queue.snapshot();
    // A worker that keeps dying serves nobody: let the orchestrator restart the process.
    const deaths = queue.workerDeathsInARow ?? 0;
    const failing = deaths >= WORKER_DEATHS_UNHEALTHY;
    // Not accepting = shutting down (or a distributed queue's store out of reach).
    return {
      ok: queue.accepting && !failing,
      status: !queue.accepting ? 'stopping' : failing ? 'engine worker keeps dying' : 'serving',
      ...(queue.workerDeathsInARow === undefined ? {} : { workerDeathsInARow: deaths }),
      ...Object.fromEntries(Object.entries(platforms).map(([name, state]) => [name, state()])),
      queue: { length: snapshot.length, running: snapshot.running },
    };
  };
}
