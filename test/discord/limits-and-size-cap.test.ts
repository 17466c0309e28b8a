/**
 * Issue 24, items 8 and 9, as a Discord user sees them (the real bot against the emulator, with
 * MAX_IMAGE_SIZE=128): /help and /queue speak of the size a job really gets, and a user over the
 * queue's limits is refused before any of their attachments is fetched.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/register.js';
import { ephemeralAnswer, ephemeralFollowUp, reply, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    MAX_IMAGE_SIZE: '128',
    MAX_INPUT_BYTES: String(20 * 1024 * 1024),
    QUEUE_MAX_PER_USER: '1',
  });
  await register(h.env);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

async function pictures() {
  return { content: await h.emu.uploadImage('chicago.jpg'), style: await h.emu.uploadImage('udnie.jpg') };
}

describe('MAX_IMAGE_SIZE below the default size', () => {
  it('/help gives the range and the default a job really gets', async () => {
    const text = String(
      (await ephemeralAnswer(h.emu, h.emu.runCommand({ name: 'help' }))).embeds[0]?.description,
    );
    expect(text).toContain('size (64–128, default 128)');
    expect(text).not.toContain('default 512');
  });

  it('/queue on an empty queue estimates a 128 px job (seconds), not a 512 px one (1–2 min)', async () => {
    const q = h.emu.runCommand({ name: 'queue' });
    expect((await ephemeralAnswer(h.emu, q)).content).toMatch(
      /^The queue is empty\. You have no job in it\. A new job would be ready in about \d+ s\.$/,
    );
  });
});

describe('limits come before downloads', () => {
  it('a user with a job running who sends three 15 MB attachments is refused, and none is fetched', async () => {
    const first = h.emu.runCommand({
      name: 'stylize',
      options: { ...(await pictures()), size: 128, iterations: 2000 },
    });
    await reply(h.emu, first);
    const big = ['a.png', 'b.png', 'c.png'].map((name) =>
      h.emu.upload(name, new Uint8Array(randomBytes(15 * 1024 * 1024))),
    );
    const again = h.emu.runCommand({
      name: 'stylize',
      options: { content: big[0], style: big[1], style2: big[2], size: 64 },
    });
    expect((await ephemeralFollowUp(h.emu, again)).content).toBe(
      'You already have a picture in the queue; wait for it to finish (or cancel it) before starting another.',
    );
    const fetched = h.emu.requests.filter((r) => r.route === 'cdn' && /\/(a|b|c)\.png/.test(r.path));
    expect(fetched).toEqual([]);
    const c = h.emu.runCommand({ name: 'cancel' });
    expect((await ephemeralAnswer(h.emu, c)).content).toMatch(/Stopping your picture|Taken out of the queue/);
    await h.emu.waitFor('an empty queue', () => h.live.length === 0, 60_000);
  }, 120_000);
});
