/**
 * A long Redis outage is told to the users who wait: a real redis-server stopped for longer than
 * the (shortened) notice threshold while one job runs and another waits. Everyone following them
 * hears `delayed` once, then where their job stands when Redis is back, then exactly one outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/queue/port.js';
import { createRedisJobQueue, type RedisJobQueue } from '../../src/queue/redis/queue.js';
import type { JobOutcome } from '../../src/queue/types.js';
import { tinyJob } from '../queue/helpers.js';
import { startRedis, startWorker, stopWorker, type TestRedis, type WorkerProcess } from './support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOTICE_MS = 1500;

let redis: TestRedis;
let worker: WorkerProcess | undefined;
let queue: RedisJobQueue | undefined;

beforeAll(async () => {
  redis = await startRedis();
  // A lock longer than the outage: the running job is not taken for stalled when Redis is back.
  // The fake engine thread (the queue is under test): a 64 px step takes 25 ms.
  worker = startWorker({ REDIS_URL: redis.url, REDIS_PREFIX: 'notice', WORKER_STALL_S: '20' }, { stepMs: 100 });
  await worker.waitFor((l) => l.msg === 'worker ready');
  queue = await createRedisJobQueue({
    url: redis.url,
    prefix: 'notice',
    instanceId: 'chat-notice',
    limits: { maxLength: 10, maxPerUser: 5, maxPerServer: 10 },
    reconcileMs: 500,
    outageNoticeMs: NOTICE_MS,
  });
});
afterAll(async () => {
  await queue?.shutdown();
  if (worker) await stopWorker(worker, 'SIGKILL');
  await redis?.dispose();
});

function follow(jobId: string): { events: { at: number; event: JobEvent }[]; outcome: Promise<JobOutcome> } {
  const events: { at: number; event: JobEvent }[] = [];
  queue!.watch(jobId, (event) => events.push({ at: Date.now(), event }));
  return { events, outcome: queue!.outcome(jobId) };
}

function accepted(result: Awaited<ReturnType<RedisJobQueue['submit']>>): string {
  if (!result.accepted) throw new Error(`refused: ${result.message}`);
  return result.jobId;
}

describe('Redis out of reach for longer than the notice threshold', () => {
  it('tells the watchers their job is held up, then carries on: one picture each, nothing lost', async () => {
    const q = queue!;
    // About 10 s: still running when Redis is back.
    const running = accepted(await q.submit(tinyJob({ userId: 'nia' }, { size: 64, iterations: 400 })));
    const waiting = accepted(await q.submit(tinyJob({ userId: 'oto' }, { size: 32, iterations: 2 })));
    const heard = [follow(running), follow(waiting)];
    await expect
      .poll(() => heard[0]!.events.some((e) => e.event.type === 'progress'), { timeout: 60_000 })
      .toBe(true);

    await redis.stop();
    const stoppedAt = Date.now();
    await expect
      .poll(() => heard.every((h) => h.events.some((e) => e.event.type === 'delayed')), {
        timeout: NOTICE_MS + 10_000,
      })
      .toBe(true);
    for (const h of heard) {
      const delayed = h.events.filter((e) => e.event.type === 'delayed');
      expect(delayed).toHaveLength(1);
      expect(delayed[0]!.event).toMatchObject({ reason: 'queue-unreachable' });
      // Not before the threshold: a short hiccup says nothing (see distributed.test.ts, 5 s < 15 s).
      expect(delayed[0]!.at - stoppedAt).toBeGreaterThanOrEqual(NOTICE_MS - 100);
      const sinceMs = (delayed[0]!.event as Extract<JobEvent, { type: 'delayed' }>).sinceMs;
      expect(sinceMs).toBeGreaterThanOrEqual(NOTICE_MS - 100);
    }
    // The outage goes on to twice the threshold: the notice is said once (checked below), not again and again.
    await sleep(stoppedAt + 2 * NOTICE_MS - Date.now());
    await redis.start();

    const outcomes = await Promise.all(heard.map((h) => h.outcome));
    const sizes = [64, 32];
    outcomes.forEach((outcome, i) => {
      if (outcome.status !== 'done') throw new Error(`not done: ${JSON.stringify(outcome)}`);
      expect(Math.max(outcome.result.width, outcome.result.height)).toBe(sizes[i]);
    });
    for (const h of heard) {
      const types = h.events.map((e) => e.event.type);
      expect(types.filter((t) => t === 'delayed')).toHaveLength(1);
      expect(types.filter((t) => t === 'settled')).toHaveLength(1);
      expect(types.at(-1)).toBe('settled');
      // Back to the usual news between the notice and the end.
      const after = types.slice(types.indexOf('delayed') + 1, -1);
      expect(after.some((t) => t === 'position' || t === 'started' || t === 'progress')).toBe(true);
    }
    // Each job ran once: the worker started each exactly one time.
    for (const id of [running, waiting])
      expect(worker!.lines.filter((l) => l.msg === 'job started' && l.jobId === id)).toHaveLength(1);
  });
});
