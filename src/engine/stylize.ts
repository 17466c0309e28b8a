/**
 * The engine: a runtime (onnx or tfjs, see runtime/) and its weights are set up once by
 * `createEngine`; each `stylize` call then runs the coarse-to-fine loop in `runJob`. Jobs on one
 * engine run one at a time. Nothing here touches tensors: per scale the runtime hands back an
 * objective over a Float32Array.
 */
import { DEFAULT_MAX_SIZE, resolveOptions } from './defaults.js';
import { DEFAULT_LIMITS } from './options.js';
import { StylizeError, isStylizeError } from './errors.js';
import {
  decodeImage,
  encodeImage,
  encodePreview,
  fitLongSide,
  keepContentChroma,
  lumaToRgb,
  matchLuma,
  resizeRgb,
  toBytes,
  toLuma,
  type RgbImage,
} from './image.js';
import { createAdam } from './optimizers/adam.js';
import { createLbfgs } from './optimizers/lbfgs.js';
import type { Optimizer } from './optimizers/types.js';
import { EvaluationCosts } from './eval-cost.js';
import { cropMargin, marginFor, mirrorPad, onCanvas } from './margin.js';
import { dampChroma } from './chroma-steps.js';
import { CompositionGuard, compositionOf, fastStartHolds } from './composition-guard.js';
import { resizeBilinear } from './resample.js';
import { createRuntime, type Runtime, type ScaleObjective } from './runtime/index.js';
import { minInputSide } from './layers.js';
import { lossSpec } from './loss-spec.js';
import { checkRuntimeSize } from './runtime/limits.js';
import { planScales } from './schedule.js';
import { fastNetworkOf, runFastJob } from './fast/job.js';
import type { FastNetwork } from './fast/network.js';
import { fastPicture } from './fast/picture.js';
import type {
  Engine,
  EngineConfig,
  ImageLimits,
  Losses,
  RunControls,
  ScaleStats,
  StylizeOptions,
  StylizeRequest,
  StylizeResult,
} from './types.js';
import { OUTPUT_MIME } from './types.js';

export const MAX_STYLES = 4;
/** The composition guard repaints the first scale only where that is cheap. */
const GUARDED_SIZE = 256;
/** ...and a middle scale only up to this size. */
const GUARDED_MIDDLE_SIZE = 512;
const BOUNDS = [0, 255] as const;

export async function createEngine(config: EngineConfig): Promise<Engine> {
  const { runtime, skipped } = await createRuntime(config.backend ?? 'auto', { weights: config.weights, threads: config.threads ?? 0 });
  const ctx: JobContext = {
    runtime,
    costs: new EvaluationCosts(runtime.costModel),
    maxSize: config.maxSize ?? DEFAULT_MAX_SIZE,
    limits: { ...DEFAULT_LIMITS, ...config.limits },
    fast: fastNetworkOf(runtime, config.fastModels),
  };
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;
  return {
    backend: runtime.name,
    threads: runtime.threads,
    provider: runtime.provider,
    library: runtime.library,
    skipped,
    liveResources: () => runtime.liveResources(),
    stylize(request, controls = {}) {
      if (disposed) return Promise.reject(new StylizeError('internal', 'The engine was shut down.'));
      const job = queue.then(() => runJob(ctx, request, controls));
      queue = job.catch(() => undefined);
      return job;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      ctx.fast.dispose();
      runtime.dispose();
    },
  };
}

interface JobContext {
  runtime: Runtime;
  /** What evaluations cost on this runtime, learnt over this engine's jobs (for ETAs). */
  costs: EvaluationCosts;
  maxSize: number;
  limits: ImageLimits;
  /** The fast network (mode `fast`, init `fast`), opened on first use. */
  fast: { get(): Promise<FastNetwork>; dispose(): void };
}

/**
 * The largest side the fast start is made at: the first scale only sees it shrunk to its own size,
 * and the network's memory grows with the pixels (520 MiB at 1024 px), so a print-size job would pay
 * gigabytes for nothing. It is also the size of the instant picture a user saw.
 */
export const FAST_START_MAX_SIZE = 512;

interface PlannedScale {
  size: number;
  /** The scale's budget in objective evaluations (line-search retries count). */
  iterations: number;
  width: number;
  height: number;
}

