import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAllowedHost } from '../../src/commands/attachments.js';
import { fitToLimit } from '../../src/commands/fit-result.js';
import { commandLine, rerolled, withSeed } from '../../src/commands/job-actions.js';
import { EditPacer } from '../../src/commands/pacer.js';
import { RerollStore, type RerollInputs } from '../../src/commands/reroll-store.js';
import { formatDuration, progressBar, queuedText } from '../../src/commands/texts.js';

describe('texts', () => {
  it('draws a progress bar and durations people read at a glance', () => {
    expect(progressBar(0)).toBe(`${'▱'.repeat(16)} 0%`);
    expect(progressBar(0.5)).toBe(`${'▰'.repeat(8)}${'▱'.repeat(8)} 50%`);
    expect(progressBar(1.7)).toBe(`${'▰'.repeat(16)} 100%`);
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(150_000)).toBe('3 min');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
    expect(queuedText(3, 90_000)).toBe('Queued: you are #3 in line. Ready in about 2 min.');
  });
});

describe('EditPacer', () => {
  // Fake timers: the pacing is checked on the clock the pacer reads, so a loaded machine's late
  // timers cannot reorder the pushes.
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('instant: pushNow sends the instant picture without waiting for the interval; the pacing goes on after it', async () => {
    const sent: { text: string; at: number }[] = [];
    const t0 = Date.now();
    const pacer = new EditPacer<string>({
      intervalMs: 3000,
      key: (s) => s,
      send: async (s) => {
        sent.push({ text: s, at: Date.now() - t0 });
      },
    });
    pacer.push('queued #3');
    await vi.advanceTimersByTimeAsync(400);
    pacer.pushNow('queued #3 + instant picture');
    await vi.advanceTimersByTimeAsync(100);
    pacer.push('queued #2');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual([
      { text: 'queued #3', at: 0 },
      { text: 'queued #3 + instant picture', at: 400 },
      { text: 'queued #2', at: 3400 },
    ]);
    pacer.cancel();
  });

  it('sends at most once per interval, skips unchanged text, keeps the newest state, and always sends the final one', async () => {
    const sent: { text: string; at: number }[] = [];
    const t0 = Date.now();
    const pacer = new EditPacer<string>({
      intervalMs: 200,
      key: (s) => s,
      send: async (s) => {
        sent.push({ text: s, at: Date.now() - t0 });
      },
    });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(20);
    pacer.push('b');
    pacer.push('c');
    await vi.advanceTimersByTimeAsync(300);
    pacer.push('c');
    await vi.advanceTimersByTimeAsync(300);
    const finished = pacer.finish('c');
    await vi.runAllTimersAsync();
    await finished;
    expect(sent).toEqual([
      { text: 'a', at: 0 },
      { text: 'c', at: 200 },
      { text: 'c', at: 620 },
    ]);
    // After the final state nothing more goes out: not now, and nothing is left waiting to.
    pacer.push('late');
    expect(vi.getTimerCount()).toBe(0);
    await vi.runAllTimersAsync();
    expect(sent).toHaveLength(3);
  });

  it('keeps the interval after a slow send (an upload) when new states arrive during it', async () => {
    const sent: number[] = [];
    const pacer = new EditPacer<number>({
      intervalMs: 200,
      key: (s) => String(s),
      send: async () => {
        await new Promise((r) => setTimeout(r, 150));
        sent.push(Date.now());
      },
    });
    // States every 20 ms, as progress from inside long steps comes, for 900 ms.
    for (let i = 0; i < 45; i++) {
      pacer.push(i);
      await vi.advanceTimersByTimeAsync(20);
    }
    const finished = pacer.finish(99);
    await vi.runAllTimersAsync();
    await finished;
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < sent.length; k++) expect(sent[k]! - sent[k - 1]!).toBeGreaterThanOrEqual(200);
  });
});

const inputs = (seed: number): RerollInputs => ({
  request: { content: new Uint8Array([1]), styles: [{ bytes: new Uint8Array([2]) }], options: { seed, size: 96 } },
  given: { size: 96, seed },
  adapter: {},
  requesterId: 'u',
});

describe('RerollStore', () => {
  it('forgets inputs after REROLL_KEEP_MIN minutes and keeps at most maxEntries', async () => {
    let now = 0;
    const store = new RerollStore({ keepMinutes: 2, maxEntries: 2, now: () => now });
    const a = (await store.put(inputs(1)))!;
    now = 60_000;
    expect((await store.get(a))?.request.options.seed).toBe(1);
    now = 120_001;
    expect(await store.get(a)).toBeUndefined();
    const b = (await store.put(inputs(2)))!;
    await store.put(inputs(3));
    await store.put(inputs(4));
    expect(await store.get(b)).toBeUndefined();
    expect(store.size).toBe(2);
    await store.close();
  });

  it('is off when REROLL_KEEP_MIN is 0', async () => {
    const store = new RerollStore({ keepMinutes: 0 });
    expect(store.enabled).toBe(false);
    expect(await store.put(inputs(1))).toBeUndefined();
  });
});

describe('seeds and the command to copy', () => {
  it('picks a seed when none is given, keeps a given one, and a reroll changes only the seed', () => {
    expect(withSeed({ size: 96 }, { size: 96 }).engine.seed).toEqual(expect.any(Number));
    expect(withSeed({ seed: 7 }, { seed: 7 }).engine.seed).toBe(7);
    const next = rerolled(inputs(5));
    expect(next.request.options.seed).not.toBe(5);
    expect(next.given).toEqual({ size: 96, seed: next.request.options.seed });
    expect(commandLine({ seed: 3, size: 96, private: true }, 'discord', ['content:<photo>'])).toBe('/stylize content:<photo> size:96 seed:3 private:true');
  });
});

describe('fitToLimit', () => {
  it('keeps a PNG that fits and turns one that does not into a JPEG under the limit, saying so', async () => {
    const noise = new Uint8Array(256 * 256 * 3).map(() => Math.floor(Math.random() * 256));
    const png = new Uint8Array(await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer());
    const same = await fitToLimit({ image: png, mime: 'image/png', width: 256, height: 256 }, png.length);
    expect(same.image).toBe(png);
    const small = await fitToLimit({ image: png, mime: 'image/png', width: 256, height: 256 }, 40_000);
    expect(small.mime).toBe('image/jpeg');
    expect(small.image.length).toBeLessThanOrEqual(40_000);
    expect(small.note).toMatch(/JPEG/);
    expect((await sharp(small.image).metadata()).format).toBe('jpeg');
  });
});

describe('isAllowedHost', () => {
  it('matches host names and ports exactly and refuses other schemes', () => {
    const hosts = ['cdn.discordapp.com', '127.0.0.1:5000'];
    expect(isAllowedHost(new URL('https://cdn.discordapp.com/a.png'), hosts)).toBe(true);
    expect(isAllowedHost(new URL('https://cdn.discordapp.com.evil.example/a.png'), hosts)).toBe(false);
    expect(isAllowedHost(new URL('http://127.0.0.1:5000/a.png'), hosts)).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1:5001/a.png'), hosts)).toBe(false);
    expect(isAllowedHost(new URL('https://cdn.discordapp.com:8443/a.png'), hosts)).toBe(false);
    expect(isAllowedHost(new URL('file:///etc/passwd'), ['']) ).toBe(false);
  });
});
