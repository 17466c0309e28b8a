/**
 * Large sizes beyond the tiled objective itself: a tfjs runtime, which computes the whole picture
 * at once, refuses sizes above 1024 px with a sentence before computing anything; the job time
 * limit grows with the size asked, so a large job is not stopped by the limit set for small ones.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { jobTimeLimitMs } from '../../src/queue/time-limit.js';
import { image, refusal, WEIGHTS } from '../support/fixtures.js';

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

describe('large sizes', () => {
  it('a job whose top scale is tiled paints the same picture as the untiled job', async () => {
    const request = {
      content: image('chicago.jpg'),
      styles: [{ bytes: image('udnie.jpg') }],
      options: { size: 256, seed: 3, scales: [{ size: 128, iterations: 3 }, { size: 256, iterations: 4 }] },
    };
    const untiled = await createEngine({ weights: WEIGHTS, backend: 'onnx', maxSize: 256 });
    engines.push(untiled);
    // Canvases above 128×128 px tiled (the 256 px scale's, 260×174, in 128 px tiles with margins: 2 crops of it, both passes).
    process.env.STYLIZE_ONNX_TILE_ABOVE = String(128 * 128);
    process.env.STYLIZE_ONNX_TILE_INTERIOR = '128';
    process.env.STYLIZE_ONNX_STATS_INTERIOR = '128';
    const tiled = await createEngine({ weights: WEIGHTS, backend: 'onnx', maxSize: 256 }).finally(() => {
      delete process.env.STYLIZE_ONNX_TILE_ABOVE;
      delete process.env.STYLIZE_ONNX_TILE_INTERIOR;
      delete process.env.STYLIZE_ONNX_STATS_INTERIOR;
    });
    engines.push(tiled);
    const a = await untiled.stylize(request);
    const b = await tiled.stylize(request);
    const pixels = async (png: Uint8Array) => new Uint8Array(await sharp(png).removeAlpha().raw().toBuffer());
    const [pa, pb] = [await pixels(a.image), await pixels(b.image)];
    expect(pb.length).toBe(pa.length);
    let diff = 0;
    for (let i = 0; i < pa.length; i++) diff += Math.abs(pa[i]! - pb[i]!);
    // The same objective: the same picture within float error's drift over 7 L-BFGS evaluations.
    expect(diff / pa.length).toBeLessThan(1);
    expect(Math.abs(b.stats.finalLosses.total - a.stats.finalLosses.total) / a.stats.finalLosses.total).toBeLessThan(1e-2);
  }, 600_000);

  it('a tiling setting that is not valid stops the onnx engine from starting, with a sentence naming it', async () => {
    for (const [name, value, valid] of [
      ['STYLIZE_ONNX_TILE_CONV', 'fast', 'direct or winograd'],
      ['STYLIZE_ONNX_TILE_INTERIOR', '12.5', 'a whole number of at least 16'],
    ] as const) {
      process.env[name] = value;
      const started = createEngine({ weights: WEIGHTS, backend: 'onnx', maxSize: 4096 }).finally(() => delete process.env[name]);
      await expect(started).rejects.toThrow(`${name}=${JSON.stringify(value)} is not valid; fix: set it to ${valid}`);
    }
  });

  it('the wasm backend refuses a 1500 px picture with a sentence, at once', async () => {
    const engine = await createEngine({ weights: WEIGHTS, backend: 'wasm', maxSize: 4096, threads: 1 });
    engines.push(engine);
    const started = performance.now();
    const r = await refusal(engine.stylize({ content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size: 1500 } }));
    expect(r.code).toBe('bad-option');
    expect(r.message).toBe(
      'The wasm backend makes pictures of up to 1024 px (you asked for 1500 px); choose a smaller size, or run the bot on the onnx backend, which makes larger ones tile by tile.',
    );
    // Refused before the first scale's work (a 128 px scale alone takes seconds on wasm).
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the job time limit is the one set up to 1024 px and grows with the size above', () => {
    const base = 10 * 60_000;
    expect(jobTimeLimitMs({ options: {} }, base)).toBe(base);
    expect(jobTimeLimitMs({ options: { size: 1024 } }, base)).toBe(base);
    const at2048 = jobTimeLimitMs({ options: { size: 2048 } }, base);
    const at4096 = jobTimeLimitMs({ options: { size: 4096 } }, base);
    expect(at2048).toBeGreaterThan(3 * base);
    expect(at4096).toBeGreaterThan(1.8 * at2048);
    // Only the size counts: asking for more evaluations buys no longer limit (a 128 px job of 2000 keeps the one set).
    expect(jobTimeLimitMs({ options: { size: 2048, iterations: 2000 } }, base)).toBe(at2048);
    expect(jobTimeLimitMs({ options: { size: 128, iterations: 2000 } }, base)).toBe(base);
  });
});
