/**
 * Keep this and the instant picture on the Redis queue, beyond the chat process that follows the
 * job: real chat processes (startApp, REDIS_URL, LOCAL_WORKER=false) on a real redis-server, one
 * Redis worker with the fake engine for the painting, the real fast network for the instant
 * picture. On Slack in HTTP mode two chat processes stand behind one app, as behind a load
 * balancer: a click may reach either. On Discord one chat process restarts while its job paints.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { ITERATE_ACTIONS, KEEP_ACTION, CANCEL_ACTION, REROLL_ACTION } from '../../src/bot/slack/messages.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { decodeCancelMark, encodeCancelMark } from '../../src/queue/redis/codec.js';
import { redisWorkerOptionsFromEnv } from '../../src/queue/redis/config.js';
import { startRedisWorker, type RedisWorker } from '../../src/queue/redis/worker.js';
import { ephemeralAnswer, emulatorEnv } from '../discord/harness.js';
import { startDiscordEmulator, USERS, type DiscordEmulator, type EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';
import { startRedis, type TestRedis } from './support.js';

const PREFIX = 'keep';
const SECRET = 'keep-signing-secret';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let redis: TestRedis;
let worker: RedisWorker;
const apps: App[] = [];
let emu: DiscordEmulator | undefined;
let slack: FakeSlack | undefined;

beforeAll(async () => {
  redis = await startRedis();
  const env = loadEnv({ REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, VGG19_WEIGHTS: WEIGHTS, MAX_IMAGE_SIZE: '128' });
  // A step of 64 px takes 0.5 s: a default job (120 steps) paints a minute, longer than each test needs.
  worker = await startRedisWorker({
    ...redisWorkerOptionsFromEnv({ ...env, REDIS_URL: redis.url }, undefined, logger),
    workerEntry: fakeEngineWorker({ stepMs: 2000 }),
    progressIntervalMs: 250,
  });
  await worker.ready();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(apps.map((a) => a.stop()));
  await worker?.close(0);
  await emu?.close();
  await slack?.close();
  await redis?.dispose();
});

/** A chat process on the Redis queue with the instant lane; a preview comes only near the end, so the instant picture stays on screen. */
async function chat(instance: string, platform: Record<string, string>): Promise<App> {
  const env = loadEnv({
    ...platform,
    VGG19_WEIGHTS: WEIGHTS,
    MAX_IMAGE_SIZE: '128',
    HTTP_ENABLED: 'false',
    REDIS_URL: redis.url,
    REDIS_PREFIX: PREFIX,
    LOCAL_WORKER: 'false',
    CHAT_INSTANCE_ID: instance,
    FAST_STYLE_MODELS: FAST_MODELS_DIR,
  });
  const app = await startApp(env, logger, { previewAt: [0.95], discord: { editIntervalMs: 300 } });
  apps.push(app);
  expect(await app.lane!.ready()).toBe(true);
  return app;
}

const hasButton = (m: PostedMessage, action: string) => JSON.stringify(m.blocks).includes(`"${action}"`);
const hasImage = (m: PostedMessage) => (m.blocks as { type: string }[]).some((b) => b.type === 'image');