/** One job: decode, then for each scale: resize inputs, set targets, init or upsample, optimise, report. */
async function runJob(ctx: JobContext, request: StylizeRequest, controls: RunControls): Promise<StylizeResult> {
  const started = performance.now();
  const { signal } = controls;
  const { runtime } = ctx;
  checkCancelled(signal);
  const { opts, styleWeights, content, styles, out, plan, initPicture } = await prepareJob(request, ctx);
  if (opts.mode !== 'fast') checkRuntimeSize(runtime, [opts.size, ...plan.map((s) => s.size)]);
  checkCancelled(signal);
  if (opts.mode === 'fast') {
    const meta = { backend: runtime.name, threads: runtime.threads, started };
    return runFastJob(await ctx.fast.get(), { opts, styleWeights, vectors: request.styles.map((s) => s.vector), content, styles, out }, meta).catch((e: unknown) => {
      if (isStylizeError(e)) throw e;
      throw new StylizeError('internal', 'Something went wrong while making the fast picture; please try again.', { cause: e });
    });
  }
  // Init `fast`: the first scale starts from the fast picture (at the job's size up to
  // FAST_START_MAX_SIZE: the one a user saw), where that picture keeps the photo's layout.
  const fastAtOut = initPicture ? undefined : await fastStartPicture(ctx, request, { opts, styleWeights, content, styles, out });
  let init = opts.init === 'fast' && !fastAtOut ? 'content' : opts.init;
  const fastStart = async (scale: { width: number; height: number }, margin: number): Promise<RgbImage> =>
    onCanvas(await resizeRgb(fastAtOut!, scale.width, scale.height), margin);
  const progress = createProgressReporter(plan, started, controls, ctx.costs);
  let random = mulberry32(opts.seed);
  const guard = new CompositionGuard(opts.strength);

  const prepare = async (scale: { width: number; height: number; size: number }, contentPx: RgbImage): Promise<ScaleObjective> => {
    const stylePx = await Promise.all(styles.map((s) => styleAt(s, scale, opts, contentPx)));
    return runtime.prepare(
      { width: scale.width, height: scale.height, content: contentPx, styles: stylePx.map((image, i) => ({ image, weight: styleWeights[i]! })) },
      lossSpec({ ...opts, styleWeight: opts.styleWeight * guard.styleFactor }, scale.size),
      progress.heartbeat,
    );
  };

  // Runtimes that compute off this thread (onnx) leave it free during a step: a timer then keeps
  // the events coming. (tfjs computes here and calls the heartbeat between layers instead.)
  const heartbeats = controls.onProgress ? setInterval(progress.heartbeat, Math.max(10, (controls.progressIntervalMs ?? 2000) / 4)) : undefined;
  let x: Float32Array | undefined;
  let prev: PlannedScale | undefined;
  let prevContent: RgbImage | undefined;
  let objective: ScaleObjective | undefined;
  const scaleStats: ScaleStats[] = [];
  try {
    // Scales painted again (the composition guard's) report nothing: the bar does not run back.
    let quietUntil = -1;
    let endedUpTo = -1;
    for (let index = 0; index < plan.length; index++) {
      const scale = plan[index]!;
      const repaint = index <= quietUntil;
      const scaleStarted = performance.now();
      const contentPx = await resizeRgb(content, scale.width, scale.height);
      // Between scales x is the picture; each scale optimises it on a canvas with a mirrored margin.
      const margin = marginFor(scale.size);
      const contentCanvas: RgbImage = onCanvas(contentPx, margin);
      const canvas = { width: contentCanvas.width, height: contentCanvas.height, size: scale.size };
      const x0 =
        x && prev
          ? mirrorPad(carryOver(x, prev, scale, contentPx, prevContent!), scale, margin)
          : initPicture
            ? Float32Array.from(onCanvas(await resizeRgb(initPicture, scale.width, scale.height), margin).data)
            : await initialImage(init, contentCanvas, styles[0]!, random, () => fastStart(scale, margin));
      prevContent = contentPx;
      checkCancelled(signal);

      objective?.dispose();
      objective = undefined;
      objective = await prepare(canvas, contentCanvas);
      const evaluate = objective.evaluate.bind(objective);
      const start = await evaluate(x0);
      const optimizer: Optimizer<Losses> =
        opts.optimizer === 'lbfgs'
          ? createLbfgs(evaluate, x0, { bounds: BOUNDS, initial: start, precondition: dampChroma(), history: lbfgsHistory(x0.length) })
          : createAdam(evaluate, x0, { bounds: BOUNDS, learningRate: opts.learningRate });
      const view = (pixels: Float32Array) => {
        const picture = cropMargin(pixels, scale, margin);
        return opts.preserveColors ? keepContentChroma(picture, contentPx) : picture;
      };
      let losses = start.info;
      if (!repaint) progress.scaleStart(index, losses, () => view(optimizer.x), scaleStarted);
      // The budget is in evaluations, so a pair whose line searches backtrack costs no more.
      let used = 0;
      while (used < scale.iterations) {
        // Yield so an abort (or a timer) can run, then refuse to start another step.
        await new Promise((resolve) => setImmediate(resolve));
        checkCancelled(signal);
        const result = await optimizer.step(scale.iterations - used);
        used += Math.max(1, result.evaluations);
        losses = result.info;
        if (!repaint) progress.step(index, Math.min(used, scale.iterations), losses, () => view(optimizer.x));
      }
      x = view(optimizer.x);
      const guarded = plan[0]!.size <= GUARDED_SIZE && (index === 0 || (index < plan.length - 1 && scale.size <= GUARDED_MIDDLE_SIZE));
      const composition = guarded ? await compositionOf(x, contentPx) : undefined;
      // A fast start is kept while its scales keep the photo; a miss paints the job again from the photo
      // (from the fast start, less style only held its drift: the pictures came out barely painted).
      const fastStartMissed = composition !== undefined && init === 'fast' && guard.fastStartMissed(index, composition);
      if (fastStartMissed) init = 'content';
      if (fastStartMissed || (composition !== undefined && (index === 0 ? guard.retry(composition) : guard.recheck(index, composition)))) {
        // Painted the photo away: from the coarse scale again, with less style (or, after a fast
        // start, from the photo with the same style).
        quietUntil = Math.max(quietUntil, index);
        x = prev = prevContent = undefined;
        random = mulberry32(opts.seed);
        scaleStats.length = 0;
        index = -1;
        continue;
      }
      prev = scale;
      scaleStats.push({
        width: scale.width,
        height: scale.height,
        iterations: scale.iterations,
        losses,
        ms: Math.round(performance.now() - scaleStarted),
        ...(composition === undefined ? {} : { composition }),
      });
      // A scale ends once for the bar, however often the guard painted it.
      if (index > endedUpTo) progress.scaleEnd(index, losses, () => x!);
      endedUpTo = Math.max(endedUpTo, index);
    }

    // The saved image: at the output size, clamped and rounded to bytes; the reported losses are its own.
    const last = plan[plan.length - 1]!;
    const finalScale: PlannedScale = { size: opts.size, iterations: 0, ...out };
    let pixels = x!;
    const sameSize = last.width === out.width && last.height === out.height;
    let contentOut = prevContent!;
    if (!sameSize) {
      // An explicit schedule may stop below the output size: carry the result over like a scale.
      contentOut = await resizeRgb(content, out.width, out.height);
      pixels = carryOver(pixels, last, finalScale, contentOut, prevContent!);
      if (opts.preserveColors) pixels = keepContentChroma(pixels, contentOut);
    }
    const image: RgbImage = { data: toBytes(pixels), width: out.width, height: out.height };
    // Scored as delivered, on the canvas the last scale optimised: its margin mirrored from the
    // saved bytes. (Scoring the picture alone needs an objective of its own, whose targets took
    // 4-5 s of a default job; the two scores differ by the margin's share.)
    const margin = marginFor(sameSize ? last.size : finalScale.size);
    if (!sameSize) {
      objective?.dispose();
      objective = undefined;
      const contentCanvas: RgbImage = onCanvas(contentOut, margin);
      objective = await prepare({ width: contentCanvas.width, height: contentCanvas.height, size: finalScale.size }, contentCanvas);
    }
    const finalLosses = await objective!.losses(mirrorPad(Float32Array.from(image.data), out, margin));
    const bytes = await encodeImage(image, opts.format);
    return {
      image: bytes,
      mime: OUTPUT_MIME[opts.format],
      width: out.width,
      height: out.height,
      stats: {
        backend: runtime.name,
        threads: runtime.threads,
        width: out.width,
        height: out.height,
        seed: opts.seed,
        scales: scaleStats,
        compositionGuard: guard.history,
        ...(initPicture ? {} : { start: init }),
        finalLosses,
        ms: Math.round(performance.now() - started),
      },
    };
  } catch (e) {
    if (isStylizeError(e)) throw e;
    throw new StylizeError('internal', 'Something went wrong while painting the picture; please try again.', { cause: e });
  } finally {
    clearInterval(heartbeats);
    objective?.dispose();
  }
}

