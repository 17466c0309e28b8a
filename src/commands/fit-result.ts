/**
 * Makes a result fit the platform's upload limit: the PNG as is when it fits, else JPEG at
 * decreasing quality, else JPEG at smaller sizes. The user is told when the picture was changed.
 */
import sharp from 'sharp';
import { fittedNote } from './texts.js';

export interface FittedImage {
  bytes: Uint8Array;
  mime: 'image/png' | 'image/jpeg';
  fileName: string;
  width: number;
  height: number;
  /** A sentence when the picture had to be re-encoded or shrunk. */
  note?: string;
}

const QUALITIES = [90, 80, 70, 55, 40];

export async function fitToLimit(
  image: { bytes: Uint8Array; mime: 'image/png' | 'image/jpeg' | 'image/webp'; width: number; height: number },
  limitBytes: number,
  baseName = 'stylized',
): Promise<FittedImage> {
  const ext = image.mime === 'image/png' ? 'png' : 'jpg';
  // Chat jobs ask for PNG (flow.ts); a WebP result would be re-encoded as JPEG like an oversized one.
  if (image.bytes.length <= limitBytes && image.mime !== 'image/webp') {
    return { bytes: image.bytes, mime: image.mime, fileName: `${baseName}.${ext}`, width: image.width, height: image.height };
  }
  let width = image.width;
  let height = image.height;
  let smallest: Uint8Array | undefined;
  for (let shrink = 0; shrink < 8; shrink++) {
    for (const quality of QUALITIES) {
      const pipeline = sharp(image.bytes).flatten({ background: '#ffffff' });
      if (shrink > 0) pipeline.resize(width, height, { fit: 'fill' });
      const out = new Uint8Array(await pipeline.jpeg({ quality, mozjpeg: true }).toBuffer());
      smallest = out;
      if (out.length <= limitBytes) {
        const note = shrink === 0 ? fittedNote({ quality }) : fittedNote({ width, height });
        return { bytes: out, mime: 'image/jpeg', fileName: `${baseName}.jpg`, width, height, note };
      }
    }
    width = Math.max(1, Math.round(width * 0.75));
    height = Math.max(1, Math.round(height * 0.75));
  }
  throw new Error(`could not fit a ${image.width}×${image.height} picture into ${limitBytes} bytes (smallest ${smallest?.length ?? 0})`);
}
