/** Pure parts: the estimate's arithmetic and the mapping from the environment. */
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config.js';
import { DEFAULT_OPTIONS } from '../../src/engine/defaults.js';
import { EtaModel, jobWork, scheduleEtas } from '../../src/queue/eta.js';
import { queueConfigFromEnv } from '../../src/queue/index.js';

const request = (size: number, iterations: number) => ({ content: new Uint8Array(), styles: [], options: { size, iterations } });

describe('ETA', () => {
  it('uses the engine’s own defaults for requests that leave options out', () => {
    expect(jobWork({ content: new Uint8Array(), styles: [] })).toBe(jobWork(request(DEFAULT_OPTIONS.size, DEFAULT_OPTIONS.iterations)));
  });

  it('gives a first estimate for a default job in minutes, not seconds or hours', () => {
    const ms = new EtaModel().estimateMs(jobWork(request(512, DEFAULT_OPTIONS.iterations)));
    expect(ms).toBeGreaterThan(20_000);
    expect(ms).toBeLessThan(10 * 60_000);
  });

  it('learns the machine’s speed and shrugs off one slow warm-up job', () => {
    const eta = new EtaModel();
    const work = jobWork(request(256, 50));
    eta.record(work, 50 * 10_000); // first job on a cold worker: absurdly slow
    for (let i = 0; i < 4; i++) eta.record(work, 10_000);
    expect(eta.estimateMs(work)).toBeGreaterThan(8_000);
    expect(eta.estimateMs(work)).toBeLessThan(12_000);
    expect(eta.estimateMs(jobWork(request(512, 50)))).toBeGreaterThan(1.3 * eta.estimateMs(work));
  });

  it('waiting jobs take the worker that frees up first', () => {
    expect(scheduleEtas([5_000], 1, [1_000, 2_000])).toEqual([6_000, 8_000]);
    expect(scheduleEtas([5_000], 2, [1_000, 2_000])).toEqual([1_000, 3_000]);
  });
});

describe('queueConfigFromEnv', () => {
  it('maps the queue variables, in seconds, onto the queue’s settings', () => {
    const env = loadEnv({
      QUEUE_CONCURRENCY: '2',
      QUEUE_MAX_LENGTH: '7',
      QUEUE_MAX_PER_USER: '2',
      QUEUE_MAX_PER_GUILD: '4',
      JOB_TIME_LIMIT_S: '90',
      SHUTDOWN_GRACE_S: '5',
      VGG19_WEIGHTS: '/models/vgg19',
    });
    expect(queueConfigFromEnv(env)).toMatchObject({
      concurrency: 2,
      maxLength: 7,
      maxPerUser: 2,
      maxPerServer: 4,
      jobTimeLimitMs: 90_000,
      shutdownGraceMs: 5_000,
      engine: { weights: '/models/vgg19', backend: 'auto' },
    });
  });

  it('has the documented defaults', () => {
    expect(queueConfigFromEnv(loadEnv({}))).toMatchObject({ concurrency: 1, maxLength: 20, maxPerUser: 1, maxPerServer: 3, jobTimeLimitMs: 600_000 });
  });
});