function checkStyles(request: StylizeRequest): number[] {
  if (!Array.isArray(request.styles) || request.styles.length === 0) {
    throw new StylizeError('bad-option', 'Add a style image: the picture whose look the result should take.');
  }
  if (request.styles.length > MAX_STYLES) {
    throw new StylizeError('bad-option', `Use at most ${MAX_STYLES} style images (you gave ${request.styles.length}).`);
  }
  const weights = request.styles.map((s, i) => {
    const w = s.weight ?? 1;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new StylizeError('bad-option', `The weight of style image ${i + 1} must be a number of 0 or more (you gave ${String(w)}).`);
    }
    return w;
  });
  if (weights.every((w) => w === 0)) throw new StylizeError('bad-option', 'At least one style image needs a weight above 0.');
  return weights;
}

interface PreparedJob {
  opts: StylizeOptions;
  styleWeights: number[];
  content: RgbImage;
  styles: RgbImage[];
  out: { width: number; height: number };
  plan: PlannedScale[];
  /** The request's `initImage`, decoded. */
  initPicture?: RgbImage;
}

/**
 * Everything about a request that can be refused, checked before any tensor is made: options,
 * styles, decodable pictures within the limits, and shapes every scale's poolings can take.
 */
export async function prepareJob(request: StylizeRequest, config: { maxSize: number; limits: ImageLimits }): Promise<PreparedJob> {
  const opts = resolveOptions(request.options, { maxSize: config.maxSize });
  const styleWeights = checkStyles(request);
  const content = await decodeImage(request.content, config.limits, { label: 'content image' });
  const styles: RgbImage[] = [];
  const styleLabel = (i: number) => (request.styles.length > 1 ? `style image ${i + 1}` : 'style image');
  for (const [i, s] of request.styles.entries()) {
    styles.push(await decodeImage(s.bytes, config.limits, { label: styleLabel(i) }));
  }
  const initPicture = request.initImage ? await decodeImage(request.initImage, config.limits, { label: 'start picture' }) : undefined;
  const minSide = minInputSide([opts.contentLayer, ...opts.styleLayers.map((l) => l.layer)]);
  const out = checkedSize(content, opts.size, minSide);
  const plan: PlannedScale[] = planScales(opts).map((s) => ({
    ...s,
    ...checkedSize(content, s.size, minSide),
  }));
  // The final loss is measured at the output size too, so its style must fit the poolings as well.
  const sizes = [...new Set([...plan.map((s) => s.size), opts.size])].sort((a, b) => a - b);
  styles.forEach((style, i) => sizes.forEach((size) => checkStyleShape(style, size, opts, minSide, styleLabel(i))));
  return { opts, styleWeights, content, styles, out, plan, ...(initPicture ? { initPicture } : {}) };
}

