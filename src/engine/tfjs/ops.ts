/**
 * Fast, image-only-differentiable building blocks for the VGG19 style-transfer loop.
 *
 * API (stable; other engine modules build on it):
 *
 *   prepareConv(kernel: Tensor4D [3,3,Cin,Cout], bias: Tensor1D [Cout], afterConv?: () => void): PreparedConv
 *       Holds the kernel, the bias and the 180°-rotated, channel-swapped kernel the image
 *       gradient needs. Build once per layer at load time; `dispose()` frees only the rotated copy
 *       (the caller owns kernel and bias). `afterConv` runs after each of its convs (forward and
 *       image gradient): a step at 512 px takes seconds and runs synchronously, and this is how
 *       the caller gets control between layers to report progress without splitting the step.
 *   prepareConv(kernel, bias, afterConv, { edges: 'replicate' }): the same conv, but the image
 *       border is extended by its edge pixels instead of zeros (block1_conv1: see replicateEdges).
 *   conv2dRelu(x: Tensor4D, conv: PreparedConv): Tensor4D
 *   conv2dRelu(x: Tensor4D, kernel: Tensor4D, bias: Tensor1D): Tensor4D   (caches the prepared
 *       conv per kernel tensor in a WeakMap)
 *       3x3 'same' conv, stride 1, + bias, ReLU. Differentiable w.r.t. x only: weights are
 *       constants (the wasm backend has no Conv2DBackpropFilter kernel anyway).
 *   gram(features: Tensor4D [1,H,W,C]): Tensor2D [C,C]  =  FᵀF / (C·H·W)
 *   pool2x2(x: Tensor4D, kind: 'avg' | 'max'): Tensor4D   2x2 window, stride 2, 'valid' (as Keras VGG19)
 *   totalVariation(x: Tensor4D): Scalar  =  0.5 · (Σ dx² + Σ dy²)   (unweighted)
 *   setGradientMode('custom' | 'native') / gradientMode()
 *       'custom' (default): hand-written image gradients (a forward conv for the conv backprop,
 *       one matMul for the Gram). 'native': plain tfjs ops + autodiff; kept for comparison and
 *       for backends where the native backprop kernels are faster (tfjs-node).
 *
 * All ops are batch-1 oriented where noted, allocate nothing that outlives them, and are
 * correct on every backend (tests compare each custom gradient with tfjs autodiff).
 */
import * as tf from '@tensorflow/tfjs';

/** tf.customGrad's callback type, which @tensorflow/tfjs does not re-export. */
type CustomGradientFunc<T extends tf.Tensor> = (...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  value: T;
  gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
};

export type GradientMode = 'custom' | 'native';
export type PoolKind = 'avg' | 'max';

export interface PreparedConv {
  readonly kernel: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  /** kernel rotated 180° in space with in/out channels swapped: [3,3,Cout,Cin]. */
  readonly rotated: tf.Tensor4D;
  /** The custom-gradient forward, built once per layer. */
  readonly apply: (x: tf.Tensor4D) => tf.Tensor4D;
  /** How the conv extends the input beyond its border. */
  readonly edges: ConvEdges;
  dispose(): void;
}

export type ConvEdges = 'zero' | 'replicate';

/**
 * x with one more row and column on each side copied from its edge pixels, from slices (whose
 * autodiff is exact; tfjs's MirrorPad gradient drops the mirrored part). block1_conv1 sees the
 * image through this: a zero there, in the mean-subtracted input, is a grey frame that the style
 * loss then paints along the border.
 */
export function replicateEdges(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const rows = tf.concat([tf.slice(x, [0, 0, 0, 0], [b, 1, w, c]), x, tf.slice(x, [0, h - 1, 0, 0], [b, 1, w, c])], 1);
    return tf.concat([tf.slice(rows, [0, 0, 0, 0], [b, h + 2, 1, c]), rows, tf.slice(rows, [0, 0, w - 1, 0], [b, h + 2, 1, c])], 2) as tf.Tensor4D;
  });
}

let mode: GradientMode = 'custom';

export function setGradientMode(next: GradientMode): void {
  mode = next;
}

export function gradientMode(): GradientMode {
  return mode;
}

const STRIDES: [number, number] = [1, 1];

function checkKernel(kernel: tf.Tensor4D, bias: tf.Tensor1D): void {
  const [kh, kw, , cout] = kernel.shape;
  if (kh !== 3 || kw !== 3) {
    throw new Error(`conv2dRelu expects a 3x3 kernel, got ${kh}x${kw}`);
  }
  if (bias.shape[0] !== cout) {
    throw new Error(`conv2dRelu: bias has ${bias.shape[0]} values for ${cout} output channels`);
  }
}

/** Forward conv + bias + relu with explicit strides (fused conv without strides breaks under gradients). */
function convBiasRelu(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: kernel, strides: STRIDES, pad, bias, activation: 'relu' });
}

