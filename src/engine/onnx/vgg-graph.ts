/**
 * The Gatys objective as ONNX graphs generated from the loaded VGG19 weights, with only the layers
 * the loss reads (up to the deepest of them).
 *
 *   objectiveGraph(weights, shape, h, w, opts) → one model: image [1,H,W,3] (RGB 0..255), the
 *     scale's targets and the loss's weights (scalars: objectiveWeights) in; content, style and tv
 *     losses (scalars, weighted) and the image gradient [1,H,W,3] out. Only the loss's shape
 *     (layers, pooling, region grid) is built in, so one session serves every strength. The backward pass is written out by hand, layer by layer, in reverse:
 *       conv        → the same kernel through ConvTranspose (or, opts.backward 'rotated', a forward
 *                     Conv with the 180°-rotated, in/out-swapped kernel);
 *       ReLU        → × Sign(y) (y ≥ 0 after ReLU, so Sign is the 0/1 mask, 0 where y = 0 as in tfjs);
 *       avg pool    → nearest ×2 upsampling × ¼, zero-padded back over a dropped odd row/column;
 *       max pool    → the gradient scattered to the arg-max that MaxPool reports;
 *       Gram        → ∂/∂F of w·mean((FFᵀ/N − Gs)²) = 4w/(C²N) · (G − Gs) F, one Gemm; with
 *                     regions, each region's own term the same way, concatenated back into place;
 *       content     → 2w/n · (F − Fc);
 *       TV          → differences of neighbours, padded back into place.
 *     The Caffe preprocessing (RGB→BGR, minus the mean) is folded in: the mean is subtracted in RGB
 *     order and the first kernel's input channels are reversed, so the gradient comes out in RGB.
 *   featuresGraph(weights, layers, pooling) → image [1,h,w,3] (symbolic size) in; the content
 *     layer's features and FFᵀ (unnormalised; the caller divides by C·h·w) of each style layer out.
 *
 * The objective's shapes are static (a session per scale shape, which Winograd's tiling needs) or
 * symbolic (one session for every small scale; runtime.ts has the measurements); the features
 * graph's are symbolic, as it runs once per image and scale.
 */
import type { LossSpec } from '../runtime/types.js';
import type { PoolingName } from '../types.js';
import { layersDownTo } from '../layers.js';
import { GraphBuilder } from './graph-builder.js';
import { winogradConv, winogradFor } from './winograd.js';

/** One conv layer as read from the weights: kernel [3,3,Cin,Cout] (HWIO, as tfjs/Keras store it), bias [Cout]. */
export interface RawLayer {
  kernel: Float32Array;
  bias: Float32Array;
}


export type BackwardConv = 'convtranspose' | 'rotated';
/**
 * How the 3×3 convs after the first are computed: onnxruntime's direct Conv, or Winograd where
 * `winogradFor` says it beats that (forward, and the input gradients of 'rotated'; winograd.ts).
 */
export type ConvAlgorithm = 'direct' | 'winograd';

export interface ObjectiveGraphOptions {
  /** Leave the backward pass out: losses only (the saved image's score). */
  gradient?: boolean;
  backward?: BackwardConv;
  conv?: ConvAlgorithm;
}

/** RGB order of the Caffe mean the weights were trained with (B 103.939, G 116.779, R 123.68). */
const MEAN_RGB = [123.68, 116.779, 103.939];

export const IMAGE_INPUT = 'image';
export const CONTENT_INPUT = 'content_target';
/** The loss's weights, fed as scalars [] (objectiveWeights says what each holds). */
export const WEIGHT_INPUTS = { content: 'content_weight', tv: 'tv_weight', regionShare: 'region_share' } as const;
export const styleWeightInput = (layer: string) => `style_weight_${layer}`;
export const gramInput = (layer: string) => `gram_${layer}`;
export const OUTPUTS = { content: 'content_loss', style: 'style_loss', tv: 'tv_loss', grad: 'grad' } as const;
export const contentFeaturesOutput = 'content_features';
export const gramOutput = (layer: string) => `gram_raw_${layer}`;

export interface LayerPlan {
  name: string;
  cin: number;
  cout: number;
  /** Input size of this conv (its output has the same). */
  h: number;
  w: number;
  /** A 2×2 pool follows (the block ends here and the network goes deeper). */
  poolAfter: boolean;
}

