/**
 * Delivering a print-size result within Discord's 10 MiB: its PNG is far past the limit, so it
 * goes as a high-quality JPEG at full size, and the message says so (real sharp, a real photo).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitToLimit } from '../../src/commands/fit-result.js';
import { image } from '../support/fixtures.js';

const DISCORD_LIMIT = 10 * 1024 * 1024 - 16 * 1024;

describe('fitToLimit with a large result', () => {
  it('sends a 4096 px picture whose PNG is over 10 MiB as a full-size JPEG of quality ≥ 80, saying so', async () => {
    // A photo at 4096×3072 with fine grain, like a painting's brush texture: a PNG of ~30 MB.
    const width = 4096;
    const height = 3072;
    const base = await sharp(image('tubingen.jpg')).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    let seed = 1;
    for (let i = 0; i < base.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      base[i] = Math.max(0, Math.min(255, base[i]! + ((seed >>> 24) % 17) - 8));
    }
    const png = new Uint8Array(await sharp(base, { raw: { width, height, channels: 3 } }).png().toBuffer());
    expect(png.length).toBeGreaterThan(DISCORD_LIMIT);
    const fitted = await fitToLimit({ image: png, mime: 'image/png', width, height }, DISCORD_LIMIT);
    expect(fitted.image.length).toBeLessThanOrEqual(DISCORD_LIMIT);
    expect(fitted.mime).toBe('image/jpeg');
    const meta = await sharp(fitted.image).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', width, height]);
    expect(fitted.note).toMatch(/^The PNG was too big to upload here, so this is a JPEG \(quality (92|86|80)\)\.$/);
  }, 120_000);
});
