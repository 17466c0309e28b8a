import { describe, expect, it } from 'vitest';
import { createAdam } from '../../src/engine/optimizers/adam.js';
import { createLbfgs } from '../../src/engine/optimizers/lbfgs.js';
import { dampChroma } from '../../src/engine/chroma-steps.js';
import type { Evaluation, Optimizer } from '../../src/engine/optimizers/types.js';
import { lbfgsHistory } from '../../src/engine/stylize.js';

/** The test objectives answer at once, so they can also be called directly. */
type Objective<I> = (x: Float32Array) => Evaluation<I>;

/** Rosenbrock in n dimensions: minimum 0 at (1, …, 1), a curved valley that defeats plain gradient descent. */
const rosenbrock: Objective<number> = (x) => {
  let loss = 0;
  const grad = new Float32Array(x.length);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i]!;
    const b = x[i + 1]!;
    loss += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    grad[i] = grad[i]! - 400 * a * (b - a * a) - 2 * (1 - a);
    grad[i + 1] = grad[i + 1]! + 200 * (b - a * a);
  }
  return { loss, grad, info: 0 };
};

/** An ill-conditioned quadratic Σ cᵢ(xᵢ − tᵢ)² whose unconstrained minimum lies partly outside 0..255. */
const target = [-40, 10, 128, 250, 300, 77];
const curvature = [1, 10, 100, 1000, 0.1, 3];
const quadratic: Objective<number> = (x) => {
  let loss = 0;
  const grad = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - target[i]!;
    loss += curvature[i]! * d * d;
    grad[i] = 2 * curvature[i]! * d;
  }
  return { loss, grad, info: 0 };
};

async function run<I>(opt: Optimizer<I>, steps: number): Promise<number> {
  let evaluations = 0;
  for (let i = 0; i < steps; i++) evaluations += (await opt.step()).evaluations;
  return evaluations;
}

describe('L-BFGS', () => {
  it('finds the Rosenbrock minimum from the classic start', async () => {
    const x0 = new Float32Array([-1.2, 1, -1.2, 1]);
    const opt = createLbfgs(rosenbrock, x0, { firstStep: 0.1 });
    const evaluations = await run(opt, 200);
    for (const v of opt.x) expect(v).toBeCloseTo(1, 2);
    expect(rosenbrock(opt.x).loss).toBeLessThan(1e-6);
    expect(evaluations).toBeLessThan(400);
  });

  it('respects bounds: the constrained quadratic minimum is the clamped target', async () => {
    const opt = createLbfgs(quadratic, new Float32Array(6).fill(128), { bounds: [0, 255] });
    await run(opt, 60);
    const expected = target.map((t) => Math.min(255, Math.max(0, t)));
    opt.x.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 1));
  });

  it('with the chroma damping: the same bounded minimum, first steps mostly along grey', async () => {
    const x0 = new Float32Array(6).fill(128);
    const damped = createLbfgs(quadratic, x0, { bounds: [0, 255], precondition: dampChroma(0.5) });
    const plain = createLbfgs(quadratic, x0, { bounds: [0, 255] });
    await damped.step();
    await plain.step();
    // The share of each first step's length across the grey axis (per pixel: the step minus its mean).
    const chromaShare = (x: Float32Array) => {
      let across = 0;
      let all = 0;
      for (let i = 0; i < 6; i += 3) {
        const d = [0, 1, 2].map((k) => x[i + k]! - 128);
        const m = (d[0]! + d[1]! + d[2]!) / 3;
        across += d.reduce((a, v) => a + (v - m) ** 2, 0);
        all += d.reduce((a, v) => a + v * v, 0);
      }
      return across / all;
    };
    expect(chromaShare(damped.x)).toBeLessThan(0.6 * chromaShare(plain.x));
    await run(damped, 80);
    const expected = target.map((t) => Math.min(255, Math.max(0, t)));
    damped.x.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 1));
  });

  it('never increases the loss from one step to the next', async () => {
    const opt = createLbfgs(rosenbrock, new Float32Array([-1.2, 1, 0.5, -0.3, 2]), { firstStep: 0.1 });
    let last = rosenbrock(opt.x).loss;
    for (let i = 0; i < 50; i++) {
      const { loss } = await opt.step();
      expect(loss).toBeLessThanOrEqual(last);
      last = loss;
    }
  });

  it('spends no more evaluations than a step is allowed, backtracking included', async () => {
    // A first step far too long for the valley: the line search would halve it several times.
    const opt = createLbfgs(rosenbrock, new Float32Array([-1.2, 1, -1.2, 1]), { firstStep: 100 });
    const first = await opt.step(3);
    expect(first.evaluations).toBe(3); // the start's evaluation and two trials
    const unlimited = await createLbfgs(rosenbrock, new Float32Array([-1.2, 1, -1.2, 1]), {
      firstStep: 100,
    }).step();
    expect(unlimited.evaluations).toBeGreaterThan(3);
  });
});

