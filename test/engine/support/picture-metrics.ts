/** What a person would notice about a picture, as numbers: shared by the engine tests. */
import { decodeImage, rgbToYiq, type RgbImage } from '../../../src/engine/image.js';

/** Decodes a result or a test image for measuring (limits far above anything the tests make). */
export function decoded(bytes: Uint8Array): Promise<RgbImage> {
  return decodeImage(bytes, { maxBytes: 50e6, maxPixels: 50e6 });
}

/** Pearson correlation of the luminance of two same-sized images: the engine's own (its composition guard). */
export { lumaCorrelation } from '../../../src/engine/composition-guard.js';

/** Mean absolute difference of the YIQ chroma channels (I, Q) of two same-sized images. */
export function chromaDistance(a: RgbImage, b: RgbImage): number {
  const ya = rgbToYiq(a.data);
  const yb = rgbToYiq(b.data);
  let sum = 0;
  for (let i = 0; i < ya.length; i += 3) sum += Math.abs(ya[i + 1]! - yb[i + 1]!) + Math.abs(ya[i + 2]! - yb[i + 2]!);
  return sum / (a.width * a.height * 2);
}

/** Mean of R − (G + B)/2 over the picture: how red it looks, in 0..255 units. */
export function redness(img: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < img.data.length; i += 3) sum += img.data[i]! - (img.data[i + 1]! + img.data[i + 2]!) / 2;
  return sum / (img.width * img.height);
}