/** The convs from block1_conv1 down to the deepest wanted layer, with their sizes for an H×W input. */
export function planLayers(wanted: Iterable<string>, height: number, width: number): LayerPlan[] {
  const layers = layersDownTo(wanted);
  let h = height;
  let w = width;
  return layers.map((layer, i) => {
    // The deepest layer's pool is left out: nothing reads past it.
    const plan = { name: layer.name, cin: layer.cin, cout: layer.filters, h, w, poolAfter: layer.poolAfter && i < layers.length - 1 };
    if (plan.poolAfter) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    return plan;
  });
}

export function lossLayers(loss: { contentLayer: string; styleLayers: readonly { layer: string }[] }): string[] {
  return [...new Set([loss.contentLayer, ...loss.styleLayers.map((l) => l.layer)])];
}

/** What an objective graph is built for: the loss without its weights. */
export interface ObjectiveShape {
  contentLayer: string;
  styleLayers: readonly { layer: string }[];
  pooling: PoolingName;
  /** Regions per side of the regional style term; 0: none (one Gram of the whole picture). */
  regionGrid: number;
}

export function objectiveShape(loss: LossSpec): ObjectiveShape {
  const { contentLayer, pooling } = loss;
  return { contentLayer, styleLayers: loss.styleLayers.map(({ layer }) => ({ layer })), pooling, regionGrid: (loss.regionalStyle ?? 0) > 0 ? (loss.regionGrid ?? 2) : 0 };
}

/**
 * The values of the weight inputs for `loss`, with `styleScale` (the balance) on every style
 * layer's weight: the graph's style term is Σ_l input_l · ((1 − share)·mean((G − Gs)²) + share ·
 * mean over regions of mean((G_region − Gs)²)).
 */
export function objectiveWeights(loss: LossSpec, styleScale: number): Record<string, number> {
  const weights: Record<string, number> = { [WEIGHT_INPUTS.content]: loss.contentWeight, [WEIGHT_INPUTS.tv]: loss.tvWeight };
  if (objectiveShape(loss).regionGrid > 0) weights[WEIGHT_INPUTS.regionShare] = loss.regionalStyle!;
  for (const { layer, weight } of loss.styleLayers) weights[styleWeightInput(layer)] = loss.styleWeight * weight * styleScale;
  return weights;
}

/**
 * The kernels in the graph: each layer's HWIO weights go in as they were read, and the OIHW
 * layout, the BGR reversal and the rotated kernels of the input gradients are ops on them that
 * onnxruntime folds into constants when it builds the session (in native code, on every core).
 * Done here in JS, with the Winograd transforms, they were most of a session's set-up: 7 s of
 * the 7.6 s a 256 px Winograd session took, and a 459 MB model instead of 52 MB.
 */
export function oihwKernel(b: GraphBuilder, raw: RawLayer, cin: number, cout: number, name: string, reverseInput: boolean): string {
  const k = b.op('Transpose', [b.float(raw.kernel, [3, 3, cin, cout], `${name}_hwio`)], { perm: [3, 2, 0, 1] });
  return reverseInput ? reversed(b, k, [1]) : k;
}

/** OIHW [cout,cin,3,3] → the kernel of the input gradient as a forward conv: [cin,cout,3,3], rotated 180°. */
function rotatedKernel(b: GraphBuilder, oihwKernel: string): string {
  return reversed(b, b.op('Transpose', [oihwKernel], { perm: [1, 0, 2, 3] }), [2, 3]);
}

/** `value` with the order along `axes` reversed (a Slice with step −1). */
function reversed(b: GraphBuilder, value: string, axes: number[]): string {
  return b.op('Slice', [value, b.int64(axes.map(() => -1)), b.int64(axes.map(() => -(2 ** 53))), b.int64(axes), b.int64(axes.map(() => -1))]);
}

const CONV_ATTRS = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
/**
 * block1_conv1 meets the image border through replicated edge pixels, not zeros: a zero in the
 * mean-subtracted input is a grey frame that the style loss then paints along the border (a
 * visible line on several pairs). Edge replication is defined for any size, symbolic ones too.
 */
