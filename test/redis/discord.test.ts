/**
 * The real Discord path on the distributed queue: startApp with REDIS_URL pointing at a real
 * redis-server and LOCAL_WORKER=false, one real worker process (`npm run worker`), the real
 * discord.js client against the loopback emulator. Tiny pictures keep each job to seconds.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOutOfReachText } from '../../src/commands/texts.js';
import { redisQueueOptionsFromEnv } from '../../src/queue/redis/config.js';
import { createRedisJobQueue } from '../../src/queue/redis/queue.js';
import type { EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { startHarness, type Harness } from '../discord/harness.js';
import { startRedis, startWorker, stopWorker, type TestRedis, type WorkerProcess } from './support.js';

const PREFIX = 'discord';
let redis: TestRedis;
let worker: WorkerProcess | undefined;
const harnesses: Harness[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // A lock longer than the outage below: the running job is not taken for stalled when Redis is back.
  worker = startWorker({ REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, WORKER_STALL_S: '30' }, 'real');
  await worker.waitFor((l) => l.msg === 'worker ready');
});
afterAll(async () => {
  await Promise.allSettled(harnesses.map((h) => h.close()));
  if (worker) await stopWorker(worker, 'SIGKILL');
  await redis?.dispose();
});

const redisEnv = (instance: string) => ({
  REDIS_URL: redis.url,
  REDIS_PREFIX: PREFIX,
  LOCAL_WORKER: 'false',
  CHAT_INSTANCE_ID: instance,
});

async function harness(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}

/** The job message once it shows its final state (no Cancel button left). */
function finalState(h: Harness, i: EmuInteraction, timeoutMs = 90_000): Promise<EmuMessage> {
  return h.emu.waitFor(
    'the final edit',
    () => {
      const m = h.emu.original(i);
      if (!m || m.deferred || m.history.length === 0) return undefined;
      const labels = h.emu.buttons(m).map((b) => b.label);
      return !labels.includes('Cancel') && (labels.length > 0 || /cancel|fail|wrong/i.test(m.content)) ? m : undefined;
    },
    timeoutMs,
  );
}

async function stylize(h: Harness, iterations: number): Promise<EmuInteraction> {
  return h.emu.runCommand({
    name: 'stylize',
    options: {
      content: await h.emu.uploadImage('chicago.jpg'),
      style: await h.emu.uploadImage('udnie.jpg'),
      size: 64,
      iterations,
    },
  });
}

async function expectOnePicture(h: Harness, i: EmuInteraction, done: EmuMessage): Promise<void> {
  expect(done.content).toMatch(/Done in/);
  expect(done.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
  const meta = await sharp(done.attachments[0]!.bytes).metadata();
  expect(meta.format).toBe('png');
  expect(Math.max(meta.width!, meta.height!)).toBe(64);
  // One picture only: no follow-up or channel message carries another.
  expect(h.emu.followUps(i).filter((m) => m.attachments.length > 0)).toHaveLength(0);
}

describe('/stylize on Redis, with the work done by a worker process', () => {
  it('ends with exactly one picture in the interaction reply, made by that worker', async () => {
    const h = await harness(redisEnv('chat-discord'));
    expect(h.logs.some((l) => l.msg === 'job queue on redis' && l.localWorker === false)).toBe(true);
    const i = await stylize(h, 10);
    const done = await finalState(h, i);
    await expectOnePicture(h, i, done);
    const started = worker!.lines.filter((l) => l.msg === 'job started');
    expect(started).toHaveLength(1);
    expect(worker!.lines.filter((l) => l.msg === 'job ended' && l.status === 'done')).toHaveLength(1);
    await h.close();
  });
});

describe('/stylize on Redis while Redis is out of reach for longer than the notice threshold', () => {
  it('the job message says the queue is out of reach, then gives way again and ends with one picture', async () => {
    // The app's own queue, with the outage notice shortened from 15 s to 1 s.
    const h = await harness(redisEnv('chat-outage'), {
      openQueue: (env, opts) =>
        createRedisJobQueue({
          ...redisQueueOptionsFromEnv({ ...env, REDIS_URL: redis.url }, opts?.logger),
          outageNoticeMs: 1000,
        }),
    });
    // Long enough to be still running when Redis stops, even on a fast machine.
    const i = await stylize(h, 100);
    await h.emu.waitFor('the job to start', () => /Start|\d+%/.test(h.emu.original(i)?.content ?? ''), 60_000);
    await redis.stop();
    const notice = queueOutOfReachText();
    await h.emu.waitFor('the outage notice', () => h.emu.original(i)?.content.startsWith(notice), 15_000);
    await redis.start();
    const done = await finalState(h, i);
    await expectOnePicture(h, i, done);
    const states = done.history.map((s) => s.content);
    const at = states.findIndex((c) => c.startsWith(notice));
    expect(at).toBeGreaterThan(0);
    // The notice gives way again: to progress if the job still runs, else straight to the result.
    expect(states.slice(at + 1).every((c) => !c.startsWith(notice))).toBe(true);
    expect(states.filter((c) => /Done in/.test(c))).toHaveLength(1);
    await h.close();
  });
});
