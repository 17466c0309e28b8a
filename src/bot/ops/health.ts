/** What `GET /healthz` reports: serving or stopping, each platform's state and the queue's size. */
import type { JobQueuePort } from '../../queue/port.js';
import type { HealthReport } from '../http.js';

export interface HealthSources {
  queue: Pick<JobQueuePort, 'snapshot' | 'accepting'>;
  /** Each platform's state ('ready', 'connecting', 'on', 'off'…), read when asked. */
  platforms: Record<string, () => string>;
}

export function healthReporter({ queue, platforms }: HealthSources): () => Promise<HealthReport> {
  return async () => {
    const snapshot = await queue.snapshot();
    // Not accepting = shutting down (or a distributed queue's store out of reach).
    return {
      ok: queue.accepting,
      status: queue.accepting ? 'serving' : 'stopping',
      ...Object.fromEntries(Object.entries(platforms).map(([name, state]) => [name, state()])),
      queue: { length: snapshot.length, running: snapshot.running },
    };
  };
}
