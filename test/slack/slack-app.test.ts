import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { CANCEL_ACTION } from '../../src/bot/slack/messages.js';
import { optionsFor } from '../../src/commands/options.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createJobQueue, type JobQueue } from '../../src/queue/index.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { interactiveBody, postSigned, slashCommandBody } from '../emulator/slack/signing.js';
import { SlackUser, type OpenedView } from '../emulator/slack/slack-user.js';
import { WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'test-signing-secret-8f2a';
const UPDATE_INTERVAL_MS = 1000;

let fake: FakeSlack;
let queue: JobQueue;
let app: RunningSlackApp;
let eventsUrl: string;
let alice: SlackUser;
let bob: SlackUser;

beforeAll(async () => {
  fake = await FakeSlack.start();
  queue = createJobQueue({ engine: { weights: WEIGHTS, maxSize: 256 }, progressIntervalMs: 250, maxPerUser: 1 });
  await queue.ready();
  const env = loadEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_PORT: '0',
    MAX_IMAGE_SIZE: '256',
  });
  app = await startSlackApp({
    env,
    queue,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    updateIntervalMs: UPDATE_INTERVAL_MS,
    // Few steps keep a job to seconds on two cores; Slack users cannot set iterations.
    jobDefaults: { iterations: 12 },
  });
  eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  alice = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  bob = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0BOB');
});

afterAll(async () => {
  await app?.stop();
  await queue?.shutdown({ graceMs: 0 });
  await fake?.close();
});

let callsBefore = 0;
beforeEach(() => {
  callsBefore = fake.calls.length;
});
const callsSince = (method: string) => fake.calls.slice(callsBefore).filter((c) => c.method === method);

type Block = { type: string; block_id?: string; element?: Record<string, unknown> };

describe('/stylize modal', () => {
  it('opens a modal with image-only file inputs and the Slack options from the schema', async () => {
    const view = await alice.openModal();
    const blocks = view.blocks as Block[];
    const fileInputs = blocks.filter((b) => b.element?.type === 'file_input');
    expect(fileInputs.map((b) => b.block_id)).toEqual(['content_image', 'style_image']);
    for (const b of fileInputs) {
      const types = b.element?.filetypes as string[];
      expect(types.length).toBeGreaterThan(0);
      for (const t of types) expect(['jpg', 'jpeg', 'png', 'webp', 'gif']).toContain(t);
      expect(b.element?.max_files).toBe(1);
    }
    const optionFields = blocks.filter((b) => b.element && b.element.type !== 'file_input').map((b) => b.element?.action_id);
    expect(optionFields).toEqual(optionsFor('slack').map((d) => d.name));
    expect(JSON.parse(view.private_metadata ?? '{}')).toEqual({ channelId: alice.channelId });
    // The modal was opened with the bot token and the command's trigger id.
    const open = callsSince('views.open')[0];
    expect(open?.token).toBe(fake.botToken);
  });

  it('rejects a request with a bad signature (401) and does nothing', async () => {
    const body = slashCommandBody({ userId: 'U0ALICE', channelId: 'C0GENERAL', teamId: fake.teamId, triggerId: 'forged' });
    const forged = await postSigned(eventsUrl, body, 'not-the-secret');
    expect(forged.status).toBe(401);
    const stale = await postSigned(eventsUrl, body, SIGNING_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    const payload = interactiveBody({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: [] });
    expect((await postSigned(eventsUrl, payload, SIGNING_SECRET, { signature: 'v0=deadbeef' })).status).toBe(401);
    // Give a handler that wrongly ran time to call out.
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.calls.slice(callsBefore)).toEqual([]);
  });

  it('marks an out-of-range option on the form and queues nothing', async () => {
    const view = await alice.openModal();
    const res = await alice.submit(view, {
      content_image: fake.hostImage('golden_gate.jpg'),
      style_image: fake.hostImage('udnie.jpg'),
      strength: '3',
      size: '64',
    });
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBe('errors');
    const errors = res.json?.errors as Record<string, string>;
    expect(errors.opt_strength).toMatch(/strength must be at most 1/);
    expect(fake.fileFetches.length).toBe(0);
    expect(queue.snapshot().length).toBe(0);
  });

  it('tells the user when a file is not a picture, and queues nothing', async () => {
    const view = await alice.openModal();
    const fetchesBefore = fake.fileFetches.length;
    const notes = fake.hostFile('holiday.png', new TextEncoder().encode('these are my holiday notes, not a picture\n'), 'image/png');
    const res = await alice.submit(view, { content_image: notes, style_image: fake.hostImage('udnie.jpg'), size: '64' });
    expect(res.status).toBe(200);
    expect(res.json?.response_action).toBeUndefined();
    const eph = await fake.waitForCall('chat.postEphemeral', (c) => fake.calls.indexOf(c) >= callsBefore);
    expect(eph.args.user).toBe('U0ALICE');
    expect(eph.args.channel).toBe('C0GENERAL');
    expect(String(eph.args.text)).toMatch(/holiday\.png.*(text|not a picture|is ).*JPEG, PNG/s);
    expect(fake.fileFetches.slice(fetchesBefore).every((f) => f.authorized)).toBe(true);
    expect(callsSince('chat.postMessage')).toEqual([]);
    expect(queue.snapshot().length).toBe(0);
  });
});

