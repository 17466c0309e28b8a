/**
 * The fake engine worker behaves like the real one where chat and queue tests lean on it: its
 * jobs take the time their steps say, send progress and the previews asked for, stop when
 * cancelled, refuse bad input with the engine's own sentences, and deliver a real picture.
 */
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { createInProcessQueue, type JobEvent, type JobOutcome, type JobProgress, type JobSpec } from '../../src/queue/index.js';
import { FAULT_SEED, STUCK_SEED, fakeEngineWorker } from './fake-engine-worker.js';
import { image, WEIGHTS } from './fixtures.js';

const queue = createInProcessQueue({
  engine: { weights: WEIGHTS, maxSize: 256 },
  workerEntry: fakeEngineWorker({ stepMs: 20 }),
  maxPerUser: 10,
  cancelKillAfterMs: 1000,
  progressIntervalMs: 0,
});
afterAll(() => queue.shutdown({ graceMs: 0 }));

function job(options: Record<string, unknown>, content = image('chicago.jpg')): JobSpec {
  return {
    owner: { userId: 'u', platform: 'cli' },
    requestId: `req-${Math.random().toString(36).slice(2, 8)}`,
    request: { content, styles: [{ bytes: image('udnie.jpg') }], options },
    previewAt: [0.5],
  };
}

async function run(spec: JobSpec, onEvent: (e: JobEvent, id: string) => void = () => undefined): Promise<{ outcome: JobOutcome; progress: JobProgress[]; ms: number }> {
  const started = performance.now();
  const submitted = await queue.submit(spec);
  if (!submitted.accepted) throw new Error(submitted.message);
  const progress: JobProgress[] = [];
  queue.watch(submitted.jobId, (e) => {
    if (e.type === 'progress') progress.push(e.progress);
    onEvent(e, submitted.jobId);
  });
  const outcome = await queue.outcome(submitted.jobId);
  return { outcome, progress, ms: performance.now() - started };
}

it('takes its steps’ time (by their pixels), reports every step with one preview, and delivers a real picture of the asked size', async () => {
  await queue.ready();
  const { outcome, progress, ms } = await run(job({ size: 256, iterations: 15, scales: [{ size: 256, iterations: 15 }], format: 'jpeg' }));
  expect(outcome.status).toBe('done');
  if (outcome.status !== 'done') return;
  expect(ms).toBeGreaterThanOrEqual(15 * 20 * 4);
  expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  expect(progress.filter((p) => p.preview).map((p) => p.step / p.totalSteps)).toEqual([8 / 15]);
  const result = await sharp(outcome.result.image).metadata();
  expect([result.format, Math.max(result.width!, result.height!)]).toEqual(['jpeg', 256]);
  const preview = await sharp(progress.find((p) => p.preview)!.preview!).metadata();
  expect(preview.format).toBe('png');
});

it('stops a cancelled job between steps', async () => {
  const { outcome, progress } = await run(job({ size: 64, iterations: 1000 }), (e, id) => {
    if (e.type === 'progress' && e.progress.step === 3) void queue.cancel(id, { userId: 'u' });
  });
  expect(outcome.status).toBe('cancelled');
  expect(progress.length).toBeLessThan(20);
});

it('ignores cancel when stuck, so only terminating its thread stops the job', async () => {
  let cancelledAt = 0;
  const { outcome, progress } = await run(job({ size: 64, iterations: 1000, seed: STUCK_SEED }), (e, id) => {
    if (e.type === 'progress' && e.progress.step === 3) {
      cancelledAt = performance.now();
      void queue.cancel(id, { userId: 'u' });
    }
  });
  expect(outcome.status).toBe('cancelled');
  // It kept stepping until the host's kill timer (1 s) ended the thread.
  expect(performance.now() - cancelledAt).toBeGreaterThanOrEqual(1000);
  expect(progress.at(-1)!.step).toBeGreaterThan(3);
});

it('refuses bad input with the engine’s sentence, and fails a runtime fault alone', async () => {
  const bad = await run(job({ size: 64 }, new TextEncoder().encode('not a picture')));
  expect(bad.outcome).toMatchObject({ status: 'failed', failure: { kind: 'bad-input', message: expect.stringMatching(/^The content image is a text file/) } });
  const fault = await run(job({ size: 64, seed: FAULT_SEED }));
  expect(fault.outcome).toMatchObject({ status: 'failed', failure: { kind: 'engine' } });
  expect((await run(job({ size: 64, iterations: 2 }))).outcome.status).toBe('done');
});
