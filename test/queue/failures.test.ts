/**
 * What happens when things go wrong: a worker is killed, runs out of memory, a job runs past its
 * time limit, the process shuts down. Running out of memory is the real engine's (its runtimes die
 * their own ways); the rest is the queue's, so the fake engine thread runs those jobs.
 */
import { describe, expect, it } from 'vitest';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { sessionProcesses, WEIGHTS } from '../support/fixtures.js';
import { longJob, once, refusalOf, startQueue, submit, tinyJob } from './helpers.js';

/** 64 px steps of 25 ms: a long job runs 25 s unless stopped. */
const FAKE = { workerEntry: fakeEngineWorker({ stepMs: 100 }) };

describe('a worker that dies', () => {
  it('fails only the job it was running, with a message, and the next job runs on a fresh worker', async () => {
    const { queue, workers } = await startQueue(FAKE);
    try {
      const doomed = await submit(queue, longJob({ userId: 'amy' }));
      const next = await submit(queue, tinyJob({ userId: 'ben' }));
      await once(doomed, 'progress', (p) => p.step >= 1);
      expect(workers).toHaveLength(1);
      // What the OS does to a thread that must go: no goodbye, no cleanup inside it.
      await workers[0]!.terminate();
      expect(await doomed.settled).toEqual({
        status: 'failed',
        failure: { kind: 'worker-crash', message: expect.stringMatching(/stopped unexpectedly.*try again/) },
      });
      const outcome = await next.settled;
      expect(outcome.status).toBe('done');
      expect(workers).toHaveLength(2);
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });

  it('reports running out of memory as such, and every job still settles', async () => {
    // tfjs's engine cannot even load its libraries in a 16 MB heap: the worker dies of OOM. (On onnx
    // the worker holds little since the tensors live in the session process: it fits.)
    const { queue, workers } = await startQueue({
      engine: { weights: WEIGHTS, backend: 'cpu' },
      workerResourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    try {
      const warmedUp = workers.length;
      const first = await (await submit(queue, tinyJob({ userId: 'cy' }))).settled;
      expect(first).toEqual({
        status: 'failed',
        failure: { kind: 'out-of-memory', message: expect.stringMatching(/more memory.*smaller size/) },
      });
      // One load per job: a worker that could not load is not tried again for the same job.
      expect(workers).toHaveLength(warmedUp + 1);
      // The queue is not wedged: the next job gets a new worker (which fails the same way, honestly).
      const second = await (await submit(queue, tinyJob({ userId: 'cy' }))).settled;
      expect(second).toMatchObject({ status: 'failed', failure: { kind: 'out-of-memory' } });
      expect(workers).toHaveLength(warmedUp + 2);
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });
});

describe('an onnx process killed mid-job (what the kernel does when memory runs out)', () => {
  it('fails only that job, as out of memory, and the next job runs on a fresh runtime', async () => {
    const { queue, workers } = await startQueue({ engine: { weights: WEIGHTS, backend: 'onnx' } });
    try {
      const doomed = await submit(queue, longJob({ userId: 'fay' }));
      const next = await submit(queue, tinyJob({ userId: 'gus' }));
      await once(doomed, 'progress', (p) => p.step >= 1);
      const sessions = sessionProcesses();
      expect(sessions).toHaveLength(1);
      process.kill(sessions[0]!.pid, 'SIGKILL');
      expect(await doomed.settled).toEqual({
        status: 'failed',
        failure: { kind: 'out-of-memory', message: expect.stringMatching(/more memory.*smaller size/) },
      });
      expect((await next.settled).status).toBe('done');
      expect(workers).toHaveLength(2);
      const now = sessionProcesses();
      expect(now.map((c) => c.pid)).not.toContain(sessions[0]!.pid);
      expect(now).toHaveLength(1);
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });
});

describe('time limit', () => {
  it('stops a job that runs too long and tells its owner why; the queue goes on', async () => {
    const { queue } = await startQueue({ ...FAKE, jobTimeLimitMs: 2000 });
    try {
      const started = performance.now();
      const slow = await submit(queue, longJob({ userId: 'dot' }));
      const next = await submit(queue, tinyJob({ userId: 'eli' }));
      const outcome = await slow.settled;
      expect(outcome).toEqual({
        status: 'failed',
        failure: { kind: 'time-limit', message: 'Your picture took longer than the limit of 2 s and was stopped; try a smaller size or fewer iterations.' },
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
      expect((await next.settled).status).toBe('done');
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });
});

describe('shutdown', () => {
  it('lets the running job finish within the grace period and drops the waiting ones with a sentence', async () => {
    const { queue, workers } = await startQueue(FAKE);
    const running = await submit(queue, tinyJob({ userId: 'fox' }, { size: 64, iterations: 5 }));
    const waiting = [await submit(queue, tinyJob({ userId: 'gil' })), await submit(queue, tinyJob({ userId: 'hap' }))];
    await once(running, 'started');
    const exited = new Promise((resolve) => workers[0]!.once('exit', resolve));
    const done = queue.shutdown({ graceMs: 60_000 });

    const refused = await refusalOf(queue, tinyJob({ userId: 'ike' }));
    expect(refused).toMatchObject({ code: 'shutting-down', message: expect.stringMatching(/restarting/) });
    expect(queue.accepting).toBe(false);

    for (const h of waiting) {
      expect(await h.settled).toEqual({
        status: 'failed',
        failure: { kind: 'shutdown', message: expect.stringMatching(/queued picture was dropped/) },
      });
    }
    expect((await running.settled).status).toBe('done');
    await done;
    await exited;
  });

  it('stops the running job when the grace period ends', async () => {
    const { queue } = await startQueue(FAKE);
    const running = await submit(queue, longJob({ userId: 'jay' }));
    await once(running, 'progress', (p) => p.step >= 1);
    const asked = performance.now();
    await queue.shutdown({ graceMs: 300 });
    const tookMs = performance.now() - asked;
    expect(await running.settled).toEqual({
      status: 'failed',
      failure: { kind: 'shutdown', message: expect.stringMatching(/had to stop your picture/) },
    });
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(tookMs).toBeLessThan(5000);
    // Calling it again is harmless.
    await queue.shutdown();
  });
});
