/**
 * The style library on Slack through the fake Slack with the real Bolt app (signed HTTP), a real
 * LMDB file and the real style predictor; the fake engine worker paints (tinted with the first
 * painting's mean colour, so the picture shows which painting it used).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { SAVE_STYLE_SHORTCUT, STYLIZE_PHOTO_SHORTCUT } from '../../src/bot/slack/library.js';
import { StyleLibrary } from '../../src/commands/style-library/library.js';
import { LmdbStyleStore } from '../../src/commands/style-library/lmdb-store.js';
import { loadEnv } from '../../src/config.js';
import { openStylePredictor } from '../../src/engine/index.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'test-signing-secret-lib';
const MAX_INPUT_BYTES = 2 * 1024 * 1024;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let fake: FakeSlack;
let queue: JobQueuePort;
let app: RunningSlackApp;
let styles: StyleLibrary;
let dir: string;
let alice: SlackUser;
let bob: SlackUser;
let admin: SlackUser;

async function meanColour(bytes: Uint8Array): Promise<number[]> {
  return (await sharp(bytes).stats()).channels.slice(0, 3).map((c) => c.mean);
}
const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, k) => v - b[k]!));
const painting = (name: string) => new Uint8Array(readFileSync(path.join(IMAGES_DIR, name)));

/** The ephemeral sentence the app posted to `user` after `since` calls. */
function ephemeralTo(user: string, since: number): Promise<string> {
  return fake
    .waitUntil(() => fake.calls.slice(since).find((c) => c.method === 'chat.postEphemeral' && c.args.user === user), `an ephemeral message to ${user}`, 30_000)
    .then((c) => String(c.args.text));
}

beforeAll(async () => {
  fake = await FakeSlack.start();
  fake.admins.add('U0ADMIN');
  dir = mkdtempSync(path.join(os.tmpdir(), 'slack-library-'));
  queue = createInProcessQueue({ engine: { weights: WEIGHTS, maxSize: 128 }, workerEntry: fakeEngineWorker({ stepMs: 20 }), progressIntervalMs: 250 });
  await queue.ready();
  styles = new StyleLibrary({
    store: new LmdbStyleStore(dir),
    max: 100,
    limits: { maxBytes: MAX_INPUT_BYTES, maxPixels: 50_000_000 },
    openPredictor: () => openStylePredictor(FAST_MODELS_DIR),
    logger,
  });
  const env = loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0', MAX_IMAGE_SIZE: '128', MAX_INPUT_BYTES: String(MAX_INPUT_BYTES) });
  app = await startSlackApp({ env, queue, logger, updateIntervalMs: 500, updatesPerMinute: 600, jobDefaults: { iterations: 12 }, styles });
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  alice = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  bob = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0BOB');
  admin = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ADMIN');
});

afterAll(async () => {
  await queue?.shutdown({ graceMs: 0 });
  await app?.stop();
  await styles?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('style library on Slack', () => {
  it('library: the Save as style shortcut asks for a name and saves the message\'s picture; /style list shows it', async () => {
    const view = await alice.messageShortcut(SAVE_STYLE_SHORTCUT, { files: [fake.hostImage('the_scream.jpg')] });
    expect(view?.callback_id).toBe('library_save_style');
    const bad = await alice.submit(view!, { library_name: 'no/slash' });
    expect(JSON.stringify(bad.json)).toMatch(/cannot be a style name/);
    const since = fake.calls.length;
    const ok = await alice.submit(view!, { library_name: 'Scream' });
    expect(ok.status).toBe(200);
    expect(await ephemeralTo('U0ALICE', since)).toMatch(/Saved the style "Scream"/);
    const list = await alice.command('/style', 'list');
    expect(String((list.json as { text?: string }).text)).toMatch(/1 saved style[\s\S]*\*Scream\*/);
  });

  it('library: the /stylize form offers a select of saved styles and paints with the one picked, no style attached', async () => {
    const view = await alice.openModal();
    const select = view.blocks.find((b) => b.block_id === 'library_style');
    expect(select?.element?.options?.map((o) => o.value)).toEqual(['Scream']);
    expect(view.blocks.find((b) => b.block_id === 'style_image')?.optional).toBe(true);
    const before = fake.completedUploads('C0GENERAL').length;
    const res = await alice.submit(view, { content_image: fake.hostImage('tubingen.jpg'), library_style: 'Scream', size: '64' });
    expect(res.json).toBeUndefined();
    const upload = await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length > before && fake.completedUploads('C0GENERAL').at(-1), 'the result upload', 60_000);
    const got = await meanColour(upload.bytes!);
    expect(distance(got, await meanColour(painting('the_scream.jpg')))).toBeLessThan(distance(got, await meanColour(painting('starry_night.jpg'))));
  });

  it('library: the Stylize this photo shortcut asks for a saved style and strength, then paints the message\'s photo', async () => {
    const view = await bob.messageShortcut(STYLIZE_PHOTO_SHORTCUT, { files: [fake.hostImage('tubingen.jpg')] });
    expect(view?.callback_id).toBe('library_stylize_photo');
    const bad = await bob.submit(view!, { library_style: 'Scream', library_strength: '3' });
    expect(JSON.stringify(bad.json)).toMatch(/strength/);
    const before = fake.completedUploads('C0GENERAL').length;
    const res = await bob.submit(view!, { library_style: 'Scream', library_strength: '0.3' });
    expect(res.json).toBeUndefined();
    const upload = await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length > before && fake.completedUploads('C0GENERAL').at(-1), 'the result upload', 60_000);
    const got = await meanColour(upload.bytes!);
    expect(distance(got, await meanColour(painting('the_scream.jpg')))).toBeLessThan(distance(got, await meanColour(painting('starry_night.jpg'))));
  });

  it('library: both shortcuts on a message without a picture, or with one over the limits, answer with a sentence and open no form', async () => {
    const text = fake.hostFile('notes.txt', Buffer.from('hello'), 'text/plain');
    const big = fake.hostFile('huge.png', Buffer.alloc(3 * 1024 * 1024), 'image/png');
    for (const shortcut of [STYLIZE_PHOTO_SHORTCUT, SAVE_STYLE_SHORTCUT]) {
      let since = fake.calls.length;
      expect(await alice.messageShortcut(shortcut, { files: [text] }, 1000)).toBeUndefined();
      expect(await ephemeralTo('U0ALICE', since)).toMatch(/That message has no picture in it/);
      since = fake.calls.length;
      expect(await alice.messageShortcut(shortcut, { files: [big] }, 1000)).toBeUndefined();
      expect(await ephemeralTo('U0ALICE', since)).toMatch(/\(huge\.png\) is 3\.0 MB; the limit is 2\.0 MB/);
    }
  });

  it('library: only the saver or a workspace admin removes a style on Slack', async () => {
    const byBob = await bob.command('/style', 'remove Scream');
    expect(String((byBob.json as { text?: string }).text)).toMatch(/Only the member who saved "Scream", or a workspace admin/);
    const byAdmin = await admin.command('/style', 'remove scream');
    expect(String((byAdmin.json as { text?: string }).text)).toBe('Removed the style "Scream".');
    const list = await alice.command('/style', 'list');
    expect(String((list.json as { text?: string }).text)).toMatch(/no saved styles yet/);
    // With the library empty, the /stylize form has no select and the painting is required again.
    const view = await alice.openModal();
    expect(view.blocks.some((b) => b.block_id === 'library_style')).toBe(false);
    expect(view.blocks.find((b) => b.block_id === 'style_image')?.optional).toBe(false);
  });
});
