/**
 * The interface both optimisers share. They work on plain Float32Arrays, not tensors: the image
 * is small next to VGG's activations, the vector maths is cheap in JS, nothing can leak, and the
 * same code is deterministic on every backend.
 */

export interface Evaluation<I = undefined> {
  loss: number;
  grad: Float32Array;
  /** Anything the objective wants reported with the loss (e.g. the loss parts). */
  info: I;
}

/** f(x) and ∇f(x), now or later (a native runtime answers asynchronously). Must not keep or modify `x`. */
export type Objective<I = undefined> = (x: Float32Array) => Evaluation<I> | Promise<Evaluation<I>>;

export interface StepResult<I> {
  /** Loss at `optimizer.x` (L-BFGS) or at the point the step started from (Adam). */
  loss: number;
  info: I;
  /** Objective evaluations this step took (1 unless a line search backtracked). */
  evaluations: number;
}

export interface Optimizer<I = undefined> {
  /** The current point. Replaced (not mutated) by each step, so a caller may keep a reference. */
  readonly x: Float32Array;
  /**
   * One iteration, spending at most `maxEvaluations` objective evaluations (default: as many as
   * its line search wants), so a caller can budget a run in evaluations rather than iterations.
   */
  step(maxEvaluations?: number): Promise<StepResult<I>>;
}

/** Box constraints, applied by projection after every step (pixels stay in 0..255). */
export type Bounds = readonly [lo: number, hi: number];

export function project(x: Float32Array, bounds: Bounds | undefined): Float32Array {
  if (!bounds) return x;
  const [lo, hi] = bounds;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lo) x[i] = lo;
    else if (v > hi) x[i] = hi;
  }
  return x;
}

export function dot(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
