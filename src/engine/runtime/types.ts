/**
 * The seam between the engine and a compute runtime. The coarse-to-fine loop, the optimisers,
 * image I/O and progress never touch tensors; per scale they ask a runtime for an objective over
 * a plain Float32Array (the image, RGB 0..255, H×W×3 interleaved) and get numbers back.
 * Two implementations: onnx (onnxruntime-node, one generated graph per scale shape) and tfjs
 * (tfjs-node-gpu / tfjs-node / wasm / cpu, tfjs autodiff with hand-written image gradients).
 */
import type { Evaluation } from '../optimizers/types.js';
import type { RgbImage } from '../image.js';
import type { BackendName, Losses, PoolingName } from '../types.js';
import type { FastModelFiles, FastNetwork } from '../fast/network.js';

/** What the loss is made of: the same definition on every runtime. */
export interface LossSpec {
  contentLayer: string;
  styleLayers: readonly { layer: string; weight: number }[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  pooling: PoolingName;
  /**
   * Balance: when set, each scale's style term is rescaled so that the photo's own style loss
   * (Σ weight · mean((G − Gs)²), before styleWeight) equals this, whatever the pair. Unset: the
   * reference definition, where a high-contrast style weighs several times more than a soft one.
   */
  photoStyleDistance?: number;
  /**
   * The share of each style layer's term asked of each region of a `regionGrid`² grid on its own
   * (the rest of the picture as a whole): (1 − r)·mean((G − Gs)²) + r·mean over regions of
   * mean((G_region − Gs)²), G_region from the region's own features. 0 (unset) = Gatys' one Gram
   * of the whole picture. `photoStyleDistance` then balances the same mixed distance.
   */
  regionalStyle?: number;
  /** Regions per side for `regionalStyle` (default 2). */
  regionGrid?: number;
}

/**
 * The factor that `photoStyleDistance` puts on the style term, from the photo's own distance to
 * the style targets. Bounded so that a style almost equal to the photo does not explode it.
 */
export function styleBalance(spec: Pick<LossSpec, 'photoStyleDistance'>, photoDistance: number): number {
  if (spec.photoStyleDistance === undefined) return 1;
  return Math.min(100, Math.max(0.01, spec.photoStyleDistance / Math.max(photoDistance, 1e-12)));
}

/** One scale's images at their sizes for this scale; style weights are normalised by the runtime. */
export interface ScaleImages {
  width: number;
  height: number;
  content: RgbImage;
  styles: readonly { image: RgbImage; weight: number }[];
}

/** The objective of one scale: targets fixed, the image free. */
export interface ScaleObjective {
  /** Weighted losses and ∇total over the pixels. */
  evaluate(pixels: Float32Array): Promise<Evaluation<Losses>>;
  /** Losses only (the saved image's score). */
  losses(pixels: Float32Array): Promise<Losses>;
  dispose(): void;
}

/**
 * What a runtime's work costs at each size relative to other sizes, before any is measured (the
 * prior of a job's ETA; eval-cost.ts). Units are the model's own: only ratios matter.
 */
export interface CostModel {
  /** One objective evaluation at this many pixels. */
  evaluation(pixels: number): number;
  /** Scoring the saved picture (losses only) at this many pixels, where it costs less than an evaluation. */
  losses?(pixels: number): number;
  /**
   * Setting a scale of this many pixels up beyond its own evaluations, in the same unit: building
   * its session (and the first runs that size its memory) where `built` says that has not happened.
   */
  setup(pixels: number, built: boolean): number;
  /** The session that computes this size, where sizes share one (its build is paid once per engine); default: each size its own. */
  session?(pixels: number): string;
}

export interface Runtime {
  /** The backend name users choose and see (onnx, onnx-cuda, wasm, …). */
  readonly name: BackendName;
  /** The library behind it. */
  readonly library: 'onnxruntime' | 'tfjs';
  /** Where it computes: cpu, cuda, wasm, tensorflow… */
  readonly provider: string;
  readonly threads: number;
  /** The largest long side (px) it computes; a job asking for more is refused before it starts. Unset: any. */
  readonly maxSize?: number;
  /** How its costs grow with size, where measured (else the engine's generic prior). */
  readonly costModel?: CostModel;
  /**
   * Sets up a scale: targets from the images, then the objective. `tick` is called between layers
   * where the runtime can (tfjs), so a caller can report progress during long synchronous work.
   */
  prepare(images: ScaleImages, loss: LossSpec, tick?: () => void): Promise<ScaleObjective>;
  /** The fast network where this runtime computes (the onnx process); absent: the engine opens it in its own process. */
  fastNetwork?(files: FastModelFiles): FastNetwork;
  /** Live tensors or sessions the runtime holds beyond its weights (a test checks jobs leave none). */
  liveResources(): number;
  dispose(): void;
}

export function totalLosses(content: number, style: number, tv: number): Losses {
  return { content, style, tv, total: content + style + tv };
}
