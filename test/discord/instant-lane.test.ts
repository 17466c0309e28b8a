/**
 * The instant lane through the real bot and the Discord emulator: ten users submit at once with
 * one (fake, slow) painting worker; the fast pictures come from the real fast network on the
 * shared models, in the chat process's lane. Everyone sees a picture while the line waits, the paintings
 * follow in the line's order and replace it, and Keep this ends a painting and frees the line.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { ephemeralAnswer, startHarness, type Harness } from './harness.js';
import { button as buttonOf, finalState as finalOf, hasPicture, tenUsersAtOnce, users } from './instant-scenario.js';

const button = (m: EmuMessage, label: string) => buttonOf(h, m, label);
const finalState = (i: EmuInteraction, timeoutMs?: number) => finalOf(h, i, timeoutMs);

let h: Harness;


beforeAll(async () => {
  h = await startHarness(
    { FAST_STYLE_MODELS: FAST_MODELS_DIR, QUEUE_MAX_LENGTH: '20', QUEUE_MAX_PER_GUILD: '20' },
    // Previews at half way only: the painting's own picture replaces the instant one once.
    { previewAt: [0.5], discord: { editIntervalMs: 1000 } },
    { stepMs: 150 },
  );
  expect(await h.app.lane!.ready()).toBe(true);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('the instant lane on Discord', () => {
  it('instant: ten users at once each see a fast picture while the line still waits, paintings follow in order, Keep this frees the line', async () => {
    await tenUsersAtOnce(h);
  }, 240_000);

  it('instant: Keep this on a running painting stops it, keeps the picture shown and starts the next', async () => {
    const content = await h.emu.uploadImage('golden_gate.jpg');
    const style = await h.emu.uploadImage('udnie.jpg');
    const [first, second] = [users[0]!, users[1]!].map((user) => h.emu.runCommand({ name: 'stylize', user, options: { content, style, size: 64, iterations: 400 } }));
    const running = await h.emu.waitFor('the first painting running, its instant picture shown', () => {
      const m = h.emu.original(first!);
      return m && /%/.test(m.content) && hasPicture(m.history[m.history.length - 1]!) ? m : undefined;
    });
    const shownBefore = running.attachments[0]!;
    const click = h.emu.clickButton(running, button(running, 'Keep this'), users[0]);
    expect((await ephemeralAnswer(h.emu, click)).content).toMatch(/Keeping this picture/);
    const kept = await finalState(first!);
    expect(kept.content).toMatch(/Kept this picture/);
    // The same picture that was on screen.
    const [a, b] = await Promise.all([shownBefore, kept.attachments[0]!].map((x) => sharp(x.bytes).raw().toBuffer({ resolveWithObject: true })));
    expect(b!.info.width).toBe(a!.info.width);
    expect(meanAbsDiff(a!.data, b!.data)).toBeLessThan(3);
    await h.emu.waitFor('the second job starts', () => /%|Started|Starting/.test(h.emu.original(second!)?.content ?? ''));
    const cancel = h.emu.clickButton(h.emu.original(second!)!, button(h.emu.original(second!)!, 'Cancel'), users[1]);
    await ephemeralAnswer(h.emu, cancel);
    await finalState(second!);
  }, 120_000);

  it('instant: the progress text and /queue tell both parts, the instant picture and the painting', async () => {
    const content = await h.emu.uploadImage('chicago.jpg');
    const style = await h.emu.uploadImage('udnie.jpg');
    const painter = h.emu.runCommand({ name: 'stylize', user: users[4], options: { content, style, size: 64, iterations: 400 } });
    const running = await h.emu.waitFor('progress under the instant picture', () => {
      const m = h.emu.original(painter);
      return m && /%/.test(m.content) && m.attachments.some((a) => a.filename === 'instant.jpg') ? m : undefined;
    });
    // The instant part's line, then the painting's bar.
    expect(running.content).toMatch(/^⚡ Instant picture below \(made in [\d.]+ s\)\..*\n[▰▱]{16} \d+%\nScale \d+\/\d+/);
    const queue = h.emu.runCommand({ name: 'queue', user: users[4] });
    const answer = (await ephemeralAnswer(h.emu, queue)).content;
    expect(answer).toMatch(/Your job is running; ready in about \d+ (s|min)\./);
    expect(answer).toMatch(/Instant pictures come at once, beside the queue: a new one would take about \d+ s\. Yours is shown/);
    const other = h.emu.runCommand({ name: 'queue', user: users[5] });
    expect((await ephemeralAnswer(h.emu, other)).content).not.toMatch(/Yours is shown/);
    const cancel = h.emu.clickButton(running, button(running, 'Cancel'), users[4]);
    await ephemeralAnswer(h.emu, cancel);
    const cancelled = await finalState(painter);
    // A plain Cancel is not Keep this: the picture goes with the job.
    expect(cancelled.content).toMatch(/Cancelled/);
    expect(cancelled.attachments).toHaveLength(0);
  }, 60_000);

  it('instant: mode fast is the instant picture alone, delivered without waiting behind paintings', async () => {
    const content = await h.emu.uploadImage('chicago.jpg');
    const style = await h.emu.uploadImage('udnie.jpg');
    const painter = h.emu.runCommand({ name: 'stylize', user: users[2], options: { content, style, size: 64, iterations: 400 } });
    await h.emu.waitFor('a painting running', () => /%/.test(h.emu.original(painter)?.content ?? ''));
    const fast = h.emu.runCommand({ name: 'stylize', user: users[3], options: { content, style, size: 96, mode: 'fast' } });
    const done = await finalState(fast, 10_000);
    expect(done.content).toMatch(/Done in/);
    expect(done.attachments.map((x) => x.filename)).toEqual(['stylized.png']);
    const meta = await sharp(done.attachments[0]!.bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(96);
    // The painting was still running: the fast job did not wait for it, nor join the line.
    expect(h.emu.original(painter)!.content).toMatch(/%/);
    const cancel = h.emu.clickButton(h.emu.original(painter)!, button(h.emu.original(painter)!, 'Cancel'), users[2]);
    await ephemeralAnswer(h.emu, cancel);
    await finalState(painter);
  }, 60_000);
});

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += Math.abs(a[k]! - b[k]!);
  return sum / a.length;
}

describe('the instant lane without its models', () => {
  it('instant: jobs still paint, and the log says once that instant pictures are off', async () => {
    const bare = await startHarness({ FAST_STYLE_MODELS: '/nonexistent/fast-models', QUEUE_MAX_PER_GUILD: '5' }, {}, { stepMs: 20 });
    try {
      expect(await bare.app.lane!.ready()).toBe(false);
      const content = await bare.emu.uploadImage('chicago.jpg');
      const style = await bare.emu.uploadImage('udnie.jpg');
      const asks = users.slice(0, 2).map((user) => bare.emu.runCommand({ name: 'stylize', user, options: { content, style, size: 64, iterations: 20 } }));
      for (const i of asks) {
        const done = await bare.emu.waitFor('a painted result', () => {
          const m = bare.emu.original(i);
          return m && /Done in/.test(m.content) ? m : undefined;
        }, 60_000);
        expect(done.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
        expect(done.history.some((s) => /Instant picture/.test(s.content))).toBe(false);
      }
      const off = bare.logs.filter((l) => l.msg === 'instant pictures are off; every job still paints');
      expect(off).toHaveLength(1);
      expect(String(off[0]!.reason)).toMatch(/not found/);
    } finally {
      await bare.close();
    }
  }, 120_000);
});
