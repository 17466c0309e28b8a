/**
 * The VGG19 feature extractor. It runs the network only as deep as the deepest layer the loss
 * reads (block5_conv1 for the default style layers), so no time is spent on layers nobody uses.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dRelu, pool2x2, type PoolKind, type PreparedConv } from './ops.js';
import { VGG19_LAYERS, layersDownTo } from '../layers.js';

/** Keras "caffe" preprocessing: the weights were trained on BGR, 0..255, minus this mean (B, G, R). */
export const CAFFE_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];


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
    if (!VGG19_LAYERS.includes(name)) throw new Error(`${name} is not a VGG19 conv layer`);
  }
  const plan = layersDownTo(want);
  const layers = plan.map((l) => l.name).filter((n) => want.has(n));
  return {
    layers,
    deepest: plan[plan.length - 1]!.name,
    extract(rgb) {
      const out = new Map<string, tf.Tensor4D>();
      let x = preprocess(rgb);
      for (const [i, { name, poolAfter }] of plan.entries()) {
        const conv = convs.get(name);
        if (!conv) throw new Error(`weights have no ${name}`);
        const y = conv2dRelu(x, conv);
        // Intermediate maps are left to the caller's tf.tidy; gradients need them anyway.
        if (want.has(name)) out.set(name, y);
        // The deepest layer's pool is left out: nothing reads past it.
        x = poolAfter && i < plan.length - 1 ? pool2x2(y, pooling) : y;
      }
      return out;
    },
  };
}
