/**
 * Adam (Kingma & Ba) with the step in pixel units: with lr 4 no pixel moves more than about 4
 * levels of 0..255 per step, whatever the loss's scale. Pixels are projected into the bounds
 * after every step, as the reference's Adam run did.
 */
import { project, type Bounds, type Objective, type Optimizer, type StepResult } from './types.js';

export interface AdamOptions {
  /** Default 4 (in 0..255 units). */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  bounds?: Bounds;
}

export function createAdam<I>(objective: Objective<I>, x0: Float32Array, opts: AdamOptions = {}): Optimizer<I> {
  const lr = opts.learningRate ?? 4;
  const beta1 = opts.beta1 ?? 0.9;
  const beta2 = opts.beta2 ?? 0.999;
  const eps = opts.epsilon ?? 1e-8;
  const n = x0.length;
  let x = project(Float32Array.from(x0), opts.bounds);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  let t = 0;

  async function step(): Promise<StepResult<I>> {
    const { loss, grad, info } = await objective(x);
    t++;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    const next = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * g;
      const vi = beta2 * v[i]! + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      next[i] = x[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
    x = project(next, opts.bounds);
    return { loss, info, evaluations: 1 };
  }

  return {
    get x() {
      return x;
    },
    step,
  };
}
