/**
 * The dot-lattice measure of support/lattice.ts on real pictures with a known lattice added: it must
 * catch a faint regular lattice of 2-4 px that a person sees at 3× zoom, and must not count a
 * painting's own texture (its grain, or a halftone the painting itself has) against a result.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLongSide, resizeRgb, type RgbImage } from '../../src/engine/image.js';
import { SHARED_DIR, image } from '../support/fixtures.js';
import { decoded } from './support/picture-metrics.js';
import { styleAtResultSize } from './support/quality-measures.js';
import { LATTICE_MAX, LATTICE_PERIODS, latticeExcess } from './support/lattice.js';

async function at(bytes: Uint8Array, width: number, height: number): Promise<RgbImage> {
  return resizeRgb(await decoded(bytes), width, height);
}

const clampByte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** One dot every `period` px along rows and columns, `levels` grey levels towards mid-grey (so white and black areas show it too). */
function withDots(img: RgbImage, period: number, levels: number): RgbImage {
  const data = Uint8Array.from(img.data);
  for (let r = 0; r < img.height; r += period) {
    for (let c = 0; c < img.width; c += period) {
      for (let k = 0; k < 3; k++) {
        const i = (r * img.width + c) * 3 + k;
        data[i] = clampByte(data[i]! + (data[i]! > 127 ? -levels : levels));
      }
    }
  }
  return { ...img, data };
}

/** `base` plus the fine detail of `texture` (texture − its 5×5 box blur, per channel). */
function withDetailOf(base: RgbImage, texture: RgbImage): RgbImage {
  const { width: w, height: h } = base;
  const data = Uint8Array.from(base.data);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        let n = 0;
        for (let dr = -2; dr <= 2; dr++) {
          for (let dc = -2; dc <= 2; dc++) {
            const rr = r + dr;
            const cc = c + dc;
            if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
            sum += texture.data[(rr * w + cc) * 3 + k]!;
            n++;
          }
        }
        const i = (r * w + c) * 3 + k;
        data[i] = clampByte(base.data[i]! + texture.data[i]! - sum / n);
      }
    }
  }
  return { ...base, data };
}

describe('dot lattice', () => {
  // PyTorch's L-BFGS result for chicago + udnie (../shared/reference): a clean stylised picture.
  const cleanBytes = readFileSync(path.join(SHARED_DIR, 'reference', 'lbfgs_512_final.png'));

  it('catches a faint 2-4 px dot lattice added to a clean result, and passes the clean one', async () => {
    const clean = await decoded(cleanBytes);
    const photo = await at(image('chicago.jpg'), clean.width, clean.height);
    const style = await styleAtResultSize(await decoded(image('udnie.jpg')), clean);
    expect(latticeExcess(clean, photo, style)).toBeLessThan(LATTICE_MAX);
    for (const period of LATTICE_PERIODS) {
      // 3 grey levels on one pixel in period²: invisible at 100 %, a regular grain at 3× zoom.
      expect(latticeExcess(withDots(clean, period, 3), photo, style), `period ${period}`).toBeGreaterThan(
        LATTICE_MAX,
      );
    }
  });

  it('does not count the painting’s own grain or halftone against a result that takes it on', async () => {
    const photo = await decoded(image('tubingen.jpg'));
    const { width, height } = fitLongSide(photo.width, photo.height, 512);
    const photoHere = await resizeRgb(photo, width, height);
    // A result carrying starry_night's brush-stroke detail over the photo.
    const painting = await at(image('starry_night.jpg'), width, height);
    expect(latticeExcess(withDetailOf(photoHere, painting), photoHere, painting)).toBeLessThan(LATTICE_MAX);
    // A halftone painting (dots every 3 px) and a result with the same dots: the pattern is the style's.
    const halftone = withDots(painting, 3, 40);
    expect(latticeExcess(withDetailOf(photoHere, halftone), photoHere, halftone)).toBeLessThan(LATTICE_MAX);
  });

  it('catches a faint 4 px grid on a result whose small photo, enlarged, has its own 2 px pattern', async () => {
    const clean = await decoded(cleanBytes);
    // statue_of_liberty.jpg is 256 px: enlarged to the result's size, interpolation gives it a strong 2 px peak.
    const photo = await at(image('statue_of_liberty.jpg'), clean.width, clean.height);
    const style = await styleAtResultSize(await decoded(image('udnie.jpg')), clean);
    expect(latticeExcess(clean, photo, style)).toBeLessThan(LATTICE_MAX);
    // ±2 grey levels in a 4 px grid of rows and columns: the pattern of a style gradient on flat sky.
    const grid = Uint8Array.from(clean.data, (v, i) => {
      const px = Math.floor(i / 3);
      const [r, c] = [Math.floor(px / clean.width), px % clean.width];
      return clampByte(v + Math.cos((Math.PI * r) / 2) + Math.cos((Math.PI * c) / 2));
    });
    expect(latticeExcess({ ...clean, data: grid }, photo, style)).toBeGreaterThan(LATTICE_MAX);
  });
});
