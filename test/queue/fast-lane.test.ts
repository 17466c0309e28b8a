/**
 * The instant lane on its own: the real fast network (shared models) on its worker thread, one
 * picture at a time, a bounded wait, bad input refused with the engine's sentence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { FastLane } from '../../src/queue/fast-lane.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { image } from '../support/fixtures.js';

let lane: FastLane;
const request = (size = 64) => ({ content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size } });

beforeAll(async () => {
  lane = new FastLane({ engine: { fastModels: FAST_MODELS_DIR, maxSize: 128 }, maxWaiting: 3 });
  expect(await lane.ready()).toBe(true);
}, 60_000);

afterAll(async () => {
  await lane?.close();
});

describe('the instant lane', () => {
  it('instant: a flood past its bound is turned away as busy; the pictures it took are made', async () => {
    const flood = await Promise.all(Array.from({ length: 10 }, () => lane.picture(request(), 'flood')));
    // One being made and three waiting; the other six get no instant picture (their jobs still paint).
    expect(flood.filter((p) => p.status === 'done')).toHaveLength(4);
    expect(flood.filter((p) => p.status === 'skipped' && p.reason === 'busy')).toHaveLength(6);
    const made = flood.find((p) => p.status === 'done');
    expect(made?.status === 'done' && [made.result.width, made.result.height]).toEqual([64, 43]);
    expect(lane.snapshot().pending).toBe(0);
    // Free again once the flood is through.
    expect((await lane.picture(request(96), 'after')).status).toBe('done');
  }, 60_000);

  it("instant: a picture that is not an image gets the engine's sentence; the lane goes on", async () => {
    const bad = await lane.picture({ ...request(), content: new TextEncoder().encode('not a picture at all') }, 'bad');
    expect(bad.status).toBe('failed');
    expect(bad.status === 'failed' && bad.failure.kind).toBe('bad-input');
    expect(bad.status === 'failed' && bad.failure.message).toMatch(/content image/);
    expect((await lane.picture(request(), 'next')).status).toBe('done');
  }, 60_000);

  it('instant: closing answers the waiting pictures as skipped, none is left hanging', async () => {
    const closing = new FastLane({ engine: { fastModels: FAST_MODELS_DIR, maxSize: 128 } });
    await closing.ready();
    const asked = Array.from({ length: 4 }, () => closing.picture(request(), 'closing'));
    await closing.close(0);
    const answers = await Promise.all(asked);
    expect(answers.every((p) => p.status === 'done' || (p.status === 'skipped' && p.reason === 'closed'))).toBe(true);
    expect(answers.some((p) => p.status === 'skipped')).toBe(true);
    expect(await closing.picture(request(), 'late')).toEqual({ status: 'skipped', reason: 'closed' });
  }, 60_000);

  it('instant: a models folder without the files turns the lane off, said once in the log; asks are skipped, not failed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'no-fast-models-'));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const empty = new FastLane({ engine: { fastModels: dir, maxSize: 128 }, logger });
    try {
      expect(await empty.ready()).toBe(false);
      expect(await empty.picture(request(), 'a')).toEqual({ status: 'skipped', reason: 'off' });
      expect(await empty.picture(request(), 'b')).toEqual({ status: 'skipped', reason: 'off' });
      const off = lines.filter((l) => l.msg === 'instant pictures are off; every job still paints');
      expect(off).toHaveLength(1);
      expect(String(off[0]!.reason)).toMatch(/fast style predictor model was not found/);
    } finally {
      await empty.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
