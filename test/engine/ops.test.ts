import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/tfjs/backend.js';
import {
  conv2dRelu,
  gram,
  gradientMode,
  pool2x2,
  prepareConv,
  setGradientMode,
  totalVariation,
  type GradientMode,
  type PreparedConv,
} from '../../src/engine/tfjs/ops.js';

/** max |a-b| / max |b|: one scale for the whole tensor, so near-zero entries do not blow it up. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(b)).dataSync()[0]!);
}

function withMode<T>(mode: GradientMode, f: () => T): T {
  const before = gradientMode();
  setGradientMode(mode);
  try {
    return f();
  } finally {
    setGradientMode(before);
  }
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

describe.each(['wasm', 'cpu'] as const)('ops on %s', (backend) => {
  let convA: PreparedConv;
  let convB: PreparedConv;

  beforeAll(async () => {
    const info = await initBackend(backend, { threads: 2 });
    expect(info.name).toBe(backend);
    // 5 → 6 → 4 channels: in ≠ out, so a missing channel swap in the rotated kernel would show.
    convA = prepareConv(rand([3, 3, 5, 6], 1) as tf.Tensor4D, rand([6], 2) as tf.Tensor1D);
    convB = prepareConv(rand([3, 3, 6, 4], 3) as tf.Tensor4D, rand([4], 4) as tf.Tensor1D);
  });

  afterEach(() => setGradientMode('custom'));

  it('conv2dRelu matches plain conv + bias + relu, forward and image gradient', () => {
    // Odd, non-square size: 'same' padding at the borders is where a wrong rotation shows up.
    const x = rand([1, 9, 7, 5], 5);
    const r = rand([1, 9, 7, 6], 6);
    const run = (mode: GradientMode) =>
      withMode(mode, () => {
        const f = (img: tf.Tensor) => tf.sum(tf.mul(conv2dRelu(img as tf.Tensor4D, convA), r));
        return { y: conv2dRelu(x as tf.Tensor4D, convA), dx: tf.grad(f)(x) };
      });
    const custom = run('custom');
    const native = run('native');
    expect(relError(custom.y, native.y)).toBeLessThan(1e-4);
    expect(relError(custom.dx, native.dx)).toBeLessThan(1e-3);
    // relu masks part of the gradient, but not all of it.
    expect(tf.max(tf.abs(custom.dx)).dataSync()[0]).toBeGreaterThan(0);
  });

  it('the raw-kernel form caches the prepared conv and gives the same gradient', () => {
    const x = rand([1, 6, 6, 5], 7);
    const f = (img: tf.Tensor) => tf.sum(tf.square(conv2dRelu(img as tf.Tensor4D, convA.kernel, convA.bias)));
    const g = (img: tf.Tensor) => tf.sum(tf.square(conv2dRelu(img as tf.Tensor4D, convA)));
    tf.grad(f)(x).dispose();
    const before = tf.memory().numTensors;
    const dxRaw = tf.grad(f)(x);
    // Only the gradient itself is new: the rotated kernel was cached on the first call.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(relError(dxRaw, tf.grad(g)(x))).toBeLessThan(1e-6);
  });

  it('gram is FᵀF / (C·H·W) and its gradient matches autodiff', () => {
    const feats = rand([1, 5, 4, 6], 8) as tf.Tensor4D;
    const w = rand([6, 6], 9); // not symmetric: the gradient must use dG + dGᵀ
    const run = (mode: GradientMode) =>
      withMode(mode, () => ({ g: gram(feats), dx: tf.grad((f: tf.Tensor) => tf.sum(tf.mul(gram(f as tf.Tensor4D), w)))(feats) }));
    const custom = run('custom');
    const native = run('native');
    const f = tf.reshape(feats, [20, 6]);
    const expected = tf.div(tf.matMul(f, f, true, false), 6 * 5 * 4);
    expect(relError(custom.g, expected)).toBeLessThan(1e-5);
    expect(custom.g.shape).toEqual([6, 6]);
    expect(relError(custom.dx, native.dx)).toBeLessThan(1e-3);
  });

  it('a conv → pool → conv → gram chain has the same image gradient as tfjs autodiff', () => {
    for (const pooling of ['avg', 'max'] as const) {
      const x = rand([1, 11, 8, 5], 10);
      const target = rand([4, 4], 11);
      const loss = (img: tf.Tensor) => {
        const h = conv2dRelu(pool2x2(conv2dRelu(img as tf.Tensor4D, convA), pooling), convB);
        return tf.add(tf.sum(tf.squaredDifference(gram(h), target)), tf.mean(tf.square(h)));
      };
      const custom = withMode('custom', () => tf.grad(loss)(x));
      const native = withMode('native', () => tf.grad(loss)(x));
      expect(relError(custom, native), pooling).toBeLessThan(1e-3);
    }
  });

  it('pool2x2 halves the size and drops an odd last row/column, as Keras VGG19 does', async () => {
    const x = tf.tensor4d(Array.from({ length: 5 * 3 }, (_, i) => i), [1, 5, 3, 1]);
    const avg = pool2x2(x, 'avg');
    const max = pool2x2(x, 'max');
    expect(avg.shape).toEqual([1, 2, 1, 1]);
    // Windows: rows 0-1 × cols 0-1 = {0,1,3,4}; rows 2-3 = {6,7,9,10}.
    expect(Array.from(await avg.data())).toEqual([2, 8]);
    expect(Array.from(await max.data())).toEqual([4, 10]);
  });

  it('totalVariation is half the summed squared neighbour differences', async () => {
    const values = [1, 4, 2, 0, 3, 3, 5, 1, 2, 0, 1, 6]; // 2 rows × 3 cols × 2 channels
    const x = tf.tensor4d(values, [1, 2, 3, 2]);
    const at = (r: number, c: number, ch: number) => values[(r * 3 + c) * 2 + ch]!;
    let expected = 0;
    for (let ch = 0; ch < 2; ch++) {
      for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) expected += (at(r, c + 1, ch) - at(r, c, ch)) ** 2;
      for (let c = 0; c < 3; c++) expected += (at(1, c, ch) - at(0, c, ch)) ** 2;
    }
    expect((await totalVariation(x).data())[0]).toBeCloseTo(expected / 2, 4);
  });

  it('repeated gradient steps do not leak tensors', () => {
    const x = rand([1, 8, 8, 5], 12);
    const loss = (img: tf.Tensor) => tf.sum(gram(conv2dRelu(pool2x2(conv2dRelu(img as tf.Tensor4D, convA), 'avg'), convB)));
    const step = () => tf.tidy(() => tf.grad(loss)(x)).dispose();
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
