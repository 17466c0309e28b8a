import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { CANCEL_ACTION, PARAMS_ACTION, REROLL_ACTION } from '../../src/bot/slack/messages.js';
import { optionsFor } from '../../src/commands/options.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobOutcome, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { interactiveBody, postSigned, slashCommandBody } from '../emulator/slack/signing.js';
import { SlackUser, type OpenedView } from '../emulator/slack/slack-user.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'test-signing-secret-8f2a';
const UPDATE_INTERVAL_MS = 1000;
/** chat.update calls a minute over all job messages together (the app's gate; 40 in production). */
const UPDATES_PER_MINUTE = 100;
const MAX_INPUT_BYTES = 512 * 1024;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let fake: FakeSlack;
let queue: JobQueuePort;
let app: RunningSlackApp;
let eventsUrl: string;
let alice: SlackUser;
let bob: SlackUser;

beforeAll(async () => {
  fake = await FakeSlack.start();
  // The fake engine (test/support/fake-engine-worker.ts): a job of 12 steps runs 1.5 s at 64 px,
  // 8 s at 192 px and 15 s at 256 px. platforms.test runs the real one through Slack.
  queue = createInProcessQueue({
    engine: { weights: WEIGHTS, maxSize: 256 },
    workerEntry: fakeEngineWorker({ stepMs: 500 }),
    progressIntervalMs: 250,
    maxPerUser: 1,
  });
  await queue.ready();
  const env = loadEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_PORT: '0',
    MAX_IMAGE_SIZE: '256',
    MAX_INPUT_BYTES: String(MAX_INPUT_BYTES),
  });
  app = await startSlackApp({
    env,
    queue,
    logger,
    updateIntervalMs: UPDATE_INTERVAL_MS,
    updatesPerMinute: UPDATES_PER_MINUTE,
    // Few steps keep a job to seconds; Slack users cannot set iterations.
    jobDefaults: { iterations: 12 },
  });
  eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  alice = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  bob = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0BOB');
});

afterAll(async () => {
  // Queue first: its jobs settle, so the app's stop() has no job message left to wait for.
  await queue?.shutdown({ graceMs: 0 });
  await app?.stop();
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
    expect(fileInputs.map((b) => b.block_id)).toEqual(['content_image', 'style_image', 'style2_image']);
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

  it('answers `/stylize help` with every Slack option, without opening the form', async () => {
    const res = await alice.slashCommand('help');
    expect(res.status).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
    for (const def of optionsFor('slack')) expect(String(res.json?.text)).toContain(def.name);
    expect(String(res.json?.text)).toContain('64–256');
    expect(callsSince('views.open')).toEqual([]);
  });

  it('tells the user through the response_url when the form cannot be opened', async () => {
    const res = await alice.slashCommand('', 'expired-trigger-1');
    expect(res.status).toBe(200);
    const reply = await fake.waitUntil(() => fake.responses.find((r) => r.path.endsWith('/expired-trigger-1')), 'the response_url answer');
    expect(reply.body.response_type).toBe('ephemeral');
    expect(String(reply.body.text)).toMatch(/could not be opened.*Run \/stylize again/);
  });

  it('rejects a request with a bad signature (401) and does nothing', async () => {
    const body = slashCommandBody({ userId: 'U0ALICE', channelId: 'C0GENERAL', teamId: fake.teamId, triggerId: 'forged' });
    const forged = await postSigned(eventsUrl, body, 'not-the-secret');
    expect(forged.status).toBe(401);
    const stale = await postSigned(eventsUrl, body, SIGNING_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    const payload = interactiveBody({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: [] });
    expect((await postSigned(eventsUrl, payload, SIGNING_SECRET, { signature: 'v0=deadbeef' })).status).toBe(401);
    // The same command, signed: its form opening is the event after which a handler that wrongly
    // ran for the forged ones would have called out too (they reached the app first).
    const signed = slashCommandBody({ userId: 'U0ALICE', channelId: 'C0GENERAL', teamId: fake.teamId, triggerId: 'genuine' });
    expect((await postSigned(eventsUrl, signed, SIGNING_SECRET)).status).toBe(200);
    await fake.waitForCall('views.open', (c) => fake.calls.indexOf(c) >= callsBefore);
    expect(fake.calls.slice(callsBefore).map((c) => [c.method, c.args.trigger_id])).toEqual([['views.open', 'genuine']]);
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
    expect((await queue.snapshot()).length).toBe(0);
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
    expect((await queue.snapshot()).length).toBe(0);
  });

  it('refuses a file over the byte limit before downloading it', async () => {
    const view = await alice.openModal();
    const fetchesBefore = fake.fileFetches.length;
    // A JPEG header on 600 KB: Slack reports the size, so the app need not fetch a byte.
    const big = new Uint8Array(600 * 1024);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const file = fake.hostFile('panorama.jpg', big, 'image/jpeg');
    await alice.submit(view, { content_image: file, style_image: fake.hostImage('udnie.jpg'), size: '64' });
    const eph = await fake.waitForCall('chat.postEphemeral', (c) => fake.calls.indexOf(c) >= callsBefore);
    expect(eph.args.user).toBe('U0ALICE');
    expect(String(eph.args.text)).toMatch(/panorama\.jpg\) is 600 KB, more than the 512 KB limit/);
    expect(fake.fileFetches.slice(fetchesBefore).some((f) => f.fileId === file.id)).toBe(false);
    expect(callsSince('chat.postMessage')).toEqual([]);
    expect((await queue.snapshot()).length).toBe(0);
  });
});

