/**
 * The graph of the exact tiled objective (tiled-objective.ts), of symbolic size, run on one tile's
 * crop at a time. Its two passes are the branches of an If on the input `stats_pass`:
 *
 *   stats → image crop and slots in; per style layer the partial sums F·Fᵀ of each slot's box,
 *     and the content layer's features out. Summed over the tiles they are the whole picture's
 *     Gram matrices.
 *   gradient → image crop, slots, each style layer's [S,C,C] matrices D_k (the global
 *     (G − Gs) terms with their coefficients, from the sums above) and the content target in; the
 *     image gradient of the crop out: ∂L/∂F = D_k F on each slot's box of each style layer and
 *     2w/n · (F − Fc) · interior on the content layer, taken back through the crop by the same
 *     backward pass as the whole picture's graph (vgg-graph.ts).
 *
 * The style layers see a tile's interior as a few boxes ("slots", S of them): the parts of
 * the interior in each region of the regional term (one box, the interior, without regions), as
 * `starts_<p>`/`ends_<p>` [S,2] (row, column) at the layer's resolution and, for the gradient,
 * `pads_<p>` [S,8] that put a box's gradient back in the crop's map. Each box is sliced out, so a
 * Gram or its gradient costs the box's pixels, not the whole crop's once per region. A slot the
 * tile does not need gets a 1×1 box and a zero D. The content term keeps a 0/1 map of the
 * interior, `interior_<p>` [1,1,h,w]; p is the number of poolings above the layer. Each pooled map
 * is cut to what the interior's features need (`trim_<p>` [4], tile-plan.ts mapSpans), so the deeper
 * layers compute less of the margin; box and map coordinates are in the cut maps' cells.
 *
 * Each branch carries its own copy of the weights: onnxruntime reorders a conv's weights for its
 * NCHWc kernels only when they are the subgraph's own constants.
 */
import type { ConvAlgorithm, ObjectiveShape, RawLayer } from './vgg-graph.js';
import { IMAGE_INPUT, backwardPass, contentFeaturesOutput, forward, lossLayers, planLayers, type BackwardConv, type LayerPlan } from './vgg-graph.js';
import { GraphBuilder } from './graph-builder.js';

export const interiorInput = (level: number) => `interior_${level}`;
export const slotStartsInput = (level: number) => `starts_${level}`;
export const slotEndsInput = (level: number) => `ends_${level}`;
export const slotPadsInput = (level: number) => `pads_${level}`;
export const trimInput = (level: number) => `trim_${level}`;
export const gramPartsOutput = (layer: string) => `gram_parts_${layer}`;
export const gramDiffInput = (layer: string) => `gram_diff_${layer}`;
export const TILE_CONTENT_TARGET = 'content_target';
export const TILE_CONTENT_SCALE = 'content_scale';
export const TILE_GRAD = 'grad';
export const TILE_PASS_STATS = 'stats_pass';

/** The number of poolings above each planned conv. */
export function levelsOf(plan: readonly LayerPlan[]): number[] {
  let level = 0;
  return plan.map((p) => {
    const at = level;
    if (p.poolAfter) level++;
    return at;
  });
}

/** Regions of the regional term (the picture's Gram matrices are kept per region), else one. */
export const masksPerLayer = (shape: ObjectiveShape) => (shape.regionGrid > 0 ? shape.regionGrid ** 2 : 1);

/** What a branch's graph code needs: the builder, the plan, the forward pass of the crop, and the slot inputs (made once, shared by both branches). */
function setUp(b: GraphBuilder, weights: ReadonlyMap<string, RawLayer>, shape: ObjectiveShape, conv: ConvAlgorithm, slots: number) {
  const plan = planLayers(lossLayers(shape), 1024, 1024);
  const levels = levelsOf(plan);
  const at = new Map(plan.map((p, i) => [p.name, i]));
  const image = b.input(IMAGE_INPUT, [1, 'height', 'width', 3]);
  /** A map's size `level` poolings down. */
  const dims = (level: number): [string, string] => [`h${level}`, `w${level}`];
  const inputs = new Map<string, string>();
  const once = (name: string, make: () => string) => inputs.get(name) ?? (inputs.set(name, make()), inputs.get(name)!);
  /** Row k of an int64 [S,n] input as [n]. */
  const row = (input: string, k: number, n: number) => b.op('Reshape', [b.op('Slice', [input, b.int64([k]), b.int64([k + 1]), b.int64([0])]), b.int64([n])]);
  /** Slot k's box of a [1,C,h,w] map at `level`. */
  const box = (y: string, level: number, k: number) => {
    const starts = once(slotStartsInput(level), () => b.input(slotStartsInput(level), [slots, 2], 'int64'));
    const ends = once(slotEndsInput(level), () => b.input(slotEndsInput(level), [slots, 2], 'int64'));
    return b.op('Slice', [y, row(starts, k, 2), row(ends, k, 2), b.int64([2, 3])]);
  };
  const pads = (level: number) => once(slotPadsInput(level), () => b.input(slotPadsInput(level), [slots, 8], 'int64'));
  const trim = (level: number) => once(trimInput(level), () => b.input(trimInput(level), [4], 'int64'));
  const forwardPass = () => forward(b, weights, plan, shape.pooling, image, conv, true, trim);
  return { b, plan, levels, at, forwardPass, dims, box, row, pads };
}

