/**
 * The two graphs of the exact tiled objective (tiled-objective.ts), both of symbolic size, run on
 * one tile's crop at a time:
 *
 *   tileStatsGraph → image crop and masks in; per style layer the masked partial sums F·Fᵀ of the
 *     tile's interior (one per region of the regional term, else one), and the content layer's
 *     features out. Summed over the tiles they are the whole picture's Gram matrices.
 *   tileGradientGraph → image crop, masks, each style layer's [M,C,C] matrices D_k (the global
 *     (G − Gs) terms with their coefficients, from the sums above) and the content target in; the
 *     image gradient of the crop out: ∂L/∂F = Σ_k mask_k · D_k F on each style layer and
 *     2w/n · (F − Fc) · interior on the content layer, taken back through the crop by the same
 *     backward pass as the whole picture's graph (vgg-graph.ts).
 *
 * Masks are 0/1 maps at a layer's resolution: `interior_<p>` [1,1,h,w] where the tile owns the
 * pixel, `masks_<p>` [M,1,h,w] each region of the regional term within it (M = 1: the interior),
 * p the number of poolings above the layer.
 */
import type { ConvAlgorithm, ObjectiveShape, RawLayer } from './vgg-graph.js';
import { IMAGE_INPUT, backwardPass, contentFeaturesOutput, forward, lossLayers, planLayers, type BackwardConv, type LayerPlan } from './vgg-graph.js';
import { GraphBuilder } from './graph-builder.js';

export const interiorInput = (level: number) => `interior_${level}`;
export const masksInput = (level: number) => `masks_${level}`;
export const gramPartsOutput = (layer: string) => `gram_parts_${layer}`;
export const gramDiffInput = (layer: string) => `gram_diff_${layer}`;
export const TILE_CONTENT_TARGET = 'content_target';
export const TILE_CONTENT_SCALE = 'content_scale';
export const TILE_GRAD = 'grad';

/** The number of poolings above each planned conv. */
export function levelsOf(plan: readonly LayerPlan[]): number[] {
  let level = 0;
  return plan.map((p) => {
    const at = level;
    if (p.poolAfter) level++;
    return at;
  });
}

/** Masks per style layer: the regions of the regional term, else one. */
export const masksPerLayer = (shape: ObjectiveShape) => (shape.regionGrid > 0 ? shape.regionGrid ** 2 : 1);

function setUp(weights: ReadonlyMap<string, RawLayer>, shape: ObjectiveShape, conv: ConvAlgorithm) {
  const b = new GraphBuilder();
  const plan = planLayers(lossLayers(shape), 1024, 1024);
  const levels = levelsOf(plan);
  const at = new Map(plan.map((p, i) => [p.name, i]));
  const image = b.input(IMAGE_INPUT, [1, 'height', 'width', 3]);
  const fwd = forward(b, weights, plan, shape.pooling, image, conv, true);
  const masks = new Map<number, string>();
  const maskOf = (level: number) => {
    let m = masks.get(level);
    if (!m) masks.set(level, (m = b.input(masksInput(level), [masksPerLayer(shape), 1, `h${level}`, `w${level}`])));
    return m;
  };
  /** Mask k of [M,1,h,w] as [1,1,h,w]. */
  const maskK = (m: string, k: number) => b.op('Slice', [m, b.int64([k]), b.int64([k + 1]), b.int64([0])]);
  return { b, plan, levels, at, image, fwd, maskOf, maskK };
}

export function tileStatsGraph(weights: ReadonlyMap<string, RawLayer>, shape: ObjectiveShape, conv: ConvAlgorithm = 'direct'): Uint8Array {
  const { b, plan, levels, at, fwd, maskOf, maskK } = setUp(weights, shape, conv);
  const m = masksPerLayer(shape);
  for (const { layer } of shape.styleLayers) {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const masks = maskOf(levels[i]!);
    const parts = Array.from({ length: m }, (_, k) => {
      const f = b.op('Flatten', [b.op('Mul', [fwd.outputs[i]!, maskK(masks, k)])], { axis: 2 });
      return b.op('Reshape', [b.op('Gemm', [f, f], { transB: 1 }), b.int64([1, c, c])]);
    });
    b.output(parts.length === 1 ? parts[0]! : b.op('Concat', parts, { axis: 0 }), gramPartsOutput(layer), [m, c, c]);
  }
  const ci = at.get(shape.contentLayer)!;
  b.output(fwd.outputs[ci]!, contentFeaturesOutput, [1, plan[ci]!.cout, 'ch', 'cw']);
  return b.encode('tile_stats');
}

export function tileGradientGraph(weights: ReadonlyMap<string, RawLayer>, shape: ObjectiveShape, backward: BackwardConv, conv: ConvAlgorithm = 'direct'): Uint8Array {
  const { b, plan, levels, at, fwd, maskOf, maskK } = setUp(weights, shape, conv);
  const m = masksPerLayer(shape);
  const grads: string[][] = plan.map(() => []);
  for (const { layer } of shape.styleLayers) {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const y = fwd.outputs[i]!;
    const masks = maskOf(levels[i]!);
    const diffs = b.input(gramDiffInput(layer), [m, c, c]);
    const f = b.op('Flatten', [y], { axis: 2 });
    const shapeOfY = b.op('Shape', [y]);
    const parts = Array.from({ length: m }, (_, k) => {
      const d = b.op('Reshape', [b.op('Slice', [diffs, b.int64([k]), b.int64([k + 1]), b.int64([0])]), b.int64([c, c])]);
      return b.op('Mul', [b.op('Reshape', [b.op('MatMul', [d, f]), shapeOfY]), maskK(masks, k)]);
    });
    grads[i]!.push(parts.length === 1 ? parts[0]! : b.op('Sum', parts));
  }
  const ci = at.get(shape.contentLayer)!;
  const interior = b.input(interiorInput(levels[ci]!), [1, 1, `h${levels[ci]}`, `w${levels[ci]}`]);
  const target = b.input(TILE_CONTENT_TARGET, [1, plan[ci]!.cout, 'ch', 'cw']);
  const scale = b.input(TILE_CONTENT_SCALE, []);
  grads[ci]!.push(b.op('Mul', [b.op('Mul', [b.op('Sub', [fwd.outputs[ci]!, target]), interior]), scale]));
  const grad = backwardPass(b, { ...fwd, plan, pooling: shape.pooling, backward, conv, symbolic: true }, (i) => [...grads[i]!]);
  b.output(grad, TILE_GRAD, [1, 'height', 'width', 3]);
  return b.encode('tile_gradient');
}
