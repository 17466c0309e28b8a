/**
 * The VGG19 feature extractor. It runs the network only as deep as the deepest layer the loss
 * reads (block5_conv1 for the default style layers), so no time is spent on layers nobody uses.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dRelu, pool2x2, type PoolKind, type PreparedConv } from './ops.js';
import { VGG19_CONV_LAYERS } from '../weights/vgg-layers.js';

/** Keras "caffe" preprocessing: the weights were trained on BGR, 0..255, minus this mean (B, G, R). */
export const CAFFE_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];

export const VGG19_LAYER_NAMES: readonly string[] = VGG19_CONV_LAYERS.map((l) => l.name);

export function isVggLayer(name: string): boolean {
  return VGG19_LAYER_NAMES.includes(name);
}

/** RGB 0..255 [1,H,W,3] → the network's input space (BGR, mean subtracted). */
export function preprocess(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(rgb, -1), tf.tensor1d([...CAFFE_MEAN_BGR])) as tf.Tensor4D);
}

export interface FeatureExtractor {
  /** The layers `extract` returns, in network order. */
  readonly layers: readonly string[];
  /** The deepest layer it runs. */
  readonly deepest: string;
  /** RGB 0..255 [1,H,W,3] → feature maps of the requested layers (after ReLU). Differentiable in `rgb`. */
  extract(rgb: tf.Tensor4D): Map<string, tf.Tensor4D>;
}

/**
 * Builds an extractor over prepared convs (the engine prepares all 16 once at load time).
 * `wanted` must be VGG19 conv layer names; the caller validates user input first.
 */
export function createExtractor(
  convs: ReadonlyMap<string, PreparedConv>,
  wanted: Iterable<string>,
  pooling: PoolKind,
): FeatureExtractor {
  const want = new Set(wanted);
  for (const name of want) {
    if (!isVggLayer(name)) throw new Error(`${name} is not a VGG19 conv layer`);
  }
  const depth = Math.max(...[...want].map((n) => VGG19_LAYER_NAMES.indexOf(n)));
  const plan = VGG19_LAYER_NAMES.slice(0, depth + 1);
  const layers = plan.filter((n) => want.has(n));
  return {
    layers,
    deepest: plan[plan.length - 1]!,
    extract(rgb) {
      const out = new Map<string, tf.Tensor4D>();
      let x = preprocess(rgb);
      for (let i = 0; i < plan.length; i++) {
        const name = plan[i]!;
        const conv = convs.get(name);
        if (!conv) throw new Error(`weights have no ${name}`);
        const y = conv2dRelu(x, conv);
        // Intermediate maps are left to the caller's tf.tidy; gradients need them anyway.
        if (want.has(name)) out.set(name, y);
        const next = plan[i + 1];
        // A pool ends each block: between blockN_convK and block(N+1)_conv1.
        x = next !== undefined && next.slice(0, 6) !== name.slice(0, 6) ? pool2x2(y, pooling) : y;
      }
      return out;
    },
  };
}

/**
 * Multiply-adds ×2 of the 3x3 convs up to `deepest` for an H×W input: the FLOP count of one
 * forward pass. One optimisation step (forward + image gradient by a second conv) is ~2× this.
 */
export function convFlops(height: number, width: number, deepest: string): number {
  const depth = VGG19_LAYER_NAMES.indexOf(deepest);
  let h = height;
  let w = width;
  let cin = 3;
  let flops = 0;
  for (let i = 0; i <= depth; i++) {
    const layer = VGG19_CONV_LAYERS[i]!;
    flops += 2 * 9 * h * w * cin * layer.filters;
    cin = layer.filters;
    const next = VGG19_CONV_LAYERS[i + 1];
    if (next && next.name.slice(0, 6) !== layer.name.slice(0, 6)) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return flops;
}
