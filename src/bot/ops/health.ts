/**
 * What `GET /healthz` reports: serving or stopping, whether the engine can make pictures, each
 * platform's state and the queue's size.
 */
import type { JobQueuePort } from '../../queue/port.js';
import type { HealthReport } from '../http.js';

/** Workers lost in a row (no job finishing between) at which /healthz turns 503. */
export const WORKER_DEATHS_UNHEALTHY = 3;

export interface HealthSources {
  queue: Pick<JobQueuePort, 'snapshot' | 'accepting' | 'workerDeathsInARow' | 'ready' | 'subscribe'>;
  /** Each platform's state ('ready', 'connecting', 'on', 'off'…), read when asked. */
  platforms: Record<string, () => string>;
}

type EngineState = { state: 'loading' | 'ready' } | { state: 'cannot start'; code?: string };

/**
 * The engine as the queue last knew it: loading, ready, or unable to start (weights missing or
 * damaged, a backend that is not there). A job finishing later means it can after all.
 */
function followEngine(queue: HealthSources['queue']): () => EngineState {
  let engine: EngineState = { state: 'loading' };
  queue.ready().then(
    () => (engine = { state: 'ready' }),
    (e: unknown) => {
      const code = (e as { failure?: { code?: unknown } }).failure?.code;
      engine = { state: 'cannot start', ...(typeof code === 'string' ? { code } : {}) };
    },
  );
  queue.subscribe((event) => {
    if (event.type === 'settled' && event.outcome.status === 'done') engine = { state: 'ready' };
  });
  return () => engine;
}

export function healthReporter({ queue, platforms }: HealthSources): () => Promise<HealthReport> {
  const engine = followEngine(queue);
  return async () => {
    const snapshot = await queue.snapshot();
    // A worker that keeps dying serves nobody: let the orchestrator restart the process.
    const deaths = queue.workerDeathsInARow ?? 0;
    const failing = deaths >= WORKER_DEATHS_UNHEALTHY;
    // No picture can be made: said at once, not after jobs have failed.
    const { state, ...engineError } = engine();
    const broken = state === 'cannot start';
    // Not accepting = shutting down (or a distributed queue's store out of reach).
    return {
      ok: queue.accepting && !failing && !broken,
      status: !queue.accepting ? 'stopping' : broken ? 'engine cannot start' : failing ? 'engine worker keeps dying' : 'serving',
      engine: state,
      ...('code' in engineError ? { engineError: engineError.code } : {}),
      ...(queue.workerDeathsInARow === undefined ? {} : { workerDeathsInARow: deaths }),
      ...Object.fromEntries(Object.entries(platforms).map(([name, read]) => [name, read()])),
      queue: { length: snapshot.length, running: snapshot.running },
    };
  };
}
