/** The jobs More style, Less style and HD make from a kept one, and where kept inputs live. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iterated } from '../../src/commands/iterate.js';
import { RerollStore, type KeptJob } from '../../src/commands/reroll-store.js';
import { DirectoryStore } from '../../src/util/expiring-store.js';

const kept = (options: KeptJob['request']['options'], extra: Partial<KeptJob> = {}): KeptJob => ({
  request: { content: new Uint8Array([1]), styles: [{ bytes: new Uint8Array([2]) }], options },
  given: { seed: 3 },
  adapter: {},
  requesterId: 'u',
  requestId: 'abc',
  ...extra,
});
const result = { image: new Uint8Array([9, 9]), width: 512, height: 341 };

describe('iterate: the job a button makes', () => {
  it('iterate: moves strength by 0.1 with the same seed, from 0.5 when none was set, and refuses past the bounds', () => {
    const less = iterated('less', kept({ seed: 3 }), 1024);
    expect(less.ok && less.inputs.request.options).toEqual({ seed: 3, strength: 0.4 });
    expect(less.ok && less.inputs.adapter.origin).toBe('Less style of request abc (strength 0.4).');
    const more = iterated('more', kept({ seed: 3, strength: 0.3 }), 1024);
    expect(more.ok && more.inputs.request.options.strength).toBe(0.4);
    expect(iterated('more', kept({ strength: 1 }), 1024)).toEqual({ ok: false, message: expect.stringMatching(/most style/) });
    expect(iterated('less', kept({ strength: 0 }), 1024)).toEqual({ ok: false, message: expect.stringMatching(/least style/) });
    // Less style of an HD picture paints from the photo again, with the usual schedule.
    const ofHd = iterated('less', kept({ size: 1024, scales: [{ size: 1024, iterations: 17 }] }, { request: { ...kept({}).request, initImage: new Uint8Array([7]), options: { size: 1024, scales: [{ size: 1024, iterations: 17 }] } } }), 1024);
    expect(ofHd.ok && ofHd.inputs.request.initImage).toBeUndefined();
    expect(ofHd.ok && ofHd.inputs.request.options.scales).toBeUndefined();
  });

  it('iterate: HD paints the finest scale only, from the kept picture, up to the size cap', () => {
    const hd = iterated('hd', kept({ size: 512, iterations: 120 }, { result }), 1024);
    expect(hd.ok && hd.inputs.request.initImage).toBe(result.image);
    // A default 512 px job of 120 steps: the 1024 px scale's share of the usual schedule.
    expect(hd.ok && hd.inputs.request.options).toMatchObject({ size: 1024, scales: [{ size: 1024, iterations: 17 }] });
    expect(hd.ok && hd.inputs.given.size).toBe(1024);
    const capped = iterated('hd', kept({ size: 700 }, { result }), 1024);
    expect(capped.ok && capped.inputs.request.options.size).toBe(1024);
    expect(iterated('hd', kept({ size: 1024 }, { result }), 1024)).toEqual({ ok: false, message: expect.stringMatching(/already 1024 px/) });
    expect(iterated('hd', kept({ size: 256 }), 1024)).toEqual({ ok: false, message: expect.stringMatching(/finished picture/) });
    // A fast picture is made again larger (no start picture).
    const fast = iterated('hd', kept({ size: 256, mode: 'fast' }), 1024);
    expect(fast.ok && fast.inputs.request).not.toHaveProperty('initImage');
    expect(fast.ok && fast.inputs.request.options.size).toBe(512);
  });
});

describe('iterate: kept inputs in a directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stylize-kept-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('iterate: a second store on the same directory (a restart) has the inputs and picture, until they expire; forged keys reach no file', async () => {
    let now = 1_000;
    const first = new RerollStore({ keepMinutes: 1, now: () => now, durable: new DirectoryStore(dir, () => now) });
    const key = (await first.put(kept({ seed: 3 }), { requestId: 'abc' }))!;
    await first.keepResult(key, result);
    await first.close();
    const second = new RerollStore({ keepMinutes: 1, now: () => now, durable: new DirectoryStore(dir, () => now) });
    const back = await second.get(key);
    expect(back?.requestId).toBe('abc');
    expect([...back!.result!.image]).toEqual([9, 9]);
    expect([...back!.request.content]).toEqual([1]);
    expect(await second.get('../../etc/passwd')).toBeUndefined();
    await second.close();
    // Read back after 59 s, a third store keeps it no longer than the first was told.
    now += 59_000;
    const late = new RerollStore({ keepMinutes: 1, now: () => now, durable: new DirectoryStore(dir, () => now) });
    expect(await late.get(key)).toBeDefined();
    now += 1_001;
    expect(await late.get(key)).toBeUndefined();
    await late.close();
    const third = new RerollStore({ keepMinutes: 1, now: () => now, durable: new DirectoryStore(dir, () => now) });
    expect(await third.get(key)).toBeUndefined();
    await third.close();
    // A crash's half-written file is swept at start.
    writeFileSync(path.join(dir, 'x.json.999999.tmp'), '{');
    const store = new DirectoryStore(dir, () => now);
    await store.sweep();
    expect(readdirSync(dir)).toEqual([]);
    await store.close();
  });
});
