/**
 * Issue 24, item 12 (chat wordings), through Bolt against the fake Slack: a refused Cancel does not
 * offer a moderator (Slack has no such path), "1 minute" is singular, and a 5,000-character form
 * field is not echoed back whole.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../src/bot/slack/app.js';
import { CANCEL_ACTION, PARAMS_ACTION } from '../../src/bot/slack/messages.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createInProcessQueue, type JobQueuePort } from '../../src/queue/index.js';
import { FakeSlack, type PostedMessage } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { WEIGHTS } from '../support/fixtures.js';

const SIGNING_SECRET = 'wording-signing-secret';
let fake: FakeSlack;
let queue: JobQueuePort;
let app: RunningSlackApp;
let alice: SlackUser;
let bob: SlackUser;

beforeAll(async () => {
  fake = await FakeSlack.start();
  queue = createInProcessQueue({ engine: { weights: WEIGHTS, maxSize: 128 }, progressIntervalMs: 250 });
  await queue.ready();
  const env = loadEnv({ SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, SLACK_PORT: '0', MAX_IMAGE_SIZE: '128', REROLL_KEEP_MIN: '1' });
  // A long job, so that it is still there when Bob clicks.
  app = await startSlackApp({ env, queue, logger: createLogger({ level: 'silent' }), updateIntervalMs: 500, jobDefaults: { iterations: 5000 } });
  const eventsUrl = `http://127.0.0.1:${app.port}/slack/events`;
  alice = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  bob = new SlackUser(fake, { eventsUrl, signingSecret: SIGNING_SECRET }, 'U0BOB');
}, 120_000);

afterAll(async () => {
  await queue?.shutdown({ graceMs: 0 });
  await app?.stop();
  await fake?.close();
});

const ephemeralTo = (user: string, after: number) =>
  fake.waitUntil(() => fake.calls.slice(after).find((c) => c.method === 'chat.postEphemeral' && c.args.user === user), `an ephemeral message to ${user}`);

it('Cancel clicked by someone else: the refusal offers no moderator', async () => {
  const view = await alice.openModal();
  await alice.submit(view, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostImage('udnie.jpg'), size: '64' });
  const message = await fake.waitUntil(
    () => [...fake.messages.values()].find((m) => JSON.stringify(m.blocks).includes(CANCEL_ACTION)),
    'the job message with its Cancel button',
    60_000,
  );
  const before = fake.calls.length;
  await bob.click(message, CANCEL_ACTION);
  const refusal = await ephemeralTo('U0BOB', before);
  expect(refusal.args.text).toBe(':no_entry: Only the person who asked for this picture can cancel it.');
  expect((await queue.snapshot()).length).toBe(1);
  await alice.click(message, CANCEL_ACTION);
  await fake.waitUntil(() => /Cancelled/.test(message.text) || undefined, 'the cancelled job message');
});

it('Parameters of a job whose pictures are gone: "kept for 1 minute"', async () => {
  // The message of a job finished long ago: its inputs are no longer kept.
  const old: PostedMessage = {
    ...[...fake.messages.values()][0]!,
    blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: PARAMS_ACTION, value: 'a-job-long-gone', text: { type: 'plain_text', text: 'Parameters' } }] }],
  };
  const before = fake.calls.length;
  await bob.click(old, PARAMS_ACTION);
  const answer = await ephemeralTo('U0BOB', before);
  expect(answer.args.text).toMatch(/\(they are kept for 1 minute\)\./);
});

it('a 5,000-character field is not echoed back whole', async () => {
  const view = await alice.openModal();
  const res = await alice.submit(view, { content_image: fake.hostImage('chicago.jpg'), style_image: fake.hostImage('udnie.jpg'), seed: '7'.repeat(2500) + 'x'.repeat(2500) });
  expect(res.json?.response_action).toBe('errors');
  const errors = res.json?.errors as Record<string, string>;
  const seedError = Object.values(errors).join(' ');
  expect(seedError).toMatch(/^seed must be .*\(you gave "7{30,}…"\)\.$/);
  expect(seedError.length).toBeLessThan(150);
});
