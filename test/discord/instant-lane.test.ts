/**
 * The instant lane through the real bot and the Discord emulator: ten users submit at once with
 * one (fake, slow) painting worker; the fast pictures come from the real fast network on the
 * shared models, in the chat process's lane. Everyone sees a picture within 3 s, the paintings
 * follow in the line's order and replace it, and Keep this ends a painting and frees the line.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { ephemeralAnswer, startHarness, type Harness } from './harness.js';

let h: Harness;

/** Ten users of one server: the per-user and per-server limits let each of them in. */
const users: { id: string; username: string }[] = Array.from({ length: 10 }, (_, k) => ({ id: `41000000000000000${k}`, username: `user${k}` }));

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

const hasPicture = (s: { attachments: string[] }) => s.attachments.length > 0;

/** The message once it has shown some picture; resolves with when that was first seen. */
function firstPicture(i: EmuInteraction, timeoutMs = 20_000): Promise<{ at: number; name: string }> {
  return h.emu.waitFor(
    'a picture in the job message',
    () => {
      const m = h.emu.original(i);
      const s = m?.history.find(hasPicture);
      return s ? { at: s.at, name: s.attachments[0]! } : undefined;
    },
    timeoutMs,
  );
}

/** The message once it shows its last state (no Cancel button left). */
function finalState(i: EmuInteraction, timeoutMs = 120_000): Promise<EmuMessage> {
  return h.emu.waitFor(
    'the final edit',
    () => {
      const m = h.emu.original(i);
      if (!m || m.deferred || m.history.length === 0) return undefined;
      const labels = h.emu.buttons(m).map((b) => b.label);
      return !labels.includes('Cancel') && labels.length > 0 ? m : undefined;
    },
    timeoutMs,
  );
}

function button(m: EmuMessage, label: string): string {
  const b = h.emu.buttons(m).find((x) => x.label === label);
  if (!b) throw new Error(`no ${label} button on "${m.content}"`);
  return b.customId;
}

/** The place a job was given on arrival: 0 = starting now, 1 = next, n = #n. */
function firstPlace(m: EmuMessage): number {
  for (const s of m.history) {
    if (/Starting now|Started/.test(s.content)) return 0;
    if (/you are next/.test(s.content)) return 1;
    const n = /you are #(\d+) in line/.exec(s.content);
    if (n) return Number(n[1]);
  }
  throw new Error(`no place in "${m.history.map((s) => s.content).join(' | ')}"`);
}

describe('the instant lane on Discord', () => {
  it('instant: ten users at once each see a fast picture within 3 s, paintings follow in order, Keep this frees the line', async () => {
    const content = await h.emu.uploadImage('chicago.jpg');
    const style = await h.emu.uploadImage('udnie.jpg');
    const asks = users.map((user) => h.emu.runCommand({ name: 'stylize', user, options: { content, style, size: 64, iterations: 60 } }));

    const firsts = await Promise.all(asks.map((i) => firstPicture(i)));
    firsts.forEach((f, k) => {
      expect(f.name, `user ${k}`).toBe('instant.jpg');
      expect(f.at - asks[k]!.createdAt, `user ${k}: ms from submitting to a picture`).toBeLessThan(3000);
    });
    // The instant picture is the fast network's: the photo's shape at the asked size.
    const shown = h.emu.original(asks[9]!)!;
    const meta = await sharp(shown.attachments[0]!.bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(64);
    expect(shown.content).toMatch(/Instant picture below/);
    expect(h.emu.buttons(shown).map((b) => b.label)).toEqual(['Keep this', 'Cancel']);

    // Keep this on a job that waits: it ends there with its instant picture, and the line moves up.
    const places = asks.map((i) => firstPlace(h.emu.original(i)!));
    const waiter = places.indexOf(Math.max(...places) - 1);
    const lastOne = places.indexOf(Math.max(...places));
    const lineBefore = h.live.length;
    const keepWaiting = h.emu.clickButton(h.emu.original(asks[waiter]!)!, button(h.emu.original(asks[waiter]!)!, 'Keep this'), users[waiter]);
    expect((await ephemeralAnswer(h.emu, keepWaiting)).content).toMatch(/Keeping this picture/);
    const kept = await finalState(asks[waiter]!);
    expect(kept.content).toMatch(/Kept this picture/);
    expect(kept.attachments.map((a) => a.filename)).toEqual(['stylized.jpg']);
    expect(h.emu.buttons(kept).map((b) => b.label)).toEqual(['Reroll', 'Parameters']);
    await h.emu.waitFor('the line one shorter', () => h.live.length <= lineBefore - 1);
    const moved = await h.emu.waitFor('the last one moved up', () => {
      const m = /you are #(\d+) in line/.exec(h.emu.original(asks[lastOne]!)!.content);
      return m && Number(m[1]) < places[lastOne]! ? m : undefined;
    });
    expect(Number(moved[1])).toBeLessThan(places[lastOne]!);

    // Someone else's Keep this is refused.
    const runner = await h.emu.waitFor('a painting running', () => {
      const k = asks.findIndex((i) => {
        const m = h.emu.original(i);
        return m && /%/.test(m.content) && h.emu.buttons(m).some((b) => b.label === 'Keep this');
      });
      return k >= 0 ? k : undefined;
    });
    const running = h.emu.original(asks[runner]!)!;
    const stranger = h.emu.clickButton(running, button(running, 'Keep this'), users[(runner + 1) % users.length]);
    expect((await ephemeralAnswer(h.emu, stranger)).content).toMatch(/Only the person who asked/);

    // The others paint, one after the other in the line's order, each replacing its instant picture.
    const finals = await Promise.all(asks.map((i, k) => (k === waiter ? Promise.resolve(kept) : finalState(i))));
    const painted = asks.map((_, k) => k).filter((k) => k !== waiter);
    for (const k of painted) {
      const m = finals[k]!;
      expect(m.content, `user ${k}`).toMatch(/Done in/);
      expect(m.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
      expect(m.history.find(hasPicture)?.attachments).toEqual(['instant.jpg']);
    }
    // The painting's previews replace the instant picture while it runs.
    const replaced = painted.filter((k) => {
      const names = finals[k]!.history.flatMap((s) => s.attachments);
      return names.includes('preview.png') && names.indexOf('instant.jpg') < names.indexOf('preview.png');
    });
    expect(replaced.length).toBeGreaterThan(0);
    const doneAt = (m: EmuMessage) => m.history[m.history.length - 1]!.at;
    const byPlace = [...painted].sort((a, b) => places[a]! - places[b]!);
    for (let k = 1; k < byPlace.length; k++) expect(doneAt(finals[byPlace[k]!]!)).toBeGreaterThan(doneAt(finals[byPlace[k - 1]!]!));
    // The kept job never painted.
    expect(h.logs.some((l) => l.msg === 'job started' && l.requestId === requestIdOf(kept))).toBe(false);
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

function requestIdOf(m: EmuMessage): string | undefined {
  const footer = (m.embeds[0] as { footer?: { text?: string } } | undefined)?.footer?.text;
  return footer?.replace(/^request /, '');
}

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
