/**
 * The generated ONNX objective against tfjs autodiff (plain tfjs ops, 'native' gradient mode, on
 * the cpu backend, whose sums are closer to exact than wasm's) with the real VGG19 weights on small random images: the same losses within
 * 1e-4 and the same image gradient within 1e-3 (relative), for every loss option a user can set.
 * Those sizes are too small for the Winograd convs, so they are checked against the direct ones:
 * one layer, and the whole objective at a size where the deep layers take them.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/tfjs/backend.js';
import { setGradientMode } from '../../src/engine/tfjs/ops.js';
import { startRuntime } from '../../src/engine/runtime/index.js';
import type { LossSpec, Runtime, ScaleImages } from '../../src/engine/runtime/types.js';
import { mulberry32 } from '../../src/engine/stylize.js';
import { DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, resolveOptions } from '../../src/engine/defaults.js';
import { lossSpec } from '../../src/engine/loss-spec.js';
import { GraphBuilder } from '../../src/engine/onnx/graph-builder.js';
import { startOnnxRuntime } from '../../src/engine/onnx/runtime.js';
import { objectiveGraph, objectiveShape, oihwKernel, type RawLayer } from '../../src/engine/onnx/vgg-graph.js';
import { F2, F4, winogradConv } from '../../src/engine/onnx/winograd.js';
import { readVggWeights } from '../../src/engine/weights/index.js';
import { WEIGHTS } from '../support/fixtures.js';

let onnx: Runtime;
let tfjs: Runtime;
beforeAll(async () => {
  setGradientMode('native');
  onnx = await startRuntime('onnx', { weights: WEIGHTS, threads: 2 });
  // Weights are loaded and their kernels rotated on wasm (exact copies, and 20× quicker than on
  // cpu); the tensors then move to the cpu backend, which computes the reference.
  tfjs = await startRuntime('wasm', { weights: WEIGHTS, threads: 2 });
  expect((await initBackend('cpu')).name).toBe('cpu');
});
afterAll(() => {
  setGradientMode('custom');
  onnx?.dispose();
  tfjs?.dispose();
});

function picture(width: number, height: number, seed: number) {
  const random = mulberry32(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)) };
}

// Odd sizes: the pools drop a row or a column at some depth, where a wrong backward pass shows.
const W = 29;
const H = 23;
const x = Float32Array.from(picture(W, H, 1).data, (v) => v + 0.25);

const defaults: LossSpec = { contentLayer: 'block4_conv2', styleLayers: DEFAULT_STYLE_LAYERS, contentWeight: 5, styleWeight: 100, tvWeight: 1e-3, pooling: 'avg' };
const cases: [string, LossSpec, ScaleImages['styles']][] = [
  ['avg pooling, one style', defaults, [{ image: picture(32, 26, 3), weight: 1 }]],
  ['max pooling, one style', { ...defaults, pooling: 'max' }, [{ image: picture(32, 26, 3), weight: 1 }]],
  [
    'avg pooling, two weighted styles, other layers and weights, strong TV',
    {
      contentLayer: 'block3_conv2',
      styleLayers: [
        { layer: 'block1_conv2', weight: 0.5 },
        { layer: 'block3_conv2', weight: 2 },
      ],
      contentWeight: 2,
      styleWeight: 1e3,
      tvWeight: 0.05,
      pooling: 'avg',
    },
    [
      { image: picture(32, 26, 3), weight: 1 },
      { image: picture(24, 34, 4), weight: 3 },
    ],
  ],
  ['max pooling, two styles', { ...defaults, pooling: 'max' }, [{ image: picture(32, 26, 3), weight: 2 }, { image: picture(24, 34, 4), weight: 1 }]],
  // At 23 px high, block5's map is one row: some of its regions are empty.
  ['a share of the style asked of each quadrant (regionalStyle)', { ...defaults, regionalStyle: 0.5 }, [{ image: picture(32, 26, 3), weight: 1 }]],
  ['a share of the style asked of each of 3×3 regions', { ...defaults, regionalStyle: 0.4, regionGrid: 3 }, [{ image: picture(32, 26, 3), weight: 1 }]],
  ['regions and balance together', { ...defaults, regionalStyle: 0.5, photoStyleDistance: 3e4 }, [{ image: picture(32, 26, 3), weight: 1 }]],
  ['balanced style term (photoStyleDistance)', { ...defaults, photoStyleDistance: 3e4 }, [{ image: picture(32, 26, 3), weight: 1 }]],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Two runtimes' objectives at the same picture: losses within `lossTol`, gradients within `gradTol` of the largest (relative). */
