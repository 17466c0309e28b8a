/**
 * Each documented option changes the picture the way its documentation says, with the real
 * weights at 64–96 px so the file stays quick. Thresholds are relations between two runs (more of
 * X shows more X), not absolute values, so they hold across backends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeRgb } from '../../src/engine/image.js';
import { createEngine, type Engine, type StylizeOptions, type StylizeRequest, type StylizeResult } from '../../src/engine/index.js';
import { WEIGHTS, image } from '../support/fixtures.js';
import { decoded, lumaCorrelation, redness } from './support/picture-metrics.js';

const chicago = image('chicago.jpg');
const udnie = image('udnie.jpg');
const redCircles = image('red_circles.jpg');

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ weights: WEIGHTS, backend: 'auto', maxSize: 256 });
});
afterAll(() => engine?.dispose());

const base: Partial<StylizeOptions> = { size: 80, iterations: 12, seed: 7, init: 'content' };

/** Results by request: a picture several tests compare against (udnie alone, from the photo) is painted once. */
const results = new Map<string, Promise<StylizeResult>>();

function run(options: Partial<StylizeOptions>, styles: StylizeRequest['styles'] = [{ bytes: udnie }]): Promise<StylizeResult> {
  const request = { content: chicago, styles, options: { ...base, ...options } };
  const key = JSON.stringify([Object.entries(request.options).sort(), styles.map((s) => [s.bytes === udnie ? 'udnie' : s.bytes === redCircles ? 'red_circles' : s.bytes, s.weight])]);
  if (!results.has(key)) results.set(key, engine.stylize(request));
  return results.get(key)!;
}

async function photoLikeness(result: StylizeResult): Promise<number> {
  const out = await decoded(result.image);
  const photo = await resizeRgb(await decoded(chicago), out.width, out.height);
  return lumaCorrelation(out, photo);
}

describe('options a user can see the effect of', () => {
  it('strength: 0 stays close to the photo, 1 is mostly painting', async () => {
    const gentle = await photoLikeness(await run({ strength: 0 }));
    const strong = await photoLikeness(await run({ strength: 1 }));
    // Departure from the photo (1 − correlation) in our runs: ≈0.0003 at 0 and ≈0.075 at 1 (80 px,
    // 12 steps). Ten times is far inside that and fails if strength does nothing.
    expect(1 - strong).toBeGreaterThan(10 * (1 - gentle));
  });

  it('blends several styles by their weights: weight 0 is as if the style were absent', async () => {
    const udnieOnly = await run({}, [{ bytes: udnie }]);
    const withZero = await run({}, [{ bytes: udnie, weight: 1 }, { bytes: redCircles, weight: 0 }]);
    expect(Buffer.from(withZero.image).equals(Buffer.from(udnieOnly.image))).toBe(true);

    const circlesOnly = await run({}, [{ bytes: redCircles }]);
    const half = await run({}, [{ bytes: udnie, weight: 1 }, { bytes: redCircles, weight: 1 }]);
    const [r0, r50, r100] = await Promise.all([udnieOnly, half, circlesOnly].map(async (r) => redness(await decoded(r.image))));
    // The red-circles painting makes the picture redder, and half of it about half as red.
    expect(r100!).toBeGreaterThan(r0! + 5);
    expect(r50!).toBeGreaterThan(r0!);
    expect(r50!).toBeLessThan(r100!);
  });

  it('init: starting from noise forgets more of the photo than starting from it', async () => {
    const fromContent = await photoLikeness(await run({ init: 'content' }));
    const fromNoise = await photoLikeness(await run({ init: 'noise' }));
    expect(fromContent).toBeGreaterThan(fromNoise + 0.1);
    // And noise is seeded: another seed, another picture (a tiny job shows it as well as a full one).
    const a = await run({ init: 'noise', seed: 1, size: 32, iterations: 2 });
    const b = await run({ init: 'noise', seed: 2, size: 32, iterations: 2 });
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(false);
  });

  it('optimizer adam also stylises: it lowers the style loss from the photo’s', async () => {
    const photo = await run({ iterations: 1, optimizer: 'adam', learningRate: 0.0001 });
    const adam = await run({ optimizer: 'adam', iterations: 20 });
    expect(adam.stats.finalLosses.style).toBeLessThan(photo.stats.finalLosses.style / 2);
  });

  it('styleScale and pooling each change the result', async () => {
    const plain = await run({});
    const bigStyle = await run({ styleScale: 2 });
    const maxPool = await run({ pooling: 'max' });
    expect(Buffer.from(bigStyle.image).equals(Buffer.from(plain.image))).toBe(false);
    expect(Buffer.from(maxPool.image).equals(Buffer.from(plain.image))).toBe(false);
  });
});
