/**
 * More style, Less style and HD on Slack: buttons under the result, new job messages that say what
 * they came from, pictures that move the way the button says, HD at twice the size with the layout
 * kept, and private sentences when a button cannot do anything. The engine thread is the fake one
 * (its picture mixes in the style by the strength; Slack's real-engine run is real-engine.test.ts).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { ITERATE_ACTIONS, REROLL_ACTION } from '../../src/bot/slack/messages.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { composition } from '../engine/support/quality-measures.js';
import { decoded } from '../engine/support/picture-metrics.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { image, WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'iterate-signing-secret';
let fake: FakeSlack;
let queue: JobQueuePort;
let app: RunningSlackApp;
let alice: SlackUser;
let bob: SlackUser;

beforeAll(async () => {
  fake = await FakeSlack.start();
  queue = createInProcessQueue({ engine: { weights: WEIGHTS, maxSize: 128 }, workerEntry: fakeEngineWorker({ stepMs: 100 }), progressIntervalMs: 400 });
  await queue.ready();
  const env = loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0', MAX_IMAGE_SIZE: '128' });
  app = await startSlackApp({ env, queue, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), updateIntervalMs: 300, updatesPerMinute: 600, jobDefaults: { iterations: 40 } });
  const transport = { eventsUrl: `http://127.0.0.1:${app.port}/slack/events`, signingSecret: SIGNING_SECRET };
  alice = new SlackUser(fake, transport, 'U0ALICE');
  bob = new SlackUser(fake, transport, 'U0BOB');
}, 120_000);

afterAll(async () => {
  await queue?.shutdown({ graceMs: 0 });
  await app?.stop();
  await fake?.close();
});

/** The n-th job message of the channel once it is done, with its uploaded picture. */
async function job(n: number): Promise<{ message: PostedMessage; picture: Uint8Array }> {
  const message = await fake.waitUntil(
    () => {
      const m = [...fake.messages.values()].filter((x) => x.channel === 'C0GENERAL')[n];
      return m && /Done in/.test(m.text) && JSON.stringify(m.blocks).includes(REROLL_ACTION) ? m : undefined;
    },
    `job message ${n} done`,
    180_000,
  );
  const upload = await fake.waitUntil(() => fake.completedUploads('C0GENERAL')[n], `upload ${n}`);
  return { message, picture: upload.bytes! };
}

const ephemeralsTo = (user: string) => fake.callsTo('chat.postEphemeral').filter((c) => c.args.user === user).map((c) => String(c.args.text));
const photo = () => decoded(image('golden_gate.jpg'));

it('iterate: on Slack, Less style / More style move the picture towards / away from the photo, HD doubles it keeping its layout, refusals are private', async () => {
  await alice.submit(await alice.openModal(), { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64', strength: '0.5', seed: '5' });
  const parent = await job(0);
  expect(JSON.stringify(parent.message.blocks)).toContain(ITERATE_ACTIONS.hd);
  const parentLayout = composition(await decoded(parent.picture), await photo());

  await alice.click(parent.message, ITERATE_ACTIONS.less);
  const less = await job(1);
  expect(less.message.text).toMatch(/Less style of request [0-9a-f]+ \(strength 0\.4\)\.\nDone in/);
  await alice.click(parent.message, ITERATE_ACTIONS.more);
  const more = await job(2);
  expect(more.message.text).toMatch(/More style of request [0-9a-f]+ \(strength 0\.6\)\.\nDone in/);
  const layouts = { less: await composition(await decoded(less.picture), await photo()), parent: await parentLayout, more: await composition(await decoded(more.picture), await photo()) };
  console.log(JSON.stringify({ iterateSlackLayouts: layouts }));
  expect(layouts.less).toBeGreaterThan(layouts.parent);
  expect(layouts.more).toBeLessThan(layouts.parent);

  await bob.click(parent.message, ITERATE_ACTIONS.hd);
  const hd = await job(3);
  expect(hd.message.text).toMatch(/HD of request [0-9a-f]+ \(128 px, painted from that picture\)\.\nDone in/);
  const [p, h] = await Promise.all([sharp(parent.picture).metadata(), sharp(hd.picture).metadata()]);
  expect(Math.max(h.width!, h.height!)).toBe(2 * Math.max(p.width!, p.height!));
  expect(await composition(await decoded(hd.picture), await decoded(parent.picture))).toBeGreaterThanOrEqual(0.9);

  // HD of the HD: already at MAX_IMAGE_SIZE. A stale button: its inputs are gone. Both privately, nothing queued.
  await bob.click(hd.message, ITERATE_ACTIONS.hd);
  await fake.waitUntil(() => ephemeralsTo('U0BOB').some((t) => /already 128 px, the largest this bot makes/.test(t)), 'the size cap sentence');
  const stale = { ...hd.message, blocks: JSON.parse(JSON.stringify(hd.message.blocks).replaceAll(/"value":"[^"]+"/g, '"value":"forgotten-key"')) as unknown[] };
  await bob.click(stale, ITERATE_ACTIONS.less);
  await fake.waitUntil(() => ephemeralsTo('U0BOB').some((t) => /no longer kept/.test(t)), 'the inputs-gone sentence');
  expect((await queue.snapshot()).length).toBe(0);
}, 600_000);

it('iterate: on Slack, Less style of a picture at strength 0 says so privately instead of painting the same again', async () => {
  const before = fake.completedUploads('C0GENERAL').length;
  await alice.submit(await alice.openModal(), { content_image: fake.hostImage('golden_gate.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64', strength: '0' });
  const weakest = await job(before);
  await alice.click(weakest.message, ITERATE_ACTIONS.less);
  await fake.waitUntil(() => ephemeralsTo('U0ALICE').some((t) => /already has the least style the bot gives \(strength 0\)/.test(t)), 'the bound sentence');
  expect((await queue.snapshot()).length).toBe(0);
}, 300_000);
