/**
 * Interaction tokens die after 15 minutes. Here they die after 7 s (in the emulator and in the bot's
 * tuning alike) so a job of 120 steps (the fake engine's, ~10 s at 96 px) outlives its token, as a
 * large job would in production.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNEL_FORBIDDEN, MOVED_TO_CHANNEL } from '../../src/commands/texts.js';
import { register } from '../../src/cli/register.js';
import { USERS } from '../emulator/discord/emulator.js';
import { reply, startHarness, type Harness } from './harness.js';

const LIFETIME_MS = 7000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({}, { discord: { tokenLifetimeMs: LIFETIME_MS, tokenMarginMs: 3000, editIntervalMs: 1000 } }, { stepMs: 150 });
  h.emu.tokenLifetimeMs = LIFETIME_MS;
  await register(h.env);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function longJob(user = USERS.alice) {
  return h.emu.runCommand({
    name: 'stylize',
    user,
    options: { content: await h.emu.uploadImage('golden_gate.jpg'), style: await h.emu.uploadImage('udnie.jpg'), size: 96, iterations: 120 },
  });
}

it('moves to a channel message before the token dies, and says so in the original reply', async () => {
  const i = await longJob();
  await reply(h.emu, i);
  const done = await h.emu.waitFor(
    'the result in the channel',
    () => h.emu.channelMessages().find((m) => m.content.startsWith(`<@${USERS.alice.id}>`) && m.attachments.some((a) => a.filename === 'stylized.png')),
    90_000,
  );
  expect(done.content).toMatch(/Done in/);
  expect(h.emu.original(i)!.content).toBe(MOVED_TO_CHANNEL);
  // No edit was attempted with a dead token.
  expect(h.emu.requestsOf(i).filter((r) => r.status === 401)).toEqual([]);
});

it('sends the result by direct message when it may not post in the channel, and tells the user first', async () => {
  h.emu.denyChannelMessages = true;
  try {
    const i = await longJob(USERS.bob);
    await reply(h.emu, i);
    const dm = await h.emu.waitFor(
      'the result by direct message',
      () => h.emu.directMessages(USERS.bob.id).find((m) => m.attachments.some((a) => a.filename === 'stylized.png')),
      90_000,
    );
    expect(dm.content).toMatch(/Done in/);
    expect(h.emu.original(i)!.content).toBe(CHANNEL_FORBIDDEN);
    expect(h.emu.requests.some((r) => r.route === 'channel-message' && r.status === 403)).toBe(true);
  } finally {
    h.emu.denyChannelMessages = false;
  }
});
