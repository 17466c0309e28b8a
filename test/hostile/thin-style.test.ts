/**
 * Issue 12, point 1: a very wide or tall style used to make the wasm pooling read out of bounds and
 * take the shared worker (and the jobs after it) down. Now such a style is refused with a sentence
 * before any tensor exists, and any runtime fault retires the worker that had it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config.js';
import { startApp, type App } from '../../src/app.js';
import { WORKER_DEATHS_UNHEALTHY } from '../../src/bot/ops/health.js';
import { createLogger } from '../../src/log.js';
import type { JobSpec } from '../../src/queue/types.js';
import { startQueue, submit, tinyJob, type TestQueue } from '../queue/helpers.js';
import { WEIGHTS } from '../support/fixtures.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { FAULT_SEED } from './support/faulting-worker.js';
import { stretched } from './support/pictures.js';

const FAULTING_WORKER = new URL('./support/faulting-worker.ts', import.meta.url);

function withStyle(spec: JobSpec, style: Uint8Array, options: Record<string, unknown> = {}): JobSpec {
  return { ...spec, request: { ...spec.request, styles: [{ bytes: style }], options: { ...spec.request.options, ...options } } };
}

/** The same job, marked so the faulting worker's runtime traps inside the engine. */
const faulting = (spec: JobSpec): JobSpec => withStyle(spec, spec.request.styles[0]!.bytes, { seed: FAULT_SEED });

let open: TestQueue | undefined;
afterEach(async () => {
  await open?.queue.shutdown({ graceMs: 0 });
  open = undefined;
});

describe('a style too thin for the poolings', () => {
  // One queue (one load of the real engine) for both: the second also shows the worker survived.
  let shared: TestQueue;
  beforeAll(async () => {
    shared = await startQueue({ jobTimeLimitMs: 20_000 });
  });
  afterAll(async () => {
    await shared?.queue.shutdown({ graceMs: 0 });
  });

  it('is refused with a sentence, the worker survives, and the next jobs run at once', async () => {
    const { queue, workers } = shared;
    // 10:1 at 64 px: 64×6 px, where the old engine read out of bounds.
    const banner = await submit(queue, withStyle(tinyJob({ userId: 'ann' }, { size: 64 }), await stretched(1000, 100)));
    const next = [await submit(queue, tinyJob({ userId: 'bob' })), await submit(queue, tinyJob({ userId: 'cat' }))];
    expect(await banner.settled).toEqual({
      status: 'failed',
      failure: {
        kind: 'bad-input',
        code: 'bad-option',
        message:
          'The style image is 1000×100, too elongated: at 64 px it would be scaled to 64×6, and its short side needs at least 16 px. Crop it to at most 4:1, or use a larger size or style scale.',
      },
    });
    for (const h of next) expect((await h.settled).status).toBe('done');
    expect(workers).toHaveLength(1);
  });

  it('counts the style scale: 3:1 at style scale 0.1 is refused, the same picture at 1 runs', async () => {
    const { queue } = shared;
    const style = await stretched(300, 100);
    const small = await (await submit(queue, withStyle(tinyJob({ userId: 'dan' }, { size: 64 }), style, { styleScale: 0.1 }))).settled;
    expect(small).toMatchObject({ status: 'failed', failure: { kind: 'bad-input', message: expect.stringMatching(/^The style image is 300×100, too elongated: at 64 px it would be scaled to 32×11/) } });
    const normal = await (await submit(queue, withStyle(tinyJob({ userId: 'dan' }, { size: 64 }), await stretched(300, 100)))).settled;
    expect(normal.status).toBe('done');
  });
});

describe('a runtime fault in the engine (a real wasm trap)', () => {
  it('fails only that job, replaces the worker, and the next job succeeds on a fresh one', async () => {
    open = await startQueue({ workerEntry: FAULTING_WORKER });
    const { queue, workers } = open;
    // The faulting worker is the real one for every other job.
    expect((await (await submit(queue, tinyJob({ userId: 'eve' }))).settled).status).toBe('done');
    const trapped = await submit(queue, faulting(tinyJob({ userId: 'fay' })));
    const next = await submit(queue, tinyJob({ userId: 'gus' }));
    expect(await trapped.settled).toEqual({
      status: 'failed',
      failure: { kind: 'engine', message: 'Something went wrong while making your picture; please try again later.' },
    });
    expect((await next.settled).status).toBe('done');
    // One fresh worker for the one fault, and it was healthy again after the next job.
    expect(workers).toHaveLength(2);
    expect(queue.workerDeathsInARow).toBe(0);
  });
});

describe('health (the fake engine, trapping on the same seed)', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('turns 503 when the worker keeps dying, and 200 again once a job succeeds', async () => {
    const env = loadEnv({ VGG19_WEIGHTS: WEIGHTS, HTTP_PORT: '0', LOG_LEVEL: 'silent' });
    app = await startApp(env, createLogger({ level: 'silent' }), { queue: { workerEntry: fakeEngineWorker(), shutdownGraceMs: 0 } });
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${app!.httpPort}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await app.queue.ready();
    expect((await health()).status).toBe(200);
    for (let i = 0; i < WORKER_DEATHS_UNHEALTHY; i++) {
      const outcome = await (await submit(app.queue, faulting(tinyJob({ userId: `u${i}` })))).settled;
      expect(outcome.status).toBe('failed');
    }
    expect(await health()).toMatchObject({ status: 503, body: { ok: false, status: 'engine worker keeps dying' } });
    expect((await (await submit(app.queue, tinyJob({ userId: 'ok' }))).settled).status).toBe('done');
    expect(await health()).toMatchObject({ status: 200, body: { ok: true, status: 'serving' } });
  });
});
