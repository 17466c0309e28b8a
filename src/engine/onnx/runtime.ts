/**
 * The onnx runtime: the objective of each scale is one generated graph (vgg-graph.ts) run by
 * onnxruntime-node, on its CPU provider (`onnx`) or CUDA (`onnx-cuda`).
 *
 * Objectives of up to the arena's size (a square 512 px picture on its canvas, 520² px) run on
 * sessions of symbolic size, one per loss and conv algorithm (size-policy.ts): direct below 160²
 * px, Winograd from there. One session then serves every aspect ratio: a bot's photos all differ
 * in shape, and a Winograd session per shape cost each new shape its build (in default jobs 2.3 s
 * at 256×170 and 4.6-6.3 s at 512×341, with the other sessions held) and ~1.2 GB while cached. Measured against a session per shape (same
 * process, interleaved, 8 step pairs; median ratio of symbolic to fixed, then mean ms):
 * 200×133 1.14 (292/285 ms), 256×170 1.04 (487/487), 341×512 0.97 (1906/2096), 512×341 1.04
 * (1822/2121); direct at 128×85, 85×128, 160×120: 1.01-1.02. Losses and gradients bit-identical.
 * Above the arena's size each shape gets its own session, direct convs and no arena (memory first).
 * Building a session costs 0.4-0.7 s with direct convs and ~1.6-3.4 s with Winograd ones
 * (kernels folded into their layouts and transforms, then pre-packed; 2 cores), so the last few
 * are kept (LRU). The features graph (targets) is symbolic: it runs a few times per scale, on
 * images of any size.
 */
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { StylizeError } from '../errors.js';
import { cudaRefusal } from './cuda.js';
import { onnxCostModel } from './cost-model.js';
import { prepareTiled, type TileSessions } from './tiled-objective.js';
import { tileGraph } from './tile-graphs.js';
import { ARENA_MAX_PIXELS, SYMBOLIC_MAX_PIXELS, tilingFromEnv, type Tiling, WINOGRAD_MIN_PIXELS, convAlgorithmFor, convFromEnv, servedBySymbolic } from './size-policy.js';
import { DEFAULT_OPTIONS } from '../options.js';
import { lossSpec } from '../loss-spec.js';
import type { BackendName } from '../types.js';
import { readVggWeights } from '../weights/index.js';
import { styleBalance, totalLosses, type LossSpec, type Runtime, type ScaleImages, type ScaleObjective } from '../runtime/types.js';
import {
  CONTENT_INPUT,
  IMAGE_INPUT,
  OUTPUTS,
  contentFeaturesOutput,
  featuresGraph,
  gramInput,
  gramOutput,
  objectiveGraph,
  objectiveShape,
  objectiveWeights,
  planLayers,
  lossLayers,
  type BackwardConv,
  type ConvAlgorithm,
  type ObjectiveShape,
  type RawLayer,
} from './vgg-graph.js';

export type OnnxProvider = 'cpu' | 'cuda';

export interface OnnxRuntimeOptions {
  weights: string;
  /** Intra-op threads; 0 = one per core. */
  threads: number;
  /** Objective sessions kept between scales and jobs. Default 3 (a default job's scales). */
  cachedSessions?: number;
  /** How the backward pass runs its convs (measured: 'rotated' is faster on CPU; see bench). */
  backward?: BackwardConv;
  /**
   * How the deeper 3×3 convs are computed (see vgg-graph.ts). Default: STYLIZE_ONNX_CONV when it
   * names one (the bench sets it to time both), else by size: Winograd from WINOGRAD_MIN_PIXELS
   * up to ARENA_MAX_PIXELS, direct outside.
   */
  conv?: ConvAlgorithm;
  /**
   * Whether onnxruntime's idle intra-op threads spin for work (default false). Measured on 2
   * shared cores (bench/onnx-conv.ts, median per-pair ratios): without spinning, Winograd steps
   * took 0.76× (256 px) and 0.84× (512 px) the time of Winograd steps with it; direct-conv
   * steps 0.99× and 1.09×. The Winograd graph has more, shorter parallel sections, and a thread
   * that spins while the other core is busy elsewhere takes the time its partner needs.
   */
  spinning?: boolean;
  /** Objectives of up to this many pixels share a session of symbolic size per conv algorithm (0: none). Default SYMBOLIC_MAX_PIXELS. */
  symbolicUpTo?: number;
  /** Objectives above `minPixels` are computed tile by tile (tiled-objective.ts); default: tilingFromEnv(). */
  tiles?: Tiling;
  /** Told of every objective session built: its size and convs ('symbolic/direct', '341x512/winograd', …) and the ms it took. */
  onObjectiveSession?: (size: string, ms: number) => void;
}