type Parts = ReturnType<typeof setUp>;

/** The stats branch: each style layer's [S,C,C] partial sums, the content layer's features; a placeholder for the gradient (the branches' outputs match in number and rank). */
function statsBranch({ b, plan, levels, at, forwardPass, box }: Parts, shape: ObjectiveShape, slots: number): string[] {
  const fwd = forwardPass();
  const grams = shape.styleLayers.map(({ layer }) => {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const parts = Array.from({ length: slots }, (_, k) => {
      const f = b.op('Flatten', [box(fwd.outputs[i]!, levels[i]!, k)], { axis: 2 });
      return b.op('Reshape', [b.op('Gemm', [f, f], { transB: 1 }), b.int64([1, c, c])]);
    });
    return parts.length === 1 ? parts[0]! : b.op('Concat', parts, { axis: 0 });
  });
  return [...grams, fwd.outputs[at.get(shape.contentLayer)!]!, b.float([0], [1, 1, 1, 1], 'unused')];
}

/** The gradient branch: placeholders for the stats, the crop's image gradient. */
function gradientBranch({ b, plan, levels, at, forwardPass, dims, box, row, pads }: Parts, shape: ObjectiveShape, backward: BackwardConv, slots: number, conv: ConvAlgorithm): string[] {
  const fwd = forwardPass();
  const grads: string[][] = plan.map(() => []);
  for (const { layer } of shape.styleLayers) {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const level = levels[i]!;
    const diffs = b.input(gramDiffInput(layer), [slots, c, c]);
    const parts = Array.from({ length: slots }, (_, k) => {
      const y = box(fwd.outputs[i]!, level, k);
      const d = b.op('Reshape', [b.op('Slice', [diffs, b.int64([k]), b.int64([k + 1]), b.int64([0])]), b.int64([c, c])]);
      const g = b.op('Reshape', [b.op('MatMul', [d, b.op('Flatten', [y], { axis: 2 })]), b.op('Shape', [y])]);
      return b.op('Pad', [g, row(pads(level), k, 8)]);
    });
    grads[i]!.push(parts.length === 1 ? parts[0]! : b.op('Sum', parts));
  }
  const ci = at.get(shape.contentLayer)!;
  const interior = b.input(interiorInput(levels[ci]!), [1, 1, ...dims(levels[ci]!)]);
  const target = b.input(TILE_CONTENT_TARGET, [1, plan[ci]!.cout, ...dims(levels[ci]!)]);
  const scale = b.input(TILE_CONTENT_SCALE, []);
  grads[ci]!.push(b.op('Mul', [b.op('Mul', [b.op('Sub', [fwd.outputs[ci]!, target]), interior]), scale]));
  const grad = backwardPass(b, { ...fwd, plan, pooling: shape.pooling, backward, conv, symbolic: true }, (i) => [...grads[i]!]);
  const unused = b.float([0], [1, 1, 1], 'unused');
  return [...shape.styleLayers.map(() => unused), b.float([0], [1, 1, 1, 1], 'unused'), grad];
}

/**
 * Both passes in one graph, chosen by the boolean input `TILE_PASS_STATS`: one session, so one
 * onnxruntime arena serves both (two sessions' arenas were each held at their own peak).
 */
export function tileGraph(weights: ReadonlyMap<string, RawLayer>, shape: ObjectiveShape, backward: BackwardConv, slots: number, conv: ConvAlgorithm = 'direct'): Uint8Array {
  const b = new GraphBuilder();
  const parts = setUp(b, weights, shape, conv, slots);
  const isStats = b.input(TILE_PASS_STATS, [], 'bool');
  const stats = b.branch(() => statsBranch(parts, shape, slots));
  const gradient = b.branch(() => gradientBranch(parts, shape, backward, slots, conv));
  const outs = b.opN('If', [isStats], stats.outputs.length, { then_branch: stats, else_branch: gradient });
  shape.styleLayers.forEach(({ layer }, j) => b.output(outs[j]!, gramPartsOutput(layer), [`s_${j}`, `c_${j}`, `c_${j}`]));
  b.output(outs[shape.styleLayers.length]!, contentFeaturesOutput, [1, 'content_c', 'content_h', 'content_w']);
  b.output(outs[shape.styleLayers.length + 1]!, TILE_GRAD, [1, 'grad_h', 'grad_w', 'grad_c']);
  return b.encode('tile');
}
