/**
 * The engine's public contract. Pure data: no tensors, no chat types. The queue, the worker, the
 * CLI and the bots all speak these shapes.
 */

/**
 * The one list of backends; the configuration, the CLI and the worker protocol take it from here.
 * onnx / onnx-cuda: onnxruntime-node on its CPU / CUDA provider; the others are tfjs backends.
 */
export const BACKEND_NAMES = ['onnx-cuda', 'onnx', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const OPTIMIZERS = ['lbfgs', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];
export const INITS = ['content', 'noise', 'style', 'fast'] as const;
export type InitName = (typeof INITS)[number];
/** fast: the feed-forward network's picture only (engine/fast/); paint: the optimised painting. */
export const MODES = ['paint', 'fast'] as const;
export type ModeName = (typeof MODES)[number];
export const POOLINGS = ['avg', 'max'] as const;
export type PoolingName = (typeof POOLINGS)[number];
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
/** The media type of each output format. */
export const OUTPUT_MIME = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface LayerWeight {
  /** A VGG19 conv layer name, e.g. `block1_conv1`. */
  layer: string;
  weight: number;
}

/** One resolution of the coarse-to-fine schedule. */
export interface Scale {
  /** Long side in pixels. */
  size: number;
  /** Objective evaluations at this scale. */
  iterations: number;
}

export interface StylizeOptions {
  /** `paint` (default): the optimised painting; `fast`: the fast network's picture, in about a second. */
  mode: ModeName;
  /** Long side of the output in pixels. Default 512 (the caller caps it by configuration). */
  size: number;
  /** Weight of the content loss. Default 5 (as in ../shared/reference). */
  contentWeight: number;
  /** Weight of the style loss. Default 100. */
  styleWeight: number;
  /** Weight of total variation. Default 1e-3. */
  tvWeight: number;
  /**
   * 0..1, one knob for the style/content balance; when set it multiplies `styleWeight` by
   * 10^((strength − 0.5)·4): ×0.01 at 0, ×1 at 0.5 (the defaults), ×100 at 1.
   * Undefined = use the three weights as given.
   */
  strength?: number;
  /** Style layers and their weights. Default block1..5_conv1, weight 1 each. */
  styleLayers: LayerWeight[];
  /** Content layer. Default `block4_conv2`. */
  contentLayer: string;
  /** VGG pooling. Default `avg` (smoother results than max, as Gatys et al. suggest). */
  pooling: PoolingName;
  /** Default `lbfgs`. */
  optimizer: OptimizerName;
  /**
   * The budget over all scales in objective evaluations (an L-BFGS line-search retry counts as
   * one), so the same size and budget cost the same on every pair of pictures. Default: see
   * engine/schedule.ts (DEFAULT_ITERATIONS).
   */
  iterations: number;
  /**
   * Explicit schedule; `auto` doubles the size from ~128 px up to `size` and halves the steps at
   * each finer scale (most steps at the coarsest scale, a few at full size for detail).
   */
  scales: 'auto' | Scale[];
  /** Default `content`; `fast` starts from the fast network's picture. */
  init: InitName;
  /**
   * Same seed + same backend → same bytes; another seed gives another picture (it seeds the noise
   * init, and a small jitter on the content and style inits). Default 0.
   */
  seed: number;
  /** Transfer luminance only; the result keeps the content's colours. Default false. */
  preserveColors: boolean;
  /** Style image size relative to the output's long side. Default 1. */
  styleScale: number;
  /** Default `png`. */
  format: OutputFormat;
  /** Adam learning rate in 0..255 pixel units. Default 4. */
  learningRate: number;
}

export interface StyleImage {
  bytes: Uint8Array;
  /** Blend weight; weights are normalised over all styles. Default 1. */
  weight?: number;
  /**
   * The fast network's style vector of this painting, computed before (a style library keeps it):
   * fast pictures use it instead of predicting again, where `styleScale` is 1 and colours are not preserved.
   */
  vector?: readonly number[];
}

export interface StylizeRequest {
  content: Uint8Array;
  styles: StyleImage[];
  options?: Partial<StylizeOptions>;
  /**
   * A picture to start painting from instead of `init` (resized to each job's first scale): a
   * result painted again larger keeps its composition. Within the same input limits as the others.
   */
  initImage?: Uint8Array;
}

export interface Losses {
  content: number;
  style: number;
  tv: number;
  total: number;
}

/**
 * Where a job stands, as plain data: the one progress record that crosses the worker thread, Redis
 * and the queue's port as is (each carries the preview beside it in its own form).
 */
export interface Progress {
  /** 1-based index of the current scale and how many there are. */
  scale: number;
  scales: number;
  width: number;
  height: number;
  /** Steps done over all scales / planned over all scales. */
  step: number;
  totalSteps: number;
  losses: Losses;
  elapsedMs: number;
  /** Estimated time left; undefined until there is something to base it on. */
  etaMs?: number;
}

export interface ProgressEvent extends Progress {
  /** Steps done in this scale / planned for it. */
  iteration: number;
  iterations: number;
  /** Encodes the current image (PNG) on demand, so previews cost nothing unless asked for. */
  preview(): Promise<Uint8Array>;
}

export interface ScaleStats {
  width: number;
  height: number;
  iterations: number;
  losses: Losses;
  ms: number;
  /** Composition with the photo after this scale, where the composition guard measured it. */
  composition?: number;
}

export interface StylizeStats {
  /**
   * What the delivered picture was painted from (unset: the request's start picture). Init `fast`
   * gives `content` where the fast picture would lose the photo's layout, or did.
   */
  start?: InitName;
  /**
   * Each guarded scale's composition at each style-weight factor tried (composition-guard.ts);
   * `fastStart` marks the tries of a fast start that was given up for the photo.
   */
  compositionGuard?: readonly { scale: number; factor: number; composition: number; fastStart?: true }[];
  backend: BackendName;
  threads: number;
  width: number;
  height: number;
  seed: number;
  scales: ScaleStats[];
  /** Loss of the saved image (clamped, rounded) at full resolution, on the canvas it was optimised on: its margin mirrored from it (margin.ts). */
  finalLosses: Losses;
  ms: number;
}

export interface StylizeResult {
  image: Uint8Array;
  mime: (typeof OUTPUT_MIME)[OutputFormat];
  width: number;
  height: number;
  stats: StylizeStats;
}

export interface RunControls {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Milliseconds between time-based progress events. Default 2000 (events also fire at each scale). */
  progressIntervalMs?: number;
}

export interface ImageLimits {
  /** Refuse inputs bigger than this many bytes. */
  maxBytes: number;
  /** Refuse inputs whose decoded width x height exceeds this (decompression bombs). */
  maxPixels: number;
}

export interface EngineConfig {
  /** VGG19 weights: model.json path, a directory holding one, an http(s) URL, or a Keras .h5 file. */
  weights: string;
  /** Default `auto`: onnx-cuda → tensorflow-gpu (with a GPU) → onnx → tensorflow → wasm → cpu. */
  backend?: BackendChoice;
  /** Compute threads (onnx intra-op threads, wasm workers); 0 = as many as there are cores. */
  threads?: number;
  /** Largest `size` accepted. Default 1024. */
  maxSize?: number;
  limits?: Partial<ImageLimits>;
  /**
   * A directory holding the fast network's two .tflite files (engine/fast/models.ts names them;
   * `ensureFastModels` downloads them). Needed only by mode `fast` and init `fast`.
   */
  fastModels?: string;
}

export interface Engine {
  readonly backend: BackendName;
  readonly threads: number;
  /** The library computing (onnxruntime or tfjs) and where (cpu, cuda, wasm, …): for the log. */
  readonly library: 'onnxruntime' | 'tfjs';
  readonly provider: string;
  /** Why `auto` passed over faster runtimes (one sentence each); empty for an explicit choice. */
  readonly skipped: readonly string[];
  /** Tensors (tfjs) the runtime holds beyond its weights: jobs must leave this as they found it. */
  liveResources(): number;
  stylize(request: StylizeRequest, controls?: RunControls): Promise<StylizeResult>;
  dispose(): void;
}