function statusMessage(): Promise<PostedMessage> {
  return fake.waitUntil(() => {
    const post = callsSince('chat.postMessage')[0];
    const ts = post && [...fake.messages.values()].find((m) => m.text === post.args.text && m.channel === post.args.channel);
    return ts;
  }, 'the job message');
}

function hasCancelButton(blocks: unknown[]): boolean {
  return JSON.stringify(blocks).includes(CANCEL_ACTION);
}

describe('a /stylize job', () => {
  it('downloads with the bot token, shows progress, uploads a PNG of the requested size', async () => {
    const view: OpenedView = await alice.openModal();
    const fetchesBefore = fake.fileFetches.length;
    const started = Date.now();
    await alice.submit(view, {
      content_image: fake.hostImage('golden_gate.jpg'),
      style_image: fake.hostImage('udnie.jpg'),
      strength: '0.7',
      size: '64',
    });
    const message = await statusMessage();
    expect(message.channel).toBe('C0GENERAL');
    expect(hasCancelButton(message.blocks)).toBe(true);

    const upload = await fake.waitUntil(() => fake.completedUploads('C0GENERAL').at(-1), 'the result upload', 120_000);
    const fetches = fake.fileFetches.slice(fetchesBefore);
    expect(fetches.length).toBe(2);
    expect(fetches.every((f) => f.authorized && f.status === 200)).toBe(true);

    expect(upload.filename).toMatch(/\.png$/);
    expect(upload.completed?.initialComment).toContain('<@U0ALICE>');
    const meta = await sharp(upload.bytes).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(64);

    await fake.waitUntil(() => /Done/.test(message.text) && !hasCancelButton(message.blocks), 'the final edit');
    const texts = message.history.map((h) => h.text);
    expect(texts.some((t) => t.includes('▰') || t.includes('▱'))).toBe(true);
    // Edits are paced: none closer together than the interval, except possibly nothing at all.
    const edits = callsSince('chat.update').filter((c) => c.args.ts === message.ts);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < edits.length; i++) {
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(UPDATE_INTERVAL_MS - 50);
    }
    // Each edit changed what the user sees.
    const editTexts = edits.map((e) => e.args.text);
    for (let i = 1; i < editTexts.length; i++) expect(editTexts[i]).not.toBe(editTexts[i - 1]);
    expect(Date.now() - started).toBeLessThan(120_000);
  });

  it('refuses Cancel from another user and cancels for the requester', async () => {
    const view = await alice.openModal();
    await alice.submit(view, {
      content_image: fake.hostImage('statue_of_liberty.jpg'),
      style_image: fake.hostImage('chicago.jpg'),
      size: '64',
    });
    const message = await statusMessage();
    const uploadsBefore = fake.completedUploads().length;

    const refused = await bob.click(message, CANCEL_ACTION);
    expect(refused.status).toBe(200);
    const eph = await fake.waitForCall('chat.postEphemeral', (c) => fake.calls.indexOf(c) >= callsBefore && c.args.user === 'U0BOB');
    expect(String(eph.args.text)).toMatch(/Only the person who asked/);
    expect(queue.snapshot().length).toBe(1);

    expect((await alice.click(message, CANCEL_ACTION)).status).toBe(200);
    await fake.waitUntil(() => /Cancelled/.test(message.text) && !hasCancelButton(message.blocks), 'the cancelled edit');
    expect(queue.snapshot().length).toBe(0);
    // Alice got no refusal, and no picture was uploaded.
    expect(callsSince('chat.postEphemeral').filter((c) => c.args.user === 'U0ALICE')).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.completedUploads().length).toBe(uploadsBefore);
  });
});

describe('fake Slack file hosting', () => {
  it('refuses url_private downloads without the bot token', async () => {
    const file = fake.hostImage('sketch.jpg');
    expect((await fetch(file.url_private)).status).toBe(401);
    expect((await fetch(file.url_private, { headers: { authorization: 'Bearer xoxb-wrong' } })).status).toBe(401);
    const ok = await fetch(file.url_private, { headers: { authorization: `Bearer ${fake.botToken}` } });
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBe(file.size);
  });
});
