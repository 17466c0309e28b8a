/**
 * Mode `fast` through the engine (onnx backend, the fast network in its session process): the
 * picture is in the style and keeps the layout at a size that is not a multiple of 4, and every
 * option means what it means for a painting (strength, two styles, preserve colours, init fast).
 * The measures are the quality tests' own (support/quality-measures.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type ProgressEvent, type StyleImage } from '../../src/engine/index.js';
import { resizeRgb } from '../../src/engine/image.js';
import { startRuntime, type Runtime } from '../../src/engine/runtime/index.js';
import { image, WEIGHTS } from '../support/fixtures.js';
import { FAST_MODELS_DIR } from './support/fast-models.js';
import { chromaDistance, decoded } from './support/picture-metrics.js';
import { composition, styleFraction } from './support/quality-measures.js';

let engine: Engine;
let measurer: Runtime;
beforeAll(async () => {
  engine = await createEngine({ weights: WEIGHTS, backend: 'onnx', fastModels: FAST_MODELS_DIR });
  measurer = await startRuntime('onnx', { weights: WEIGHTS, threads: 0 });
});
afterAll(() => {
  engine?.dispose();
  measurer?.dispose();
});

const photoBytes = image('chicago.jpg');
const udnie = image('udnie.jpg');
const starry = image('starry_night.jpg');
const fast = (options: Record<string, unknown>, styles: StyleImage[] = [{ bytes: udnie }]) =>
  engine.stylize({ content: photoBytes, styles, options: { mode: 'fast', ...options } });

/** Mean absolute difference per channel value of two same-sized pictures. */
function distance(a: { data: Uint8Array }, b: { data: Uint8Array }): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('instant: fast mode', () => {
  it('instant: chicago + udnie at 303 px (303×202, not multiples of 4), default strength, takes the style and keeps the layout', async () => {
    const result = await fast({ size: 303 });
    const out = await decoded(result.image);
    expect([out.width, out.height]).toEqual([303, 202]);
    expect(result.stats.scales).toEqual([]);
    const photo = await decoded(photoBytes);
    // Style loss at most half the photo's own; luminance correlation at 64 px at least 0.8.
    expect(await styleFraction(measurer, out, photo, await decoded(udnie))).toBeLessThanOrEqual(0.5);
    expect(await composition(out, photo)).toBeGreaterThanOrEqual(0.8);
  });

  it('instant: strength 0 is the photo lightly painted, 1 the full style', async () => {
    const photo = await decoded(photoBytes);
    const style = await decoded(udnie);
    const [light, full] = [await decoded((await fast({ size: 256, strength: 0 })).image), await decoded((await fast({ size: 256, strength: 1 })).image)];
    const photoHere = await resizeRgb(photo, light.width, light.height);
    expect(distance(light, photoHere)).toBeLessThan(distance(full, photoHere));
    expect(await composition(light, photo)).toBeGreaterThan(await composition(full, photo));
    expect(await styleFraction(measurer, full, photo, style)).toBeLessThan(await styleFraction(measurer, light, photo, style));
    // Unset strength is 0.5, as for a painting.
    expect(distance(await decoded((await fast({ size: 256 })).image), await decoded((await fast({ size: 256, strength: 0.5 })).image))).toBe(0);
  });

  it('instant: two styles blend between the two, by their weights', async () => {
    const one = await decoded((await fast({ size: 200 }, [{ bytes: udnie }])).image);
    const two = await decoded((await fast({ size: 200 }, [{ bytes: starry }])).image);
    const blend = await decoded((await fast({ size: 200 }, [{ bytes: udnie }, { bytes: starry }])).image);
    const apart = distance(one, two);
    expect(distance(blend, one)).toBeLessThan(apart);
    expect(distance(blend, two)).toBeLessThan(apart);
    const leaning = await decoded((await fast({ size: 200 }, [{ bytes: udnie, weight: 3 }, { bytes: starry, weight: 1 }])).image);
    expect(distance(leaning, one)).toBeLessThan(distance(blend, one));
    const onlyFirst = await decoded((await fast({ size: 200 }, [{ bytes: udnie, weight: 1 }, { bytes: starry, weight: 0 }])).image);
    expect(distance(onlyFirst, one)).toBe(0);
  });

  it('instant: preserve colours keeps the photo’s colours', async () => {
    const photo = await decoded(photoBytes);
    const kept = await decoded((await fast({ size: 256, preserveColors: true })).image);
    const painted = await decoded((await fast({ size: 256 })).image);
    const photoHere = await resizeRgb(photo, kept.width, kept.height);
    const keptChroma = chromaDistance(kept, photoHere);
    expect(keptChroma).toBeLessThan(chromaDistance(painted, photoHere) / 3);
    expect(keptChroma).toBeLessThan(3);
  });

  it('instant: a size above the photo’s own is delivered at that size', async () => {
    const photo = await decoded(photoBytes);
    const size = Math.max(photo.width, photo.height) + 101;
    const result = await engine.stylize({ content: photoBytes, styles: [{ bytes: udnie }], options: { mode: 'fast', size } });
    expect(Math.max(result.width, result.height)).toBe(size);
  });

  it('instant: a tfjs engine (no session process) makes the same fast picture in its own process', async () => {
    // wasm, not the pure-JS cpu backend: the engine starts ~4× quicker; the fast network is the same.
    const tfjs = await createEngine({ weights: WEIGHTS, backend: 'wasm', fastModels: FAST_MODELS_DIR });
    try {
      const theirs = await decoded((await tfjs.stylize({ content: photoBytes, styles: [{ bytes: udnie }], options: { mode: 'fast', size: 130 } })).image);
      const ours = await decoded((await fast({ size: 130 })).image);
      expect(distance(theirs, ours)).toBeLessThan(1);
    } finally {
      tfjs.dispose();
    }
  });

  it('instant: init fast starts the painting from the fast picture (a lower style loss at its first step)', async () => {
    const startOf = async (init: 'fast' | 'content') => {
      let first: ProgressEvent | undefined;
      await engine.stylize(
        { content: photoBytes, styles: [{ bytes: udnie }], options: { size: 96, iterations: 2, init, seed: 0 } },
        { onProgress: (e) => void (first ??= e) },
      );
      return first!.losses;
    };
    const [fromFast, fromPhoto] = [await startOf('fast'), await startOf('content')];
    // Measured: style 1.12e6 against 2.04e6, total 1.50e6 against 2.09e6 (96 px, chicago + udnie).
    expect(fromFast.style).toBeLessThan(fromPhoto.style * 0.75);
    expect(fromFast.total).toBeLessThan(fromPhoto.total);
  });
});