const FIRST_CONV_ATTRS = { kernel_shape: [3, 3], pads: [0, 0, 0, 0], strides: [1, 1] };
const EDGE_PADS = [0, 0, 1, 1, 0, 0, 1, 1];

function layerWeights(weights: ReadonlyMap<string, RawLayer>, name: string): RawLayer {
  const w = weights.get(name);
  if (!w) throw new Error(`weights have no ${name}`);
  return w;
}

/**
 * The forward pass in NCHW from an NHWC RGB input: the post-ReLU output of every planned conv.
 * `symbolic`: the plan's sizes are placeholders, so Winograd convs take theirs from Shape.
 * `trimInput(level)`: an int64 [4] input (top, left, bottom, right) of cells cut off each pooled
 * map, `level` poolings down (a tile's crop keeps only what its interior's features need).
 */
export function forward(
  b: GraphBuilder,
  weights: ReadonlyMap<string, RawLayer>,
  plan: LayerPlan[],
  pooling: PoolingName,
  image: string,
  conv: ConvAlgorithm = 'direct',
  symbolic = false,
  trimInput?: (level: number) => string,
) {
  const nchw = b.op('Transpose', [image], { perm: [0, 3, 1, 2] });
  let x = b.op('Sub', [nchw, b.float(MEAN_RGB, [1, 3, 1, 1], 'mean')]);
  const kernels: string[] = [];
  const outputs: string[] = [];
  const poolIndices: (string | undefined)[] = [];
  /** Per conv: the trim input applied after its pool. */
  const trims: (string | undefined)[] = [];
  let level = 0;
  for (const [i, layer] of plan.entries()) {
    const raw = layerWeights(weights, layer.name);
    const k = oihwKernel(b, raw, layer.cin, layer.cout, layer.name, i === 0);
    kernels.push(k);
    const bias = b.float(raw.bias, [layer.cout], `${layer.name}_b`);
    const size = symbolic ? {} : { h: layer.h, w: layer.w };
    const wino = conv === 'winograd' && i > 0 ? winogradFor(layer.cin, layer.cout, size.h, size.w) : undefined;
    const y = b.op('Relu', [
      i === 0
        ? b.op('Conv', [b.op('Pad', [x, b.int64(EDGE_PADS)], { mode: 'edge' }), k, bias], FIRST_CONV_ATTRS)
        : wino
          ? winogradConv(b, { input: x, kernel: k, cin: layer.cin, cout: layer.cout, ...size, bias, name: layer.name }, wino)
          : b.op('Conv', [x, k, bias], CONV_ATTRS),
    ]);
    outputs.push(y);
    if (!layer.poolAfter) {
      poolIndices.push(undefined);
      x = y;
    } else if (pooling === 'avg') {
      poolIndices.push(undefined);
      x = b.op('AveragePool', [y], { kernel_shape: [2, 2], strides: [2, 2] });
    } else {
      const [pooled, indices] = b.opN('MaxPool', [y], 2, { kernel_shape: [2, 2], strides: [2, 2] });
      poolIndices.push(indices);
      x = pooled!;
    }
    if (layer.poolAfter) level++;
    const trim = layer.poolAfter && trimInput ? trimInput(level) : undefined;
    trims.push(trim);
    if (trim) {
      const hw = b.op('Slice', [b.op('Shape', [x]), b.int64([2]), b.int64([4])]);
      x = b.op('Slice', [x, firstTwo(b, trim), b.op('Sub', [hw, lastTwo(b, trim)]), b.int64([2, 3])]);
    }
  }
  return { kernels, outputs, poolIndices, trims };
}

const firstTwo = (b: GraphBuilder, trim: string) => b.op('Slice', [trim, b.int64([0]), b.int64([2])]);
const lastTwo = (b: GraphBuilder, trim: string) => b.op('Slice', [trim, b.int64([2]), b.int64([4])]);

/** The gradient of a trim: zeros back where the cells were cut off. */
function untrim(b: GraphBuilder, g: string, trim: string): string {
  const zeros = b.int64([0, 0]);
  return b.op('Pad', [g, b.op('Concat', [zeros, firstTwo(b, trim), zeros, lastTwo(b, trim)], { axis: 0 })]);
}