it("keeps a 1024 px scale's curvature history within 128 MB, and 20 pairs up to 512 px", () => {
  // Each pair is two Float32Arrays of the canvas (RGB): 26 MB at 1040². The 16 pairs a 17-step
  // scale made were most of a 1024 px job's engine-process memory, whose peak with the session
  // process must stay within 4 GB.
  const pairBytes = (w: number, h: number) => 2 * 4 * w * h * 3;
  for (const [w, h] of [
    [1040, 1040],
    [1040, 700],
  ] as const)
    expect(lbfgsHistory(w * h * 3) * pairBytes(w, h)).toBeLessThanOrEqual(128 * 2 ** 20);
  expect(lbfgsHistory(1040 * 1040 * 3)).toBeGreaterThanOrEqual(4);
  for (const [w, h] of [
    [132, 89],
    [520, 349],
    [520, 520],
  ] as const)
    expect(lbfgsHistory(w * h * 3)).toBe(20);
});

describe('Adam', () => {
  it('converges on the bounded quadratic with a pixel-unit learning rate', async () => {
    const opt = createAdam(quadratic, new Float32Array(6).fill(128), { learningRate: 4, bounds: [0, 255] });
    // Then a smaller rate to settle, as one would anneal: Adam's fixed lr keeps it orbiting ±lr.
    await run(opt, 400);
    const settle = createAdam(quadratic, opt.x, { learningRate: 0.05, bounds: [0, 255] });
    await run(settle, 400);
    const expected = target.map((t) => Math.min(255, Math.max(0, t)));
    settle.x.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(0.5));
  });

  it('moves each coordinate by about the learning rate per step, whatever the loss scale', async () => {
    const scaled: Objective<number> = (x) => {
      const e = quadratic(x);
      return { loss: e.loss * 1e6, grad: e.grad.map((g) => g * 1e6), info: 0 };
    };
    const opt = createAdam(scaled, new Float32Array(6).fill(200), { learningRate: 4 });
    const before = Float32Array.from(opt.x);
    await opt.step();
    opt.x.forEach((v, i) => expect(Math.abs(v - before[i]!)).toBeCloseTo(4, 3));
  });

  it('reaches the Rosenbrock valley floor', async () => {
    const opt = createAdam(rosenbrock, new Float32Array([-1.2, 1]), { learningRate: 0.02 });
    await run(opt, 5000);
    expect(rosenbrock(opt.x).loss).toBeLessThan(1e-3);
  });
});

describe('chroma damping', () => {
  it('keeps grey steps, scales steps across the grey axis, and is symmetric', () => {
    const p = dampChroma(0.5);
    const grey = Float64Array.of(3, 3, 3);
    p(grey);
    expect(Array.from(grey)).toEqual([3, 3, 3]);
    const across = Float64Array.of(2, -1, -1);
    p(across);
    expect(Array.from(across)).toEqual([1, -0.5, -0.5]);
    // Symmetric: a·(P b) = (P a)·b for any a, b.
    const a = Float64Array.of(5, -2, 7, 1, 0, -3);
    const b = Float64Array.of(-1, 4, 2, 6, -5, 8);
    const pa = Float64Array.from(a);
    const pb = Float64Array.from(b);
    p(pa);
    p(pb);
    const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => s + x * v[i]!, 0);
    expect(dot(a, pb)).toBeCloseTo(dot(pa, b), 10);
  });
});