/**
 * Refuses a request the engine would refuse, without loading weights or a backend: options,
 * pictures (type, limits, decodability) and shapes. A front end can call it before `createEngine`.
 */
export async function checkRequest(request: StylizeRequest, config: Pick<EngineConfig, 'maxSize' | 'limits'> = {}): Promise<void> {
  await prepareJob(request, { maxSize: config.maxSize ?? DEFAULT_MAX_SIZE, limits: { ...DEFAULT_LIMITS, ...config.limits } });
}

/** Output size for a long side, refusing shapes too thin for VGG's poolings. */
function checkedSize(content: RgbImage, long: number, minSide: number): { width: number; height: number } {
  const size = fitLongSide(content.width, content.height, long);
  if (Math.min(size.width, size.height) < minSide) {
    throw new StylizeError(
      'bad-option',
      `At ${long} px the content image would be ${size.width}×${size.height}, too thin to stylise; use a larger size or a less elongated picture.`,
    );
  }
  return size;
}

/** The style's size at a scale of `size` px (see styleAt). */
function styleSize(style: RgbImage, size: number, opts: StylizeOptions): { width: number; height: number } {
  return fitLongSide(style.width, style.height, Math.max(32, Math.round(size * opts.styleScale)));
}

function checkStyleShape(style: RgbImage, size: number, opts: StylizeOptions, minSide: number, label: string): void {
  const dims = styleSize(style, size, opts);
  const short = Math.min(dims.width, dims.height);
  if (short >= minSide) return;
  const long = Math.max(dims.width, dims.height);
  const ratio = Math.max(1, Math.floor((long / minSide) * 10) / 10);
  throw new StylizeError(
    'bad-option',
    `The ${label} is ${style.width}×${style.height}, too elongated: at ${size} px it would be scaled to ${dims.width}×${dims.height}, and its short side needs at least ${minSide} px. Crop it to at most ${ratio}:1, or use a larger size or style scale.`,
  );
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StylizeError('cancelled', 'The job was cancelled.');
}

