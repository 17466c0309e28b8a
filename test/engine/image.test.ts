import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  combineLumaWithChroma,
  decodeImage,
  encodeImage,
  encodePreview,
  fitLongSide,
  lumaToRgb,
  matchLuma,
  resizeRgb,
  rgbToYiq,
  sniffImageType,
  toLuma,
  yiqToRgb,
  type RgbImage,
} from '../../src/engine/image.js';
import type { ImageLimits } from '../../src/engine/types.js';
import { image, refusal } from '../support/fixtures.js';

const LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };


function pixel(img: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

/** Left half red, right half blue, so orientation and colour are both visible. */
async function halves(width = 40, height = 20): Promise<Sharp> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (x < width / 2) data[i] = 255;
      else data[i + 2] = 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

function close(a: readonly number[], b: readonly number[], tol: number): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= tol);
}

describe('sniffImageType', () => {
  it('recognises formats by content, not by name (sketch.jpg is really a PNG)', () => {
    expect(sniffImageType(image('chicago.jpg'))).toBe('jpeg');
    expect(sniffImageType(image('sketch.jpg'))).toBe('png');
    expect(sniffImageType(new TextEncoder().encode('hello, not a picture'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });

  it('recognises WebP, GIF and AVIF produced by a real encoder', async () => {
    const img = await halves();
    expect(sniffImageType(await img.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageType(await img.clone().gif().toBuffer())).toBe('gif');
    expect(sniffImageType(await img.clone().avif().toBuffer())).toBe('avif');
  });
});

describe('decodeImage', () => {
  it('decodes the real test photos to packed RGB', async () => {
    const bytes = image('chicago.jpg');
    const meta = await sharp(bytes).metadata();
    const img = await decodeImage(bytes, LIMITS);
    expect(img.width).toBe(meta.width);
    expect(img.height).toBe(meta.height);
    expect(img.data.length).toBe(img.width * img.height * 3);
  });

  it('decodes a PNG whose name says .jpg', async () => {
    const img = await decodeImage(image('sketch.jpg'), LIMITS);
    expect(img.data.length).toBe(img.width * img.height * 3);
  });

  it('keeps colours through PNG, WebP (lossless), GIF and AVIF', async () => {
    const src = await halves();
    for (const bytes of [
      await src.clone().png().toBuffer(),
      await src.clone().webp({ lossless: true }).toBuffer(),
      await src.clone().gif().toBuffer(),
      await src.clone().avif({ quality: 90 }).toBuffer(),
    ]) {
      const img = await decodeImage(bytes, LIMITS);
      expect([img.width, img.height]).toEqual([40, 20]);
      expect(close(pixel(img, 2, 10), [255, 0, 0], 40)).toBe(true);
      expect(close(pixel(img, 37, 10), [0, 0, 255], 40)).toBe(true);
    }
  });

  it('applies EXIF orientation (a phone photo taken sideways shows upright)', async () => {
    const bytes = await (await halves()).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(bytes, LIMITS);
    // Orientation 6 = rotate 90° clockwise: the red left half ends up on top.
    expect([img.width, img.height]).toEqual([20, 40]);
    expect(close(pixel(img, 10, 2), [255, 0, 0], 40)).toBe(true);
    expect(close(pixel(img, 10, 37), [0, 0, 255], 40)).toBe(true);
  });

  it('flattens transparency onto white', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4); // fully transparent black
    rgba.fill(0);
    const bytes = await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(bytes, LIMITS);
    expect(pixel(img, 1, 1)).toEqual([255, 255, 255]);
  });

  it('turns greyscale, 16-bit and CMYK pictures into 8-bit RGB with the same look', async () => {
    const grey = await decodeImage(await (await halves()).greyscale().png().toBuffer(), LIMITS);
    const [r, g, b] = pixel(grey, 2, 2);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(grey.data.length).toBe(40 * 20 * 3);

    const deep = await (await halves()).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const fromDeep = await decodeImage(deep, LIMITS);
    expect(close(pixel(fromDeep, 2, 2), [255, 0, 0], 2)).toBe(true);

    const cmyk = await (await halves()).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const fromCmyk = await decodeImage(cmyk, LIMITS);
    const red = pixel(fromCmyk, 2, 10);
    expect(red[0]).toBeGreaterThan(180);
    expect(red[2]).toBeLessThan(90);
  });

  it('takes the first frame of an animated GIF', async () => {
    const red = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#0000ff' } }).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    const img = await decodeImage(gif, LIMITS);
    expect([img.width, img.height]).toEqual([8, 6]);
    expect(close(pixel(img, 4, 3), [255, 0, 0], 30)).toBe(true);
  });

  it('refuses an empty upload', async () => {
    const r = await refusal(decodeImage(new Uint8Array(), LIMITS, { label: 'content image' }));
    expect(r.code).toBe('empty-image');
    expect(r.message).toMatch(/^The content image is empty/);
  });

  it('refuses a file over the byte limit before looking inside', async () => {
    const r = await refusal(decodeImage(image('chicago.jpg'), { maxBytes: 1000, maxPixels: 1e9 }, { label: 'style image' }));
    expect(r.code).toBe('image-too-large');
    expect(r.message).toMatch(/^The style image is [\d.]+ KB; the limit is 1000 bytes\./);
  });

  it('refuses a decompression bomb from its header (small file, huge picture) without decoding it', async () => {
    const bomb = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: '#808080' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(200_000);
    const t0 = performance.now();
    const r = await refusal(decodeImage(bomb, { maxBytes: 1e7, maxPixels: 4_000_000 }, { label: 'content image' }));
    expect(r.code).toBe('too-many-pixels');
    expect(r.message).toContain('6000 x 5000');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('says what a non-image is', async () => {
    const text = await refusal(decodeImage(new TextEncoder().encode('just some notes\n'), LIMITS, { label: 'style image' }));
    expect(text.code).toBe('unsupported-image');
    expect(text.message).toBe('The style image is a text file, not a picture. Use a JPEG, PNG, WebP or GIF.');
    const pdf = await refusal(decodeImage(new TextEncoder().encode('%PDF-1.7\n...'), LIMITS));
    expect(pdf.message).toMatch(/PDF document/);
    const svg = await refusal(decodeImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), LIMITS));
    expect(svg.code).toBe('unsupported-image');
    expect(svg.message).toMatch(/SVG/);
    const noise = await refusal(decodeImage(new Uint8Array([0, 1, 2, 3, 250, 251, 0, 9]), LIMITS));
    expect(noise.code).toBe('unsupported-image');
  });

  it('explains HEIC photos (iPhone default), which the bundled decoder cannot read', async () => {
    // An HEVC-coded HEIF made from a real AVIF by renaming its brand and codec boxes.
    const avif = await (await halves()).avif().toBuffer();
    const heic = Buffer.from(
      avif.toString('latin1').replace(/avif/g, 'heic').replace('av01', 'hvc1').replace('av1C', 'hvcC'),
      'latin1',
    );
    expect(sniffImageType(heic)).toBe('heif');
    const r = await refusal(decodeImage(heic, LIMITS, { label: 'content image' }));
    expect(r.code).toBe('unsupported-image');
    expect(r.message).toMatch(/^The content image is a HEIC\/HEIF photo.*Use a JPEG, PNG, WebP or GIF/);
  });

  it('refuses truncated and corrupt files with a corrupt-image sentence', async () => {
    const jpeg = image('golden_gate.jpg');
    const cut = await refusal(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), LIMITS, { label: 'content image' }));
    expect(cut.code).toBe('corrupt-image');
    expect(cut.message).toMatch(/^The content image looks like a JPEG but is damaged or cut off/);

    const png = await (await halves()).png().toBuffer();
    const cutPng = await refusal(decodeImage(png.subarray(0, png.length - 30), LIMITS));
    expect(cutPng.code).toBe('corrupt-image');

    const headerOnly = await refusal(decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), LIMITS));
    expect(headerOnly.code).toBe('corrupt-image');
  });
});

