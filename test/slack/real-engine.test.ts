/**
 * End to end with the real engine (real weights, real kernels in the worker thread): /stylize
 * through the Slack form ends with a stylised picture in the channel. The other Slack tests run
 * the fake engine.
 */
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { image, meanDifference, WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'real-engine-signing-secret';
let fake: FakeSlack | undefined;
let queue: JobQueuePort | undefined;
let app: RunningSlackApp | undefined;

afterAll(async () => {
  await queue?.shutdown({ graceMs: 0 });
  await app?.stop();
  await fake?.close();
});

it('/stylize on the real engine shows progress and uploads a stylised PNG of the asked size', async () => {
  fake = await FakeSlack.start();
  queue = createInProcessQueue({ engine: { weights: WEIGHTS, maxSize: 256 }, progressIntervalMs: 250 });
  await queue.ready();
  const env = loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0', MAX_IMAGE_SIZE: '256' });
  // Few steps keep the job to seconds on two cores (Slack users cannot set iterations), yet it
  // lasts several edit intervals: a 64 px job of 12 steps was done before the first paced edit.
  app = await startSlackApp({ env, queue, logger: createLogger({ level: 'silent' }), updateIntervalMs: 200, jobDefaults: { iterations: 40 } });
  const user = new SlackUser(fake, { eventsUrl: `http://127.0.0.1:${app.port}/slack/events`, signingSecret: SIGNING_SECRET }, 'U0GWEN');

  await user.submit(await user.openModal(), { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '128' });
  const upload = await fake.waitUntil(() => fake!.completedUploads('C0GENERAL')[0], 'the result upload', 120_000);
  const message = await fake.waitUntil(() => [...fake!.messages.values()].find((m) => /Done/.test(m.text)), 'the final edit');
  expect(message.history.some((h) => h.text.includes('▰'))).toBe(true);
  const meta = await sharp(upload.bytes).metadata();
  expect([meta.format, Math.max(meta.width!, meta.height!)]).toEqual(['png', 128]);
  // Stylised: the photo moved towards the painting, not a copy of it.
  expect(await meanDifference(upload.bytes!, image('golden_gate.jpg'))).toBeGreaterThan(8);
});
