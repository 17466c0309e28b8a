/**
 * The instant lane on the Redis queue: a chat process (startApp, REDIS_URL, LOCAL_WORKER=false)
 * makes the fast pictures in its own lane while one Redis worker (BullMQ on a real redis-server,
 * the fake engine for the painting) paints. The same ten-users scenario as on the in-process queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { redisWorkerOptionsFromEnv } from '../../src/queue/redis/config.js';
import { startRedisWorker, type RedisWorker } from '../../src/queue/redis/worker.js';
import { startHarness, type Harness } from '../discord/harness.js';
import { tenUsersAtOnce } from '../discord/instant-scenario.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { WEIGHTS } from '../support/fixtures.js';
import { startRedis, type TestRedis } from './support.js';

const PREFIX = 'instant';
let redis: TestRedis;
let worker: RedisWorker;
let h: Harness;

beforeAll(async () => {
  redis = await startRedis();
  const env = loadEnv({ REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, VGG19_WEIGHTS: WEIGHTS, MAX_IMAGE_SIZE: '128' });
  worker = await startRedisWorker({
    ...redisWorkerOptionsFromEnv({ ...env, REDIS_URL: redis.url }, undefined, createLogger({ level: 'silent' })),
    workerEntry: fakeEngineWorker({ stepMs: 150 }),
    progressIntervalMs: 250,
  });
  await worker.ready();
  h = await startHarness(
    {
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
      LOCAL_WORKER: 'false',
      CHAT_INSTANCE_ID: 'instant-chat',
      FAST_STYLE_MODELS: FAST_MODELS_DIR,
      QUEUE_MAX_LENGTH: '20',
      QUEUE_MAX_PER_GUILD: '20',
    },
    { previewAt: [0.5], discord: { editIntervalMs: 1000 } },
  );
  expect(await h.app.lane!.ready()).toBe(true);
}, 180_000);

afterAll(async () => {
  await h?.close();
  await worker?.close(0);
  await redis?.dispose();
});

describe('the instant lane on the Redis queue', () => {
  it('instant: ten users at once each see a fast picture while the line still waits, paintings follow in order, Keep this frees the line', async () => {
    await tenUsersAtOnce(h);
  }, 240_000);
});