/** The style at this scale: long side = scale × styleScale; grey with the content's brightness when colours are kept. */
async function styleAt(style: RgbImage, scale: { size: number }, opts: StylizeOptions, contentPx: RgbImage): Promise<RgbImage> {
  const dims = styleSize(style, scale.size, opts);
  const resized = await resizeRgb(style, dims.width, dims.height);
  if (!opts.preserveColors) return resized;
  // Luminance-only transfer (Gatys et al., "Preserving colour in neural artistic style transfer"):
  // the style contributes texture in brightness only, matched to the content's brightness range.
  return lumaToRgb(matchLuma(toLuma(resized), toLuma(contentPx)), resized.width, resized.height);
}

/**
 * Seeded jitter (± this many 0..255 levels) added to the content and style inits, so that a new seed (Reroll)
 * gives a different picture: without it, content init is deterministic and the seed did nothing.
 * Measured at 128 px, 30 steps (chicago + udnie): seeds 1 and 2 then differ by 12 levels per pixel
 * on average, visibly in where the strokes fall, for +0.9% loss; ±48 gave 20 levels for +3%.
 */
const INIT_JITTER = 16;
/**
 * The jitter is one brightness value per cell of this many pixels, smoothly interpolated and the
 * same on R, G and B. Independent noise per pixel and channel (as before) was rainbow speckle that
 * the few steps a scale gets never smooth away: the grain of issue 11.
 */
const JITTER_CELL = 4;

function jittered(pixels: Uint8Array, size: { width: number; height: number }, random: () => number): Float32Array {
  const cells = { width: Math.max(1, Math.ceil(size.width / JITTER_CELL)), height: Math.max(1, Math.ceil(size.height / JITTER_CELL)) };
  const coarse = new Float32Array(cells.width * cells.height * 3);
  for (let i = 0; i < coarse.length; i += 3) coarse[i] = coarse[i + 1] = coarse[i + 2] = (random() * 2 - 1) * INIT_JITTER;
  const noise = resizeBilinear(coarse, cells, size);
  return Float32Array.from(pixels, (v, i) => Math.min(255, Math.max(0, v + noise[i]!)));
}

/**
 * The fast picture a painting with init `fast` starts from, where it keeps the photo's layout
 * (fastStartHolds); undefined: start from the photo. By default (init not asked for) the photo is
 * also the start where this engine's fast network cannot be opened or run: a default should not
 * fail a painting that needs no fast network. Asked for by name, such a failure is the job's.
 */
async function fastStartPicture(
  ctx: JobContext,
  request: StylizeRequest,
  job: Pick<PreparedJob, 'opts' | 'styleWeights' | 'content' | 'styles' | 'out'>,
): Promise<RgbImage | undefined> {
  const { opts, out, content } = job;
  if (opts.init !== 'fast') return undefined;
  const at = Math.max(out.width, out.height) > FAST_START_MAX_SIZE ? fitLongSide(out.width, out.height, FAST_START_MAX_SIZE) : out;
  let picture: RgbImage;
  try {
    picture = await fastPicture(await ctx.fast.get(), { ...job, out: at });
  } catch (e) {
    if (request.options?.init === undefined) return undefined;
    if (isStylizeError(e)) throw e;
    throw new StylizeError('internal', 'Something went wrong while making the fast picture to start from; please try again.', { cause: e });
  }
  const kept = await compositionOf(Float32Array.from(picture.data), await resizeRgb(content, at.width, at.height));
  return fastStartHolds(kept, opts.strength) ? picture : undefined;
}

