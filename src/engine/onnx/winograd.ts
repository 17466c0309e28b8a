/**
 * A 3×3 "same" convolution (stride 1, pad 1) as Winograd F(m×m, 3×3) in ONNX ops: each m×m block
 * of the output comes from an n×n input tile (n = m + 2) with n² multiplications per (input,
 * output) channel pair instead of 9m²: 2.25× fewer for F(2×2), 4× for F(4×4). In NCHW:
 *
 *   V = Bᵀ d B  one Conv over every channel at once (the channels as the batch, one input channel,
 *               the n² transform rows as n×n filters, stride m), then Transpose to [n², C, tiles];
 *   M = U · V   one batched MatMul [n², K, C] × [n², C, tiles], U = G g Gᵀ from the kernel (one
 *               MatMul, folded into a constant when the session is built);
 *   Y = Aᵀ M A  one MatMul [m², n²] × [n², K·tiles], and DepthToSpace puts each tile's m×m block in
 *               place; the rows/columns the last tiles hang over are cropped.
 *
 * The transforms are memory-bound, and onnxruntime's direct (NCHWc) Conv computes faster per
 * FLOP than its MatMul, so this only pays where the products dominate: see `winogradFor`.
 * F(4×4) rounds more (inputs are scaled by up to 5 and 8 in the transforms): ~1e-5 of the
 * largest output in float32, against ~5e-7 for F(2×2) and the direct conv.
 */
import type { GraphBuilder } from './graph-builder.js';

/** The transforms of F(m×m, 3×3): Bᵀ [n, n], G [n, 3], Aᵀ [m, n], with n = m + 2 (Lavin & Gray). */
export interface Transforms {
  m: number;
  BT: number[][];
  G: number[][];
  AT: number[][];
}

export const F2: Transforms = {
  m: 2,
  BT: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
  G: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
};

export const F4: Transforms = {
  m: 4,
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
};

/** The kernel transform as [n², 9]: U's tap ξ = n·a+c of a 3×3 kernel g is Σ (G[a] ⊗ G[c])·g (G g Gᵀ). */
function kernelTransform(f: Transforms): Float32Array {
  const n = f.m + 2;
  const out = new Float32Array(n * n * 9);
  for (let a = 0; a < n; a++) {
    for (let c = 0; c < n; c++) {
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) out[(a * n + c) * 9 + y * 3 + x] = f.G[a]![y]! * f.G[c]![x]!;
    }
  }
  return out;
}

/** The input transform as n² filters of n×n: filter n·a+c is the outer product Bᵀ[a] ⊗ Bᵀ[c]. */
function inputTransformFilters(f: Transforms): Float32Array {
  const n = f.m + 2;
  const out = new Float32Array(n ** 4);
  for (let a = 0; a < n; a++) {
    for (let c = 0; c < n; c++) {
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) out[((a * n + c) * n + y) * n + x] = f.BT[a]![y]! * f.BT[c]![x]!;
    }
  }
  return out;
}

/** The output transform as [m², n²]: output m·p+q of a tile from its n² products ξ = n·a+c. */
function outputTransform(f: Transforms): Float32Array {
  const { m } = f;
  const n = m + 2;
  const out = new Float32Array(m * m * n * n);
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < m; q++) {
      for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) out[(p * m + q) * n * n + a * n + c] = f.AT[p]![a]! * f.AT[q]![c]!;
    }
  }
  return out;
}

export interface WinogradConv {
  /** NCHW input [1, cin, h, w]. */
  input: string;
  /**
   * The OIHW kernel [cout, cin, 3, 3] (a forward conv's, or the rotated one of an input gradient)
   * as a graph value. From constants only, so U = G g Gᵀ is folded into a constant when the
   * session is built.
   */
  kernel: string;
  cin: number;
  cout: number;
  /** The input's height and width; left out in a graph of symbolic size, where they come from Shape. */
  h?: number;
  w?: number;
  /** Added per output channel, when given. */
  bias?: string;
  name: string;
}