export function objectiveGraph(
  weights: ReadonlyMap<string, RawLayer>,
  loss: ObjectiveShape,
  /** The scale's size; 'symbolic' for one session that takes any size. */
  height: number | 'symbolic',
  width: number | 'symbolic',
  opts: ObjectiveGraphOptions = {},
): Uint8Array {
  const gradient = opts.gradient ?? true;
  const backward = opts.backward ?? 'convtranspose';
  const symbolic = height === 'symbolic' || width === 'symbolic';
  const conv = opts.conv ?? 'direct';
  const b = new GraphBuilder();
  // Symbolic: the plan's sizes are placeholders and the graph takes every size from Shape ops
  // (which onnxruntime folds into constants wherever the input size is fixed).
  const plan = planLayers(lossLayers(loss), symbolic ? 1024 : height, symbolic ? 1024 : width);
  const at = new Map(plan.map((p, i) => [p.name, i]));
  const image = b.input(IMAGE_INPUT, [1, symbolic ? 'height' : height, symbolic ? 'width' : width, 3]);
  const { kernels, outputs, poolIndices } = forward(b, weights, plan, loss.pooling, image, conv, symbolic);
  const shapeOf = (v: string) => b.op('Shape', [v]);
  /** 1 / (number of elements of `v`), a float scalar. */
  const perElement = (v: string) => b.op('Reciprocal', [b.op('ReduceProd', [b.op('Cast', [shapeOf(v)], { to: FLOAT })], { keepdims: 0 })]);

  /** Gradient contributions to each conv's output, summed when the backward pass reaches it. */
  const grads: string[][] = plan.map(() => []);

  // Content: w · mean((F − Fc)²).
  const ci = at.get(loss.contentLayer)!;
  const cl = plan[ci]!;
  const contentTarget = b.input(CONTENT_INPUT, [1, cl.cout, symbolic ? 'ch' : cl.h, symbolic ? 'cw' : cl.w]);
  const contentDiff = b.op('Sub', [outputs[ci]!, contentTarget]);
  const contentMean = perElement(contentDiff);
  const contentWeight = b.input(WEIGHT_INPUTS.content, []);
  const contentLoss = b.op('Mul', [b.op('ReduceSumSquare', [contentDiff], { keepdims: 0 }), b.op('Mul', [contentMean, contentWeight])]);
  grads[ci]!.push(b.op('Mul', [contentDiff, b.op('Mul', [contentMean, b.op('Mul', [contentWeight, b.scalar(2)])])]));

  // Style: Σ w_l · mean((G − Gs)²), G = FFᵀ / (C·H·W), with F as [C, H·W] (NCHW needs no transpose).
  const styleTerms: string[] = [];
  /** Each style layer's ∂L/∂F, built where the backward pass needs it. */
  const styleGrads: (() => string)[] = [];
  const r = loss.regionGrid;
  const share = r > 0 ? b.input(WEIGHT_INPUTS.regionShare, []) : undefined;
  for (const { layer } of loss.styleLayers) {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const y = outputs[i]!;
    const target = b.input(gramInput(layer), [c, c]);
    const layerWeight = b.input(styleWeightInput(layer), []);
    /** w·mean((G − Gs)²) over one region's features, and the builder of its ∂/∂(region); `w` a scalar value. */
    const gramTerm = (region: string, w: string, mayBeEmpty = false) => {
      // A region of a map one pixel high or wide may be empty: it counts for nothing.
      const count = mayBeEmpty ? b.op('ReduceProd', [b.op('Cast', [shapeOf(region)], { to: FLOAT })], { keepdims: 0 }) : undefined;
      const perN = count ? b.op('Reciprocal', [b.op('Max', [count, b.scalar(1)])]) : perElement(region);
      // [C, h·w]; Flatten, unlike Reshape to [C, -1], takes an empty region too.
      const f = b.op('Flatten', [region], { axis: 2 });
      const diff = b.op('Sub', [b.op('Mul', [b.op('Gemm', [f, f], { transB: 1 }), perN]), target]);
      const perC2 = b.op('Mul', [w, b.scalar(1 / (c * c))]);
      const weighed = count ? b.op('Mul', [perC2, b.op('Min', [count, b.scalar(1)])]) : perC2;
      const term = b.op('Mul', [b.op('ReduceSumSquare', [diff], { keepdims: 0 }), weighed]);
      // Scaled as [C, C] before the product, not as [C, H·W] after it (block1's is 277 MB at 1040²),
      // and built when the backward pass reaches the layer, so it need not live through the deeper
      // layers' backward. One 1040² run: 0.6 s less; peak RSS 3.78 → 3.74 GB only (onnxruntime
      // had mostly ordered it late already).
      const grad = () => {
        const scaledDiff = b.op('Mul', [diff, b.op('Mul', [perN, b.op('Mul', [w, b.scalar(4 / (c * c))])])]);
        // allowzero: an empty region's 0 is a size, not "copy this dimension".
        return b.op('Reshape', [b.op('MatMul', [scaledDiff, f]), shapeOf(region)], mayBeEmpty ? { allowzero: 1 } : {});
      };
      return { term, grad };
    };
    const whole = gramTerm(y, share ? b.op('Mul', [b.op('Sub', [b.scalar(1), share]), layerWeight]) : layerWeight);
    styleTerms.push(whole.term);
    const parts = [whole.grad];
    if (share) {
      const perRegion = b.op('Mul', [b.op('Mul', [share, b.scalar(1 / (r * r))]), layerWeight]);
      const terms = regionGrid(b, y, r).map((row) => row.map((q) => gramTerm(q, perRegion, true)));
      styleTerms.push(...terms.flat().map((t) => t.term));
      parts.push(() => b.op('Concat', terms.map((row) => b.op('Concat', row.map((t) => t.grad()), { axis: 3 })), { axis: 2 }));
    }
    if (gradient) styleGrads[i] = () => (parts.length === 1 ? parts[0]!() : b.op('Sum', parts.map((p) => p())));
  }
  const styleLoss = styleTerms.length === 1 ? styleTerms[0]! : b.op('Sum', styleTerms);

  // TV on the RGB input itself: 0.5 · w · (Σ dx² + Σ dy²).
  const dx = b.op('Sub', [sliced(b, image, 2, 1, END), sliced(b, image, 2, 0, -1)]);
  const dy = b.op('Sub', [sliced(b, image, 1, 1, END), sliced(b, image, 1, 0, -1)]);
  const tvWeight = b.input(WEIGHT_INPUTS.tv, []);
  const tvLoss = b.op('Mul', [
    b.op('Add', [b.op('ReduceSumSquare', [dx], { keepdims: 0 }), b.op('ReduceSumSquare', [dy], { keepdims: 0 })]),
    b.op('Mul', [tvWeight, b.scalar(0.5)]),
  ]);

  b.output(contentLoss, OUTPUTS.content, []);
  b.output(styleLoss, OUTPUTS.style, []);
  b.output(tvLoss, OUTPUTS.tv, []);
  if (!gradient) return b.encode('gatys_losses');

  const imageGrad = backwardPass(b, { plan, kernels, outputs, poolIndices, pooling: loss.pooling, backward, conv, symbolic }, (i) => [
    ...grads[i]!,
    ...(styleGrads[i] ? [styleGrads[i]!()] : []),
  ]);
  const gdx = b.op('Mul', [dx, tvWeight]);
  const gdy = b.op('Mul', [dy, tvWeight]);
  const pad = (v: string, pads: number[]) => b.op('Pad', [v, b.int64(pads)]);
  // d/dx[j+1] += dx[j], d/dx[j] −= dx[j]: pads are [begin N,H,W,C, end N,H,W,C].
  const tvGrad = b.op('Sum', [
    b.op('Sub', [pad(gdx, [0, 0, 1, 0, 0, 0, 0, 0]), pad(gdx, [0, 0, 0, 0, 0, 0, 1, 0])]),
    b.op('Sub', [pad(gdy, [0, 1, 0, 0, 0, 0, 0, 0]), pad(gdy, [0, 0, 0, 0, 0, 1, 0, 0])]),
  ]);
  b.output(b.op('Add', [imageGrad, tvGrad]), OUTPUTS.grad, [1, symbolic ? 'height' : height, symbolic ? 'width' : width, 3]);
  return b.encode('gatys_objective');
}

