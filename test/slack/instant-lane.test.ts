/**
 * The instant lane on Slack: ten users submit the form at once, one fake painting worker, the
 * fast pictures from the real fast network on the shared models. Each job message shows a picture
 * while the line still waits (how fast is bench/instant.ts's figure), the paintings follow in order
 * and upload their results, and Keep this ends a painting with the picture shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { KEEP_ACTION } from '../../src/bot/slack/messages.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { FastLane } from '../../src/queue/fast-lane.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'instant-signing-secret';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let fake: FakeSlack;
let queue: JobQueuePort;
let lane: FastLane;
let app: RunningSlackApp;
let eventsUrl: string;

beforeAll(async () => {
  fake = await FakeSlack.start();
  queue = createInProcessQueue({
    engine: { weights: WEIGHTS, maxSize: 128 },
    // A 64 px job of 60 steps paints ~2 s.
    workerEntry: fakeEngineWorker({ stepMs: 150 }),
    progressIntervalMs: 250,
    maxPerServer: 20,
  });
  lane = new FastLane({ engine: { fastModels: FAST_MODELS_DIR, maxSize: 128 }, logger });
  await Promise.all([queue.ready(), lane.ready()]);
  const env = loadEnv({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_PORT: '0',
    MAX_IMAGE_SIZE: '128',
  });
  // Ten new jobs need ten edits at once: more than the production gate of 40 a minute spreads in 3 s.
  app = await startSlackApp({ env, queue, lane, logger, updateIntervalMs: 1000, updatesPerMinute: 6000, previewAt: [0.5], jobDefaults: { iterations: 60 } });
  eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
}, 120_000);

afterAll(async () => {
  await queue?.shutdown({ graceMs: 0 });
  await lane?.close();
  await app?.stop();
  await fake?.close();
});

const imageBlock = (blocks: unknown[]) => (blocks as { type: string }[]).some((b) => b.type === 'image');
const hasButton = (m: PostedMessage, action: string) => JSON.stringify(m.blocks).includes(action);

describe('the instant lane on Slack', () => {
  it('instant: ten users at once each see a fast picture while the line still waits, paintings follow in order, Keep this frees the line', async () => {
    const users = Array.from({ length: 10 }, (_, k) => new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, `U0INST${k}`));
    const views = await Promise.all(users.map((u) => u.openModal()));
    const uploadsAtStart = fake.completedUploads('C0GENERAL').length;
    await Promise.all(users.map((u, k) => u.submit(views[k]!, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' })));
    const messageOf = (k: number) => [...fake.messages.values(), ...fake.deleted].find((m) => m.text.includes(`<@U0INST${k}>`));
    const messages = await Promise.all(users.map((_, k) => fake.waitUntil(() => messageOf(k), `user ${k}'s job message`, 20_000)));
    await Promise.all(messages.map((m) => fake.waitUntil(() => m.history.find((h) => imageBlock(h.blocks))?.at, 'a picture in the job message', 60_000)));
    const firstWithPicture = messages[9]!.history.find((h) => imageBlock(h.blocks))!;
    expect(firstWithPicture.text).toMatch(/Instant picture below/);

    // The last in line keeps its instant picture: its painting never runs and its result is uploaded.
    const place = (m: PostedMessage) => Number(/you are #(\d+) in line/.exec(m.history.map((h) => h.text).join(' '))?.[1] ?? 0);
    const last = messages.reduce((best, m, k) => (place(m) > place(messages[best]!) ? k : best), 0);
    // Everyone had a picture while the last in line still waited (its painting would start after ~18 s).
    expect(place(messages[last]!)).toBe(9);
    expect(messages[last]!.history.some((h) => /%|Started|Starting now/.test(h.text))).toBe(false);
    const uploadsBefore = fake.completedUploads('C0GENERAL').length;
    expect((await users[last]!.click(messages[last]!, KEEP_ACTION)).status).toBe(200);
    await fake.waitUntil(() => /Kept this picture/.test(messages[last]!.text) && !hasButton(messages[last]!, 'stylize_cancel'), 'the kept edit');
    expect(hasButton(messages[last]!, 'stylize_reroll')).toBe(true);
    await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length > uploadsBefore, 'the kept picture uploaded');

    // The others paint in the line's order.
    const others = messages.filter((_, k) => k !== last);
    await fake.waitUntil(() => others.every((m) => /Done/.test(m.text)), 'every painting done', 120_000);
    const doneAt = (m: PostedMessage) => m.history.find((h) => /Done/.test(h.text))!.at;
    const ordered = [...others].sort((a, b) => place(a) - place(b));
    for (let k = 1; k < ordered.length; k++) expect(doneAt(ordered[k]!)).toBeGreaterThan(doneAt(ordered[k - 1]!));
    // One result each (paintings may have finished before Keep was pressed): wait for them, then count exactly.
    const expected = uploadsAtStart + 1 + others.length;
    await fake.waitUntil(() => fake.completedUploads('C0GENERAL').length >= expected, 'every result uploaded', 60_000);
    expect(fake.completedUploads('C0GENERAL').length).toBe(expected);
  }, 240_000);
});