describe('resize and encode', () => {
  it('fitLongSide keeps the aspect ratio and never reaches zero', () => {
    expect(fitLongSide(1000, 500, 256)).toEqual({ width: 256, height: 128 });
    expect(fitLongSide(300, 900, 300)).toEqual({ width: 100, height: 300 });
    expect(fitLongSide(10000, 1, 64)).toEqual({ width: 64, height: 1 });
  });

  it('resizes to the exact size asked and keeps the colours', async () => {
    const src = await decodeImage(await (await halves(400, 200)).png().toBuffer(), LIMITS);
    const small = await resizeRgb(src, 40, 20);
    expect([small.width, small.height, small.data.length]).toEqual([40, 20, 40 * 20 * 3]);
    expect(close(pixel(small, 3, 10), [255, 0, 0], 3)).toBe(true);
    expect(close(pixel(small, 36, 10), [0, 0, 255], 3)).toBe(true);
  });

  it('encodes PNG losslessly and JPEG close, both readable again', async () => {
    const src = await decodeImage(image('udnie.jpg'), LIMITS);
    const small = await resizeRgb(src, ...(Object.values(fitLongSide(src.width, src.height, 64)) as [number, number]));
    const png = await encodeImage(small, 'png');
    expect(sniffImageType(png)).toBe('png');
    expect(Buffer.from((await decodeImage(png, LIMITS)).data).equals(Buffer.from(small.data))).toBe(true);
    const jpeg = await encodeImage(small, 'jpeg', { quality: 95 });
    expect(sniffImageType(jpeg)).toBe('jpeg');
    const back = await decodeImage(jpeg, LIMITS);
    let err = 0;
    for (let i = 0; i < back.data.length; i++) err += Math.abs(back.data[i]! - small.data[i]!);
    expect(err / back.data.length).toBeLessThan(6);
  });

  it('makes a small preview PNG, shrunk when asked', async () => {
    const src = await decodeImage(image('chicago.jpg'), LIMITS);
    const preview = await encodePreview(src, { maxSide: 128 });
    const meta = await sharp(preview).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(128);
  });
});

