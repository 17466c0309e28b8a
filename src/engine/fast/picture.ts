/**
 * The fast picture of a job, with the options meaning what they mean for a painting:
 * - styles: each painting's vector, from a centre square of it (styleScale below 1 crops closer,
 *   so strokes come out larger; above 1 the whole square is shrunk and mirrored to fill); several
 *   styles: their weighted mean;
 * - strength: the style vector mixed with the photo's own, mix·style + (1 − mix)·photo, where
 *   mix = vectorMix(strength): 0 = the photo lightly painted, 1 = the network's full style, and
 *   unset = 0.5 as for a painting (mix 0.8; see vectorMix);
 * - preserveColors: the painting's brightness only, with the photo's colours;
 * - size: the network runs at no more than the photo's own resolution, then the picture is
 *   resized to the asked size (blown-up photos streak in the network).
 */
import sharp from 'sharp';
import { fitLongSide, keepContentChroma, lumaToRgb, resizeRgb, toBytes, toLuma, type RgbImage } from '../image.js';
import type { StylizeOptions } from '../types.js';
import type { FastNetwork } from './network.js';
import { STYLE_SIDE, VECTOR_LENGTH } from './onnx-graphs.js';

export interface FastJob {
  content: RgbImage;
  styles: readonly RgbImage[];
  /** One per style, not all 0. */
  styleWeights: readonly number[];
  /** Style vectors kept from before, by style (StyleImage.vector). */
  vectors?: readonly (readonly number[] | undefined)[];
  opts: Pick<StylizeOptions, 'strength' | 'preserveColors' | 'styleScale'>;
  /** The picture's size. */
  out: { width: number; height: number };
}

/** A plain loop: Float32Array.from with a map function was 10-30× slower (40-115 ms for one 256² input). */
function toUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) out[k] = bytes[k]! / 255;
  return out;
}

/** The style vector's share at strength 0.5 (also unset): the balanced default, as for a painting. */
export const BALANCED_MIX = 0.8;

/**
 * The style vector's share for a strength in 0..1: 0 → 0, 0.5 → BALANCED_MIX, 1 → 1, linear
 * between. At the full style (mix 1) the photo's layout gave way on most of the 9 shared pairs
 * (luminance correlation at 64 px 0.38-0.82, red_circles worst); at 0.8 it rose by 0.04-0.2
 * (chicago + udnie 0.75 → 0.83) with the style loss still at 0.19-0.50 of the photo's.
 */
export function vectorMix(strength: number | undefined): number {
  const s = strength ?? 0.5;
  return s <= 0.5 ? (s / 0.5) * BALANCED_MIX : BALANCED_MIX + ((s - 0.5) / 0.5) * (1 - BALANCED_MIX);
}

/** The square the predictor sees: STYLE_SIDE² of the picture's centre, at `scale` (see above). */
export async function predictorInput(img: RgbImage, scale: number): Promise<Float32Array> {
  const side = Math.min(img.width, img.height);
  const crop = Math.max(1, Math.round(side * Math.min(1, scale)));
  const inner = scale > 1 ? Math.max(1, Math.round(STYLE_SIDE / scale)) : STYLE_SIDE;
  let pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left: Math.floor((img.width - crop) / 2), top: Math.floor((img.height - crop) / 2), width: crop, height: crop })
    .resize(inner, inner, { fit: 'fill', kernel: 'lanczos3' });
  if (inner < STYLE_SIDE) {
    const before = Math.floor((STYLE_SIDE - inner) / 2);
    const after = STYLE_SIDE - inner - before;
    // sharp applies extend after resize in one pipeline.
    pipeline = pipeline.extend({ top: before, bottom: after, left: before, right: after, extendWith: 'mirror' });
  }
  const data = await pipeline.raw().toBuffer();
  return toUnit(data);
}

/** The job's style vector: weighted mean of the styles', mixed with the photo's by strength. */
export async function styleVector(net: FastNetwork, job: Omit<FastJob, 'out'>): Promise<Float32Array> {
  const total = job.styleWeights.reduce((a, b) => a + b, 0);
  const vector = new Float32Array(VECTOR_LENGTH);
  for (const [i, style] of job.styles.entries()) {
    const w = job.styleWeights[i]! / total;
    if (w === 0) continue;
    const kept = job.vectors?.[i];
    const input = job.opts.preserveColors ? lumaToRgb(toLuma(style), style.width, style.height) : style;
    // A kept vector was predicted from the whole painting in colour, at scale 1.
    const v = kept?.length === VECTOR_LENGTH && kept.every(Number.isFinite) && job.opts.styleScale === 1 && !job.opts.preserveColors ? kept : await net.predict(await predictorInput(input, job.opts.styleScale));
    for (let k = 0; k < VECTOR_LENGTH; k++) vector[k]! += w * v[k]!;
  }
  const mix = vectorMix(job.opts.strength);
  if (mix < 1) {
    const own = await net.predict(await predictorInput(job.content, 1));
    for (let k = 0; k < VECTOR_LENGTH; k++) vector[k] = mix * vector[k]! + (1 - mix) * own[k]!;
  }
  return vector;
}

/** The fast picture at `job.out`. */
export async function fastPicture(net: FastNetwork, job: FastJob): Promise<RgbImage> {
  const vector = await styleVector(net, job);
  const ownLong = Math.max(job.content.width, job.content.height);
  const outLong = Math.max(job.out.width, job.out.height);
  const out = { width: job.out.width, height: job.out.height };
  const work = outLong <= ownLong ? out : fitLongSide(job.content.width, job.content.height, ownLong);
  const photo = await resizeRgb(job.content, work.width, work.height);
  const stylised = await net.transfer({ data: toUnit(photo.data), width: work.width, height: work.height }, vector);
  for (let i = 0; i < stylised.length; i++) stylised[i]! *= 255;
  const picture = await resizeRgb({ data: toBytes(stylised), width: work.width, height: work.height }, out.width, out.height);
  if (!job.opts.preserveColors) return picture;
  const photoOut = work === out ? photo : await resizeRgb(job.content, out.width, out.height);
  return { data: toBytes(keepContentChroma(Float32Array.from(picture.data), photoOut)), ...out };
}
