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
 * start's score). Counting it all in evaluations, as once, took the 128 px scale's session build
 * for 8 of its cheap evaluations and predicted 8 of the 512 px scale's for its set-up: a first
 * job's ETA 20 % too long. The fixed part is the model's until the session has been built, then
 * what set-ups of that size measured with it built. Sizes may share a session (onnx: one of
 * symbolic size serves 160² to 520² px), so a build is counted once, by the first scale that
 * needs it: left out, the shared Winograd session's build (1.7 s, 6.5 s before huge pages) put a
 * first job's ETA after its 128 px scale 13-24 % short.
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
  /** The fixed part of set-ups measured with their session built, in ms, by pixels. */
  readonly #setupFixedMs = new Map<number, number>();
  /** The sessions set-ups have built so far. */
  readonly #built = new Set<string>();

  constructor(private readonly model: CostModel = GENERIC_COSTS) {}

  /** Relative cost of one evaluation at this many pixels (units: only ratios between sizes mean anything). */
  evaluation(pixels: number): number {
    return this.model.evaluation(pixels) * this.#correction(pixels);
  }

  /** Relative cost of scoring the saved picture (losses only) at this many pixels. */
  losses(pixels: number): number {
    return (this.model.losses?.(pixels) ?? this.model.evaluation(pixels)) * this.#correction(pixels);
  }

  /**
   * ms that setting up scales of these sizes, one after another, will take, given the ms one unit
   * of `evaluation` takes now: a session they share is built by the first of them.
   */
  setupsMs(sizes: readonly number[], msPerUnit: number): number {
    const built = new Set(this.#built);
    let ms = 0;
    for (const pixels of sizes) {
      const session = this.#sessionOf(pixels);
      const measured = built.has(session) ? this.#setupFixedMs.get(pixels) : undefined;
      // The model's set-up is in its own units, which the learnt correction turns into ours.
      ms += measured ?? this.model.setup(pixels, built.has(session)) * this.#correction(pixels) * msPerUnit;
      ms += SETUP_EVALUATIONS * this.evaluation(pixels) * msPerUnit;
      built.add(session);
    }
    return ms;
  }

  /** ms that setting a scale of this many pixels up will take next (see setupsMs). */
  setupMs(pixels: number, msPerUnit: number): number {
    return this.setupsMs([pixels], msPerUnit);
  }

  /** A scale's measured figures: ms per evaluation, and ms its set-up took (when known). */
  record(pixels: number, msPerEvaluation: number, setupMs?: number): void {
    if (!(msPerEvaluation > 0)) return;
    smooth(this.#ratio, pixels, msPerEvaluation / this.model.evaluation(pixels));
    const session = this.#sessionOf(pixels);
    // A set-up that built its session says nothing of the next one's, which finds it built.
    if (setupMs !== undefined && setupMs >= 0 && this.#built.has(session)) {
      smooth(this.#setupFixedMs, pixels, Math.max(0, setupMs - SETUP_EVALUATIONS * msPerEvaluation));
    }
    this.#built.add(session);
  }

  #sessionOf(pixels: number): string {
    return this.model.session?.(pixels) ?? `${pixels}`;
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