async function initialImage(
  init: StylizeOptions['init'],
  contentPx: RgbImage,
  style: RgbImage,
  random: () => number,
  fastStart: () => Promise<RgbImage>,
): Promise<Float32Array> {
  switch (init) {
    case 'content':
      return jittered(contentPx.data, contentPx, random);
    case 'noise':
      return Float32Array.from({ length: contentPx.data.length }, () => random() * 255);
    case 'style':
      return jittered((await resizeRgb(style, contentPx.width, contentPx.height)).data, contentPx, random);
    case 'fast':
      return jittered((await fastStart()).data, contentPx, random);
  }
}

/**
 * The previous scale's result at the next size. Plain upsampling would leave it blurry and spend
 * the (expensive) fine-scale steps re-sharpening; instead the coarse result's difference from
 * the coarse photo (the stylisation) is upsampled and added to the sharp photo at this size, so
 * the fine scale starts with the photo's detail and the coarse scale's strokes and colours.
 */
function carryOver(
  pixels: Float32Array,
  from: PlannedScale,
  to: PlannedScale,
  contentTo: RgbImage,
  contentFrom: RgbImage,
): Float32Array {
  const delta = Float32Array.from(pixels, (v, i) => v - contentFrom.data[i]!);
  const up = resizeBilinear(delta, from, to);
  for (let i = 0; i < up.length; i++) up[i] = Math.min(255, Math.max(0, up[i]! + contentTo.data[i]!));
  return up;
}

/** Seeded PRNG (mulberry32): the same seed gives the same noise on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ProgressReporter {
  /** Between layers of a long step: repeats the last event, with time and ETA brought up to date, once `progressIntervalMs` has passed. */
  heartbeat: () => void;
  /** `setupStartedAt`: when this scale's set-up (resize, targets, the start's score) began. */
  scaleStart(index: number, losses: Losses, pixels: () => Float32Array, setupStartedAt: number): void;
  step(index: number, iteration: number, losses: Losses, pixels: () => Float32Array): void;
  scaleEnd(index: number, losses: Losses, pixels: () => Float32Array): void;
}

/**
 * L-BFGS keeps 20 curvature pairs (two Float32Arrays of the canvas each), fewer where that would
 * hold more than HISTORY_MAX_BYTES: a 1024 px scale's 17 evaluations filled 16 pairs, 416 MB of a
 * job whose peak RSS must stay within 4 GB. Up to 512 px nothing changes.
 */
const HISTORY_MAX_BYTES = 128 * 2 ** 20;
export const lbfgsHistory = (values: number): number => Math.max(4, Math.min(20, Math.floor(HISTORY_MAX_BYTES / (8 * values))));

/** Scoring the saved image (losses only, but an evaluation's forward pass and a PNG). */
const FINAL_EVALUATIONS = 1;

/** Previews are at most this long a side (every scale of a default 1024 px job fits). */
const PREVIEW_MAX_SIDE = 1024;

const pixelsOf = (scale: { width: number; height: number }) => scale.width * scale.height;

/**
 * Progress events at the start and end of each scale and at most every `progressIntervalMs`
 * between, also inside a long step (from `heartbeat`, called between layers, where the runtime can).
 * `iteration` counts objective evaluations, the unit of the budget. ETA: the rest of the job in
 * relative costs (`costs`, learnt over the engine's jobs), times the rate this scale runs at now,
 * plus the set-ups of the scales to come.
 */