async function expectSameObjective(runtimes: [Runtime, Runtime], images: ScaleImages, loss: LossSpec, pixels: Float32Array, lossTol: number, gradTol: number) {
  const [a, b] = await Promise.all(runtimes.map((r) => r.prepare(images, loss)));
  try {
    const got = await a!.evaluate(pixels);
    const want = await b!.evaluate(pixels);
    for (const part of ['content', 'style', 'tv', 'total'] as const) expect(rel(got.info[part], want.info[part])).toBeLessThan(lossTol);
    const scale = want.grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = want.grad.reduce((m, v, i) => Math.max(m, Math.abs(v - got.grad[i]!)), 0);
    expect(worst / scale).toBeLessThan(gradTol);
  } finally {
    a!.dispose();
    b!.dispose();
  }
}

describe('ONNX objective = tfjs autodiff (real weights, random images)', () => {
  it.each(cases)('%s', async (_, loss, styles) => {
    const images: ScaleImages = { width: W, height: H, content: picture(W, H, 2), styles };
    const [a, b] = await Promise.all([onnx.prepare(images, loss), tfjs.prepare(images, loss)]);
    try {
      const got = await a.evaluate(x);
      const want = await b.evaluate(x);
      for (const part of ['content', 'style', 'tv', 'total'] as const) {
        expect(want.info[part]).toBeGreaterThan(0);
        expect(rel(got.info[part], want.info[part])).toBeLessThan(1e-4);
      }
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < want.grad.length; i++) {
        worst = Math.max(worst, Math.abs(got.grad[i]! - want.grad[i]!));
        scale = Math.max(scale, Math.abs(want.grad[i]!));
      }
      expect(worst / scale).toBeLessThan(1e-3);
      // The losses-only path scores the same.
      expect(rel((await a.losses(x)).total, want.info.total)).toBeLessThan(1e-4);
      // Balanced, the photo's own style loss is styleWeight × photoStyleDistance on both.
      if (loss.photoStyleDistance !== undefined) {
        const photo = Float32Array.from(images.content.data);
        for (const o of [a, b]) expect(rel((await o.losses(photo)).style, loss.styleWeight * loss.photoStyleDistance)).toBeLessThan(1e-3);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('block1_conv1 sees the border through its edge pixels: a flat picture matches a flat style of another size', async () => {
    // With zeros beyond the border, the features along it differ from the inside's, by an amount
    // that depends on the picture's size; with the edge replicated a flat picture is flat throughout.
    const flat = (width: number, height: number) => ({ width, height, data: new Uint8Array(width * height * 3).fill(90) });
    const loss: LossSpec = { ...defaults, contentLayer: 'block1_conv1', styleLayers: [{ layer: 'block1_conv1', weight: 1 }] };
    const images: ScaleImages = { width: W, height: H, content: flat(W, H), styles: [{ image: flat(40, 12), weight: 1 }] };
    const flatX = Float32Array.from(flat(W, H).data);
    for (const runtime of [onnx, tfjs]) {
      const o = await runtime.prepare(images, loss);
      try {
        const noisy = await o.losses(x);
        const same = await o.losses(flatX);
        expect(same.style).toBeLessThan(1e-6 * noisy.style);
      } finally {
        o.dispose();
      }
    }
  });
});

describe('one session of symbolic size = a session per shape', () => {
  // What a default job asks at its 128 px scale: regions and balance included.
  const jobLoss = lossSpec(DEFAULT_OPTIONS, 128);
  // One pair of runtimes for the tests below: each test asserts which sessions it built itself.
  const built: Record<'symbolic' | 'fixed', string[]> = { symbolic: [], fixed: [] };
  let symbolic: Runtime;
  let fixed: Runtime;
  beforeAll(async () => {
    [symbolic, fixed] = await Promise.all([
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, onObjectiveSession: (size) => built.symbolic.push(size) }),
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, symbolicUpTo: 0, onObjectiveSession: (size) => built.fixed.push(size) }),
    ]);
  });
  afterAll(() => {
    symbolic?.dispose();
    fixed?.dispose();
  });
  /** The sessions `symbolic` and `fixed` build while `run` runs. */
  async function buildsDuring(run: () => Promise<void>): Promise<typeof built> {
    const [s, f] = [built.symbolic.length, built.fixed.length];
    await run();
    return { symbolic: built.symbolic.slice(s), fixed: built.fixed.slice(f) };
  }

  it('the default loss\'s session of symbolic size is built at start', () => {
    expect(built.symbolic).toEqual(['symbolic/direct']);
    expect(built.fixed).toEqual([]);
  });

  // The small scales of every job run on the symbolic one; the per-shape graph is the reference.
  it.each([
    ['avg pooling', jobLoss],
    ['max pooling', { ...jobLoss, pooling: 'max' } as LossSpec],
  ])('%s: the same losses and gradient at odd and even sizes', async (_, loss) => {
    const builds = await buildsDuring(async () => {
      for (const [width, height] of [
        [29, 23],
        [64, 48],
        [47, 61],
      ] as const) {
        const images: ScaleImages = { width, height, content: picture(width, height, 9), styles: [{ image: picture(40, 30, 10), weight: 1 }] };
        const pixels = Float32Array.from(picture(width, height, 11).data, (v) => v + 0.25);
        await expectSameObjective([symbolic, fixed], images, loss, pixels, 1e-5, 1e-5);
      }
    });
    // The default loss's symbolic session was built at start; max pooling needs its own.
    expect(builds.symbolic).toEqual(loss.pooling === 'avg' ? [] : ['symbolic/direct']);
    expect(builds.fixed).toEqual(['23x29/direct', '48x64/direct', '61x47/direct']);
  });

  it("a default job's small scales (its regions and balance included) run on the session built at start", async () => {
    expect(jobLoss.regionalStyle).toBeGreaterThan(0);
    const builds = await buildsDuring(async () => {
      const objective = await symbolic.prepare({ width: 132, height: 89, content: picture(132, 89, 6), styles: [{ image: picture(60, 50, 7), weight: 1 }] }, jobLoss);
      objective.dispose();
    });
    expect(builds.symbolic).toEqual([]);
  });

  it('two strengths share one session (the weights are fed, not built in) and each computes its own objective', async () => {
    const images: ScaleImages = { width: W, height: H, content: picture(W, H, 12), styles: [{ image: picture(32, 26, 13), weight: 1 }] };
    const [weak, strong] = [0.2, 0.9].map((strength) => lossSpec(resolveOptions({ strength }), 128));
    expect(strong!.styleWeight).toBeGreaterThan(weak!.styleWeight);
    const builds = await buildsDuring(async () => {
      const first = await symbolic.prepare(images, weak!);
      const before = await first.evaluate(x);
      first.dispose();
      // Each strength's losses and gradient are tfjs autodiff's for that strength, on one session.
      await expectSameObjective([symbolic, tfjs], images, strong!, x, 1e-4, 1e-3);
      await expectSameObjective([symbolic, tfjs], images, weak!, x, 1e-4, 1e-3);
      // The weak one again, after the strong one: bit for bit what it gave first.
      const again = await symbolic.prepare(images, weak!);
      const after = await again.evaluate(x);
      again.dispose();
      expect(after.info).toEqual(before.info);
      expect(after.grad).toEqual(before.grad);
    });
    // Both ran on the default loss's session, built at start.
    expect(builds.symbolic).toEqual([]);
  });

  it('Winograd convs: the same objective, and one session serves both orientations of a photo and a square one', async () => {
    // 130 columns: the last 4×4 tiles hang over and are cropped; 128 rows: they fit exactly.
    const built: Record<'symbolic' | 'fixed', string[]> = { symbolic: [], fixed: [] };
    const [symbolic, fixed] = await Promise.all([
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, conv: 'winograd', onObjectiveSession: (size) => built.symbolic.push(size) }),
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, conv: 'winograd', symbolicUpTo: 0, onObjectiveSession: (size) => built.fixed.push(size) }),
    ]);
    try {
      const images = (width: number, height: number): ScaleImages => ({ width, height, content: picture(width, height, 3), styles: [{ image: picture(60, 50, 4), weight: 1 }] });
      const pixels = (width: number, height: number) => Float32Array.from(picture(width, height, 5).data, (v) => v + 0.25);
      await expectSameObjective([symbolic, fixed], images(130, 128), jobLoss, pixels(130, 128), 1e-5, 1e-5);
      const turned = await symbolic.prepare(images(128, 130), jobLoss);
      try {
        const { grad, info } = await turned.evaluate(pixels(128, 130));
        expect(grad).toHaveLength(128 * 130 * 3);
        expect(Number.isFinite(info.total) && info.style > 0).toBe(true);
      } finally {
        turned.dispose();
      }
      // A square photo's 512 px scale, on its canvas with the margin (520×520), takes the same
      // session: no build of its own shape, no fall back to direct convs.
      (await symbolic.prepare(images(520, 520), jobLoss)).dispose();
      expect(built.symbolic).toEqual(['symbolic/winograd']);
      expect(built.fixed).toEqual(['128x130/winograd']);
    } finally {
      symbolic.dispose();
      fixed.dispose();
    }
  });
});