/** The n-th job message posted since the test began, once it shows the job (a Cancel button or its end). */
function statusMessage(n = 0): Promise<PostedMessage> {
  return fake.waitUntil(() => {
    const post = callsSince('chat.postMessage')[n];
    const message = post && [...fake.messages.values()].find((m) => m.history[0]?.text === post.args.text && m.channel === post.args.channel && (m.history[0]?.at ?? 0) >= post.at - 1000);
    return message && message.history.length > 1 ? message : undefined;
  }, 'the job message');
}

/** The file id of every preview the message showed (image blocks). */
function previewIds(message: PostedMessage): string[] {
  const ids = message.history.flatMap((h) =>
    (h.blocks as { type: string; slack_file?: { id: string } }[]).filter((b) => b.type === 'image').map((b) => b.slack_file!.id),
  );
  return [...new Set(ids)];
}

function contextText(blocks: unknown[], blockId: string): string | undefined {
  const context = (blocks as { block_id?: string; elements?: { text?: string }[] }[]).find((b) => b.block_id === blockId);
  return context?.elements?.[0]?.text;
}

/** The outcome of the next job the queue settles. */
function nextOutcome(): Promise<JobOutcome> {
  return new Promise((resolve) => {
    const stop = queue.subscribe((event) => {
      if (event.type !== 'settled') return;
      stop();
      resolve(event.outcome);
    });
  });
}

function hasCancelButton(blocks: unknown[]): boolean {
  return JSON.stringify(blocks).includes(CANCEL_ACTION);
}

