/**
 * What every implementation of the job-queue port must do, as commands and bots rely on it. Run
 * for the in-process queue (in-process-port.test.ts) and the Redis one (redis-port.test.ts), with
 * the fake engine worker (`CONTRACT_ENGINE`): the contract is about the queue, not the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelRefusal } from '../../src/queue/failures.js';
import type { JobEvent, JobQueuePort, QueueEvent } from '../../src/queue/port.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { longJob, tinyJob } from './helpers.js';

/** Jobs take time (a 128 px step 40 ms) and send progress and previews, as the engine's do. */
export const CONTRACT_ENGINE = fakeEngineWorker({ stepMs: 40 });

const PNG = [0x89, 0x50, 0x4e, 0x47];

export function describePortContract(name: string, open: (limits: { maxPerUser: number }) => Promise<JobQueuePort>): void {
  describe(`${name}: the job-queue port`, () => {
    let queue: JobQueuePort;
    const seen: QueueEvent[] = [];
    beforeAll(async () => {
      queue = await open({ maxPerUser: 1 });
      await queue.ready();
      queue.subscribe((e) => seen.push(e));
    });
    afterAll(async () => {
      await queue?.shutdown({ graceMs: 0 });
    });

    it('accepts a job, lets a watcher hear where it stands first and settled last, once, before outcome resolves', async () => {
      const spec = tinyJob({ userId: 'pat', serverId: 'g1' });
      const submitted = await queue.submit({ ...spec, reply: { platform: 'discord', data: { channelId: 'c1' } } });
      if (!submitted.accepted) throw new Error(submitted.message);
      expect(submitted.position).toBeGreaterThanOrEqual(0);
      const events: JobEvent[] = [];
      queue.watch(submitted.jobId, (e) => events.push(e));
      const outcome = await queue.outcome(submitted.jobId);
      expect(outcome.status).toBe('done');
      expect(['position', 'started', 'progress']).toContain(events[0]!.type);
      expect(events.filter((e) => e.type === 'settled')).toHaveLength(1);
      expect(events.at(-1)).toEqual({ type: 'settled', jobId: submitted.jobId, outcome });
      // A late watcher still hears how it ended.
      const late = await new Promise<JobEvent>((resolve) => queue.watch(submitted.jobId, resolve));
      expect(late).toMatchObject({ type: 'settled', outcome: { status: 'done' } });
      // Subscribers heard it from submission to end, with its owner.
      const mine = seen.filter((e) => 'jobId' in e && e.jobId === submitted.jobId).map((e) => e.type);
      expect(mine[0]).toBe('submitted');
      expect(mine).toContain('started');
      expect(mine.at(-1)).toBe('settled');
      expect(seen.find((e) => e.type === 'submitted' && e.jobId === submitted.jobId)).toMatchObject({ owner: spec.owner });
    });

    it('sends a watcher progress in order, the previews asked for, and the picture', async () => {
      const submitted = await queue.submit({ ...tinyJob({ userId: 'uma' }, { size: 128, iterations: 12 }), previewAt: [0.75, 0.5, 0.75, 2] });
      if (!submitted.accepted) throw new Error(submitted.message);
      const events: JobEvent[] = [];
      queue.watch(submitted.jobId, (e) => events.push(e));
      const outcome = await queue.outcome(submitted.jobId);
      if (outcome.status !== 'done') throw new Error(`the job ended ${outcome.status}`);
      expect([...outcome.result.image.subarray(0, 4)]).toEqual(PNG);
      const progress = events.flatMap((e) => (e.type === 'progress' ? [e.progress] : []));
      const steps = progress.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(steps.at(-1)).toBe(12);
      // 0.5 and 0.75 once each, in order (repeats and points past the end are dropped), as PNGs.
      const previews = progress.filter((p) => p.preview !== undefined);
      expect(previews.map((p) => p.step)).toEqual([6, 9]);
      for (const p of previews) expect([...p.preview!.subarray(0, 4)]).toEqual(PNG);
    });

    it('refuses with a code and a sentence (and says so to subscribers); cancel is for the owner or a moderator', async () => {
      const running = await queue.submit(longJob({ userId: 'quin' }));
      if (!running.accepted) throw new Error(running.message);
      const again = await queue.submit(tinyJob({ userId: 'quin' }));
      expect(again).toMatchObject({ accepted: false, code: 'user-limit', message: expect.stringMatching(/already have a picture/) });
      // Events are delivered asynchronously, an implementation may need a moment.
      await expect.poll(() => seen.find((e) => e.type === 'refused' && e.owner.userId === 'quin')).toMatchObject({ code: 'user-limit' });
      // Asked before any picture is downloaded: the same reason, counted as a refusal too; another user is admitted.
      expect(await queue.refusalFor({ userId: 'quin', platform: 'discord' })).toMatchObject({ code: 'user-limit', message: again.accepted ? '' : again.message });
      await expect.poll(() => seen.filter((e) => e.type === 'refused' && e.owner.userId === 'quin').length).toBe(2);
      expect(await queue.refusalFor({ userId: 'rhea', platform: 'discord' })).toBeUndefined();

      expect((await queue.jobsOf('quin', 'discord')).map((j) => j.id)).toEqual([running.jobId]);
      expect((await queue.snapshot()).jobs.map((j) => j.id)).toContain(running.jobId);
      expect(await queue.cancel(running.jobId, { userId: 'rex' })).toEqual(cancelRefusal('not-allowed'));
      expect((await queue.cancel(running.jobId, { userId: 'quin' })).ok).toBe(true);
      expect(await queue.outcome(running.jobId)).toEqual({ status: 'cancelled', by: 'quin' });
      // Gone from the line or finished, as the queue can tell: either way in the queue's one sentence for it.
      const twice = await queue.cancel(running.jobId, { userId: 'quin' });
      if (twice.ok) throw new Error('a settled job was cancelled again');
      expect(['unknown-job', 'already-finished']).toContain(twice.code);
      expect(twice).toEqual(cancelRefusal(twice.code));
      expect(await queue.jobsOf('quin')).toEqual([]);
    });

    it('instant: Keep this travels with the cancel: only the owner keeps, and a kept job, waiting or running, ends cancelled and says it was kept', async () => {
      const running = await queue.submit(longJob({ userId: 'kay' }));
      const waiting = await queue.submit(longJob({ userId: 'lin' }));
      if (!running.accepted || !waiting.accepted) throw new Error('a job was refused');
      await new Promise<void>((resolve) => {
        const stop = queue.watch(running.jobId, (e) => e.type === 'progress' && (stop(), resolve()));
      });
      // A moderator may cancel anyone's picture, but only its owner keeps it.
      for (const stranger of [{ userId: 'mod', moderator: true }, { userId: 'lin' }]) {
        const refused = await queue.cancel(running.jobId, { ...stranger, keep: true });
        expect(refused).toEqual(cancelRefusal('not-allowed', true));
        expect(refused.ok || refused.message).toBe('Only the person who asked for this picture can keep it.');
      }
      expect(await queue.cancel(waiting.jobId, { userId: 'lin', keep: true })).toEqual({ ok: true, was: 'queued' });
      expect(await queue.outcome(waiting.jobId)).toEqual({ status: 'cancelled', by: 'lin', kept: true });
      expect(await queue.cancel(running.jobId, { userId: 'kay', keep: true })).toEqual({ ok: true, was: 'running' });
      expect(await queue.outcome(running.jobId)).toEqual({ status: 'cancelled', by: 'kay', kept: true });
    });

    it('lists what it can resume as an array, and says whether it accepts jobs', async () => {
      expect(Array.isArray(await queue.resumable())).toBe(true);
      expect(queue.accepting).toBe(true);
      // Callers may wrap a port (Object.create, one method replaced); it still answers from its own state.
      const wrapped = Object.create(queue) as JobQueuePort;
      expect(wrapped.accepting).toBe(true);
      expect((await wrapped.snapshot()).concurrency).toBeGreaterThanOrEqual(1);
    });
  });
}