it('instant: on Slack, Keep this pressed through the chat process that does not follow the job ends the painting and keeps the instant picture as the result; a stranger is refused', async () => {
  slack = await FakeSlack.start();
  const fake = slack;
  const slackEnv = { SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0' };
  const [a, b] = [await chat('slack-a', slackEnv), await chat('slack-b', slackEnv)];
  const via = (app: App, userId: string) => new SlackUser(fake, { eventsUrl: `http://127.0.0.1:${app.slackPort}/slack/events`, signingSecret: SECRET }, userId);
  const [aliceA, aliceB, bobB] = [via(a, 'U0ALICE'), via(b, 'U0ALICE'), via(b, 'U0BOB')];

  // Alice's /stylize reaches process A, which follows the job.
  const view = await aliceA.openModal();
  await aliceA.submit(view, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
  const message = await fake.waitUntil(() => [...fake.messages.values()].find((m) => m.text.includes('<@U0ALICE>')), 'the job message', 30_000);
  await fake.waitUntil(
    () => /Instant picture below/.test(message.text) && /Scale \d+\/\d+/.test(message.text) && hasImage(message) && hasButton(message, KEEP_ACTION),
    'the painting running under the instant picture, with Keep this',
    90_000,
  );
  const ephemeralTo = (user: string, after: number) =>
    fake.waitUntil(() => fake.calls.slice(after).find((c) => c.method === 'chat.postEphemeral' && c.args.user === user), `an ephemeral message to ${user}`);

  // Bob's press reaches process B: refused with the queue's sentence; the painting goes on.
  let before = fake.calls.length;
  await bobB.click(message, KEEP_ACTION);
  expect((await ephemeralTo('U0BOB', before)).args.text).toBe(':no_entry: Only the person who asked for this picture can keep it.');
  expect((await b.queue.snapshot()).running).toBe(1);

  // Alice's press reaches process B too: the painting stops, and A's message keeps the instant picture.
  const uploadsBefore = fake.completedUploads('C0GENERAL').length;
  before = fake.calls.length;
  await aliceB.click(message, KEEP_ACTION);
  expect((await ephemeralTo('U0ALICE', before)).args.text).toMatch(/Keeping this picture/);
  await fake.waitUntil(() => /Kept this picture/.test(message.text) || /Cancelled/.test(message.text), 'the job message\'s last edit', 30_000);
  expect(message.text).toMatch(/Kept this picture/);
  expect(hasButton(message, CANCEL_ACTION)).toBe(false);
  expect(hasButton(message, REROLL_ACTION)).toBe(true);
  // Its result is the instant picture (a JPEG; the painting's would be a PNG).
  const kept = await fake.waitUntil(() => fake.completedUploads('C0GENERAL').slice(uploadsBefore)[0], 'the kept picture uploaded');
  expect(kept.filename).toBe('stylized.jpg');
  await expect.poll(async () => (await a.queue.snapshot()).length, { timeout: 10_000 }).toBe(0);

  // HD through B starts from the kept picture (a painting without a result would be refused).
  before = fake.calls.length;
  await aliceB.click(message, ITERATE_ACTIONS.hd);
  const hd = await fake.waitUntil(() => [...fake.messages.values()].find((m) => m !== message && m.text.includes('<@U0ALICE>')), 'the HD job message', 30_000);
  await fake.waitUntil(() => /HD of request [0-9a-f]+ \(128 px, painted from that picture\)/.test(hd.text) && hasButton(hd, CANCEL_ACTION), 'the HD job under way', 30_000);
  await aliceB.click(hd, CANCEL_ACTION);
  await fake.waitUntil(() => /Cancelled/.test(hd.text), 'the HD job cancelled', 30_000);
  await Promise.all([a.stop(), b.stop()]);
}, 300_000);

/** The job message once it shows its last state (buttons, none of them Cancel). */
function finalState(e: DiscordEmulator, i: EmuInteraction): Promise<EmuMessage> {
  return e.waitFor(
    'the final edit',
    () => {
      const m = e.original(i);
      const labels = m ? e.buttons(m).map((x) => x.label) : [];
      return m && !m.deferred && labels.length > 0 && !labels.includes('Cancel') ? m : undefined;
    },
    60_000,
  );
}

it('instant: on Discord, after a chat-process restart the resumed job\'s message shows the instant picture again, and Keep this keeps it', async () => {
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  const e = emu;
  const first = await chat('discord-r', emulatorEnv(e));
  await first.discord!.ready;
  const i = e.runCommand({
    name: 'stylize',
    user: USERS.alice,
    options: { content: await e.uploadImage('chicago.jpg'), style: await e.uploadImage('udnie.jpg'), size: 64, iterations: 2000 },
  });
  const keepOf = (m: EmuMessage) => e.buttons(m).find((x) => x.label === 'Keep this');
  await e.waitFor('the instant picture with Keep this', () => {
    const m = e.original(i);
    return m && m.attachments.some((x) => x.filename === 'instant.jpg') && keepOf(m) ? m : undefined;
  }, 90_000);
  const instantBytes = e.original(i)!.attachments[0]!.bytes;

  // The chat process restarts (same instance id) while the job paints on the worker.
  await first.stop();
  const restartedAt = Date.now();
  const second = await chat('discord-r', emulatorEnv(e));
  await second.discord!.ready;
  const again = await e.waitFor('the instant picture shown again, with Keep this', () => {
    const m = e.original(i);
    const shown = e.requestsOf(i).some((r) => r.at > restartedAt && r.files.some((f) => f.filename === 'instant.jpg'));
    return m && shown && /Instant picture below/.test(m.content) && keepOf(m) ? m : undefined;
  }, 60_000);
  expect(Buffer.from(again.attachments[0]!.bytes).equals(Buffer.from(instantBytes))).toBe(true);
  const keepId = keepOf(again)!.customId;
  const jobId = keepId.split(':')[2];
  expect(await redis.client.exists(`${PREFIX}:instant:${jobId}`)).toBe(1);

  // A stranger's press is refused; the requester's keeps the picture as the result.
  expect((await ephemeralAnswer(e, e.clickButton(again, keepId, USERS.bob))).content).toMatch(/Only the person who asked for this picture can keep it/);
  expect((await ephemeralAnswer(e, e.clickButton(again, keepId, USERS.alice))).content).toMatch(/Keeping this picture/);
  const kept = await finalState(e, i);
  expect(kept.content).toMatch(/Kept this picture/);
  expect(kept.attachments.map((x) => x.filename)).toEqual(['stylized.jpg']);
  expect(Buffer.from(kept.attachments[0]!.bytes).equals(Buffer.from(instantBytes))).toBe(true);
  expect(e.buttons(kept).map((x) => x.label)).toEqual(['Reroll', 'Parameters', 'Less style', 'More style', 'HD']);
  await expect.poll(async () => (await second.queue.snapshot()).length, { timeout: 10_000 }).toBe(0);
  // Answered: the kept instant picture leaves Redis with the job, as every answered job's does.
  expect(await redis.client.exists(`${PREFIX}:instant:${jobId}`)).toBe(0);
  await expect.poll(() => redis.client.keys(`${PREFIX}:instant:*`), { timeout: 10_000 }).toEqual([]);
}, 300_000);

it('instant: a cancel mark says whether to keep, and one written before Keep travelled (a bare user id) reads as a plain cancel', () => {
  expect(decodeCancelMark(encodeCancelMark({ by: 'U1', keep: true }))).toEqual({ by: 'U1', keep: true });
  expect(decodeCancelMark(encodeCancelMark({ by: 'U1' }))).toEqual({ by: 'U1' });
  expect(decodeCancelMark('400000000000000001')).toEqual({ by: '400000000000000001' });
});