function optionsLine(blocks: unknown[]): string | undefined {
  const context = (blocks as { block_id?: string; elements?: { text?: string }[] }[]).find((b) => b.block_id === 'options');
  return context?.elements?.[0]?.text;
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
    // The message says what the form asked for, and the seed the bot picked (so Reroll can change it).
    expect(optionsLine(message.blocks)).toMatch(/^strength: 0\.7 · size: 64 · preserve_colors: false · seed: \d+$/);

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

  it('shows the engine failure as a sentence in the job message, with no upload', async () => {
    const view = await alice.openModal();
    const uploadsBefore = fake.completedUploads('C0GENERAL').length;
    // The first half of a JPEG: it sniffs as a picture, and the engine finds it cut off.
    const whole = readFileSync(path.join(IMAGES_DIR, 'golden_gate.jpg'));
    const cut = fake.hostFile('cut.jpg', whole.subarray(0, Math.floor(whole.length / 2)), 'image/jpeg');
    await alice.submit(view, { content_image: cut, style_image: fake.hostImage('udnie.jpg'), size: '64' });
    const message = await statusMessage();
    await fake.waitUntil(() => !hasCancelButton(message.blocks), 'the final edit', 60_000);
    expect(message.text).toMatch(/<@U0ALICE>'s \/stylize: The content image looks like a JPEG but is damaged or cut off.*\(request [\w-]+\)/s);
    expect(fake.completedUploads('C0GENERAL').length).toBe(uploadsBefore);
    expect((await queue.snapshot()).length).toBe(0);
  });

  it('refuses Cancel from another user and cancels for the requester', async () => {
    const view = await alice.openModal();
    await alice.submit(view, {
      content_image: fake.hostImage('statue_of_liberty.jpg'),
      style_image: fake.hostImage('chicago.jpg'),
      // The job must still be running through the clicks below: at 64 px it took under a second
      // on a fast machine and was done before the second submission reached the queue.
      size: '256',
    });
    const message = await statusMessage();
    const settled = nextOutcome();
    const uploadsBefore = fake.completedUploads('C0GENERAL').length;
    const ephemeralTo = (user: string) => callsSince('chat.postEphemeral').filter((c) => c.args.user === user);

    // A second picture while the first is in the queue: the queue's per-user limit, as a sentence.
    const again = await alice.openModal();
    await alice.submit(again, { content_image: fake.hostImage('sketch.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
    const limit = await fake.waitUntil(() => ephemeralTo('U0ALICE')[0], 'the refusal of a second job');
    expect(String(limit.args.text)).toMatch(/You already have a picture in the queue; wait for it to finish \(or cancel it\)/);
    // The queue is asked before the pictures are fetched or a message is placed: none for the second job.
    const posts = callsSince('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(callsSince('chat.delete')).toEqual([]);
    expect([...fake.messages.values()].filter((m) => m.history[0]!.at >= posts[0]!.at - 1000)).toEqual([message]);
    expect((await queue.snapshot()).length).toBe(1);

    const refused = await bob.click(message, CANCEL_ACTION);
    expect(refused.status).toBe(200);
    const eph = await fake.waitUntil(() => ephemeralTo('U0BOB')[0], 'the refusal to Bob');
    expect(String(eph.args.text)).toMatch(/Only the person who asked/);
    expect((await queue.snapshot()).length).toBe(1);
    expect(hasCancelButton(message.blocks)).toBe(true);

    expect((await alice.click(message, CANCEL_ACTION)).status).toBe(200);
    await fake.waitUntil(() => /Cancelled/.test(message.text) && !hasCancelButton(message.blocks), 'the cancelled edit');
    expect((await queue.snapshot()).length).toBe(0);
    // Alice heard that it worked (the shared sentence), and no picture was uploaded.
    const confirm = await fake.waitUntil(() => ephemeralTo('U0ALICE')[1], 'the confirmation to Alice');
    expect(String(confirm.args.text)).toMatch(/^(Stopping your picture|Taken out of the queue)\.$/);
    // The job ended cancelled, so no picture exists that could still be on its way.
    expect((await settled).status).toBe('cancelled');
    expect(fake.completedUploads('C0GENERAL').length).toBe(uploadsBefore);
  });

  it('limits chat.update calls of all job messages together, not only per message', async () => {
    // Two users' jobs at once: one runs while the other waits, then the other runs.
    const [viewA, viewB] = [await alice.openModal(), await bob.openModal()];
    const uploadsBefore = fake.completedUploads('C0GENERAL').length;
    // Alice's is larger, so Bob's is sure to wait behind it.
    await alice.submit(viewA, { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('chicago.jpg'), size: '128' });
    await bob.submit(viewB, { content_image: fake.hostImage('statue_of_liberty.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
    await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length >= uploadsBefore + 2, 'both uploads', 120_000);
    const posted = callsSince('chat.postMessage');
    expect(posted).toHaveLength(2);
    const messages = [...fake.messages.values()].slice(-2);
    await fake.waitUntil(() => messages.every((m) => /Done/.test(m.text)), 'both final edits');
    expect(messages[1]!.history.some((h) => /you are next/.test(h.text))).toBe(true);

    const edits = callsSince('chat.update');
    // One call may start in each 1/UPDATES_PER_MINUTE of a minute (Slack counts calls per minute,
    // per workspace): any four calls span at least two of those windows. Per-message pacing alone
    // lets both messages' edits through within one update interval.
    const window = 60_000 / UPDATES_PER_MINUTE;
    for (let i = 3; i < edits.length; i++) expect(edits[i]!.at - edits[i - 3]!.at).toBeGreaterThanOrEqual(2 * window - 50);
    expect(edits.length).toBeLessThanOrEqual((edits.at(-1)!.at - edits[0]!.at) / window + 2);
    // Both messages were edited: when Bob's job starts, Alice's last edits and Bob's first ones
    // fall in the same seconds.
    expect(new Set(edits.map((e) => e.args.ts)).size).toBe(2);
  });
});

describe('the same job flow as Discord', () => {
  it('shows previews, takes a seed and a second style, and Reroll makes another picture with a new seed', async () => {
    const view = await alice.openModal();
    const fetchesBefore = fake.fileFetches.length;
    const channelUploads = fake.completedUploads('C0GENERAL').length;
    await alice.submit(view, {
      content_image: fake.hostImage('golden_gate.jpg'),
      style_image: fake.hostImage('udnie.jpg'),
      style2_image: fake.hostImage('chicago.jpg'),
      seed: '42',
      // Long enough (12 evaluations at 192 px) for previews between the paced edits.
      size: '192',
    });
    const message = await statusMessage();
    expect(optionsLine(message.blocks)).toBe('size: 192 · preserve_colors: false · seed: 42');
    const first = await fake.waitUntil(() => fake.completedUploads('C0GENERAL')[channelUploads], 'the result upload', 120_000);
    await fake.waitUntil(() => /Done/.test(message.text) && JSON.stringify(message.blocks).includes(REROLL_ACTION), 'the final edit');
    // All three pictures were fetched; the result says which seed made it.
    expect(fake.fileFetches.slice(fetchesBefore).filter((f) => f.status === 200)).toHaveLength(3);
    expect(contextText(message.blocks, 'result')).toMatch(/Seed 42 · Size 192×\d+/);

    // Previews came during the job: PNGs uploaded to no channel, shown in the message, gone at the end.
    const previews = previewIds(message);
    expect(previews.length).toBeGreaterThanOrEqual(1);
    for (const id of previews) {
      const upload = fake.uploads.get(id)!;
      expect(upload.completed?.channelId).toBeUndefined();
      expect((await sharp(upload.bytes).metadata()).format).toBe('png');
    }
    expect(JSON.stringify(message.blocks)).not.toContain('"image"');

    // Parameters: the options used, the second style included, to the clicker only.
    await bob.click(message, PARAMS_ACTION);
    const params = await fake.waitUntil(() => callsSince('chat.postEphemeral').find((c) => c.args.user === 'U0BOB'), 'the parameters');
    expect(String(params.args.text)).toContain('seed: 42');
    expect(String(params.args.text)).toContain('/stylize content:<photo> style:<painting> style2:<painting> size:192 preserve_colors:false seed:42');

    // Reroll: Bob asks; a new job message, a new seed, a different picture.
    await bob.click(message, REROLL_ACTION);
    const again = await statusMessage(1);
    expect(again.ts).not.toBe(message.ts);
    expect(again.text).toContain('<@U0BOB>');
    const second = await fake.waitUntil(() => fake.completedUploads('C0GENERAL')[channelUploads + 1], 'the reroll upload', 120_000);
    await fake.waitUntil(() => /Done/.test(again.text) && !hasCancelButton(again.blocks), 'the reroll final edit');
    const seed = /seed: (\d+)/.exec(optionsLine(again.blocks) ?? '')?.[1];
    expect(seed).toBeDefined();
    expect(seed).not.toBe('42');
    expect(Buffer.compare(first.bytes!, second.bytes!)).not.toBe(0);
  });
});

describe('Socket Mode (SLACK_APP_TOKEN)', () => {
  it('connects with the app token, serves /stylize over the socket, and closes it on stop', async () => {
    const socketApp = await startSlackApp({
      env: loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: fake.appToken, SLACK_API_URL: fake.apiUrl, MAX_IMAGE_SIZE: '256' }),
      queue,
      logger,
    });
    try {
      expect(socketApp.port).toBeUndefined();
      const open = callsSince('apps.connections.open');
      expect(open.map((c) => c.token)).toEqual([fake.appToken]);
      expect(fake.sockets.size).toBe(1);

      const carol = new SlackUser(fake, { socketMode: true }, 'U0CAROL');
      const view = await carol.openModal();
      expect((view.blocks as Block[]).filter((b) => b.element?.type === 'file_input')).toHaveLength(3);
      expect(callsSince('views.open').at(-1)?.token).toBe(fake.botToken);
      // The form's errors travel back in the envelope's ack.
      const res = await carol.submit(view, { content_image: fake.hostImage('sketch.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '9999' });
      expect(res.json?.response_action).toBe('errors');
      expect((res.json?.errors as Record<string, string>).opt_size).toMatch(/size must be at most 256/);
    } finally {
      await socketApp.stop();
    }
    // stop() resolves once the WebSocket is closed, not merely asked to close.
    await fake.waitUntil(() => fake.sockets.size === 0 || undefined, 'the socket to close', 2000);
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