/** What the forward pass left for the backward one. */
export interface ForwardPass {
  plan: LayerPlan[];
  kernels: string[];
  outputs: string[];
  poolIndices: (string | undefined)[];
  /** Per conv, the trim after its pool (forward's `trimInput`), if any. */
  trims?: (string | undefined)[];
  pooling: PoolingName;
  backward: BackwardConv;
  conv: ConvAlgorithm;
  symbolic: boolean;
}

/**
 * The image gradient [1,H,W,3] (NHWC, RGB) from the gradients the loss puts on each conv's
 * output (`lossGrads(i)`: its contributions, summed), deepest layer first.
 */
export function backwardPass(b: GraphBuilder, f: ForwardPass, lossGrads: (layer: number) => string[]): string {
  const { plan, kernels, outputs, poolIndices, trims, pooling, backward, conv, symbolic } = f;
  let upstream: string | undefined; // ∂L/∂(input of the layer below), i.e. of this layer's (pooled) output
  for (let i = plan.length - 1; i >= 0; i--) {
    const p = plan[i]!;
    const parts = lossGrads(i);
    if (upstream !== undefined) {
      const trim = trims?.[i];
      const pooled = trim ? untrim(b, upstream, trim) : upstream;
      parts.push(p.poolAfter ? poolBackward(b, pooled, outputs[i]!, pooling, poolIndices[i], symbolic ? undefined : p) : pooled);
    }
    const gy = parts.length === 1 ? parts[0]! : b.op('Sum', parts);
    const gz = b.op('Mul', [gy, b.op('Sign', [outputs[i]!])]);
    // The first layer's gradient has 3 channels: as a forward conv it would unfold its 64-channel
    // input 9× (im2col: 400 MB at 512×341, the step's peak); ConvTranspose's buffer is 27 rows.
    if (i === 0) {
      upstream = unpadEdges(b, b.op('ConvTranspose', [gz, kernels[i]!], FIRST_CONV_ATTRS));
    } else if (backward === 'convtranspose') {
      upstream = b.op('ConvTranspose', [gz, kernels[i]!], CONV_ATTRS);
    } else {
      const k = rotatedKernel(b, kernels[i]!);
      // The input gradient is a conv from cout channels to cin.
      const size = symbolic ? {} : { h: p.h, w: p.w };
      const wino = conv === 'winograd' ? winogradFor(p.cout, p.cin, size.h, size.w) : undefined;
      upstream = wino
        ? winogradConv(b, { input: gz, kernel: k, cin: p.cout, cout: p.cin, ...size, name: `${p.name}_grad` }, wino)
        : b.op('Conv', [gz, k], CONV_ATTRS);
    }
  }
  // The mean subtraction passes the gradient through unchanged; back to NHWC.
  return b.op('Transpose', [upstream!], { perm: [0, 2, 3, 1] });
}

