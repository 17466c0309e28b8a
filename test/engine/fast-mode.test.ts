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

  it('instant: by default a painting starts from the fast picture where that keeps the photo’s layout (a lower style loss at its first step), else from the photo', async () => {
    const paint = async (photo: string, style: string, init?: 'fast' | 'content') => {
      let first: ProgressEvent | undefined;
      const result = await engine.stylize(
        { content: image(photo), styles: [{ bytes: image(style) }], options: { size: 128, iterations: 2, seed: 0, ...(init ? { init } : {}) } },
        { onProgress: (e) => void (first ??= e) },
      );
      return { result, first: first!.losses };
    };
    // The shipwreck's fast picture keeps the statue's layout: the painting starts from it.
    const [fromFast, fromPhoto] = [await paint('statue_of_liberty.jpg', 'shipwreck.jpg'), await paint('statue_of_liberty.jpg', 'shipwreck.jpg', 'content')];
    expect(fromFast.result.stats.start).toBe('fast');
    expect(fromFast.first.style).toBeLessThan(fromPhoto.first.style * 0.75);
    expect(fromFast.first.total).toBeLessThan(fromPhoto.first.total);
    // The sketch's fast picture draws over the bridge (composition ~0.56): the photo is the start, the same painting as init content.
    const [byDefault, photoStart] = [await paint('golden_gate.jpg', 'sketch.jpg'), await paint('golden_gate.jpg', 'sketch.jpg', 'content')];
    expect(byDefault.result.stats.start).toBe('content');
    expect(Buffer.from(byDefault.result.image).equals(Buffer.from(photoStart.result.image))).toBe(true);
  });

  it('instant: an engine without the fast network paints from the photo by default, and says so when init fast is asked for by name', async () => {
    const plain = await createEngine({ weights: WEIGHTS, backend: 'onnx' });
    try {
      const request = { content: image('statue_of_liberty.jpg'), styles: [{ bytes: image('shipwreck.jpg') }] };
      const result = await plain.stylize({ ...request, options: { size: 64, iterations: 1, seed: 0 } });
      expect(result.stats.start).toBe('content');
      await expect(plain.stylize({ ...request, options: { size: 64, iterations: 1, seed: 0, init: 'fast' } })).rejects.toMatchObject({
        code: 'weights-missing',
        message: expect.stringMatching(/fast style models are not set up/),
      });
    } finally {
      plain.dispose();
    }
  });
});