function createProgressReporter(plan: readonly PlannedScale[], started: number, controls: RunControls, costs: EvaluationCosts): ProgressReporter {
  const onProgress = controls.onProgress;
  const interval = controls.progressIntervalMs ?? 2000;
  const totalSteps = plan.reduce((a, s) => a + s.iterations, 0);
  const stepsBefore = plan.map((_, i) => plan.slice(0, i).reduce((a, s) => a + s.iterations, 0));
  let lastEmit = -Infinity;
  let setupMs: number | undefined;
  let msPerEvaluation: number | undefined;
  /** When each evaluation of this scale ended (iteration 0: the scale's start). */
  let marks: { iteration: number; at: number }[] = [];
  /** The last state reported or stepped through, and when: what a heartbeat repeats. */
  let current: { index: number; iteration: number; losses: Losses; snapshot: Float32Array; at: number } | undefined;

  function record(index: number, iteration: number, losses: Losses, pixels: () => Float32Array): void {
    if (!onProgress) return;
    // Snapshot now: the preview must show this moment even if encoded later.
    current = { index, iteration, losses, snapshot: Float32Array.from(pixels()), at: performance.now() };
  }

  function emit(index: number, iteration: number, losses: Losses, pixels: () => Float32Array): void {
    record(index, iteration, losses, pixels);
    send();
  }

  function send(): void {
    if (!onProgress || !current) return;
    const { index, iteration, losses, snapshot } = current;
    const now = performance.now();
    lastEmit = now;
    const scale = plan[index]!;
    let etaMs: number | undefined;
    if (msPerEvaluation !== undefined) {
      const msPerUnit = msPerEvaluation / costs.evaluation(pixelsOf(scale));
      let units = (scale.iterations - iteration) * costs.evaluation(pixelsOf(scale));
      const rest = plan.slice(index + 1);
      for (const s of rest) units += s.iterations * costs.evaluation(pixelsOf(s));
      const setUpsMs = costs.setupsMs(rest.map(pixelsOf), msPerUnit);
      units += FINAL_EVALUATIONS * costs.losses(pixelsOf(plan[plan.length - 1]!));
      // Time already spent on the step under way counts against what is left.
      etaMs = Math.max(0, Math.round(units * msPerUnit + setUpsMs - (now - current.at)));
    }
    onProgress({
      scale: index + 1,
      scales: plan.length,
      width: scale.width,
      height: scale.height,
      iteration,
      iterations: scale.iterations,
      step: stepsBefore[index]! + iteration,
      totalSteps,
      losses,
      elapsedMs: Math.round(now - started),
      ...(etaMs === undefined ? {} : { etaMs }),
      // A preview is a glance: a 4096 px scale's full PNG would take seconds and ~50 MB each time.
      preview: () => encodePreview({ data: toBytes(snapshot), width: scale.width, height: scale.height }, { maxSide: PREVIEW_MAX_SIDE }),
    });
  }

  return {
    heartbeat() {
      // Ticks come up to ~0.5 s apart (one conv at 512 px here): firing at 3/4 of the interval
      // keeps the longest silence within the interval itself.
      if (current && performance.now() - lastEmit >= interval * 0.75) send();
    },
    scaleStart(index, losses, pixels, setupStartedAt) {
      const now = performance.now();
      setupMs = now - setupStartedAt;
      msPerEvaluation = undefined;
      marks = [{ iteration: 0, at: now }];
      emit(index, 0, losses, pixels);
    },
    step(index, iteration, losses, pixels) {
      const scale = plan[index]!;
      marks.push({ iteration, at: performance.now() });
      msPerEvaluation = recentRate(marks);
      // The job's first step is reported at once, so a first preview comes within seconds.
      const first = index === 0 && iteration === 1;
      record(index, iteration, losses, pixels);
      if (iteration < scale.iterations && (first || performance.now() - lastEmit >= interval)) send();
    },
    scaleEnd(index, losses, pixels) {
      if (msPerEvaluation !== undefined) costs.record(pixelsOf(plan[index]!), msPerEvaluation, setupMs);
      emit(index, plan[index]!.iterations, losses, pixels);
    },
  };
}

/**
 * ms per evaluation over the later half of a scale's evaluations so far. Its first ones run
 * slower (a fresh session's first runs, the optimiser's code not yet compiled): on a fresh
 * engine the 128 px scale's average was up to 1.5× its steady rate, and the whole job's ETA,
 * scaled from it, as much too long.
 */
function recentRate(marks: readonly { iteration: number; at: number }[]): number {
  const last = marks[marks.length - 1]!;
  const from = marks.find((m) => m !== last && m.iteration >= last.iteration / 2) ?? marks[0]!;
  return (last.at - from.at) / (last.iteration - from.iteration);
}