/** onnx TensorProto.DataType FLOAT, for Cast. */
const FLOAT = 1;
/** A Slice end past any size. */
const END = 2 ** 53;

/** An r×r grid of regions of [1, C, H, W], by rows; region k along an axis of size n spans [⌊k·n/r⌋, ⌊(k+1)·n/r⌋). */
function regionGrid(b: GraphBuilder, y: string, r: number): string[][] {
  const cuts = (axis: number) => {
    const n = b.op('Slice', [b.op('Shape', [y]), b.int64([axis]), b.int64([axis + 1])]);
    return Array.from({ length: r + 1 }, (_, k) => (k === 0 ? b.int64([0]) : k === r ? b.int64([END]) : b.op('Div', [b.op('Mul', [n, b.int64([k])]), b.int64([r])])));
  };
  const split = (v: string, axis: number, at: string[]) => at.slice(0, -1).map((from, k) => b.op('Slice', [v, from, at[k + 1]!, b.int64([axis])]));
  const rows = cuts(2);
  const cols = cuts(3);
  return split(y, 2, rows).map((band) => split(band, 3, cols));
}

/** `v`[from:to] along `axis` (negative indices count from the end). */
function sliced(b: GraphBuilder, v: string, axis: number, from: number, to: number): string {
  return b.op('Slice', [v, b.int64([from]), b.int64([to]), b.int64([axis])]);
}

