import { createServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import sharp from 'sharp';
import { startDiscordEmulator, type DiscordEmulator } from '../emulator/discord/emulator.js';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { IMAGES_DIR, WEIGHTS, image } from '../support/fixtures.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { keptQueue } from '../support/kept-queue.js';

/**
 * The bot process (src/app.ts) with Slack credentials: Slack alone, or Slack beside Discord, and a
 * stop() that lets the last Slack messages go out before it closes the endpoint. The engine worker
 * is the fake one (test/support/fake-engine-worker.ts); real-engine.test.ts runs the real one.
 */

const SIGNING_SECRET = 'platforms-signing-secret';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** startApp does not report the Slack port, so a free one is chosen here. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Sockets and servers this process holds open (timers are left out: other modules keep some). */
function netHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'POST', body: '' });
    return false;
  } catch (e) {
    return (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

const slackEnv = (fake: FakeSlack, port: number) => ({
  SLACK_BOT_TOKEN: fake.botToken,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: fake.apiUrl,
  SLACK_PORT: String(port),
  HTTP_ENABLED: 'false',
  VGG19_WEIGHTS: WEIGHTS,
  MAX_IMAGE_SIZE: '256',
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  cleanup = [];
});

it('with only Slack credentials runs Slack alone; stop() tells the user before it closes', async () => {
  const handlesBefore = netHandles();
  const fake = await FakeSlack.start();
  cleanup.push(() => fake.close());
  const port = await freePort();
  // No grace: the running job is stopped at once, and its message must still say so.
  const app: App = await startApp(loadEnv({ ...slackEnv(fake, port), SHUTDOWN_GRACE_S: '0' }), logger, {
    // A 64 px job of the form's default 120 steps runs ~6 s on the fake engine.
    queue: { progressIntervalMs: 250, workerEntry: fakeEngineWorker({ stepMs: 200 }) },
  });
  cleanup.push(() => app.stop());
  expect(app.discord).toBeUndefined();
  await app.queue.ready();

  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  const dana = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0DANA');
  const view = await dana.openModal();
  await dana.submit(view, { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
  const message = await fake.waitUntil(() => [...fake.messages.values()][0], 'the job message', 30_000);
  await fake.waitUntil(() => /Started|▰/.test(message.text), 'the job to start', 30_000);

  // What SIGTERM does: the queue stops the job, the Slack app edits its message, then disconnects.
  await app.stop();
  expect(message.text).toMatch(/The bot is restarting.*send it again in a minute/);
  expect(JSON.stringify(message.blocks)).not.toContain('stylize_cancel');
  expect(await refused(eventsUrl)).toBe(true);

  await fake.close();
  // Nothing of the app's network is left open (the Bolt server, keep-alive sockets, the fake).
  await expect.poll(netHandles, { timeout: 2000 }).toBeLessThanOrEqual(handlesBefore);
}, 120_000);

it('with Discord and Slack credentials serves both from one process: a /stylize from each ends with its picture', async () => {
  const emu: DiscordEmulator = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  cleanup.push(() => emu.close());
  const fake = await FakeSlack.start();
  cleanup.push(() => fake.close());
  const port = await freePort();
  const env = loadEnv({
    ...slackEnv(fake, port),
    DISCORD_TOKEN: emu.token,
    DISCORD_APPLICATION_ID: emu.applicationId,
    DISCORD_API_URL: emu.apiUrl,
    DISCORD_CDN_HOSTS: emu.cdnHost,
  });
  const app = await startApp(env, logger, { queue: { workerEntry: fakeEngineWorker() } });
  cleanup.push(() => app.stop());

  await emu.ready;
  expect(app.discord).toBeDefined();
  const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
  const erin = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ERIN');
  const view = await erin.openModal();
  expect(view.blocks.filter((b) => b.element?.type === 'file_input')).toHaveLength(3);

  // One job from each platform through the one queue.
  await erin.submit(view, { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
  const i = emu.runCommand({
    name: 'stylize',
    options: { content: await emu.uploadImage('golden_gate.jpg'), style: await emu.uploadImage('udnie.jpg'), size: 64, iterations: 10 },
  });
  const slackPicture = (await fake.waitUntil(() => fake.completedUploads('C0GENERAL')[0], 'the Slack upload', 90_000)).bytes!;
  const discordDone = await emu.waitFor('the Discord result', () => {
    const m = emu.original(i);
    return m && /Done in/.test(m.content) && m.attachments.length > 0 ? m : undefined;
  }, 90_000);
  const discordPicture = discordDone.attachments.find((a) => a.filename === 'stylized.png')!.bytes;
  for (const picture of [slackPicture, discordPicture]) {
    const meta = await sharp(picture).metadata();
    expect([meta.format, Math.max(meta.width!, meta.height!)]).toEqual(['png', 64]);
  }

  await app.stop();
  expect(await refused(eventsUrl)).toBe(true);
}, 120_000);

it('after a restart, answers a job the queue kept, in the message the job was started from', async () => {
  const fake = await FakeSlack.start();
  cleanup.push(() => fake.close());
  const port = await freePort();
  // The job message the process before the restart had posted.
  const posted = (await (
    await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0GENERAL', text: 'Sending your picture to the queue…' }),
    })
  ).json()) as { ts: string };
  const message = fake.messages.get(posted.ts)!;
  const spec = {
    owner: { userId: 'U0FRAN', platform: 'slack' as const, serverId: fake.teamId },
    requestId: 'kept-0001',
    request: { content: image('golden_gate.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size: 64, iterations: 6, seed: 5 } },
    reply: { platform: 'slack' as const, data: { channel: 'C0GENERAL', userId: 'U0FRAN', ts: posted.ts, adapter: {} } },
  };
  const app = await startApp(loadEnv(slackEnv(fake, port)), logger, { openQueue: keptQueue(spec), queue: { workerEntry: fakeEngineWorker() } });
  cleanup.push(() => app.stop());

  const upload = await fake.waitUntil(() => fake.completedUploads('C0GENERAL')[0], 'the result upload', 90_000);
  expect(upload.completed?.initialComment).toContain('<@U0FRAN>');
  await fake.waitUntil(() => /Done/.test(message.text) && message.text.includes('<@U0FRAN>'), 'the kept message to be finished');
  expect(message.history.some((h) => /▰|Started|Starting/.test(h.text))).toBe(true);
  // Reroll works from the kept request: same pictures, a new seed.
  expect(JSON.stringify(message.blocks)).toContain('stylize_reroll');
  expect(callsTo(fake, 'chat.postMessage')).toHaveLength(1);
}, 120_000);

function callsTo(fake: FakeSlack, method: string) {
  return fake.calls.filter((c) => c.method === method);
}
