/**
 * The port contract on the distributed queue: a real redis-server on a free loopback port (its own
 * temporary directory), a chat-side queue and a Redis worker in this process.
 */
import { afterAll } from 'vitest';
import { createRedisJobQueue } from '../../src/queue/redis/queue.js';
import { startRedisWorker } from '../../src/queue/redis/worker.js';
import { startRedis, type TestRedis } from '../redis/support.js';
import { WEIGHTS } from '../support/fixtures.js';
import { CONTRACT_ENGINE, describePortContract } from './port-contract.js';

let redis: TestRedis | undefined;
afterAll(async () => {
  await redis?.dispose();
});

describePortContract('Redis queue', async (limits) => {
  redis = await startRedis();
  const prefix = 'contract';
  const worker = await startRedisWorker({
    url: redis.url,
    prefix,
    engine: { weights: WEIGHTS },
    concurrency: 1,
    jobTimeLimitMs: 120_000,
    cancelKillAfterMs: 5000,
    resultTtlS: 600,
    progressIntervalMs: 0,
    workerEntry: CONTRACT_ENGINE,
  });
  return createRedisJobQueue({
    url: redis.url,
    prefix,
    instanceId: 'chat-contract',
    limits: { maxLength: 20, maxPerServer: 10, ...limits },
    reconcileMs: 500,
    localReady: worker.ready(),
    closeLocal: (graceMs) => worker.close(graceMs),
  });
});
