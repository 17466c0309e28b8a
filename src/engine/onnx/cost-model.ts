/**
 * What the onnx runtime's evaluations and scale set-ups cost before a job has measured any (its
 * ETA's prior; eval-cost.ts learns the rest). Units: ms on 2 cores of the machine the figures
 * come from; only ratios matter, as the live rate fixes the unit.
 *
 * The shape follows the conv algorithm a size gets (runtime.ts), measured in one run
 * (median of 6 evaluations per size, 2 threads, through the session process):
 *   direct (the symbolic session, < 160² px): 64×43 41.9 ms, 96×64 112, 128×85 165, 160×107 265:
 *     proportional to pixels, ~15 µs each, with no fixed part to speak of;
 *   Winograd (160² px to the arena's size, 520²): 200×133 395 ms, 256×170 519, 384×256 948,
 *     512×341 1584: a fixed ~166 ms (its transforms and many small nodes) plus ~8.1 µs a pixel.
 * So 512×341 costs 9.6× 128×85, where a single power law (fitted when both were direct) said
 * 14.8×, and a first job's ETA after its 128 px scale came out 31 % too long.
 * Inside jobs (the later half of each scale, five default jobs, canvases with their margins) the
 * 128 and 256 px rates were the same as alone, ~180 and ~490 ms, and the 512 px one ~10 % higher,
 * ~1750 ms (the optimiser's and the previews' work grows with the pixels): the Winograd line
 * below goes through those, ~72 ms + 9.25 µs a pixel.
 * Above it the convs are direct again, and without the arena (memory first): ~15 µs a pixel.
 *
 * Set-up beyond a scale's own evaluations is building its session. Sizes up to the arena's share
 * sessions of symbolic size, built once per engine (the direct one with the runtime, the Winograd
 * one by the first scale that needs it: ~2 s that this prior leaves out of a first job's ~110 s);
 * a session of its own shape costs ~0.6 s direct, ~2.5 s Winograd (measured 1.6-3.4 s, more with
 * other sessions held).
 */
import type { CostModel } from '../runtime/types.js';
import type { OnnxRuntimeOptions } from './runtime.js';
import { convAlgorithmFor, convFromEnv, servedBySymbolic } from './size-policy.js';

const DIRECT_MS_PER_PIXEL = 15e-3;
const WINOGRAD_FIXED_MS = 72;
const WINOGRAD_MS_PER_PIXEL = 9.25e-3;
const SESSION_BUILD_MS = { direct: 600, winograd: 2500 } as const;

/** The CPU provider's cost model for these runtime options (CUDA's is not measured: none). */
export function onnxCostModel(opts: Pick<OnnxRuntimeOptions, 'conv' | 'symbolicUpTo'>): CostModel {
  const chosen = opts.conv ?? convFromEnv();
  return {
    evaluation(pixels) {
      return convAlgorithmFor(pixels, chosen) === 'winograd' ? WINOGRAD_FIXED_MS + WINOGRAD_MS_PER_PIXEL * pixels : DIRECT_MS_PER_PIXEL * pixels;
    },
    setup(pixels) {
      return servedBySymbolic(pixels, opts.symbolicUpTo) ? 0 : SESSION_BUILD_MS[convAlgorithmFor(pixels, chosen)];
    },
  };
}
