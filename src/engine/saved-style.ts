/**
 * What a style library keeps of a painting besides its bytes: a small thumbnail for lists and,
 * where the fast network is set up, its style vector. The painting is checked against the same
 * input limits as a /stylize attachment, with the same sentences.
 */
import sharp from 'sharp';
import type { StylePredictor } from './fast/style-predictor.js';
import { decodeImage } from './image.js';
import type { ImageLimits } from './types.js';

export interface SavedStyleCard {
  width: number;
  height: number;
  /** JPEG, at most `thumbnailSide` on its long side. */
  thumbnail: Uint8Array;
  /** The fast network's style vector (100 numbers), when a predictor was given. */
  vector?: number[];
}

/** Decodes `bytes` within `limits` (throws StylizeError with the user's sentence), then makes the card. */
export async function savedStyleCard(
  bytes: Uint8Array,
  opts: { limits: ImageLimits; label?: string; predictor?: StylePredictor; thumbnailSide?: number },
): Promise<SavedStyleCard> {
  const img = await decodeImage(bytes, opts.limits, { label: opts.label });
  const side = opts.thumbnailSide ?? 128;
  const thumbnail = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
  const vector = opts.predictor ? await opts.predictor.vectorOf(img) : undefined;
  return { width: img.width, height: img.height, thumbnail: new Uint8Array(thumbnail), vector };
}
