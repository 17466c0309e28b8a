/**
 * Keeps the photo recognisable whatever the painting. The style balance (loss-spec.ts) equalises
 * where each pair's style term starts, not how far the picture drifts: a bold texture-only painting
 * or a low-contrast photo (whose weak features make its content term small) can still paint the
 * photo away. So after the first, coarse scale the picture's composition (luminance correlation
 * with the photo at 64 px) is measured; below its aim, the style weight is lowered and that scale
 * painted again, and every later scale keeps the lowered weight. The coarse aim sits below the
 * floor because most pairs gain composition at the finer scales; the few that do not are caught
 * by a second check after each middle scale, which must reach the floor itself.
 */
import { fitLongSide, resizeRgb, toBytes, toLuma, type RgbImage } from './image.js';

/** Long side at which composition is compared: the layout, not the brush strokes. */
export const COMPOSITION_SIZE = 64;
/** The floor at the default strength (0.5). */
const DEFAULT_FLOOR = 0.8;
/** How much the floor drops per unit of strength above 0.5 (and rises below), so strength keeps its meaning. */
const FLOOR_PER_STRENGTH = 0.6;
/**
 * The coarse scale may sit this far below the floor: most pairs gain composition at the finer
 * scales (the photo's detail carried over and held by the content term at more pixels); the few
 * that do not are caught after the middle scale.
 */
const COARSE_ALLOWANCE = 0.08;
/** A middle scale aims this far above the floor: the last scale moves the composition a little either way. */
const MIDDLE_MARGIN = 0.01;
/** Times a middle scale's miss sends the job back to the coarse scale with a higher aim. */
const MAX_RESTARTS = 2;
/** A first miss further below the aim than this cuts the style to a quarter, a nearer one to half. */
const FAR_MISS = 0.1;
/** No aim above this: a picture needs some room for the style. */
const HIGHEST_AIM = 0.97;
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

/**
 * How far above the floor a fast picture's own composition must sit for a painting to start from
 * it. From a start nearer the floor the coarse scale drifts below it and the painting has to start
 * again from the photo: at 512 px on the 40 sample pairs, 1 of the 17 fast pictures below 0.8
 * held, 11 of the 23 above did, and 10 of the 12 above 0.875.
 */
const FAST_START_MARGIN = 0.075;

/** Whether a painting at this strength starts from a fast picture of this composition (else from the photo). */
export function fastStartHolds(composition: number, strength: number | undefined): boolean {
  return composition >= compositionFloor(strength) + FAST_START_MARGIN;
}

interface Try {
  /** Which scale of the job was measured (0 = the coarse one). */
  scale: number;
  factor: number;
  composition: number;
  /** Painted from a fast start that was then given up: shown in the history, left out of the search. */
  fastStart?: true;
}

/**
 * The style-weight factor a job paints with, lowered until the coarse scale keeps the composition:
 * half at a near first miss (a quarter at a far one), then interpolated (in log factor) between
 * the last two tries. A middle scale below its aim raises the coarse aim by what that pair lost
 * between the scales, and the job starts again from the coarse scale: repainting there is cheap,
 * and the coarse tries so far still bracket the new aim.
 */
export class CompositionGuard {
  /** What the style weight is multiplied by now. */
  styleFactor = 1;
  /** The coarse scale's aim. */
  target: number;
  /** A middle scale's aim. */
  readonly middleTarget: number;
  /** The least composition the job delivers. */
  readonly floor: number;
  private readonly allTries: Try[] = [];
  private triesAllowed = MAX_RETRIES;
  private restarts = 0;

  constructor(strength: number | undefined) {
    this.floor = compositionFloor(strength);
    this.target = this.floor - COARSE_ALLOWANCE;
    this.middleTarget = Math.min(HIGHEST_AIM, this.floor + MIDDLE_MARGIN);
  }

