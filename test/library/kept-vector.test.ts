/**
 * The style vector a library keeps is the one a fast picture uses: with the real fast network on
 * onnxruntime, a fast job given the kept vector paints as one that predicts it again, and a kept
 * vector of another painting paints that painting's style (so the kept vector is what is used).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_LIMITS, openStylePredictor, savedStyleCard, type Engine, type StylePredictor } from '../../src/engine/index.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { decoded } from '../engine/support/picture-metrics.js';
import { image, WEIGHTS } from '../support/fixtures.js';

let engine: Engine;
let predictor: StylePredictor;
beforeAll(async () => {
  engine = await createEngine({ weights: WEIGHTS, backend: 'onnx', fastModels: FAST_MODELS_DIR });
  predictor = await openStylePredictor(FAST_MODELS_DIR);
}, 120_000);
afterAll(() => {
  engine?.dispose();
  predictor?.dispose();
});

function distance(a: { data: Uint8Array }, b: { data: Uint8Array }): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('library: kept style vectors', () => {
  it('library: a fast picture from the kept vector matches one predicted again; another painting\'s kept vector paints that painting\'s style', async () => {
    const photo = image('chicago.jpg');
    const udnie = image('udnie.jpg');
    const starry = image('starry_night.jpg');
    const limits = DEFAULT_LIMITS;
    const udnieCard = await savedStyleCard(udnie, { limits, predictor });
    const starryCard = await savedStyleCard(starry, { limits, predictor });
    const fast = async (styles: { bytes: Uint8Array; vector?: readonly number[] }[]) =>
      decoded((await engine.stylize({ content: photo, styles, options: { mode: 'fast', size: 192 } })).image);
    const predicted = await fast([{ bytes: udnie }]);
    const kept = await fast([{ bytes: udnie, vector: udnieCard.vector }]);
    const starryPicture = await fast([{ bytes: starry }]);
    const swapped = await fast([{ bytes: udnie, vector: starryCard.vector }]);
    // Same vector (up to the painting's resampling): the same picture within a level or two.
    expect(distance(kept, predicted)).toBeLessThan(2);
    // The paintings give pictures far apart; with Starry Night's kept vector, Udnie's bytes paint Starry Night.
    expect(distance(starryPicture, predicted)).toBeGreaterThan(10);
    expect(distance(swapped, starryPicture)).toBeLessThan(2);
  }, 120_000);
});