export function prepareConv(kernel: tf.Tensor4D, bias: tf.Tensor1D, afterConv?: () => void, opts: { edges?: ConvEdges } = {}): PreparedConv {
  const edges = opts.edges ?? 'zero';
  checkKernel(kernel, bias);
  // Rotation and transpose are done once here, not on every step.
  const rotated = tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
  tf.keep(rotated);

  // With replicated edges the conv itself is 'valid' over the padded input; its input gradient is
  // then the full correlation (zero-padded by 2) of the output gradient, and the padding's own
  // gradient (slices and concats) folds the border back by autodiff.
  const convGrad = tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const y = convBiasRelu(x, kernel, bias, edges === 'zero' ? 'same' : 'valid');
    afterConv?.();
    save([y]);
    return {
      value: y,
      // For a 3x3 'same' stride-1 conv the input gradient is the same conv of the (relu-masked)
      // output gradient with the flipped, channel-swapped kernel: a forward conv, which wasm runs
      // far faster than Conv2DBackpropInput.
      gradFunc: (dy, saved) => {
        const [out] = saved as [tf.Tensor4D];
        const masked = tf.mul(dy, tf.step(out)) as tf.Tensor4D;
        const dx =
          edges === 'zero'
            ? tf.conv2d(masked, rotated, STRIDES, 'same')
            : tf.conv2d(tf.pad(masked, [[0, 0], [2, 2], [2, 2], [0, 0]]) as tf.Tensor4D, rotated, STRIDES, 'valid');
        afterConv?.();
        return dx;
      },
    };
  }) as CustomGradientFunc<tf.Tensor4D>) as (x: tf.Tensor4D) => tf.Tensor4D;
  const apply = edges === 'zero' ? convGrad : (x: tf.Tensor4D) => convGrad(replicateEdges(x));

  let disposed = false;
  return {
    kernel,
    bias,
    rotated,
    apply,
    edges,
    dispose() {
      if (!disposed) {
        disposed = true;
        rotated.dispose();
      }
    },
  };
}

const prepared = new WeakMap<tf.Tensor4D, PreparedConv>();

function preparedFor(kernel: tf.Tensor4D, bias: tf.Tensor1D): PreparedConv {
  let conv = prepared.get(kernel);
  if (conv === undefined || conv.bias !== bias || conv.rotated.isDisposed) {
    conv = prepareConv(kernel, bias);
    prepared.set(kernel, conv);
  }
  return conv;
}

export function conv2dRelu(x: tf.Tensor4D, conv: PreparedConv): tf.Tensor4D;
export function conv2dRelu(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D;
export function conv2dRelu(
  x: tf.Tensor4D,
  convOrKernel: PreparedConv | tf.Tensor4D,
  bias?: tf.Tensor1D,
): tf.Tensor4D {
  const isPrepared = !(convOrKernel instanceof tf.Tensor);
  if (mode === 'native') {
    const kernel = isPrepared ? convOrKernel.kernel : convOrKernel;
    const b = isPrepared ? convOrKernel.bias : bias;
    if (b === undefined) throw new Error('conv2dRelu: bias is required with a raw kernel');
    const edges = isPrepared ? convOrKernel.edges : 'zero';
    return tf.tidy(() => {
      const input = edges === 'zero' ? x : replicateEdges(x);
      return tf.relu(tf.add(tf.conv2d(input, kernel, STRIDES, edges === 'zero' ? 'same' : 'valid'), b)) as tf.Tensor4D;
    });
  }
  if (isPrepared) return convOrKernel.apply(x);
  if (bias === undefined) throw new Error('conv2dRelu: bias is required with a raw kernel');
  return preparedFor(convOrKernel, bias).apply(x);
}

/** FᵀF / (C·H·W) for a batch-1 feature map. */
export function gram(features: tf.Tensor4D): tf.Tensor2D {
  const [batch, h, w, c] = features.shape;
  if (batch !== 1) throw new Error(`gram expects batch 1, got ${batch}`);
  const n = c * h * w;
  if (mode === 'native') {
    return tf.tidy(() => {
      const f = tf.reshape(features, [h * w, c]) as tf.Tensor2D;
      return tf.div(tf.matMul(tf.transpose(f), f), n) as tf.Tensor2D;
    });
  }
  return gramCustom(features);
}

const gramCustom = tf.customGrad(((features: tf.Tensor4D, save: tf.GradSaveFunc) => {
  const [, h, w, c] = features.shape;
  const n = c * h * w;
  const f = tf.reshape(features, [h * w, c]) as tf.Tensor2D;
  save([f]);
  // An explicit transpose feeds matMul a contiguous left operand, faster than transposeA on wasm.
  const value = tf.div(tf.matMul(tf.transpose(f), f), n) as tf.Tensor2D;
  return {
    value,
    // d(FᵀF)/dF · dG = F (dG + dGᵀ): one matMul instead of the two autodiff would run.
    gradFunc: (dy, saved) => {
      const [fs] = saved as [tf.Tensor2D];
      const sym = tf.div(tf.add(dy, tf.transpose(dy)), n) as tf.Tensor2D;
      return tf.reshape(tf.matMul(fs, sym), [1, h, w, c]);
    },
  };
}) as CustomGradientFunc<tf.Tensor2D>) as (features: tf.Tensor4D) => tf.Tensor2D;

/** 2x2 window, stride 2, 'valid' padding: odd trailing rows/columns are dropped, as in Keras VGG19. */
export function pool2x2(x: tf.Tensor4D, kind: PoolKind): tf.Tensor4D {
  return kind === 'avg' ? tf.avgPool(x, 2, 2, 'valid') : tf.maxPool(x, 2, 2, 'valid');
}

/** 0.5 · (Σ (x[i,j+1]-x[i,j])² + Σ (x[i+1,j]-x[i,j])²), summed over channels; unweighted. */
export function totalVariation(x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const dx = tf.sub(tf.slice(x, [0, 0, 1, 0], [b, h, w - 1, c]), tf.slice(x, [0, 0, 0, 0], [b, h, w - 1, c]));
    const dy = tf.sub(tf.slice(x, [0, 1, 0, 0], [b, h - 1, w, c]), tf.slice(x, [0, 0, 0, 0], [b, h - 1, w, c]));
    return tf.mul(0.5, tf.add(tf.sum(tf.square(dx)), tf.sum(tf.square(dy)))) as tf.Scalar;
  });
}
