/**
 * Issue 12 through the chat platforms' real paths (discord.js against the Discord emulator, Bolt
 * against the fake Slack): a style too thin for the poolings gets its sentence in the job message
 * and the next job is done; a plain-http attachment is refused before anything is fetched. The jobs
 * run on the fake engine worker, which refuses with the engine's own checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/register.js';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { ephemeralFollowUp, startHarness, type Harness } from '../discord/harness.js';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { WEIGHTS } from '../support/fixtures.js';
import { stretched } from './support/pictures.js';

const THIN = /The style image is 1000×100, too elongated: at 64 px it would be scaled to 64×6, and its short side needs at least 16 px\. Crop it to at most 4:1, or use a larger size or style scale\./;

describe('Discord', () => {
  let h: Harness;
  const FOREIGN_HOST = 'media.example.test';
  beforeAll(async () => {
    h = await startHarness({});
    // An allowed host that is not loopback, so plain http to it is what a real deployment would see.
    h.env.DISCORD_CDN_HOSTS = [...h.env.DISCORD_CDN_HOSTS, FOREIGN_HOST];
    await register(h.env);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const finished = (i: ReturnType<Harness['emu']['runCommand']>) =>
    h.emu.waitFor('the final message', () => {
      const m = h.emu.original(i);
      return m && /Done in|\(request [0-9a-f]{10}\)$/.test(m.content) ? m : undefined;
    }, 60_000);

  it('a thin style: the sentence in the job message, and the next job is done', async () => {
    const banner = h.emu.upload('banner.jpg', await stretched(1000, 100));
    const bad = h.emu.runCommand({ name: 'stylize', options: { content: await h.emu.uploadImage('chicago.jpg'), style: banner, size: 64, iterations: 10 } });
    expect((await finished(bad)).content).toMatch(THIN);
    const good = h.emu.runCommand({ name: 'stylize', options: { content: await h.emu.uploadImage('chicago.jpg'), style: await h.emu.uploadImage('udnie.jpg'), size: 64, iterations: 10 } });
    expect((await finished(good)).content).toMatch(/^Done in/);
  });

  it('a plain http:// attachment on an allowed host is refused unfetched, and the next job is done', async () => {
    const before = h.emu.requests.length;
    const insecure = await h.emu.uploadImage('udnie.jpg', { host: FOREIGN_HOST });
    const bad = h.emu.runCommand({ name: 'stylize', options: { content: await h.emu.uploadImage('chicago.jpg'), style: insecure, size: 64, iterations: 10 } });
    expect((await ephemeralFollowUp(h.emu, bad)).content).toMatch(/^The style image \(udnie\.jpg\) has a plain http:\/\/ link; this bot downloads only over https/);
    expect((await h.app.queue.snapshot()).length).toBe(0);
    expect(h.emu.requests.slice(before).some((r) => r.path.includes('udnie'))).toBe(false);
    const good = h.emu.runCommand({ name: 'stylize', options: { content: await h.emu.uploadImage('chicago.jpg'), style: await h.emu.uploadImage('udnie.jpg'), size: 64, iterations: 10 } });
    expect((await finished(good)).content).toMatch(/^Done in/);
  });
});

describe('Slack', () => {
  const SIGNING_SECRET = 'hostile-signing-secret';
  let fake: FakeSlack;
  let queue: JobQueuePort;
  let app: RunningSlackApp;
  let alice: SlackUser;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    queue = createInProcessQueue({ engine: { weights: WEIGHTS, maxSize: 256 }, workerEntry: fakeEngineWorker(), progressIntervalMs: 250 });
    await queue.ready();
    const env = loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0', MAX_IMAGE_SIZE: '256' });
    app = await startSlackApp({ env, queue, logger: createLogger({ level: 'silent' }), updateIntervalMs: 500, jobDefaults: { iterations: 2 } });
    alice = new SlackUser(fake, { eventsUrl: `http://127.0.0.1:${app.port}/slack/events`, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  }, 120_000);
  afterAll(async () => {
    await queue?.shutdown({ graceMs: 0 });
    await app?.stop();
    await fake?.close();
  });

  it('a thin style: the sentence in the job message, and the next job is uploaded', async () => {
    const bad = await alice.openModal();
    await alice.submit(bad, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostFile('banner.jpg', await stretched(1000, 100), 'image/jpeg'), size: '64' });
    await fake.waitUntil(() => [...fake.messages.values()].find((m) => THIN.test(m.text)), 'the refusal in the job message', 60_000);
    const uploadsBefore = fake.completedUploads('C0GENERAL').length;
    const good = await alice.openModal();
    await alice.submit(good, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
    await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length > uploadsBefore || undefined, 'the next job’s upload', 60_000);
  });
});
