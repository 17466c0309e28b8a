/**
 * The instant-lane scenario every queue and platform must pass on Discord: ten users submit at
 * once with one painting worker. Each sees the fast picture while the line still waits (before the
 * last one's painting starts; how fast it comes is bench/instant.ts's figure) with their place in line,
 * the paintings follow in the line's order (each replacing its instant picture), and Keep this on
 * a waiting job ends it with its picture and moves the line up.
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import type { EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { ephemeralAnswer, type Harness } from './harness.js';

/** Ten users of one server (the per-server limit must let them all in). */
export const users: { id: string; username: string }[] = Array.from({ length: 10 }, (_, k) => ({ id: `41000000000000000${k}`, username: `user${k}` }));

export const hasPicture = (s: { attachments: string[] }) => s.attachments.length > 0;

/** When the message first showed a picture, and its file name. */
export function firstPicture(h: Harness, i: EmuInteraction, timeoutMs = 20_000): Promise<{ at: number; name: string }> {
  return h.emu.waitFor(
    'a picture in the job message',
    () => {
      const s = h.emu.original(i)?.history.find(hasPicture);
      return s ? { at: s.at, name: s.attachments[0]! } : undefined;
    },
    timeoutMs,
  );
}

/** The message once it shows its last state (buttons, none of them Cancel). */
export function finalState(h: Harness, i: EmuInteraction, timeoutMs = 120_000): Promise<EmuMessage> {
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

export function button(h: Harness, m: EmuMessage, label: string): string {
  const b = h.emu.buttons(m).find((x) => x.label === label);
  if (!b) throw new Error(`no ${label} button on "${m.content}"`);
  return b.customId;
}

/** The place a job was given on arrival: 0 = starting now, 1 = next, n = #n. */
export function firstPlace(m: EmuMessage): number {
  for (const s of m.history) {
    if (/Starting now|Started/.test(s.content)) return 0;
    if (/you are next/.test(s.content)) return 1;
    const n = /you are #(\d+) in line/.exec(s.content);
    if (n) return Number(n[1]);
  }
  throw new Error(`no place in "${m.history.map((s) => s.content).join(' | ')}"`);
}

function requestIdOf(m: EmuMessage): string | undefined {
  const footer = (m.embeds[0] as { footer?: { text?: string } } | undefined)?.footer?.text;
  return footer?.replace(/^request /, '');
}

/** 64 px jobs of 60 steps: with the fake engine at stepMs 150, each paints about 2 s. */
export async function tenUsersAtOnce(h: Harness): Promise<void> {
    const content = await h.emu.uploadImage('chicago.jpg');
    const style = await h.emu.uploadImage('udnie.jpg');
    const asks = users.map((user) => h.emu.runCommand({ name: 'stylize', user, options: { content, style, size: 64, iterations: 60 } }));

    const firsts = await Promise.all(asks.map((i) => firstPicture(h, i, 120_000)));
    firsts.forEach((f, k) => expect(f.name, `user ${k}`).toBe('instant.jpg'));
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
    // Everyone had a picture while the last in line still waited (it paints after ~18 s of others').
    const painting = (k: number) => h.emu.original(asks[k]!)!.history.find((s) => /%|Started|Starting now/.test(s.content))?.at ?? Infinity;
    const lastPictureAt = Math.max(...firsts.map((f) => f.at));
    expect(lastPictureAt).toBeLessThan(painting(lastOne));
    const lineBefore = h.live.length;
    const keepWaiting = h.emu.clickButton(h.emu.original(asks[waiter]!)!, button(h, h.emu.original(asks[waiter]!)!, 'Keep this'), users[waiter]);
    expect((await ephemeralAnswer(h.emu, keepWaiting)).content).toMatch(/Keeping this picture/);
    const kept = await finalState(h, asks[waiter]!);
    expect(kept.content).toMatch(/Kept this picture/);
    expect(kept.attachments.map((a) => a.filename)).toEqual(['stylized.jpg']);
    expect(h.emu.buttons(kept).map((b) => b.label)).toEqual(['Reroll', 'Parameters', 'Less style', 'More style', 'HD']);
    await h.emu.waitFor('the line one shorter', () => h.live.length <= lineBefore - 1);
    const moved = await h.emu.waitFor('the last one moved up', () => {
      const m = /you are #(\d+) in line/.exec(h.emu.original(asks[lastOne]!)!.content);
      return m && Number(m[1]) < places[lastOne]! ? m : undefined;
    });
    expect(Number(moved[1])).toBeLessThan(places[lastOne]!);

    // Someone else's Keep this is refused (on the last job in line: it cannot finish meanwhile).
    const last = h.emu.original(asks[lastOne]!)!;
    const stranger = h.emu.clickButton(last, button(h, last, 'Keep this'), users[(lastOne + 1) % users.length]);
    expect((await ephemeralAnswer(h.emu, stranger)).content).toMatch(/Only the person who asked/);

    // The others paint, one after the other in the line's order, each replacing its instant picture.
    const finals = await Promise.all(asks.map((i, k) => (k === waiter ? Promise.resolve(kept) : finalState(h, i))));
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
}
