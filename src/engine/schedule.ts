/**
 * The automatic coarse-to-fine schedule, budgeted in objective evaluations (a line-search retry
 * counts), so a default job costs the same on every pair of pictures. Sizes double from about
 * 128 px up to `size`. Every scale up to 512 px gets the same share of the budget; above that each
 * doubling gets half the share of the one before (a 1024 px evaluation costs 4× a 512 px one).
 *
 * Chosen on onnx (chicago + udnie, 512 px, loss of the delivered PNG; PyTorch's 50 L-BFGS
 * iterations at 512 px score 2.52e5): 23/11/6 (the old wasm default, 40) 3.83e5, visibly
 * washed-out; 40/30/30 2.58e5; 50/50/50 2.36e5; 60 at 512 px only 2.40e5, with finer, flatter
 * strokes than coarse-to-fine's. 40/40/40 (120) sits between the last two for ~75 s on 2 cores.
 */
import type { Scale, StylizeOptions } from './types.js';

/** Default output long side and total evaluations; here (not in defaults.ts) so the queue can use them without loading tfjs. */
export const DEFAULT_SIZE = 512;
export const DEFAULT_ITERATIONS = 120;

/** Long side of the first scale. Below ~100 px VGG's deep layers see only a few pixels. */
export const COARSEST_SIZE = 128;
/** How much the long side grows from one scale to the next. */
export const SCALE_FACTOR = 2;

export function autoSizes(size: number): number[] {
  const levels = Math.max(0, Math.round(Math.log(size / COARSEST_SIZE) / Math.log(SCALE_FACTOR)));
  const sizes: number[] = [];
  for (let k = levels; k >= 0; k--) sizes.push(Math.round(size / SCALE_FACTOR ** k));
  return sizes;
}

/** Above this long side each finer scale gets half the budget share of the one before. */
export const EVEN_SHARE_UP_TO = 512;

/** Splits `iterations` (evaluations) over `autoSizes(size)` as described above; at least 1 each. */
export function autoSchedule(size: number, iterations: number): Scale[] {
  const sizes = autoSizes(size);
  const share = sizes.map((s) => Math.min(1, EVEN_SHARE_UP_TO / s));
  const total = share.reduce((a, b) => a + b, 0);
  const its = share.map((s) => Math.max(1, Math.floor((iterations * s) / total)));
  // Rounding leftovers go to the coarsest scale, where they are cheapest.
  its[0] = Math.max(1, its[0]! + iterations - its.reduce((a, b) => a + b, 0));
  return sizes.map((s, i) => ({ size: s, iterations: its[i]! }));
}

/** The scales a job runs: the ones it gives, else the automatic schedule (engine defaults for what it leaves out). */
export function planScales(options: Partial<Pick<StylizeOptions, 'size' | 'iterations' | 'scales'>> = {}): Scale[] {
  return Array.isArray(options.scales) ? options.scales : autoSchedule(options.size ?? DEFAULT_SIZE, options.iterations ?? DEFAULT_ITERATIONS);
}
