/**
 * More style / Less style / HD on the Redis queue: the job runs on a real worker process (with the
 * fake engine thread; Redis's real-engine run is discord.test.ts), its inputs and picture are kept in Redis for REROLL_KEEP_MIN, and another chat process
 * (a restart, or a second one) answers the buttons of a picture the first one delivered.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startDiscordEmulator, USERS, type DiscordEmulator } from '../emulator/discord/emulator.js';
import { composition } from '../engine/support/quality-measures.js';
import { decoded } from '../engine/support/picture-metrics.js';
import { emulatorEnv, ephemeralAnswer } from '../discord/harness.js';
import { IMAGES_DIR } from '../support/fixtures.js';
import { startRedis, startWorker, stopWorker, type TestRedis, type WorkerProcess } from './support.js';
import { iteratePresses } from '../discord/iterate-presses.js';

const PREFIX = 'iterate';
const KEEP_MIN = 2;
let redis: TestRedis;
let worker: WorkerProcess | undefined;
let emu: DiscordEmulator;
const apps: App[] = [];

beforeAll(async () => {
  redis = await startRedis();
  worker = startWorker({ REDIS_URL: redis.url, REDIS_PREFIX: PREFIX });
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  await worker.waitFor((l) => l.msg === 'worker ready');
});

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop()));
  if (worker) await stopWorker(worker, 'SIGKILL');
  await emu?.close();
  await redis?.dispose();
});

/** A chat process on the Redis queue, without a local worker or a directory for kept inputs. */
async function chat(instance: string): Promise<App> {
  const env = loadEnv({
    ...emulatorEnv(emu),
    HTTP_ENABLED: 'false',
    REDIS_URL: redis.url,
    REDIS_PREFIX: PREFIX,
    LOCAL_WORKER: 'false',
    CHAT_INSTANCE_ID: instance,
    REROLL_KEEP_MIN: String(KEEP_MIN),
  });
  const app = await startApp(env, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { discord: { editIntervalMs: 300 } });
  apps.push(app);
  await app.discord!.ready;
  return app;
}

const { done, press } = iteratePresses(() => emu);

it('iterate: on Redis another chat process answers HD and Less style of a picture the first delivered, from inputs kept REROLL_KEEP_MIN', async () => {
  const first = await chat('chat-a');
  const parent = await done(
    emu.runCommand({ name: 'stylize', options: { content: await emu.uploadImage('chicago.jpg'), style: await emu.uploadImage('udnie.jpg'), size: 64, iterations: 30 } }),
  );
  // Kept in Redis, for REROLL_KEEP_MIN and no longer.
  const keys = await redis.client.keys(`${PREFIX}:kept:*`);
  expect(keys).toHaveLength(1);
  const ttl = await redis.client.pttl(keys[0]!);
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(KEEP_MIN * 60_000);

  // The first chat process goes; another one (a restart elsewhere) answers the buttons.
  await first.stop();
  await chat('chat-b');
  const hd = await done(press(parent, 'HD', USERS.bob));
  expect(hd.content).toMatch(/^HD of request [0-9a-f]+ \(128 px, painted from that picture\)\.\nDone in/);
  const [p, h] = await Promise.all([sharp(parent.attachments[0]!.bytes).metadata(), sharp(hd.attachments[0]!.bytes).metadata()]);
  expect(h.width).toBe(2 * p.width!);
  expect(await composition(await decoded(hd.attachments[0]!.bytes), await decoded(parent.attachments[0]!.bytes))).toBeGreaterThanOrEqual(0.9);
  const less = await done(press(parent, 'Less style'));
  expect(less.content).toMatch(/^Less style of request [0-9a-f]+ \(strength 0\.4\)\.\nDone in/);
  // Both ran on the worker process.
  expect(worker!.lines.filter((l) => l.msg === 'job ended' && l.status === 'done')).toHaveLength(3);

  // A button whose inputs are gone: a sentence to the presser only.
  const gone = await ephemeralAnswer(emu, emu.clickButton(parent, 'stylize:more:forgotten-key', USERS.bob));
  expect(gone.content).toMatch(/no longer kept \(they are kept for 2 minutes\)/);
}, 600_000);
