/**
 * The picture-quality measures of issue 11, shared by test/engine/quality.test.ts and
 * bench/quality.ts so that the thresholds and the reported table mean the same thing:
 *   composition — correlation of the photo's and the result's luminance at 64 px (long side);
 *   style taken — the result's style loss as a fraction of the photo's own, against the style at
 *                 the result's size, under the reference definition (Σ layers mean((G − Gs)²));
 *   frame       — how much the outer 2-pixel frame differs from the band just inside it, as a
 *                 multiple of how much pixels 2 apart differ inside the picture; measured on what
 *                 the engine painted (result − photo, in luminance), since the photos themselves
 *                 have edges along their borders (chicago's shore, the statue's arm) that score
 *                 up to 2.3 on the picture alone. Two ways: `frameRatio` averages the differences'
 *                 size, so it counts the texture along the border too (a busy stretch of brush
 *                 strokes scores above 1 with no line in it); `frameLine` averages them with their
 *                 sign along each side, as a line is: lighter or darker all along, where texture
 *                 cancels out.
 */
import { fitLongSide, resizeRgb, rgbToYiq, toLuma, type RgbImage } from '../../../src/engine/image.js';
import type { LossSpec, Runtime } from '../../../src/engine/runtime/index.js';
import { DEFAULT_STYLE_LAYERS } from '../../../src/engine/defaults.js';
import { lumaCorrelation } from './picture-metrics.js';

export const COMPOSITION_SIZE = 64;

/** Luminance correlation of photo and result, both resampled to 64 px on the long side. */
export async function composition(result: RgbImage, photo: RgbImage): Promise<number> {
  const { width, height } = fitLongSide(result.width, result.height, COMPOSITION_SIZE);
  const [a, b] = await Promise.all([resizeRgb(result, width, height), resizeRgb(photo, width, height)]);
  return lumaCorrelation(a, b);
}

/** The reference style loss alone: weight 1 per default layer, nothing else counted. */
export const STYLE_ONLY: LossSpec = {
  contentLayer: 'block4_conv2',
  styleLayers: DEFAULT_STYLE_LAYERS,
  contentWeight: 0,
  styleWeight: 1,
  tvWeight: 0,
  pooling: 'avg',
};

/** The style at the result's long side, as the engine scales it for the result's last scale. */
export async function styleAtResultSize(style: RgbImage, result: RgbImage): Promise<RgbImage> {
  const dims = fitLongSide(style.width, style.height, Math.max(result.width, result.height));
  return resizeRgb(style, dims.width, dims.height);
}

/**
 * Style loss of the result over the style loss of the photo (both at the result's size; the
 * style at the same long side, as the engine scales it): 1 = no style taken, 0 = all of it.
 */
export async function styleFraction(runtime: Runtime, result: RgbImage, photo: RgbImage, style: RgbImage): Promise<number> {
  const photoHere = await resizeRgb(photo, result.width, result.height);
  const styleHere = await styleAtResultSize(style, result);
  const objective = await runtime.prepare(
    { width: result.width, height: result.height, content: photoHere, styles: [{ image: styleHere, weight: 1 }] },
    STYLE_ONLY,
  );
  try {
    const ofResult = await objective.losses(Float32Array.from(result.data));
    const ofPhoto = await objective.losses(Float32Array.from(photoHere.data));
    return ofResult.style / ofPhoto.style;
  } finally {
    objective.dispose();
  }
}

const FRAME = 2;

/** Luminance of `img`, or of img − photo (what the engine painted) when a same-sized photo is given. */
function paintedLuma(img: RgbImage, photo?: RgbImage): Float32Array {
  const y = toLuma(img);
  if (photo) {
    const p = toLuma(photo);
    for (let i = 0; i < y.length; i++) y[i] = y[i]! - p[i]!;
  }
  return y;
}

/** Mean |y(p) − y(p moved FRAME px along (dr, dc))| over the inside: both pixels at least FRAME from every edge. */
function insideDifference(y: Float32Array, w: number, h: number, dr: 0 | 1, dc: 0 | 1): number {
  let sum = 0;
  let n = 0;
  for (let r = FRAME; r < h - FRAME - dr * FRAME; r++) {
    for (let c = FRAME; c < w - FRAME - dc * FRAME; c++) {
      sum += Math.abs(y[r * w + c]! - y[(r + dr * FRAME) * w + c + dc * FRAME]!);
      n++;
    }
  }
  return sum / n;
}