/** [1, cout, h, w]: the same values as Conv(input, kernel, pads 1) (+ bias), to float rounding. */
export function winogradConv(b: GraphBuilder, c: WinogradConv, f: Transforms = F2): string {
  const { m } = f;
  const n = m + 2;
  const tiling = c.h !== undefined && c.w !== undefined ? staticTiling(b, c.h, c.w, m) : symbolicTiling(b, c.input, m);
  // Each channel as its own batch item: one n×n/stride-m conv gives every tile's n² values. Padded:
  // one zero row/column before; after, one more plus whatever makes the tiles cover the size (by
  // the conv's own pads where they are constants, else by a Pad op).
  const filters = b.float(inputTransformFilters(f), [n * n, 1, n, n], `${c.name}_bt`);
  const input = typeof tiling.pads === 'string' ? b.op('Pad', [c.input, tiling.pads]) : c.input;
  const perChannel = b.op('Reshape', [input, b.int64([c.cin, 1, 0, 0])]);
  const v = b.op('Conv', [perChannel, filters], { kernel_shape: [n, n], strides: [m, m], ...(typeof tiling.pads === 'string' ? {} : { pads: tiling.pads }) });
  const vt = b.op('Reshape', [b.op('Transpose', [v], { perm: [1, 0, 2, 3] }), b.int64([n * n, c.cin, -1])]);
  const taps = b.op('Transpose', [b.op('Reshape', [c.kernel, b.int64([c.cout * c.cin, 9])])], { perm: [1, 0] });
  const u = b.op('Reshape', [b.op('MatMul', [b.float(kernelTransform(f), [n * n, 9], `${c.name}_g`), taps]), b.int64([n * n, c.cout, c.cin])]);
  const prod = b.op('Reshape', [b.op('MatMul', [u, vt]), b.int64([n * n, -1])]);
  const y = b.op('MatMul', [b.float(outputTransform(f), [m * m, n * n], `${c.name}_at`), prod]);
  const blocks = b.op('Reshape', [y, b.op('Concat', [b.int64([1, m * m * c.cout]), tiling.tiles], { axis: 0 })]);
  let out = b.op('DepthToSpace', [blocks], { blocksize: m, mode: 'DCR' });
  if (tiling.crop) out = b.op('Slice', [out, b.int64([0, 0]), tiling.crop, b.int64([2, 3])]);
  if (c.bias !== undefined) out = b.op('Add', [out, b.op('Reshape', [c.bias, b.int64([1, c.cout, 1, 1])])]);
  return out;
}

/**
 * The tiling: `tiles` [th, tw] as a graph value; the input's pads, as the conv's 4 (static) or
 * Pad's 8 of NCHW (a graph value); and `crop`, the ends [h, w] to cut the tiles' overhang back
 * to, where there is one.
 */
interface Tiling {
  tiles: string;
  pads: number[] | string;
  crop?: string;
}

/** A static size's tiling: constants. */
function staticTiling(b: GraphBuilder, h: number, w: number, m: number): Tiling {
  const th = Math.ceil(h / m);
  const tw = Math.ceil(w / m);
  return {
    tiles: b.int64([th, tw]),
    pads: [1, 1, 1 + m * th - h, 1 + m * tw - w],
    ...(m * th !== h || m * tw !== w ? { crop: b.int64([h, w]) } : {}),
  };
}

/** A symbolic size's tiling, from the input's Shape: th = ⌈h/m⌉, after-pads 1 + m·th − h (the same for w). */
function symbolicTiling(b: GraphBuilder, input: string, m: number): Tiling {
  const hw = b.op('Shape', [input], { start: 2, end: 4 });
  const tiles = b.op('Div', [b.op('Add', [hw, b.int64([m - 1])]), b.int64([m])]);
  const after = b.op('Sub', [b.op('Add', [b.op('Mul', [tiles, b.int64([m])]), b.int64([1])]), hw]);
  return { tiles, pads: b.op('Concat', [b.int64([0, 0, 1, 1, 0, 0]), after], { axis: 0 }), crop: hw };
}

/**
 * The Winograd variant that beats onnxruntime's direct conv for this shape, or undefined where
 * none does. Measured on 2 shared cores (bench/onnx-conv.ts: whole steps of the default loss,
 * each variant's step in turn, median of the per-pair ratios to direct convs), with F(4×4) on
 * every conv whose cin·cout reached a threshold, in one run: 2¹⁷ (256↔512 and up) 0.93-1.03× at
 * 256 px and 0.88-0.93× at 512 px; 2¹⁵ (128↔256 and up) 0.79-0.82× and 0.78-0.84×; 2¹⁴ (128→128
 * too) 0.87× and 0.81×; 2¹² (every conv with 64+ channels) 0.96× and 0.97×. Two later runs of
 * 2¹⁵ gave 0.95-0.99× and 0.85-1.03× (the load from other work swung between them); without
 * spinning threads (runtime.ts) 0.72-0.77× and 0.75-0.77× of the old direct, spinning step. The
 * products save cin·cout work per pixel and the memory-bound transforms cost cin + cout, so the
 * fewer the channels the less it pays. Layer by layer (bench/winograd.ts, one run) F(4×4) beat
 * F(2×2) on most 256- and 512-channel shapes (512→512 at 42×64: 0.44× of direct against 0.83×),
 * F(2×2) won on the smallest maps (21×32 once, 10×16), whose last tiles F(4×4) pads most; F(4×4)
 * is used throughout, and below 8×8 neither.
 */
export function winogradFor(cin: number, cout: number, h?: number, w?: number): Transforms | undefined {
  if (cin * cout < 128 * 256) return undefined;
  // (A symbolic size is not known here: its session serves sizes whose maps are mostly larger.)
  if (h !== undefined && w !== undefined && (h < 8 || w < 8)) return undefined;
  return F4;
}