/**
 * The gradient of edge padding: ∂L/∂(padded [1,C,h+2,w+2]) → ∂L/∂(image [1,C,h,w]); each
 * replicated border row and column adds its gradient to the edge pixels it copied. Written with
 * negative indices only, so it holds for any size (h, w ≥ 2).
 */
function unpadEdges(b: GraphBuilder, g: string): string {
  const fold = (v: string, axis: number) => {
    const inner = sliced(b, v, axis, 1, -1);
    return b.op(
      'Concat',
      [
        b.op('Add', [sliced(b, inner, axis, 0, 1), sliced(b, v, axis, 0, 1)]),
        sliced(b, inner, axis, 1, -1),
        b.op('Add', [sliced(b, inner, axis, -1, END), sliced(b, v, axis, -1, END)]),
      ],
      { axis },
    );
  };
  return fold(fold(g, 2), 3);
}

/**
 * ∂L/∂(pool input) from ∂L/∂(pool output), for the conv output `y` that was pooled; `fixed` its
 * plan when sizes are static (without it every size comes from Shape ops).
 */
function poolBackward(b: GraphBuilder, g: string, y: string, pooling: PoolingName, indices: string | undefined, fixed: LayerPlan | undefined): string {
  if (pooling === 'max') {
    // MaxPool's indices are flat over N·C·H·W (storage order 0): scatter into zeros of that size.
    const shape = b.op('Shape', [y]);
    const flat = (v: string) => b.op('Reshape', [v, b.int64([-1])]);
    const zeros = flat(b.op('ConstantOfShape', [shape], {}));
    const scattered = b.op('ScatterElements', [zeros, flat(indices!), flat(g)], { axis: 0 });
    return b.op('Reshape', [scattered, shape]);
  }
  // Each input pixel of a 2×2 window gets a quarter of its output's gradient.
  // (The quarter is taken before upsampling, on 4× fewer values.)
  const quarter = b.op('Resize', [b.op('Mul', [g, b.scalar(0.25)]), '', b.float([1, 1, 2, 2], [4], 'scales')], { mode: 'nearest' });
  // 'valid' pooling dropped an odd last row/column; it gets no gradient.
  if (fixed) {
    const dh = fixed.h % 2;
    const dw = fixed.w % 2;
    return dh === 0 && dw === 0 ? quarter : b.op('Pad', [quarter, b.int64([0, 0, 0, 0, 0, 0, dh, dw])]);
  }
  const missing = b.op('Sub', [b.op('Shape', [y]), b.op('Shape', [quarter])]);
  return b.op('Pad', [quarter, b.op('Concat', [b.int64([0, 0, 0, 0]), missing], { axis: 0 })]);
}

/** Features of one image for the targets: the content layer's map and FFᵀ of each style layer. */
export function featuresGraph(
  weights: ReadonlyMap<string, RawLayer>,
  loss: Pick<ObjectiveShape, 'contentLayer' | 'styleLayers' | 'pooling'>,
  /** A fixed input size instead of a symbolic one (bench: is symbolic H×W slower?). */
  fixed?: { height: number; width: number },
): Uint8Array {
  const b = new GraphBuilder();
  // Sizes only matter for the plan's channel counts here; the graph itself is symbolic in H and W.
  const plan = planLayers(lossLayers(loss), 1024, 1024);
  const at = new Map(plan.map((p, i) => [p.name, i]));
  const image = b.input(IMAGE_INPUT, [1, fixed?.height ?? 'height', fixed?.width ?? 'width', 3]);
  const { outputs } = forward(b, weights, plan, loss.pooling, image);
  const ci = at.get(loss.contentLayer)!;
  b.output(outputs[ci]!, contentFeaturesOutput, [1, plan[ci]!.cout, 'ch', 'cw']);
  for (const { layer } of loss.styleLayers) {
    const i = at.get(layer)!;
    const c = plan[i]!.cout;
    const f = b.op('Reshape', [outputs[i]!, b.int64([c, -1])]);
    b.output(b.op('Gemm', [f, f], { transB: 1 }), gramOutput(layer), [c, c]);
  }
  return b.encode('vgg_features');
}