  /**
   * Records the coarse scale's composition at the current factor; true when it should be painted
   * again with the new one.
   */
  retry(composition: number): boolean {
    this.allTries.push({ scale: 0, factor: this.styleFactor, composition });
    if (this.tries.length === 1 && composition >= this.target) return false;
    return this.next();
  }

  /**
   * Records a middle scale's composition (neither the first nor the last scale); true when the job
   * should start again from the coarse scale, with the factor and aim it leaves here.
   */
  recheck(scale: number, composition: number): boolean {
    this.allTries.push({ scale, factor: this.styleFactor, composition });
    const accepted = this.tries.at(-1);
    if (composition >= this.middleTarget || this.restarts >= MAX_RESTARTS || !accepted) return false;
    this.restarts++;
    this.target = Math.min(HIGHEST_AIM, accepted.composition + (this.middleTarget - composition));
    this.triesAllowed = this.tries.length + MAX_RETRIES - 2;
    return this.next();
  }

  /**
   * The next coarse factor after a try; false when the last try stands. The factors that kept too
   * little of the photo and those that kept more than needed bracket the aim; the next factor is
   * the secant's guess inside that bracket.
   */
  private next(): boolean {
    const tries = this.tries;
    const last = tries.at(-1)!;
    const spent = tries.length > this.triesAllowed;
    if (last.composition >= this.target && (last.composition <= this.target + AIM_WINDOW || spent)) return false;
    const passed = tries.filter((t) => t.composition >= this.target).map((t) => t.factor);
    if (spent) {
      // The last repaint: the most style that kept the photo (none kept it: the least style tried stands).
      if (passed.length === 0 || Math.max(...passed) === last.factor) return false;
      this.styleFactor = Math.max(...passed);
      return true;
    }
    const hi = Math.log(
      Math.min(...tries.filter((t) => t.composition < this.target).map((t) => t.factor)),
    );
    const tooLittle = tries
      .filter((t) => t.composition > this.target + AIM_WINDOW)
      .map((t) => Math.log(t.factor));
    if (tooLittle.length) {
      // Bracketed: halve it (in log factor).
      this.styleFactor = Math.exp((hi + Math.max(...tooLittle)) / 2);
      return true;
    }
    // Not yet bracketed: the line through the last two tries where it slopes the right way
    // (composition rises as the factor falls), else half or a quarter of the style.
    const [a, b] = tries.slice(-2) as [Try, Try | undefined];
    const aim = this.target + AIM_WINDOW / 3;
    const secant =
      b && (b.composition - a.composition) * (b.factor - a.factor) < 0
        ? Math.log(b.factor) +
          ((Math.log(b.factor) - Math.log(a.factor)) / (b.composition - a.composition)) *
            (aim - b.composition)
        : hi - Math.log(last.composition < this.target - FAR_MISS ? 4 : 2);
    this.styleFactor = Math.exp(Math.min(hi - Math.log(1.5), Math.max(hi - Math.log(16), secant)));
    return true;
  }

  /**
   * Whether a scale of a painting started from the fast picture missed its aim. That start's own
   * drift lost the photo, not the style weight: the job is painted again from the photo at the same
   * weight, and these tries are left out of the search (they would make full style look too much).
   * The coarse scale is held to the floor itself: from a fast start the finer scales gain little
   * (−0.01 to +0.05 on the sample pairs), so a lower coarse result only wastes the middle scale.
   */
  fastStartMissed(scale: number, composition: number): boolean {
    if (composition >= (scale === 0 ? this.floor : this.middleTarget)) return false;
    this.allTries.push({ scale, factor: this.styleFactor, composition });
    for (const t of this.allTries) t.fastStart = true;
    return true;
  }

  /** The coarse scale's tries so far. */
  private get tries(): Try[] {
    return this.allTries.filter((t) => t.scale === 0 && !t.fastStart);
  }

  /** Every scale's tries so far, for the job's stats. */
  get history(): readonly Try[] {
    return this.allTries;
  }
}