/**
 * For each side (of `img`, or of img − photo when a same-sized photo is given), the mean |luma(p) − luma(p moved 2 inwards)| over the outer 2-pixel frame,
 * divided by the same mean over the picture's inside (pixels at least 2 from every edge, moved 2
 * the same way). Returns the worst side: ≈1 where the border looks like the rest, well above 1
 * where a line runs along it.
 */
export function frameRatio(img: RgbImage, photo?: RgbImage): { worst: number; sides: Record<'top' | 'bottom' | 'left' | 'right', number> } {
  const y = paintedLuma(img, photo);
  const { width: w, height: h } = img;
  const at = (r: number, c: number) => y[r * w + c]!;
  const edge = (cells: [number, number][], dr: number, dc: number) =>
    cells.reduce((s, [r, c]) => s + Math.abs(at(r, c) - at(r + dr * FRAME, c + dc * FRAME)), 0) / cells.length;
  const rows = (from: number) => Array.from({ length: FRAME }, (_, k) => from + k);
  const top = rows(0).flatMap((r) => Array.from({ length: w }, (_, c) => [r, c] as [number, number]));
  const bottom = rows(h - FRAME).flatMap((r) => Array.from({ length: w }, (_, c) => [r, c] as [number, number]));
  const left = Array.from({ length: h }, (_, r) => rows(0).map((c) => [r, c] as [number, number])).flat();
  const right = Array.from({ length: h }, (_, r) => rows(w - FRAME).map((c) => [r, c] as [number, number])).flat();
  const vertical = insideDifference(y, w, h, 1, 0);
  const horizontal = insideDifference(y, w, h, 0, 1);
  const sides = {
    top: edge(top, 1, 0) / vertical,
    bottom: edge(bottom, -1, 0) / vertical,
    left: edge(left, 0, 1) / horizontal,
    right: edge(right, 0, -1) / horizontal,
  };
  return { worst: Math.max(...Object.values(sides)), sides };
}

/** Mean squared difference of pixels `apart` px apart along rows and columns (per pixel and channel). */
export function neighbourDifference(img: RgbImage, apart = 1): number {
  const { width: w, height: h, data } = img;
  let sum = 0;
  let n = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < 3; k++) {
        const v = data[(r * w + c) * 3 + k]!;
        if (c + apart < w) {
          sum += (data[(r * w + c + apart) * 3 + k]! - v) ** 2;
          n++;
        }
        if (r + apart < h) {
          sum += (data[((r + apart) * w + c) * 3 + k]! - v) ** 2;
          n++;
        }
      }
    }
  }
  return sum / n;
}

/** Mean squared difference of neighbours (per pixel and channel): how rough a picture is, texture and edges included. */
export function roughness(img: RgbImage): number {
  return neighbourDifference(img, 1);
}

/**
 * Grain as speckle, whatever the texture's strength: neighbours' squared difference over that of
 * pixels 2 apart. Detail that spans a few pixels (edges, brush strokes) differs ~4× more 2 px
 * apart than 1 px apart (≈0.25-0.35 on photos, paintings and clean results); pixel-sized noise
 * differs as much 1 px apart as 2 (→ 1). Scale-free, so a bold texture does not count as grain.
 */
export function grainIndex(img: RgbImage): number {
  return neighbourDifference(img, 1) / neighbourDifference(img, 2);
}

/** YIQ chroma bins of FOREIGN_BIN units, with pixels of a picture counted where it has at least FOREIGN_MIN_SHARE of them. */
const FOREIGN_BIN = 8;
const FOREIGN_OFFSET = 160;
const FOREIGN_BINS = 40;
const FOREIGN_MIN_SHARE = 1e-4;

function chromaBin(yiq: Float32Array, i: number): number {
  const bin = (v: number) => Math.min(FOREIGN_BINS - 1, Math.max(0, Math.floor((v + FOREIGN_OFFSET) / FOREIGN_BIN)));
  return bin(yiq[i + 1]!) * FOREIGN_BINS + bin(yiq[i + 2]!);
}

/**
 * Blotches of colours neither picture has: the share of the result's pixels whose chroma (YIQ's
 * I and Q, bins of 8 levels) lies more than one bin from every chroma the photo or the style
 * holds (in at least 1/10 000 of its pixels). Luminance is left out: light and dark are the
 * style's to change.
 */
