/**
 * What the rest of a job will cost, for its ETA: how an objective evaluation's time grows with the
 * scale's pixels, and what setting up a scale costs (session, targets, the start's score).
 *
 * Before a size is measured, the runtime's cost model says (onnx/cost-model.ts: its convs change
 * algorithm with size, so no one curve fits), or, for a runtime without one, a generic prior:
 * time ∝ (pixels + 2000)^1.03 (small scales pay a fixed part for launches and the optimiser).
 * Then every scale a job runs records its measured ms per evaluation, and later predictions go
 * through those points (interpolated in log-log), so from an engine's second job on a default
 * job's ETA rests on measured figures of this machine and runtime. The job's live rate fixes the
 * unit, so a machine that is loaded or fast scales every prediction alike.
 *
 * A scale's set-up is two parts: a fixed one (building the runtime's session for a new shape,
 * whatever the scale's size) and a few of its own evaluations (the targets' forward passes, the
 * start's score). The fixed part is the model's until that size has been set up once, then what
 * it measured there: a repeated job finds its sessions built. Counting it all in evaluations, as
 * once, took the 128 px scale's session build for 8 of its cheap evaluations and predicted 8 of
 * the 512 px scale's for its set-up: a first job's ETA 20 % too long.
 */
import type { CostModel } from './runtime/types.js';

/** The generic prior (tfjs runtimes): one power law, and a fixed set-up of ~600 ms on wasm. */
export const GENERIC_COSTS: CostModel = {
  evaluation: (pixels) => ((pixels + 2000) / 1e4) ** 1.03,
  setup: () => 1.3,
};

/** The part of a scale's set-up that grows with it, in its own evaluations: targets and the start's score. */
const SETUP_EVALUATIONS = 2;
/** Weight of the newest measurement in the running figures. */
const LEARNING_RATE = 0.5;

export class EvaluationCosts {
  /** ms per evaluation measured / prior, by pixels: the learnt correction of the prior's shape. */
  readonly #ratio = new Map<number, number>();
  /** The fixed part of set-ups measured, in ms, by pixels. */
  readonly #setupFixedMs = new Map<number, number>();

  constructor(private readonly model: CostModel = GENERIC_COSTS) {}

  /** Relative cost of one evaluation at this many pixels (units: only ratios between sizes mean anything). */
  evaluation(pixels: number): number {
    return this.model.evaluation(pixels) * this.#correction(pixels);
  }

  /**
   * ms that setting a scale of this many pixels up will take, given the ms one unit of
   * `evaluation` takes now.
   */
  setupMs(pixels: number, msPerUnit: number): number {
    // The model's set-up is in its own units, which the learnt correction turns into ours.
    const fixed = this.#setupFixedMs.get(pixels) ?? this.model.setup(pixels) * this.#correction(pixels) * msPerUnit;
    return fixed + SETUP_EVALUATIONS * this.evaluation(pixels) * msPerUnit;
  }

  /** A scale's measured figures: ms per evaluation, and ms its set-up took (when known). */
  record(pixels: number, msPerEvaluation: number, setupMs?: number): void {
    if (!(msPerEvaluation > 0)) return;
    smooth(this.#ratio, pixels, msPerEvaluation / this.model.evaluation(pixels));
    if (setupMs !== undefined && setupMs >= 0) smooth(this.#setupFixedMs, pixels, Math.max(0, setupMs - SETUP_EVALUATIONS * msPerEvaluation));
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

/** A running figure: the first measurement, then moved part of the way to each new one. */
function smooth(figures: Map<number, number>, key: number, value: number): void {
  const old = figures.get(key);
  figures.set(key, old === undefined ? value : old + LEARNING_RATE * (value - old));
}
