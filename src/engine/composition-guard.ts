/**
 * Keeps the photo recognisable whatever the painting. The style balance (loss-spec.ts) equalises
 * where each pair's style term starts, not how far the picture drifts: a bold texture-only painting
 * or a low-contrast photo (whose weak features make its content term small) can still paint the
 * photo away. So after the first, coarse scale the picture's composition (luminance correlation
 * with the photo at 64 px) is measured; below the floor for the job's strength, the style weight
 * is lowered and that scale painted again, and every later scale keeps the lowered weight.
 */
import { fitLongSide, resizeRgb, toBytes, toLuma, type RgbImage } from './image.js';

/** Long side at which composition is compared: the layout, not the brush strokes. */
export const COMPOSITION_SIZE = 64;
/** The floor at the default strength (0.5). */
const DEFAULT_FLOOR = 0.8;
/** How much the floor drops per unit of strength above 0.5 (and rises below), so strength keeps its meaning. */
const FLOOR_PER_STRENGTH = 0.6;
/**
 * The coarse scale may sit this far below the floor: the finer scales bring the photo's detail back
 * (carried over, and held by the content term at more pixels), so the delivered picture's
 * composition ends 0.05-0.1 above the first scale's.
 */
const COARSE_ALLOWANCE = 0.08;
/** A repaint that lands this far above its aim took more style away than needed: it tries more. */
const AIM_WINDOW = 0.05;
/** Repaints of the coarse scale at most (each 1-3 s at 128 px): bisection needs a few on a steep pair. */
const MAX_RETRIES = 6;

/** The least composition a job at this strength delivers (undefined = the default, 0.5). */
export function compositionFloor(strength: number | undefined): number {
  const s = strength ?? 0.5;
  return Math.min(0.95, Math.max(0.5, DEFAULT_FLOOR - (s - 0.5) * FLOOR_PER_STRENGTH));
}

/** Pearson correlation of the luminance of two same-sized pictures (the tests' measure of composition too). */
export function lumaCorrelation(a: RgbImage, b: RgbImage): number {
  const x = toLuma(a);
  const y = toLuma(b);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < x.length; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= x.length;
  my /= y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  // A flat photo has no layout to lose.
  return sxx === 0 || syy === 0 ? 1 : sxy / Math.sqrt(sxx * syy);
}

/** Composition of a picture (0..255 floats, the photo's size) with its photo, compared at 64 px. */
export async function compositionOf(picture: Float32Array, photo: RgbImage): Promise<number> {
  const { width, height } = fitLongSide(photo.width, photo.height, COMPOSITION_SIZE);
  const [a, b] = await Promise.all([
    resizeRgb({ data: toBytes(picture), width: photo.width, height: photo.height }, width, height),
    resizeRgb(photo, width, height),
  ]);
  return lumaCorrelation(a, b);
}

/** Halvings of the blend share a fast start is searched with (1/256 of the way is fine enough). */
const BLEND_STEPS = 8;

/**
 * A start that keeps at least `floor` of the photo's composition: the picture itself when it does,
 * else the most of it (blended over the photo) that does. A fast picture of a bold texture can
 * start the painting below the floor, and lowering the style weight then only keeps that start.
 */
export async function keepComposition(picture: RgbImage, photo: RgbImage, floor: number): Promise<RgbImage> {
  const { width, height } = fitLongSide(photo.width, photo.height, COMPOSITION_SIZE);
  const photoSmall = await resizeRgb(photo, width, height);
  const blend = (share: number): RgbImage => ({
    data: Uint8Array.from(picture.data, (v, i) => Math.round(photo.data[i]! + share * (v - photo.data[i]!))),
    width: picture.width,
    height: picture.height,
  });
  // Measured on the blend itself: resizing clamps, so blending the small pictures would not say the same.
  const kept = async (start: RgbImage) => lumaCorrelation(await resizeRgb(start, width, height), photoSmall);
  if ((await kept(picture)) >= floor) return picture;
  let [lo, hi] = [0, 1];
  for (let k = 0; k < BLEND_STEPS; k++) {
    const mid = (lo + hi) / 2;
    if ((await kept(blend(mid))) >= floor) lo = mid;
    else hi = mid;
  }
  return blend(lo);
}

interface Try {
  factor: number;
  composition: number;
}

/**
 * The style-weight factor a job paints with, lowered until the coarse scale keeps the composition:
 * a quarter at the first miss, then interpolated (in log factor) between the last two tries.
 */
export class CompositionGuard {
  /** What the style weight is multiplied by now. */
  styleFactor = 1;
  readonly target: number;
  private readonly tries: Try[] = [];

  constructor(strength: number | undefined) {
    this.target = compositionFloor(strength) - COARSE_ALLOWANCE;
  }

  /**
   * Records the coarse scale's composition at the current factor; true when it should be painted
   * again with the new one. The factors that kept too little of the photo and those that kept more
   * than needed bracket the aim; the next factor is the secant's guess inside that bracket.
   */
  retry(composition: number): boolean {
    this.tries.push({ factor: this.styleFactor, composition });
    if (this.tries.length === 1 && composition >= this.target) return false;
    if (
      composition >= this.target &&
      (composition <= this.target + AIM_WINDOW || this.tries.length > MAX_RETRIES)
    )
      return false;
    const passed = this.tries.filter((t) => t.composition >= this.target).map((t) => t.factor);
    if (this.tries.length > MAX_RETRIES) {
      // The last repaint: the most style that kept the photo (none kept it: the least style tried stands).
      if (passed.length === 0) return false;
      this.styleFactor = Math.max(...passed);
      return true;
    }
    const hi = Math.log(
      Math.min(...this.tries.filter((t) => t.composition < this.target).map((t) => t.factor)),
    );
    const tooLittle = this.tries
      .filter((t) => t.composition > this.target + AIM_WINDOW)
      .map((t) => Math.log(t.factor));
    if (tooLittle.length) {
      // Bracketed: halve it (in log factor).
      this.styleFactor = Math.exp((hi + Math.max(...tooLittle)) / 2);
      return true;
    }
    // Not yet bracketed: the line through the last two tries (composition rises as the factor falls).
    const [a, b] = this.tries.slice(-2) as [Try, Try | undefined];
    const aim = this.target + AIM_WINDOW / 3;
    const secant =
      b && b.composition > a.composition
        ? Math.log(b.factor) +
          ((Math.log(b.factor) - Math.log(a.factor)) / (b.composition - a.composition)) *
            (aim - b.composition)
        : hi - Math.log(4);
    this.styleFactor = Math.exp(Math.min(hi - Math.log(1.5), Math.max(hi - Math.log(16), secant)));
    return true;
  }

  /** The tries so far, for the job's stats. */
  get history(): readonly { factor: number; composition: number }[] {
    return this.tries;
  }
}
