/**
 * A regular dot lattice (period 2-4 px) in a picture, measured in its luminance spectrum: a lattice
 * puts narrow peaks at the frequencies 1/period along the rows, the columns and the diagonals, where
 * brush strokes, grain and edges spread their energy smoothly. Welch's method (Hann-windowed 64 px
 * tiles, half overlapping, power spectra averaged) keeps the estimate steady; each candidate's peak
 * is compared with the spectrum a few bins further along the same direction.
 */
import FFT from 'fft.js';
import { toLuma, type RgbImage } from '../../../src/engine/image.js';

const TILE = 64;
const STEP = TILE / 2;
/** Periods of the lattice looked for, in pixels. */
export const LATTICE_PERIODS = [2, 3, 4] as const;
/** How far along its direction a candidate's background is read, in bins. */
const BACKGROUND_OFFSETS = [3, 4, 5];

/** A tile's spectral power that counts as flat: luminance varying by about one grey level. */
const FLAT_POWER = (TILE * TILE) ** 2 / 4;

const fft = new FFT(TILE);
const hann = Float32Array.from(
  { length: TILE },
  (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / TILE),
);

/** In-place 2-D FFT of a TILE×TILE complex array (interleaved re, im; row-major). */
function fft2(data: Float64Array): void {
  const line = fft.createComplexArray() as number[];
  const out = fft.createComplexArray() as number[];
  for (let axis = 0; axis < 2; axis++) {
    for (let a = 0; a < TILE; a++) {
      for (let b = 0; b < TILE; b++) {
        const i = axis === 0 ? a * TILE + b : b * TILE + a;
        line[2 * b] = data[2 * i]!;
        line[2 * b + 1] = data[2 * i + 1]!;
      }
      fft.transform(out, line);
      for (let b = 0; b < TILE; b++) {
        const i = axis === 0 ? a * TILE + b : b * TILE + a;
        data[2 * i] = out[2 * b]!;
        data[2 * i + 1] = out[2 * b + 1]!;
      }
    }
  }
}

/** The luminance power spectrum averaged over the picture's tiles (TILE×TILE bins, DC at 0). */
export function powerSpectrum(img: RgbImage): Float64Array {
  const { width: w, height: h } = img;
  if (w < TILE || h < TILE) throw new Error(`lattice needs at least ${TILE}×${TILE} px (got ${w}×${h})`);
  const y = toLuma(img);
  const power = new Float64Array(TILE * TILE);
  const tile = new Float64Array(2 * TILE * TILE);
  let tiles = 0;
  for (let top = 0; top + TILE <= h; top += STEP) {
    for (let left = 0; left + TILE <= w; left += STEP) {
      let mean = 0;
      for (let r = 0; r < TILE; r++) for (let c = 0; c < TILE; c++) mean += y[(top + r) * w + left + c]!;
      mean /= TILE * TILE;
      tile.fill(0);
      for (let r = 0; r < TILE; r++) {
        for (let c = 0; c < TILE; c++)
          tile[2 * (r * TILE + c)] = (y[(top + r) * w + left + c]! - mean) * hann[r]! * hann[c]!;
      }
      fft2(tile);
      // Each tile weighs the same however busy it is, so a lattice in flat sky is not drowned by texture.
      let total = FLAT_POWER;
      for (let i = 1; i < TILE * TILE; i++) total += tile[2 * i]! ** 2 + tile[2 * i + 1]! ** 2;
      for (let i = 0; i < TILE * TILE; i++)
        power[i] = power[i]! + (tile[2 * i]! ** 2 + tile[2 * i + 1]! ** 2) / total;
      tiles++;
    }
  }
  for (let i = 0; i < power.length; i++) power[i] = power[i]! / tiles;
  return power;
}

const wrap = (k: number) => ((Math.round(k) % TILE) + TILE) % TILE;

/**
 * Each period's strongest lattice peak (in LATTICE_PERIODS' order): for each direction (rows,
 * columns, both diagonals), the spectrum's largest bin within one of the lattice frequency over the
 * median of the bins 3-5 further and nearer along the same direction. About 1-3 on photos,
 * paintings and clean results; a faint lattice of a few grey levels lifts it many times.
 */
export function latticePeaks(img: RgbImage): number[] {
  const power = powerSpectrum(img);
  const at = (u: number, v: number) => power[wrap(u) * TILE + wrap(v)]!;
  return LATTICE_PERIODS.map((period) => {
    const f = TILE / period;
    let worst = 0;
    for (const [du, dv] of [
      [1, 0],
      [0, 1],
      [1, 1],
      [1, -1],
    ] as const) {
      const [u, v] = [f * du, f * dv];
      let peak = 0;
      for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) peak = Math.max(peak, at(u + a, v + b));
      const around = BACKGROUND_OFFSETS.flatMap((d) => [
        at(u - d * du, v - d * dv),
        at(u + d * du, v + d * dv),
      ]).sort((x, y) => x - y);
      const background = (around[around.length / 2 - 1]! + around[around.length / 2]!) / 2;
      worst = Math.max(worst, peak / Math.max(background, 1e-9));
    }
    return worst;
  });
}

/**
 * A result's lattice over what its inputs bring (both at the result's size), period by period: a
 * painting's halftone or canvas weave the result takes on, or the pattern a small photo gets from
 * being enlarged, does not count against it, but only at its own period (an enlarged photo's strong
 * 2 px peak must not hide a 4 px lattice). About 1 for a clean result.
 */
export function latticeExcess(result: RgbImage, photoHere: RgbImage, styleHere: RgbImage): number {
  const [own, photo, style] = [latticePeaks(result), latticePeaks(photoHere), latticePeaks(styleHere)];
  return Math.max(...own.map((peak, i) => peak / Math.max(1, photo[i]!, style[i]!)));
}

/** Above this `latticeExcess` a result shows a lattice its inputs do not have. */
export const LATTICE_MAX = 3;
