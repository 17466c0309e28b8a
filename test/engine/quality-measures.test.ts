/**
 * The grain and foreign-colour measures of support/quality-measures.ts on real pictures with a
 * known fault added: each must tell the faulty picture from the clean one, or quality.test.ts and
 * the bench's table would pass anything.
 */
import { describe, expect, it } from 'vitest';
import { fitLongSide, resizeRgb, type RgbImage } from '../../src/engine/image.js';
import { mulberry32 } from '../../src/engine/stylize.js';
import { image } from '../support/fixtures.js';
import { decoded } from './support/picture-metrics.js';
import { foreignColours, grainIndex } from './support/quality-measures.js';

async function at(name: string, long: number): Promise<RgbImage> {
  const img = await decoded(image(name));
  const { width, height } = fitLongSide(img.width, img.height, long);
  return resizeRgb(img, width, height);
}

const clampByte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

describe('grain index', () => {
  it('rises above both pictures with pixel-sized speckle, and not with the strength of the detail', async () => {
    const photo = await at('chicago.jpg', 256);
    const style = await at('udnie.jpg', 256);
    const random = mulberry32(1);
    // ±12 levels of speckle per pixel: TV 1.3× the photo's (the grainy result had 2.6× PyTorch's).
    const speckled = { ...photo, data: Uint8Array.from(photo.data, (v) => clampByte(v + (random() * 2 - 1) * 12)) };
    // Half the contrast: every edge and texture fainter, nothing added.
    const fainter = { ...photo, data: Uint8Array.from(photo.data, (v) => clampByte(128 + (v - 128) / 2)) };
    expect(grainIndex(speckled)).toBeGreaterThan(Math.max(grainIndex(photo), grainIndex(style)));
    expect(Math.abs(grainIndex(fainter) - grainIndex(photo))).toBeLessThan(0.02);
  });
});

describe('foreign colours', () => {
  it('counts a patch of a colour neither picture holds, and nothing in a mix of the two', async () => {
    const photo = await at('statue_of_liberty.jpg', 128);
    const style = await at('sketch.jpg', 128);
    const { width, height } = photo;
    const blend = await resizeRgb(style, width, height);
    // Half photo, half style (left/right): every colour is one of theirs.
    const mixed = Uint8Array.from(photo.data, (v, i) => ((i / 3) % width < width / 2 ? v : blend.data[i]!));
    expect(foreignColours({ width, height, data: mixed }, photo, style)).toBeLessThan(0.005);
    // A magenta square over a quarter of the picture: blue sky, green copper and cream paper hold no magenta.
    const patched = Uint8Array.from(mixed);
    for (let y = 0; y < height / 2; y++) {
      for (let x = 0; x < width / 2; x++) patched.set([200, 40, 200], (y * width + x) * 3);
    }
    expect(foreignColours({ width, height, data: patched }, photo, style)).toBeGreaterThan(0.24);
  });
});
