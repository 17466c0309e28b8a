/**
 * A job's instant picture is not slowed by its own painting: the painting computes at a lower OS
 * priority than the chat process and its instant lane, so when both want the cores at once (a
 * job that starts painting as its instant picture is made) the lane gets them first. Through the
 * real queues: the in-process one, and `npm run worker` on a real redis-server. Linux reads each
 * thread's nice from /proc; elsewhere a thread's priority cannot be set alone and nothing changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastLane } from '../../src/queue/fast-lane.js';
import { createInProcessQueue, QUEUE_DEFAULTS, type JobQueuePort } from '../../src/queue/index.js';
import { createRedisJobQueue } from '../../src/queue/redis/queue.js';
import { childProcesses } from '../../src/util/process-tree.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { WEIGHTS, image } from '../support/fixtures.js';
import { startRedis, startWorker, stopWorker, type TestRedis, type WorkerProcess } from '../redis/support.js';
import { longJob } from './helpers.js';

/** Each thread's nice (field 19 of /proc/<pid>/task/<tid>/stat), by thread id. */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // The command name may hold spaces: the fields after the last ')' are fixed.
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      nices.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while we looked.
    }
  }
  return nices;
}

/** The onnx session process the painting computes in: a child of `parent`. */
function paintingProcess(parent: number): number {
  const found = childProcesses(parent).filter((c) => c.command.includes('session-process'));
  expect(found, 'one onnx session process').toHaveLength(1);
  return found[0]!.pid;
}

const request = () => ({ content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size: 96 } });

let lane: FastLane;
/** The threads the lane started in this (the chat) process. */
let laneThreads: number[];

beforeAll(async () => {
  const before = new Set(threadNices(process.pid).keys());
  lane = new FastLane({ engine: { fastModels: FAST_MODELS_DIR, maxSize: 128 } });
  expect(await lane.ready()).toBe(true);
  laneThreads = [...threadNices(process.pid).keys()].filter((tid) => !before.has(tid));
  expect(laneThreads.length).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  await lane?.close();
});

/**
 * With a job painting on `queue` (in the process `paintingParent` forked its onnx process from):
 * the lane still makes a picture, and every thread of the painting's process is niced below every
 * thread of the lane.
 */
async function paintsBelowTheLane(queue: JobQueuePort, paintingParent: () => number): Promise<void> {
  const submitted = await queue.submit(longJob({ userId: 'painter' }));
  if (!submitted.accepted) throw new Error(submitted.message);
  const painting = new Promise<void>((resolve) => {
    const stop = queue.watch(submitted.jobId, (e) => {
      if (e.type === 'progress') {
        stop();
        resolve();
      }
    });
  });
  await painting;
  const paintNices = [...threadNices(paintingProcess(paintingParent())).values()];
  const laneNices = laneThreads.map((tid) => threadNices(process.pid).get(tid)).filter((n) => n !== undefined);
  expect((await lane.picture(request(), 'beside-a-painting')).status).toBe('done');
  expect(Math.min(...paintNices), `painting threads ${paintNices.join(',')}`).toBe(QUEUE_DEFAULTS.paintNiceness);
  expect(Math.min(...paintNices)).toBeGreaterThan(Math.max(...laneNices));
  await queue.cancel(submitted.jobId, { userId: 'painter' });
  await queue.outcome(submitted.jobId);
}

describe.runIf(process.platform === 'linux')('paintings yield the cores to the instant lane', () => {
  it('instant: on the in-process queue, a running painting computes at a lower priority than the instant lane', async () => {
    const queue = createInProcessQueue({ engine: { weights: WEIGHTS, backend: 'onnx' }, progressIntervalMs: 0 });
    try {
      await queue.ready();
      await paintsBelowTheLane(queue, () => process.pid);
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  }, 240_000);

  describe('on the Redis queue', () => {
    let redis: TestRedis;
    let worker: WorkerProcess;
    beforeAll(async () => {
      redis = await startRedis();
      worker = startWorker({ REDIS_URL: redis.url, REDIS_PREFIX: 'yield' }, 'real');
      await worker.waitFor((l) => l.msg === 'worker ready');
    }, 240_000);
    afterAll(async () => {
      if (worker) await stopWorker(worker);
      await redis?.dispose();
    });

    it('instant: with `npm run worker` painting, its onnx process computes at a lower priority than the instant lane', async () => {
      const queue = await createRedisJobQueue({ url: redis.url, prefix: 'yield', instanceId: 'yield-chat', limits: { maxLength: 5, maxPerUser: 5, maxPerServer: 5 } });
      try {
        await paintsBelowTheLane(queue, () => worker.child.pid!);
      } finally {
        await queue.shutdown({ graceMs: 0 });
      }
    }, 240_000);
  });
});