export function foreignColours(result: RgbImage, photo: RgbImage, style: RgbImage): number {
  // Bins within one of a chroma either picture holds.
  const near = new Uint8Array(FOREIGN_BINS * FOREIGN_BINS);
  for (const img of [photo, style]) {
    const yiq = rgbToYiq(img.data);
    const counts = new Uint32Array(near.length);
    for (let i = 0; i < yiq.length; i += 3) counts[chromaBin(yiq, i)]!++;
    for (let a = 0; a < FOREIGN_BINS; a++) {
      for (let b = 0; b < FOREIGN_BINS; b++) {
        if (counts[a * FOREIGN_BINS + b]! <= img.width * img.height * FOREIGN_MIN_SHARE) continue;
        for (let da = Math.max(0, a - 1); da <= Math.min(FOREIGN_BINS - 1, a + 1); da++) {
          for (let db = Math.max(0, b - 1); db <= Math.min(FOREIGN_BINS - 1, b + 1); db++) near[da * FOREIGN_BINS + db] = 1;
        }
      }
    }
  }
  const yiq = rgbToYiq(result.data);
  let foreign = 0;
  for (let i = 0; i < yiq.length; i += 3) if (!near[chromaBin(yiq, i)]) foreign++;
  return foreign / (result.width * result.height);
}

/**
 * The frame as a line: for each side and each of the outer 2 rows (columns), the mean along that
 * side of luma(row) − luma(row 2 further in), signed, of what the engine painted (img − photo,
 * when given); its size as a multiple of how much pixels 2 apart differ inside the picture (mean
 * absolute difference, in the same direction). Returns the worst side; `inside` gives the same for
 * rows deeper in (offset k from each side), the level an arbitrary line of the picture scores.
 */
export function frameLine(img: RgbImage, photo?: RgbImage, offsets: readonly number[] = [0, 1]): { worst: number; sides: Record<'top' | 'bottom' | 'left' | 'right', number> } {
  const y = paintedLuma(img, photo);
  const { width: w, height: h } = img;
  const at = (r: number, c: number) => y[r * w + c]!;
  const vertical = insideDifference(y, w, h, 1, 0);
  const horizontal = insideDifference(y, w, h, 0, 1);
  /** The worst offset's |mean of (line k − line k + 2)| along a side of `length` pixels. */
  const side = (value: (k: number, i: number) => number, length: number, reference: number) =>
    Math.max(
      ...offsets.map((k) => {
        let sum = 0;
        for (let i = 0; i < length; i++) sum += value(k, i) - value(k + FRAME, i);
        return Math.abs(sum / length) / reference;
      }),
    );
  const sides = {
    top: side((k, i) => at(k, i), w, vertical),
    bottom: side((k, i) => at(h - 1 - k, i), w, vertical),
    left: side((k, i) => at(i, k), h, horizontal),
    right: side((k, i) => at(i, w - 1 - k), h, horizontal),
  };
  return { worst: Math.max(...Object.values(sides)), sides };
}

/** Tiles along the long side for `bareShare`. */
export const BARE_TILES = 8;
/** A tile is bare when its detail is below this share of the median tile's. */
export const BARE_DETAIL = 0.3;

/**
 * Untextured patches (a stretch of sky the style never reached): the share of the picture's tiles
 * (8 along the long side) whose detail — mean |Δ luminance| between neighbours — is below 0.3 of
 * the median tile's. A picture with the style taken evenly has few; its photo's flat sky many.
 */
export function bareShare(img: RgbImage): number {
  const { width: w, height: h } = img;
  const y = toLuma(img);
  const side = Math.max(w, h) / BARE_TILES;
  const cols = Math.max(1, Math.round(w / side));
  const rows = Math.max(1, Math.round(h / side));
  const detail: number[] = [];
  for (let tr = 0; tr < rows; tr++) {
    for (let tc = 0; tc < cols; tc++) {
      const [r0, r1] = [Math.floor((tr * h) / rows), Math.floor(((tr + 1) * h) / rows)];
      const [c0, c1] = [Math.floor((tc * w) / cols), Math.floor(((tc + 1) * w) / cols)];
      let sum = 0;
      let n = 0;
      for (let r = r0; r < r1 - 1; r++) {
        for (let c = c0; c < c1 - 1; c++) {
          const v = y[r * w + c]!;
          sum += Math.abs(y[r * w + c + 1]! - v) + Math.abs(y[(r + 1) * w + c]! - v);
          n += 2;
        }
      }
      detail.push(sum / Math.max(n, 1));
    }
  }
  const median = [...detail].sort((a, b) => a - b)[Math.floor(detail.length / 2)]!;
  return detail.filter((d) => d < BARE_DETAIL * median).length / detail.length;
}
