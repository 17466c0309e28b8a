/**
 * Makes a result fit the platform's upload limit: the PNG as is when it fits, else a high-quality
 * JPEG at full size (a 4096 px painting's PNG is ~30 MB, past Discord's 10 MiB; its JPEG at
 * quality 92 is a few MB), else smaller sizes, each from high quality again: a print-size picture
 * keeps its pixels rather than take blocky low-quality compression. The user is told when the
 * picture was changed.
 */
import sharp from 'sharp';
import type { Picture } from './job-view.js';
import { fittedNote } from './texts.js';

/** The picture as the platform will show it; `note` is a sentence when it had to be re-encoded or shrunk. */
export type FittedImage = Picture & { note?: string };

/** Qualities tried at each size before it is shrunk; the last round goes lower rather than fail. */
const QUALITIES = [92, 86, 80];
const LAST_QUALITIES = [70, 55, 40];

export async function fitToLimit(
  picture: Omit<Picture, 'name' | 'mime'> & { mime: Picture['mime'] | 'image/webp' },
  limitBytes: number,
  baseName = 'stylized',
): Promise<FittedImage> {
  const { image, mime } = picture;
  // Chat jobs ask for PNG (flow.ts); a WebP result would be re-encoded as JPEG like an oversized one.
  if (image.length <= limitBytes && mime !== 'image/webp') {
    return { image, mime, width: picture.width, height: picture.height, name: `${baseName}.${mime === 'image/png' ? 'png' : 'jpg'}` };
  }
  let width = picture.width;
  let height = picture.height;
  let smallest: Uint8Array | undefined;
  for (let shrink = 0; shrink < 8; shrink++) {
    for (const quality of shrink === 7 ? LAST_QUALITIES : QUALITIES) {
      const pipeline = sharp(image).flatten({ background: '#ffffff' });
      if (shrink > 0) pipeline.resize(width, height, { fit: 'fill' });
      const out = new Uint8Array(await pipeline.jpeg({ quality, mozjpeg: true }).toBuffer());
      smallest = out;
      if (out.length <= limitBytes) {
        const note = shrink === 0 ? fittedNote({ quality }) : fittedNote({ width, height });
        return { image: out, mime: 'image/jpeg', name: `${baseName}.jpg`, width, height, note };
      }
    }
    width = Math.max(1, Math.round(width * 0.75));
    height = Math.max(1, Math.round(height * 0.75));
  }
  throw new Error(`could not fit a ${picture.width}×${picture.height} picture into ${limitBytes} bytes (smallest ${smallest?.length ?? 0})`);
}
