/**
 * The engine's documented defaults and the one place a request's options are checked.
 *
 * Defaults follow the reference run (../shared/reference/README.md): content weight 5 at
 * block4_conv2, style weight 100 over block1..5_conv1, TV 1e-3, average pooling, content init.
 * `iterations` is the evaluation budget over the automatic coarse-to-fine schedule (see schedule.ts); its
 * default is chosen there, by the delivered loss and the look of the picture on the onnx runtime.
 *
 * `strength` (0..1) is the one knob for users: it multiplies `styleWeight` by
 * 10^((strength − 0.5) · 4), i.e. ×0.01 at 0, ×1 at 0.5 (the defaults), ×100 at 1. Two decades
 * either side span "barely touched photo" to "mostly painting" with the default weights.
 */
import { StylizeError } from './errors.js';
import type { LayerWeight, Scale, StylizeOptions } from './types.js';
import { DEFAULT_ITERATIONS, DEFAULT_SIZE } from './schedule.js';
import { isVggLayer } from './vgg.js';

export const DEFAULT_STYLE_LAYERS: readonly LayerWeight[] = [1, 2, 3, 4, 5].map((b) => ({
  layer: `block${b}_conv1`,
  weight: 1,
}));

export const DEFAULT_OPTIONS: Readonly<StylizeOptions> = {
  size: DEFAULT_SIZE,
  contentWeight: 5,
  styleWeight: 100,
  tvWeight: 1e-3,
  styleLayers: [...DEFAULT_STYLE_LAYERS],
  contentLayer: 'block4_conv2',
  pooling: 'avg',
  optimizer: 'lbfgs',
  iterations: DEFAULT_ITERATIONS,
  scales: 'auto',
  init: 'content',
  seed: 0,
  preserveColors: false,
  styleScale: 1,
  format: 'png',
  learningRate: 4,
};

export const DEFAULT_MAX_SIZE = 1024;
/** Below this the 4 poolings before block5 leave too few pixels for a meaningful Gram. */
export const MIN_SIZE = 32;
export const MAX_ITERATIONS = 5000;

/** styleWeight multiplier for a strength in 0..1 (0.5 → 1). */
export function strengthFactor(strength: number): number {
  return 10 ** ((strength - 0.5) * 4);
}

function bad(sentence: string): StylizeError {
  return new StylizeError('bad-option', sentence);
}

function checkNumber(name: string, v: unknown, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${name} must be a number (you gave ${JSON.stringify(v)}).`);
  if (integer && !Number.isInteger(v)) throw bad(`${name} must be a whole number (you gave ${v}).`);
  if (v < min) throw bad(`${name} must be at least ${min} (you gave ${v}).`);
  if (v > max) throw bad(`${name} must be at most ${max} (you gave ${v}).`);
  return v;
}

function checkChoice<T extends string>(name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw bad(`${name} must be one of ${choices.join(', ')} (you gave ${JSON.stringify(v)}).`);
  }
  return v as T;
}

function checkLayer(name: string, v: unknown): string {
  if (typeof v !== 'string' || !isVggLayer(v)) {
    throw bad(`${name} must be a VGG19 conv layer such as block4_conv2 (you gave ${JSON.stringify(v)}).`);
  }
  return v;
}

/**
 * Fills in the defaults, checks every value and applies `strength` to `styleWeight`.
 * Throws StylizeError('bad-option') with a sentence naming the option.
 */
export function resolveOptions(given: Partial<StylizeOptions> | undefined, opts: { maxSize?: number } = {}): StylizeOptions {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_SIZE;
  const raw = { ...given } as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (raw[key] === undefined) delete raw[key];
    else if (!(key in DEFAULT_OPTIONS) && key !== 'strength') throw bad(`Unknown option “${key}”.`);
  }
  // An engine capped below the default size uses its cap as the default rather than refusing.
  const o = { ...DEFAULT_OPTIONS, size: Math.min(DEFAULT_OPTIONS.size, maxSize), ...raw } as StylizeOptions;

  const size = checkNumber('size', o.size, MIN_SIZE, maxSize, true);
  const contentWeight = checkNumber('contentWeight', o.contentWeight, 0, Number.MAX_VALUE);
  const styleWeight = checkNumber('styleWeight', o.styleWeight, 0, Number.MAX_VALUE);
  const tvWeight = checkNumber('tvWeight', o.tvWeight, 0, Number.MAX_VALUE);
  const strength = o.strength === undefined ? undefined : checkNumber('strength', o.strength, 0, 1);

  if (!Array.isArray(o.styleLayers) || o.styleLayers.length === 0) {
    throw bad('styleLayers must list at least one VGG19 layer, e.g. block1_conv1.');
  }
  const seen = new Set<string>();
  const styleLayers = o.styleLayers.map((l: LayerWeight) => {
    const layer = checkLayer('styleLayers', l?.layer);
    if (seen.has(layer)) throw bad(`styleLayers lists ${layer} twice.`);
    seen.add(layer);
    return { layer, weight: checkNumber(`The weight of style layer ${layer}`, l.weight, 0, Number.MAX_VALUE) };
  });

  let scales: StylizeOptions['scales'] = 'auto';
  if (o.scales !== 'auto') {
    if (!Array.isArray(o.scales) || o.scales.length === 0) {
      throw bad('scales must be "auto" or a list of { size, iterations }.');
    }
    scales = o.scales.map((s: Scale, i) => ({
      size: checkNumber(`scales[${i}].size`, s?.size, MIN_SIZE, size, true),
      iterations: checkNumber(`scales[${i}].iterations`, s?.iterations, 0, MAX_ITERATIONS, true),
    }));
  }

  return {
    size,
    contentWeight,
    styleWeight: strength === undefined ? styleWeight : styleWeight * strengthFactor(strength),
    tvWeight,
    ...(strength === undefined ? {} : { strength }),
    styleLayers,
    contentLayer: checkLayer('contentLayer', o.contentLayer),
    pooling: checkChoice('pooling', o.pooling, ['avg', 'max'] as const),
    optimizer: checkChoice('optimizer', o.optimizer, ['lbfgs', 'adam'] as const),
    iterations: checkNumber('iterations', o.iterations, 1, MAX_ITERATIONS, true),
    scales,
    init: checkChoice('init', o.init, ['content', 'noise', 'style'] as const),
    seed: checkNumber('seed', o.seed, 0, Number.MAX_SAFE_INTEGER, true),
    preserveColors: checkBoolean('preserveColors', o.preserveColors),
    styleScale: checkNumber('styleScale', o.styleScale, 0.1, 4),
    format: checkChoice('format', o.format, ['png', 'jpeg'] as const),
    learningRate: checkNumber('learningRate', o.learningRate, Number.MIN_VALUE, 255),
  };
}

function checkBoolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw bad(`${name} must be true or false (you gave ${JSON.stringify(v)}).`);
  return v;
}