async function loadOrt(name: BackendName): Promise<typeof Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new StylizeError('backend-unavailable', `The ${name} backend needs onnxruntime-node, which failed to load (${firstLine(e)}); reinstall with npm ci or choose wasm.`, { cause: e });
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

export async function startOnnxRuntime(provider: OnnxProvider, opts: OnnxRuntimeOptions): Promise<Runtime> {
  const name: BackendName = provider === 'cuda' ? 'onnx-cuda' : 'onnx';
  const refusal = provider === 'cuda' ? cudaRefusal() : undefined;
  if (refusal) throw refusal;
  const ort = await loadOrt(name);
  const threads = opts.threads > 0 ? opts.threads : os.availableParallelism();
  const sessionOptions: Ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(opts.spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
  /**
   * onnxruntime's CPU arena and memory pattern keep a step's activations for the next step:
   * at 512×341 a step ran ~1.25× faster with them (median of 4, same process), but the session
   * then holds ~1.2 GB instead of ~0.3 GB between steps and the peak rises from 1.56 to 2.07 GB.
   * So they are on up to that size and off above it, where memory (1024 px: ≤ 4 GB) matters more.
   */
  const arenaUpTo = ARENA_MAX_PIXELS;
  const noArena: Ort.InferenceSession.SessionOptions = { ...sessionOptions, enableCpuMemArena: false, enableMemPattern: false };
  /**
   * Objectives above it also leave out the NCHWc layout ('all' optimisations): it keeps each large
   * activation twice while reordering. One 1040² objective run (huge pages, one process): peak
   * RSS 3.74 GB and 5.9 s with it, 3.17 GB and 6.6 s without.
   */
  const optionsFor = (pixels: number): Ort.InferenceSession.SessionOptions =>
    pixels <= arenaUpTo ? sessionOptions : { ...noArena, graphOptimizationLevel: 'extended' };
  const raw = await readVggWeights(opts.weights);
  const weights = new Map<string, RawLayer>([...raw.layers].map(([layer, w]) => [layer, { kernel: w.kernel.values, bias: w.bias.values }]));
  const backward = opts.backward ?? 'rotated';
  const chosenConv = opts.conv ?? convFromEnv();
  const symbolicUpTo = opts.symbolicUpTo ?? SYMBOLIC_MAX_PIXELS;
  const convFor = (pixels: number) => convAlgorithmFor(pixels, chosenConv);
  /** The shared session of symbolic size with these convs (direct: the small scales; Winograd: up to the arena's size). */
  const symbolicSession = (loss: LossSpec, conv: ConvAlgorithm) =>
    objectives.get(objectiveKey(loss, 'symbolic', 'symbolic', conv), conv === 'winograd' ? ARENA_MAX_PIXELS : WINOGRAD_MIN_PIXELS);
  const sessionFor = (loss: LossSpec, height: number, width: number) => {
    const pixels = height * width;
    return servedBySymbolic(pixels, symbolicUpTo)
      ? symbolicSession(loss, convFor(pixels))
      : objectives.get(objectiveKey(loss, height, width, convFor(pixels)), pixels);
  };

  async function createSession(model: Uint8Array, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
    try {
      return await ort.InferenceSession.create(model, options);
    } catch (e) {
      throw new StylizeError('backend-unavailable', `The ${name} backend failed to start a session (${firstLine(e)}).`, { cause: e });
    }
  }

  // A CUDA provider that is installed may still fail on this machine (driver, libraries): find out
  // now, with the features session of the default loss, which a default job then finds built.
  const defaultFeatures = featuresKey(DEFAULT_OPTIONS);
  // Features sessions are symbolic and run a few times per scale: no arena holding their largest image's activations.
  const probe = await createSession(featuresGraph(weights, JSON.parse(defaultFeatures) as FeaturesLoss), noArena);

  const features = new SessionCache(4, Infinity, (key) => {
    const loss = JSON.parse(key) as FeaturesLoss;
    return createSession(featuresGraph(weights, loss), noArena);
  });
  features.put(defaultFeatures, probe);
  // A default job's three scales stay cached (≈ 128² + 256² + 512² pixels); a 1024 px scale first
  // releases the others, so their arenas are not held beside it.
  const objectives = new SessionCache(opts.cachedSessions ?? 3, ARENA_MAX_PIXELS * 1.4, async (key) => {
    const started = performance.now();
    const { loss, height, width, conv } = JSON.parse(key) as { loss: ObjectiveShape; height: number | 'symbolic'; width: number | 'symbolic'; conv: ConvAlgorithm };
    const symbolic = height === 'symbolic' || width === 'symbolic';
    const model = objectiveGraph(weights, loss, height, width, { backward, conv });
    // A symbolic session serves sizes within the arena's; a fixed one is priced by its own.
    const session = await createSession(model, optionsFor(symbolic ? Math.min(symbolicUpTo, ARENA_MAX_PIXELS) : (height as number) * (width as number)));
    opts.onObjectiveSession?.(`${symbolic ? 'symbolic' : `${height}x${width}`}/${conv}`, performance.now() - started);
    return session;
  });

  // Built before the runtime says it is ready, so the first job's first scale starts at once. The
  // Winograd one is built by the first scale that needs it: onnxruntime builds a session on this
  // process's thread, so one built in the background would hold up the first job's first steps.
  if (servedBySymbolic(1, symbolicUpTo)) await symbolicSession(lossSpec(DEFAULT_OPTIONS, 1), convFor(1));

  const tiling = opts.tiles ?? tilingFromEnv();
  /** The tiled objective's sessions, per loss shape; only the last shape's are kept. */
  let tileSessions: { key: string; sessions: Promise<TileSessions & { release(): Promise<unknown> }> } | undefined;
  const tileSessionsFor = (loss: LossSpec): Promise<TileSessions> => {
    const shape = objectiveShape(loss);
    const key = JSON.stringify(shape);
    if (tileSessions?.key === key) return tileSessions.sessions;
    const old = tileSessions?.sessions;
    const sessions = (async () => {
      await old?.then((s) => s.release()).catch(() => undefined);
      // The untiled sessions' arenas are not held beside the tiles' activations.
      await objectives.clear();
      // The arena lets a run reuse the tensors it freed (fresh memory costs a page fault per page);
      // no memory pattern (it needs fixed shapes). onnxruntime-node takes no run options that would
      // give the arena back, so it holds its largest run's peak while the session lives.
      const tileOptions = tiling.arena ? { ...sessionOptions, enableMemPattern: false } : optionsFor(Infinity);
      const built = new Map<number, Promise<Ort.InferenceSession>>();
      // One session per slot count serves both passes and every crop (a session per crop shape held ~1 GB more at 4096 px, for no speed).
      const sessionOf = (slots: number) => {
        let session = built.get(slots);
        if (!session) {
          const started = performance.now();
          session = createSession(tileGraph(weights, shape, backward, slots, tiling.conv), tileOptions);
          session.then(() => opts.onObjectiveSession?.(`tiled ${slots}/${tiling.conv}`, performance.now() - started)).catch(() => undefined);
          built.set(slots, session);
        }
        return session;
      };
      return {
        session: sessionOf,
        release: () => Promise.all([...built.values()].map((s) => s.then((x) => x.release()).catch(() => undefined))),
      };
    })();
    sessions.catch(() => {
      if (tileSessions?.sessions === sessions) tileSessions = undefined;
    });
    tileSessions = { key, sessions };
    return sessions;
  };

  const imageTensor = (pixels: Float32Array | Uint8Array, h: number, w: number) =>
    new ort.Tensor('float32', pixels instanceof Float32Array ? pixels : Float32Array.from(pixels), [1, h, w, 3]);

  /** The feeds of a scale's targets. */
  async function targets(images: ScaleImages, loss: LossSpec): Promise<Record<string, Ort.Tensor>> {
    const session = await features.get(featuresKey(loss));
    const { content } = images;
    const contentOut = await session.run({ [IMAGE_INPUT]: imageTensor(content.data, content.height, content.width) });
    const feeds: Record<string, Ort.Tensor> = { [CONTENT_INPUT]: contentOut[contentFeaturesOutput]! };
    const total = images.styles.reduce((a, s) => a + s.weight, 0);
    const grams = new Map<string, Float32Array>();
    for (const { image, weight } of images.styles) {
      if (weight === 0) continue;
      const out = await session.run({ [IMAGE_INPUT]: imageTensor(image.data, image.height, image.width) });
      const plan = planLayers(lossLayers(loss), image.height, image.width);
      for (const { layer } of loss.styleLayers) {
        const p = plan.find((l) => l.name === layer)!;
        const raw = out[gramOutput(layer)]!.data as Float32Array;
        // G = FFᵀ / (C·H·W), blended with the normalised style weight.
        const k = weight / total / (p.cout * p.h * p.w);
        const sum = grams.get(layer) ?? new Float32Array(raw.length);
        for (let i = 0; i < raw.length; i++) sum[i] = sum[i]! + k * raw[i]!;
        grams.set(layer, sum);
      }
    }
    for (const [layer, g] of grams) {
      const c = Math.round(Math.sqrt(g.length));
      feeds[gramInput(layer)] = new ort.Tensor('float32', g, [c, c]);
    }
    return feeds;
  }

  const weightFeeds = (loss: LossSpec, styleScale: number) =>
    Object.fromEntries(Object.entries(objectiveWeights(loss, styleScale)).map(([input, value]) => [input, new ort.Tensor('float32', Float32Array.of(value), [])]));

  return {
    name,
    library: 'onnxruntime',
    provider,
    threads,
    ...(provider === 'cpu' ? { costModel: onnxCostModel(opts) } : {}),
    async prepare(images, loss): Promise<ScaleObjective> {
      if (images.height * images.width > tiling.minPixels) {
        return prepareTiled(ort, await tileSessionsFor(loss), images, loss, { interior: tiling.interior, statsInterior: tiling.statsInterior ?? tiling.interior });
      }
      const [targetFeeds, session] = await Promise.all([
        targets(images, loss),
        sessionFor(loss, images.height, images.width),
      ]);
      let feeds = targetFeeds;
      const run = async (pixels: Float32Array, fetch: string[]) => {
        return session.run({ ...feeds, [IMAGE_INPUT]: imageTensor(pixels, images.height, images.width) }, fetch);
      };
      let styleScale = 1;
      if (loss.photoStyleDistance !== undefined) {
        // The balance: the photo's own style distance (the style term with the layers' weights
        // alone) under the graph's definition, regions included; one forward pass.
        feeds = { ...targetFeeds, ...weightFeeds({ ...loss, styleWeight: 1 }, 1) };
        styleScale = styleBalance(loss, Number((await run(Float32Array.from(images.content.data), [OUTPUTS.style]))[OUTPUTS.style]!.data[0]));
      }
      feeds = { ...targetFeeds, ...weightFeeds(loss, styleScale) };
      const lossesOf = (out: Ort.InferenceSession.ReturnType) =>
        totalLosses(Number(out[OUTPUTS.content]!.data[0]), Number(out[OUTPUTS.style]!.data[0]), Number(out[OUTPUTS.tv]!.data[0]));
      return {
        async evaluate(pixels) {
          const out = await run(pixels, [OUTPUTS.content, OUTPUTS.style, OUTPUTS.tv, OUTPUTS.grad]);
          const info = lossesOf(out);
          return { loss: info.total, grad: out[OUTPUTS.grad]!.data as Float32Array, info };
        },
        async losses(pixels) {
          return lossesOf(await run(pixels, [OUTPUTS.content, OUTPUTS.style, OUTPUTS.tv]));
        },
        dispose() {
          // The session stays cached; the targets are plain JS memory.
        },
      };
    },
    liveResources: () => 0,
    dispose() {
      void tileSessions?.sessions.then((s) => s.release()).catch(() => undefined);
      void objectives.clear();
      void features.clear();
    },
  };
}

/** An objective session's cache key: what its graph is built for (the weights are fed per scale). */
function objectiveKey(loss: LossSpec, height: number | 'symbolic', width: number | 'symbolic', conv: ConvAlgorithm): string {
  return JSON.stringify({ loss: objectiveShape(loss), height, width, conv });
}

type FeaturesLoss = Pick<LossSpec, 'contentLayer' | 'styleLayers' | 'pooling'>;

/** The features session's cache key: only what its graph depends on (layers, not their weights), in one order. */
function featuresKey(loss: FeaturesLoss): string {
  const { contentLayer, pooling } = loss;
  return JSON.stringify({ contentLayer, styleLayers: loss.styleLayers.map(({ layer }) => ({ layer, weight: 1 })), pooling });
}

/**
 * Sessions by key, least recently used released first, within a count and a total cost (pixels:
 * what a session's activations scale with). The newest entry always stays, whatever its cost.
 */
class SessionCache {
  readonly #entries = new Map<string, { session: Promise<Ort.InferenceSession>; cost: number }>();
  constructor(
    private readonly capacity: number,
    private readonly maxCost: number,
    private readonly create: (key: string) => Promise<Ort.InferenceSession>,
  ) {}

  put(key: string, session: Ort.InferenceSession): void {
    this.#entries.set(key, { session: Promise.resolve(session), cost: 0 });
  }

  get(key: string, cost = 0): Promise<Ort.InferenceSession> {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      const session = this.create(key);
      // A failed build is not remembered.
      session.catch(() => this.#entries.delete(key));
      entry = { session, cost };
    }
    this.#entries.set(key, entry);
    const total = () => [...this.#entries.values()].reduce((a, e) => a + e.cost, 0);
    while (this.#entries.size > 1 && (this.#entries.size > this.capacity || total() > this.maxCost)) {
      const [oldest, old] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      void old.session.then((s) => s.release()).catch(() => undefined);
    }
    return entry.session;
  }

  async clear(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(all.map((e) => e.session.then((x) => x.release()).catch(() => undefined)));
  }
}
