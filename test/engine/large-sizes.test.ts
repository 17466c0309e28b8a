/**
 * Large sizes beyond the tiled objective itself: a tfjs runtime, which computes the whole picture
 * at once, refuses sizes above 1024 px with a sentence before computing anything; the job time
 * limit grows with the size asked, so a large job is not stopped by the limit set for small ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { jobTimeLimitMs } from '../../src/queue/time-limit.js';
import { image, refusal, WEIGHTS } from '../support/fixtures.js';

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));

describe('large sizes', () => {
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

  it('the job time limit is the one set up to 1024 px and grows with the work above', () => {
    const base = 10 * 60_000;
    expect(jobTimeLimitMs({ options: {} }, base)).toBe(base);
    expect(jobTimeLimitMs({ options: { size: 1024 } }, base)).toBe(base);
    const at2048 = jobTimeLimitMs({ options: { size: 2048 } }, base);
    const at4096 = jobTimeLimitMs({ options: { size: 4096 } }, base);
    expect(at2048).toBeGreaterThan(3 * base);
    expect(at4096).toBeGreaterThan(1.8 * at2048);
    // More evaluations, more time.
    expect(jobTimeLimitMs({ options: { size: 2048, iterations: 240 } }, base)).toBeGreaterThan(1.8 * at2048);
  });
});