describe('Winograd convs = direct convs (real weights)', () => {
  let weights: ReadonlyMap<string, RawLayer>;
  // One runtime of each conv algorithm, for both poolings.
  let direct: Runtime;
  let wino: Runtime;
  beforeAll(async () => {
    const raw = await readVggWeights(WEIGHTS);
    weights = new Map([...raw.layers].map(([layer, w]) => [layer, { kernel: w.kernel.values, bias: w.bias.values }]));
    [direct, wino] = await Promise.all([
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, conv: 'direct' }),
      startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, conv: 'winograd' }),
    ]);
  });
  afterAll(() => {
    direct?.dispose();
    wino?.dispose();
  });

  // Odd sizes: the last tiles hang over the edge and are cropped.
  it.each([
    ['F(2×2, 3×3)', F2],
    ['F(4×4, 3×3)', F4],
  ] as const)('%s: one 512→512 layer with its bias, 13×11', async (_, transforms) => {
    const [h, w, c] = [13, 11, 512];
    const raw = weights.get('block4_conv2')!;
    const graph = (winograd: boolean) => {
      const b = new GraphBuilder();
      const x = b.input('x', [1, c, h, w]);
      const bias = b.float(raw.bias, [c]);
      const kernel = oihwKernel(b, raw, c, c, 'l', false);
      const y = winograd
        ? winogradConv(b, { input: x, kernel, cin: c, cout: c, h, w, bias, name: 'l' }, transforms)
        : b.op('Conv', [x, kernel, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      b.output(y, 'y', [1, c, h, w]);
      return ort.InferenceSession.create(b.encode('conv'), { intraOpNumThreads: 2, logSeverityLevel: 3 });
    };
    const random = mulberry32(5);
    // Post-ReLU-like inputs, as the layer sees.
    const x = new ort.Tensor('float32', Float32Array.from({ length: c * h * w }, () => Math.max(0, random() * 4 - 1)), [1, c, h, w]);
    const [direct, wino] = await Promise.all([graph(false), graph(true)]);
    const want = (await direct.run({ x })).y!.data as Float32Array;
    const got = (await wino.run({ x })).y!.data as Float32Array;
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const worst = want.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-4);
    await Promise.all([direct.release(), wino.release()]);
  });

  // Large enough that block4 (11×9) takes the Winograd path, forward and backward.
  it.each([
    ['avg pooling', defaults],
    ['max pooling', { ...defaults, pooling: 'max' } as LossSpec],
  ])('the objective with Winograd convs = with direct convs, %s, 88×72', async (_, loss) => {
    const [width, height] = [88, 72];
    expect(Buffer.from(objectiveGraph(weights, objectiveShape(loss), height, width, { backward: 'rotated', conv: 'winograd' })).includes('DepthToSpace')).toBe(true);
    const images: ScaleImages = { width, height, content: picture(width, height, 6), styles: [{ image: picture(80, 64, 7), weight: 1 }] };
    const pixels = Float32Array.from(picture(width, height, 8).data, (v) => v + 0.25);
    await expectSameObjective([wino, direct], images, loss, pixels, 1e-4, 1e-3);
  });
});
