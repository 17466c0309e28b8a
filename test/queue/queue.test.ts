/**
 * The queue with its real worker thread and the real engine (real weights, wasm kernels), on tiny
 * jobs. One warm queue serves the tests that do not need their own limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QueueRejection, type JobOutcome } from '../../src/queue/types.js';
import { longJob, once, record, startQueue, tinyJob, type TestQueue } from './helpers.js';

const PNG = [0x89, 0x50, 0x4e, 0x47];

let shared: TestQueue;
beforeAll(async () => {
  shared = await startQueue({ maxPerServer: 10, maxLength: 10 });
});
// A failed test must not leave a long job holding the shared worker for the next one.
afterEach(async () => {
  const left = shared.queue.snapshot().jobs;
  for (const job of left) shared.queue.cancel(job.id, { userId: 'cleanup', moderator: true });
  while (shared.queue.snapshot().length > 0) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await shared?.queue.shutdown({ graceMs: 0 });
});

function rejectionOf(fn: () => unknown): QueueRejection {
  try {
    fn();
  } catch (e) {
    if (e instanceof QueueRejection) return e;
    throw e;
  }
  throw new Error('expected a QueueRejection');
}

describe('order, positions and results', () => {
  it('runs jobs first come, first served and tells everyone behind when their place changes', async () => {
    const { queue } = shared;
    const a = queue.submit({ ...tinyJob({ userId: 'ann' }), previewAt: [0.5] });
    const b = queue.submit(tinyJob({ userId: 'bob' }));
    const c = queue.submit(tinyJob({ userId: 'cat' }));
    const [ea, eb, ec] = [record(a), record(b), record(c)];
    expect(queue.positionOf(a.id)).toBe(0);
    expect(queue.positionOf(b.id)).toBe(1);
    expect(queue.positionOf(c.id)).toBe(2);

    const outcomes = await Promise.all([a.settled, b.settled, c.settled]);
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);

    const startedAt = [ea, eb, ec].map((events) => events.find((e) => e.event === 'started')!.at);
    expect(startedAt[0]).toBeLessThan(startedAt[1]!);
    expect(startedAt[1]).toBeLessThan(startedAt[2]!);

    expect(ea[0]).toMatchObject({ event: 'queued', args: [{ position: 0 }] });
    expect(eb[0]).toMatchObject({ event: 'queued', args: [{ position: 1 }] });
    expect(ec[0]).toMatchObject({ event: 'queued', args: [{ position: 2 }] });
    // When ann's job ends and bob's starts, cat moves up to first in line.
    expect(ec.filter((e) => e.event === 'position').map((e) => e.args[0])).toEqual([expect.objectContaining({ position: 1 })]);
    for (const events of [ea, eb, ec]) {
      expect(events.map((e) => e.event).filter((e) => e !== 'progress' && e !== 'position')).toEqual(['queued', 'started', 'settled']);
      expect(events.at(-1)!.event).toBe('settled');
    }

    for (const outcome of outcomes) {
      if (outcome.status !== 'done') throw new Error('not done');
      expect([...outcome.result.image.subarray(0, 4)]).toEqual(PNG);
      expect(outcome.result.width).toBe(48);
    }
    // The preview asked for at 50% came along with the progress event that crossed it, as a PNG.
    const previews = ea.flatMap((e) => (e.event === 'progress' && e.args[0].preview ? [e.args[0]] : []));
    expect(previews).toHaveLength(1);
    expect(previews[0]!.step / previews[0]!.totalSteps).toBeGreaterThanOrEqual(0.5);
    expect([...previews[0]!.preview!.subarray(0, 4)]).toEqual(PNG);
    expect(eb.some((e) => e.event === 'progress' && e.args[0].preview)).toBe(false);
    expect(queue.positionOf(a.id)).toBeUndefined();
  });

  it('moves image bytes to the worker instead of copying them', async () => {
    const spec = tinyJob({ userId: 'dan' });
    const content = spec.request.content;
    const style = spec.request.styles[0]!.bytes;
    const before = content.byteLength;
    const handle = shared.queue.submit(spec);
    await once(handle, 'started');
    await once(handle, 'progress');
    // Transferred: the submitter's buffers are now detached (empty), the worker owns the bytes.
    expect(before).toBeGreaterThan(1000);
    expect(content.byteLength).toBe(0);
    expect(style.byteLength).toBe(0);
    const outcome = await handle.settled;
    expect(outcome.status).toBe('done');
  });

  it('fails a job with unreadable input with the engine’s sentence, and goes on', async () => {
    const spec = tinyJob({ userId: 'eve' });
    spec.request.content = new TextEncoder().encode('this is not a picture at all');
    const outcome = await shared.queue.submit(spec).settled;
    expect(outcome).toMatchObject({ status: 'failed', failure: { kind: 'bad-input' } });
    if (outcome.status !== 'failed') throw new Error('unreachable');
    expect(outcome.failure.message).toMatch(/content image/i);
    expect((await shared.queue.submit(tinyJob({ userId: 'eve' })).settled).status).toBe('done');
  });

  it('estimates waits from finished jobs: bigger jobs wait longer, a job behind waits longer', async () => {
    const { queue } = shared;
    const running = queue.submit(longJob({ userId: 'fay' }));
    await once(running, 'progress', (p) => p.step >= 1);
    const small = queue.submit(tinyJob({ userId: 'gus' }, { size: 64, iterations: 5 }));
    const big = queue.submit(tinyJob({ userId: 'hal' }, { size: 256, iterations: 50 }));
    const snap = queue.snapshot();
    expect(snap).toMatchObject({ length: 3, waiting: 2, running: 1, concurrency: 1 });
    expect(snap.jobs.map((j) => [j.owner.userId, j.position])).toEqual([
      ['fay', 0],
      ['gus', 1],
      ['hal', 2],
    ]);
    const [, gus, hal] = snap.jobs;
    // The first job after start-up is on the prior; the ETA is finite and sensible (seconds, not days).
    expect(gus!.etaMs).toBeGreaterThan(0);
    expect(hal!.etaMs - gus!.etaMs).toBeGreaterThan(gus!.etaMs - snap.jobs[0]!.etaMs);
    expect(hal!.etaMs).toBeLessThan(30 * 60_000);
    expect(queue.jobsOf('hal').map((j) => j.id)).toEqual([big.id]);
    expect(queue.jobsOf('hal', 'slack')).toEqual([]);
    for (const h of [running, small, big]) queue.cancel(h.id, { userId: 'x', moderator: true });
    await Promise.all([running.settled, small.settled, big.settled]);
  });
});

describe('limits', () => {
  it('refuses a second job from the same user while the first is queued or running, then accepts', async () => {
    const { queue } = shared;
    const blocker = queue.submit(longJob({ userId: 'ivy' }));
    const first = queue.submit(tinyJob({ userId: 'jon' }));
    expect(first.state).toBe('queued');
    const whileQueued = rejectionOf(() => queue.submit(tinyJob({ userId: 'jon' })));
    expect(whileQueued.code).toBe('user-limit');
    expect(whileQueued.message).toMatch(/already have a picture in the queue/);
    // Same id on another platform is another person.
    const slackJon = queue.submit(tinyJob({ userId: 'jon', platform: 'slack' }));

    queue.cancel(blocker.id, { userId: 'ivy' });
    await once(first, 'started');
    expect(rejectionOf(() => queue.submit(tinyJob({ userId: 'jon' }))).code).toBe('user-limit');
    expect((await first.settled).status).toBe('done');
    const again = queue.submit(tinyJob({ userId: 'jon' }));
    expect((await again.settled).status).toBe('done');
    await slackJon.settled;
  });

  it('a burst of 100 submissions from 30 users on 3 servers gets exactly the accepts the limits imply', async () => {
    const { queue } = await startQueue({ maxLength: 12, maxPerUser: 1, maxPerServer: 3 });
    try {
      const users: Array<{ userId: string; serverId?: string; platform?: 'cli' }> = Array.from({ length: 30 }, (_, i) => ({
        userId: `u${i}`,
        // 24 users on three Discord servers, 6 on the CLI (no server).
        ...(i < 24 ? { serverId: `guild-${i % 3}` } : { platform: 'cli' as const }),
      }));
      const handles = [];
      const refusals: string[] = [];
      const expected: string[] = [];
      // Independent bookkeeping of what the limits allow: nothing finishes during the burst.
      const perUser = new Map<string, number>();
      const perServer = new Map<string, number>();
      let total = 0;
      for (let n = 0; n < 100; n++) {
        const owner = users[(n * 7) % 30]!;
        const u = perUser.get(owner.userId) ?? 0;
        const s = owner.serverId ? (perServer.get(owner.serverId) ?? 0) : 0;
        const verdict = u >= 1 ? 'user-limit' : owner.serverId && s >= 3 ? 'server-limit' : total >= 12 ? 'queue-full' : 'accepted';
        if (verdict === 'accepted') {
          perUser.set(owner.userId, u + 1);
          if (owner.serverId) perServer.set(owner.serverId, s + 1);
          total += 1;
        }
        expected.push(verdict);
        try {
          handles.push(queue.submit(tinyJob(owner)));
          refusals.push('accepted');
        } catch (e) {
          if (!(e instanceof QueueRejection)) throw e;
          expect(e.message.length).toBeGreaterThan(20);
          refusals.push(e.code);
        }
      }
      expect(refusals).toEqual(expected);
      // All three kinds of refusal happened, and 9 server jobs + 3 CLI jobs fill the queue of 12.
      expect(new Set(refusals)).toEqual(new Set(['accepted', 'user-limit', 'server-limit', 'queue-full']));
      expect(handles).toHaveLength(12);
      expect(queue.snapshot().length).toBe(12);
      const outcomes: JobOutcome[] = await Promise.all(handles.map((h) => h.settled));
      expect(outcomes.map((o) => o.status)).toEqual(Array(12).fill('done'));
      expect(new Set(handles.map((h) => h.id)).size).toBe(12);
      expect(queue.snapshot().length).toBe(0);
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });
});

describe('cancel', () => {
  it('removes a queued job at once, and only its owner or a moderator may do it', async () => {
    const { queue } = shared;
    const running = queue.submit(longJob({ userId: 'kim' }));
    const middle = queue.submit(tinyJob({ userId: 'lee' }));
    const last = queue.submit(tinyJob({ userId: 'max' }));
    const lastEvents = record(last);

    const stranger = queue.cancel(middle.id, { userId: 'max' });
    expect(stranger).toEqual({ ok: false, code: 'not-allowed', message: expect.stringMatching(/Only the person who asked/) });
    expect(queue.cancel('no-such-job', { userId: 'lee' })).toMatchObject({ ok: false, code: 'unknown-job' });

    expect(queue.cancel(middle.id, { userId: 'mod', moderator: true })).toEqual({ ok: true, was: 'queued' });
    expect(await middle.settled).toEqual({ status: 'cancelled', by: 'mod' });
    expect(queue.positionOf(last.id)).toBe(1);
    // Its owner was told (the event was delivered before `settled` resolved above).
    expect(lastEvents.filter((e) => e.event === 'position').at(-1)!.args[0]).toMatchObject({ position: 1 });

    expect(queue.cancel(running.id, { userId: 'kim' })).toEqual({ ok: true, was: 'running' });
    expect(await running.settled).toEqual({ status: 'cancelled', by: 'kim' });
    expect((await last.settled).status).toBe('done');
    expect(queue.cancel(last.id, { userId: 'max' })).toMatchObject({ ok: false, code: 'unknown-job' });
  });

  it('stops a running job within one optimisation step', async () => {
    const { queue } = shared;
    const handle = queue.submit(longJob({ userId: 'ned' }));
    // When each step began (events also come from inside a step; only a new step number counts).
    const steps = new Map<number, number>();
    handle.on('progress', (p) => {
      if (!steps.has(p.step)) steps.set(p.step, performance.now());
    });
    await once(handle, 'progress', (p) => p.step >= 4);
    const stepMs = (steps.get(4)! - steps.get(1)!) / 3;
    const asked = performance.now();
    queue.cancel(handle.id, { userId: 'ned' });
    const outcome = await handle.settled;
    const tookMs = performance.now() - asked;
    expect(outcome).toEqual({ status: 'cancelled', by: 'ned' });
    console.info(JSON.stringify({ test: 'cancel-running', stepMs: Math.round(stepMs), cancelToSettledMs: Math.round(tookMs) }));
    // At most the step in flight plus the message round trip.
    expect(tookMs).toBeLessThan(stepMs * 2 + 250);
    expect((await queue.submit(tinyJob({ userId: 'ned' })).settled).status).toBe('done');
  });

  it('hears from a job during a long step, not only between steps', async () => {
    const own = await startQueue({ progressIntervalMs: 50 });
    try {
      const handle = own.queue.submit(tinyJob({ userId: 'ola' }, { size: 192, iterations: 3 }));
      const events = record(handle);
      const outcome = await handle.settled;
      expect(outcome.status).toBe('done');
      const progress = events.filter((e) => e.event === 'progress');
      const stepMs = outcome.status === 'done' ? outcome.result.stats.scales[0]!.ms / 3 : 0;
      const gaps = progress.slice(1).map((e, i) => e.at - progress[i]!.at);
      // Without events from inside steps there would be about one per step (3 + start and end).
      expect(progress.length).toBeGreaterThan(9);
      expect(Math.max(...gaps)).toBeLessThan(stepMs / 2);
    } finally {
      await own.queue.shutdown({ graceMs: 0 });
    }
  });
});
