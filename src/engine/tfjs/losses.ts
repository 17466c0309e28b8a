/**
 * Gatys et al.'s losses, as the reference defines them (../shared/reference/README.md):
 *   content = w_c · mean((F − Fc)²) at the content layer,
 *   style   = w_s · Σ_layers weight · mean((G − Gs)²), G = FᵀF / (C·H·W),
 *   tv      = w_tv · 0.5 · (Σ dx² + Σ dy²).
 * With `regionalStyle` set, a share of each layer's term compares each region's own Gram with Gs;
 * with `photoStyleDistance` set, the style term is rescaled per scale (see runtime/types.ts).
 * Several styles are blended by averaging their target Grams with normalised weights, which is
 * what minimising the weighted sum of per-style losses amounts to up to a constant.
 */
import * as tf from '@tensorflow/tfjs';
import { gram, totalVariation } from './ops.js';
import type { LayerWeight, Losses } from '../types.js';
import type { FeatureExtractor } from './vgg.js';
import type { Objective } from '../optimizers/types.js';
import { styleBalance } from '../runtime/types.js';

export interface LossWeights {
  contentLayer: string;
  styleLayers: readonly LayerWeight[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  photoStyleDistance?: number;
  regionalStyle?: number;
  regionGrid?: number;
}

/** What the current image is compared with; one set per scale. */
export interface Targets {
  content: tf.Tensor4D;
  grams: Map<string, tf.Tensor2D>;
  /** The balance factor on the style term (1 without `photoStyleDistance`). */
  styleScale: number;
  dispose(): void;
}

export function styleLayerNames(w: LossWeights): string[] {
  return w.styleLayers.map((l) => l.layer);
}

export function neededLayers(w: LossWeights): string[] {
  return [...new Set([w.contentLayer, ...styleLayerNames(w)])];
}

/** Feature targets of the content image and blended Gram targets of the styles (RGB 0..255 tensors). */
export function computeTargets(
  extractor: FeatureExtractor,
  content: tf.Tensor4D,
  styles: readonly { image: tf.Tensor4D; weight: number }[],
  w: LossWeights,
): Targets {
  const total = styles.reduce((a, s) => a + s.weight, 0);
  // tf.tidy keeps tensors returned in plain objects, not in Maps: build the Map afterwards.
  const kept = tf.tidy(() => {
    const photo = extractor.extract(content);
    const contentFeatures = photo.get(w.contentLayer)!;
    const grams: Record<string, tf.Tensor2D> = {};
    for (const style of styles) {
      const feats = extractor.extract(style.image);
      for (const name of styleLayerNames(w)) {
        const g = tf.mul(gram(feats.get(name)!), style.weight / total) as tf.Tensor2D;
        const prev = grams[name];
        grams[name] = prev ? (tf.add(prev, g) as tf.Tensor2D) : g;
      }
    }
    // The photo's own style loss (before styleWeight), for the balance.
    const photoDistance = styleDistance(photo, new Map(Object.entries(grams)), w);
    return { content: contentFeatures, grams, photoDistance };
  });
  const grams = new Map(Object.entries(kept.grams));
  const photoDistance = kept.photoDistance.dataSync()[0]!;
  kept.photoDistance.dispose();
  return {
    content: kept.content,
    grams,
    styleScale: styleBalance(w, photoDistance),
    dispose() {
      kept.content.dispose();
      for (const g of grams.values()) g.dispose();
    },
  };
}

/** [content, style, tv] weighted losses of an RGB 0..255 image, as a rank-1 tensor of 3. */
export function lossVector(extractor: FeatureExtractor, rgb: tf.Tensor4D, targets: Targets, w: LossWeights): tf.Tensor1D {
  return tf.tidy(() => {
    const feats = extractor.extract(rgb);
    const content = tf.mul(w.contentWeight, tf.mean(tf.squaredDifference(feats.get(w.contentLayer)!, targets.content)));
    const style = tf.mul(w.styleWeight * targets.styleScale, styleDistance(feats, targets.grams, w));
    const tv = tf.mul(w.tvWeight, totalVariation(rgb));
    return tf.stack([content, style, tv]) as tf.Tensor1D;
  });
}

/** Σ layers weight · mean((G − Gs)²), a share of it asked of each region when `regionalStyle` is set. */
function styleDistance(feats: Map<string, tf.Tensor4D>, grams: Map<string, tf.Tensor2D>, w: LossWeights): tf.Tensor {
  const regional = w.regionalStyle ?? 0;
  const r = w.regionGrid ?? 2;
  let style: tf.Tensor = tf.scalar(0);
  for (const { layer, weight } of w.styleLayers) {
    const f = feats.get(layer)!;
    const target = grams.get(layer)!;
    const distance = (region: tf.Tensor4D) => tf.mean(tf.squaredDifference(gram(region), target));
    let d = tf.mul(1 - regional, distance(f));
    // A region of a map one pixel high or wide may be empty: it counts for nothing.
    if (regional > 0) for (const q of regionGrid(f, r)) if (q.size > 0) d = tf.add(d, tf.mul(regional / (r * r), distance(q)));
    style = tf.add(style, tf.mul(weight, d));
  }
  return style;
}

/** An r×r grid of regions of NHWC features, as regionGrid in onnx/vgg-graph.ts cuts them. */
function regionGrid(f: tf.Tensor4D, r: number): tf.Tensor4D[] {
  const [, h, w] = f.shape;
  const sizes = (n: number) => Array.from({ length: r }, (_, k) => Math.floor(((k + 1) * n) / r) - Math.floor((k * n) / r));
  return tf.split(f, sizes(h), 1).flatMap((band) => tf.split(band, sizes(w), 2));
}

function toLosses(v: ArrayLike<number>): Losses {
  const content = v[0]!;
  const style = v[1]!;
  const tv = v[2]!;
  return { content, style, tv, total: content + style + tv };
}

/** Losses of an image without gradients (for the final, saved image). */
export function evaluateLosses(
  extractor: FeatureExtractor,
  pixels: Float32Array,
  height: number,
  width: number,
  targets: Targets,
  w: LossWeights,
): Losses {
  const v = tf.tidy(() => lossVector(extractor, tf.tensor4d(pixels, [1, height, width, 3]), targets, w));
  const values = v.dataSync();
  v.dispose();
  return toLosses(values);
}

/** f and ∇f over the image's pixels (RGB 0..255, H×W×3 interleaved) for the optimisers. */
export function createObjective(
  extractor: FeatureExtractor,
  targets: Targets,
  w: LossWeights,
  height: number,
  width: number,
): Objective<Losses> {
  const ones = [1, 1, 1];
  return (pixels) => {
    const [value, grad] = tf.tidy(() => {
      const x = tf.tensor4d(pixels, [1, height, width, 3]);
      const { value: v, grad: g } = tf.valueAndGrad((img: tf.Tensor) =>
        lossVector(extractor, img as tf.Tensor4D, targets, w),
      )(x, tf.tensor1d(ones));
      return [v, g];
    });
    const losses = toLosses(value.dataSync());
    const g = grad.dataSync() as Float32Array;
    value.dispose();
    grad.dispose();
    return { loss: losses.total, grad: g, info: losses };
  };
}