describe('colour helpers (preserve colours)', () => {
  it('YIQ round-trips', () => {
    const rgb = new Float32Array([255, 0, 0, 12, 200, 77, 255, 255, 255, 0, 0, 0]);
    const back = yiqToRgb(rgbToYiq(rgb));
    for (let i = 0; i < rgb.length; i++) expect(back[i]).toBeCloseTo(rgb[i]!, 0);
  });

  it("puts the content's colours under the stylised brightness", async () => {
    // Muted red | muted blue content, so the new brightness stays inside the RGB gamut.
    const data = new Uint8Array(8 * 4 * 3);
    for (let p = 0; p < 32; p++) data.set(p % 8 < 4 ? [180, 90, 90] : [90, 90, 180], p * 3);
    const content: RgbImage = { data, width: 8, height: 4 };
    // A stylised result that lost all colour: a grey ramp.
    const ramp = new Float32Array(8 * 4).map((_, p) => 70 + (p % 8) * 10);
    const out = combineLumaWithChroma(lumaToRgb(ramp, 8, 4), content);
    const y = toLuma(out);
    for (let p = 0; p < y.length; p++) expect(Math.abs(y[p]! - ramp[p]!)).toBeLessThan(2);
    // Left stays reddish, right bluish.
    const [lr, , lb] = pixel(out, 1, 1);
    const [rr, , rb] = pixel(out, 6, 1);
    expect(lr).toBeGreaterThan(lb);
    expect(rb).toBeGreaterThan(rr);
  });

  it('matchLuma gives the style the content brightness statistics', () => {
    const style = new Float32Array([10, 20, 30, 40]);
    const content = new Float32Array([100, 140, 180, 220]);
    const m = matchLuma(style, content);
    expect(Array.from(m)).toEqual(Array.from(content).map((v) => expect.closeTo(v, 3)));
  });

  it('refuses mismatched sizes instead of producing garbage', async () => {
    const content = await decodeImage(await (await halves(8, 4)).png().toBuffer(), LIMITS);
    expect(() => combineLumaWithChroma(new Float32Array(5), content)).toThrow(RangeError);
  });
});
