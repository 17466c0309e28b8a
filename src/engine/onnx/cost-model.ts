/**
 * What the onnx runtime's evaluations and scale set-ups cost before a job has measured any (its
 * ETA's prior; eval-cost.ts learns the rest). Units: ms on 2 cores of the machine the figures
 * come from; only ratios matter, as the live rate fixes the unit.
 *
 * The shape follows the conv algorithm a size gets (size-policy.ts): direct below 160² px,
 * Winograd up to the arena's size (520²), direct again above it, without the arena or the NCHWc
 * layout (memory first). An earlier run alone (median of 6 evaluations per size) found direct
 * proportional to pixels and Winograd a fixed part plus a smaller rate per pixel; so 512×341
 * costs ~10× 128×85, where a single power law said 14.8× and a first job's ETA came out 31 % long.
 * The figures below are rates inside default jobs (the later half of each scale, canvases with
 * their margins, huge pages on), one run: chicago 132×89 68 ms, 260×174 213-222, 520×349
 * 766-778 (two jobs); golden_gate 132×132 98, 260×260 287, 520×520 1135; 1040×1040 7031.
 * The Winograd line goes through chicago's (golden_gate's within 8 %).
 *
 * Set-up beyond a scale's own evaluations is building its session. Sizes up to the arena's share
 * sessions of symbolic size, built once per engine: the direct one with the runtime, the Winograd
 * one by the first scale that needs it, which with that scale's first runs (the arena growing to
 * its sizes) cost a first job 3.7 s more than the next (256 px set-up 3481 ms against 791, 512 px
 * 3601 against 2574). A session of its own shape (above the arena's size) costs its build and a
 * slow first run: at 1040² 6.2 s beyond two evaluations.
 */
import type { CostModel } from '../runtime/types.js';
import type { OnnxRuntimeOptions } from './runtime.js';
import { ARENA_MAX_PIXELS, convAlgorithmFor, convFromEnv, servedBySymbolic, tilingFromEnv } from './size-policy.js';

/**
 * A tiled evaluation (tiled-objective.ts) per pixel, relative to an untiled one above the arena's
 * size: a stats pass (a forward) before the gradient pass, and each tile's margin computed again.
 */
export const TILED_COST_FACTOR = 1.5;
/** Scoring a tiled picture: its stats pass alone. */
export const TILED_LOSSES_FACTOR = 0.4;
/** Setting a tiled scale up: its targets are a stats pass over the photo and one per style, and its session. */
const TILED_SETUP_MS = (pixels: number) => 2000 + 2 * TILED_LOSSES_FACTOR * LARGE_DIRECT_MS_PER_PIXEL * pixels;

const DIRECT_MS_PER_PIXEL = 5.8e-3;
const LARGE_DIRECT_MS_PER_PIXEL = 6.5e-3;
const WINOGRAD_FIXED_MS = 35;
const WINOGRAD_MS_PER_PIXEL = 4.06e-3;
const SHARED_WINOGRAD_FIRST_USE_MS = 3700;
/** A session of its own shape: a Winograd build (a size within the arena's, when sessions are not shared), or a direct build with its slow first run. */
const OWN_WINOGRAD_SESSION_MS = 2700;
const OWN_DIRECT_SESSION_MS = (pixels: number) => 300 + 0.8 * LARGE_DIRECT_MS_PER_PIXEL * pixels;

/** The CPU provider's cost model for these runtime options (CUDA's is not measured: none). */
export function onnxCostModel(opts: Pick<OnnxRuntimeOptions, 'conv' | 'symbolicUpTo' | 'tiles'>): CostModel {
  const chosen = opts.conv ?? convFromEnv();
  const shared = (pixels: number) => servedBySymbolic(pixels, opts.symbolicUpTo);
  const tiledAbove = (opts.tiles ?? tilingFromEnv()).minPixels;
  return {
    evaluation(pixels) {
      if (pixels > tiledAbove) return TILED_COST_FACTOR * LARGE_DIRECT_MS_PER_PIXEL * pixels;
      if (convAlgorithmFor(pixels, chosen) === 'winograd')
        return WINOGRAD_FIXED_MS + WINOGRAD_MS_PER_PIXEL * pixels;
      return (pixels > ARENA_MAX_PIXELS ? LARGE_DIRECT_MS_PER_PIXEL : DIRECT_MS_PER_PIXEL) * pixels;
    },
    losses(pixels) {
      // Tiled: the stats pass alone, a forward over larger tiles; untiled: forward and backward alike (one graph).
      return pixels > tiledAbove ? TILED_LOSSES_FACTOR * LARGE_DIRECT_MS_PER_PIXEL * pixels : this.evaluation(pixels);
    },
    setup(pixels, built) {
      // The targets' passes are paid at every tiled scale, built or not.
      if (pixels > tiledAbove) return TILED_SETUP_MS(pixels) - (built ? 2000 : 0);
      if (built) return 0;
      const conv = convAlgorithmFor(pixels, chosen);
      // The shared direct session is built with the runtime, before any job.
      if (shared(pixels)) return conv === 'winograd' ? SHARED_WINOGRAD_FIRST_USE_MS : 0;
      return conv === 'winograd' ? OWN_WINOGRAD_SESSION_MS : OWN_DIRECT_SESSION_MS(pixels);
    },
    session(pixels) {
      if (pixels > tiledAbove) return 'tiled';
      const conv = convAlgorithmFor(pixels, chosen);
      return shared(pixels) ? `symbolic/${conv}` : `${pixels}/${conv}`;
    },
  };
}
