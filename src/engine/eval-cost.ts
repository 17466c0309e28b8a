/**
 * What the rest of a job will cost, for its ETA: how an objective evaluation's time grows with the
 * scale's pixels, and what setting up a scale costs (session, targets, the start's score).
 *
 * The shape of the curve is learnt: every scale a job runs records its measured ms per evaluation,
 * and later predictions go through those points (interpolated in log-log), so from an engine's
 * second job on a default job's ETA rests on measured figures of this machine and runtime. Before
 * any, a prior is used: time ∝ (pixels + 2000)^1.03 (onnx on 2 cores, in default jobs, the
 * 256 and 512 px scales' evaluations took 3.75-3.8× and 14.1-14.8× those of the 128 px scale;
 * small scales pay a fixed part for launches and the optimiser). The job's live rate then fixes
 * the unit, so a machine that is loaded or fast scales every prediction alike.
 *
 * A scale's set-up is two parts: a fixed one in ms (building the runtime's session for a new
 * shape, ~0.5-1.7 s here, whatever the scale's size) and a few of its own evaluations (the
 * targets' forward passes, the start's score). Counting it all in evaluations, as before, took
 * the 128 px scale's session build for 8 of its cheap evaluations and predicted 8 of the 512 px
 * scale's for its set-up: a first job's ETA 20 % too long.
 */

const PRIOR_OVERHEAD_PIXELS = 2000;
const PRIOR_EXPONENT = 1.03;
/** The part of a scale's set-up that grows with it, in its own evaluations: targets and the start's score. */
const SETUP_EVALUATIONS = 2;
/** The fixed part until measured: one session build. */
const PRIOR_SETUP_FIXED_MS = 600;
/** Weight of the newest measurement in the running figures. */
const LEARNING_RATE = 0.5;

function prior(pixels: number): number {
  return ((pixels + PRIOR_OVERHEAD_PIXELS) / 1e4) ** PRIOR_EXPONENT;
}

export class EvaluationCosts {
  /** ms per evaluation measured / prior, by pixels: the learnt correction of the prior's shape. */
  readonly #ratio = new Map<number, number>();
  #setupFixedMs = PRIOR_SETUP_FIXED_MS;

  /** Relative cost of one evaluation at this many pixels (units: only ratios between sizes mean anything). */
  evaluation(pixels: number): number {
    return prior(pixels) * this.#correction(pixels);
  }

  /**
   * ms that setting a scale of this many pixels up will take, given the ms one unit of
   * `evaluation` takes now.
   */
  setupMs(pixels: number, msPerUnit: number): number {
    return this.#setupFixedMs + SETUP_EVALUATIONS * this.evaluation(pixels) * msPerUnit;
  }

  /** A scale's measured figures: ms per evaluation, and ms its set-up took (when known). */
  record(pixels: number, msPerEvaluation: number, setupMs?: number): void {
    if (!(msPerEvaluation > 0)) return;
    const ratio = msPerEvaluation / prior(pixels);
    const old = this.#ratio.get(pixels);
    this.#ratio.set(pixels, old === undefined ? ratio : old + LEARNING_RATE * (ratio - old));
    if (setupMs !== undefined && setupMs >= 0) {
      const fixed = Math.max(0, setupMs - SETUP_EVALUATIONS * msPerEvaluation);
      this.#setupFixedMs += LEARNING_RATE * (fixed - this.#setupFixedMs);
    }
  }

  /** The learnt ratio at these pixels: interpolated in log pixels between the nearest known sizes. */
  #correction(pixels: number): number {
    if (this.#ratio.size === 0) return 1;
    const known = [...this.#ratio.entries()].sort((a, b) => a[0] - b[0]);
    const x = Math.log(pixels);
    const below = known.filter(([p]) => p <= pixels).at(-1);
    const above = known.find(([p]) => p >= pixels);
    if (!below) return above![1];
    if (!above) return below[1];
    if (below[0] === above[0]) return below[1];
    const t = (x - Math.log(below[0])) / (Math.log(above[0]) - Math.log(below[0]));
    return Math.exp(Math.log(below[1]) + t * (Math.log(above[1]) - Math.log(below[1])));
  }
}
