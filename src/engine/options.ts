/**
 * The one option schema: every scalar option's type, range, default and one-line help, and the zod
 * schema that fills in the defaults and checks a request. The chat commands, the CLI flags, /help
 * and Slack's form are derived from this table (commands/options.ts adds only where each option is
 * offered and under which name); the engine validates with the schema built from it.
 *
 * Defaults follow the reference run (../shared/reference/README.md): content weight 5 at
 * block4_conv2, style weight 100 over block1..5_conv1, TV 1e-3, average pooling; the start is the
 * fast picture where it keeps the photo's layout, else the photo (the reference's content init).
 * The engine balances the style term per pair (stylize.ts, photoStyleDistanceAt): style weight
 * 100 means the reference's balance for chicago + udnie, and the same balance for any other pair.
 * `iterations` is the total over the automatic coarse-to-fine schedule (see schedule.ts), in
 * objective evaluations; its default (120) makes a 512 px job take 1-1.5 minutes on a 2-core
 * machine with the onnx backend (58 s for a 3:2 photo, 77-87 s for a square one, measured).
 */
import { z } from 'zod';
import { shown } from './errors.js';
import { VGG19_LAYERS } from './layers.js';
import { DEFAULT_ITERATIONS, DEFAULT_SIZE } from './schedule.js';
import {
  INITS,
  MODES,
  OPTIMIZERS,
  OUTPUT_FORMATS,
  POOLINGS,
  type ImageLimits,
  type LayerWeight,
  type StylizeOptions,
} from './types.js';

export const DEFAULT_MAX_SIZE = 1024;
/** Inputs refused before decoding: bytes, and decoded pixels (decompression bombs). The configuration's defaults too. */
export const DEFAULT_LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 };
/** Below this the 4 poolings before block5 leave too few pixels for a meaningful Gram. */
export const MIN_SIZE = 32;
export const MAX_ITERATIONS = 5000;

interface Base {
  help: string;
}
export interface NumberSpec extends Base {
  kind: 'number' | 'integer';
  min: number;
  /** `'max-size'` = the engine's configured largest size. */
  max: number | 'max-size';
  /** Undefined: unset means "not used" (strength). */
  default?: number;
}
export interface BooleanSpec extends Base {
  kind: 'boolean';
  default: boolean;
}
export interface ChoiceSpec extends Base {
  kind: 'choice';
  choices: readonly string[];
  default: string;
}
export type OptionSpec = NumberSpec | BooleanSpec | ChoiceSpec;

type ScalarKey = Exclude<keyof StylizeOptions, 'styleLayers' | 'contentLayer' | 'scales'>;

/** Options a person can set with one value, in the order /help lists them. */
export const OPTION_SPECS: { readonly [K in ScalarKey]: OptionSpec } = {
  mode: {
    kind: 'choice',
    choices: MODES,
    default: 'paint',
    help: 'paint: the full painting (about a minute); fast: an instant picture from a feed-forward network.',
  },
  strength: {
    kind: 'number',
    min: 0,
    max: 1,
    help: 'How strongly the painting shows: 0 keeps the photo, 1 is mostly style (0.5 = balanced).',
  },
  size: { kind: 'integer', min: MIN_SIZE, max: 'max-size', default: DEFAULT_SIZE, help: 'Long side of the result in pixels; bigger takes longer.' },
  iterations: {
    kind: 'integer',
    min: 1,
    max: MAX_ITERATIONS,
    default: DEFAULT_ITERATIONS,
    help: 'Steps over all scales: more refine detail but take longer (120 ≈ 1–1.5 min at 512 px on 2 cores).',
  },
  contentWeight: { kind: 'number', min: 0, max: Number.MAX_VALUE, default: 5, help: 'How much the result must keep the photo’s shapes.' },
  styleWeight: {
    kind: 'number',
    min: 0,
    max: Number.MAX_VALUE,
    default: 100,
    help: 'How much the result must match the painting’s textures (strength scales this).',
  },
  tvWeight: { kind: 'number', min: 0, max: Number.MAX_VALUE, default: 1e-3, help: 'Smoothness: higher removes speckle, too high blurs.' },
  preserveColors: {
    kind: 'boolean',
    default: false,
    help: 'Keep the photo’s colours and take only brush strokes and texture from the painting.',
  },
  seed: {
    kind: 'integer',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: 0,
    help: 'Same seed and inputs give the same picture; empty picks a new one.',
  },
  optimizer: { kind: 'choice', choices: OPTIMIZERS, default: 'lbfgs', help: 'L-BFGS converges in fewer steps; Adam uses less memory.' },
  init: {
    kind: 'choice',
    choices: INITS,
    default: 'fast',
    help: 'Start from the fast picture where it keeps the photo’s layout (else the photo), from the photo, noise or the painting.',
  },
  pooling: { kind: 'choice', choices: POOLINGS, default: 'avg', help: 'VGG pooling: avg gives smoother results, max the classic look.' },
  styleScale: {
    kind: 'number',
    min: 0.1,
    max: 4,
    default: 1,
    help: 'Size of the painting relative to the result: below 1 gives larger brush strokes.',
  },
  format: { kind: 'choice', choices: OUTPUT_FORMATS, default: 'png', help: 'File type of the result.' },
  learningRate: { kind: 'number', min: Number.MIN_VALUE, max: 255, default: 4, help: 'Adam step in 0..255 pixel units.' },
};

export const DEFAULT_STYLE_LAYERS: readonly LayerWeight[] = [1, 2, 3, 4, 5].map((b) => ({ layer: `block${b}_conv1`, weight: 1 }));
const DEFAULT_CONTENT_LAYER = 'block4_conv2';

function specDefault(key: ScalarKey): number | boolean | string | undefined {
  return OPTION_SPECS[key].default;
}

/** Every option's default, from the table above. */
export const DEFAULT_OPTIONS: Readonly<StylizeOptions> = {
  ...(Object.fromEntries(
    (Object.keys(OPTION_SPECS) as ScalarKey[]).filter((k) => specDefault(k) !== undefined).map((k) => [k, specDefault(k)]),
  ) as Omit<StylizeOptions, 'styleLayers' | 'contentLayer' | 'scales'>),
  styleLayers: [...DEFAULT_STYLE_LAYERS],
  contentLayer: DEFAULT_CONTENT_LAYER,
  scales: 'auto',
};

export function maxOf(spec: NumberSpec, maxSize: number): number {
  return spec.max === 'max-size' ? maxSize : spec.max;
}

const gave = (input: unknown): string => `(you gave ${shown(input)})`;

function numberSchema(name: string, min: number, max: number, integer: boolean) {
  let s = z.number({
    error: (i) => `${name} must be a ${typeof i.input === 'number' ? 'finite ' : ''}number ${gave(i.input)}.`,
  });
  if (integer) s = s.int({ error: (i) => `${name} must be a whole number ${gave(i.input)}.` });
  return s
    .min(min, { error: (i) => `${name} must be at least ${min} ${gave(i.input)}.` })
    .max(max, { error: (i) => `${name} must be at most ${max} ${gave(i.input)}.` });
}

/** The zod schema of one option; `name` is how its messages call it. */
export function specSchema(spec: OptionSpec, name: string, max: number): z.ZodType<number | boolean | string> {
  switch (spec.kind) {
    case 'number':
    case 'integer':
      return numberSchema(name, spec.min, max, spec.kind === 'integer');
    case 'boolean':
      return z.boolean({ error: (i) => `${name} must be true or false ${gave(i.input)}.` });
    case 'choice':
      return z.enum(spec.choices as [string, ...string[]], { error: (i) => `${name} must be one of ${spec.choices.join(', ')} ${gave(i.input)}.` });
  }
}


const layerSchema = (name: string) =>
  z.string().refine((v) => VGG19_LAYERS.includes(v), {
    error: (i) => `${name} must be a VGG19 conv layer such as block4_conv2 ${gave(i.input)}.`,
  });

/** The whole request's options for an engine whose largest size is `maxSize`; defaults filled in. */
export function optionsSchema(maxSize: number) {
  const scalars = Object.fromEntries(
    (Object.entries(OPTION_SPECS) as [ScalarKey, OptionSpec][]).map(([key, spec]) => {
      const field = specSchema(spec, key, spec.kind === 'number' || spec.kind === 'integer' ? maxOf(spec, maxSize) : 0);
      // An engine capped below the default size uses its cap as the default rather than refusing.
      const dflt = key === 'size' ? Math.min(DEFAULT_SIZE, maxSize) : spec.default;
      return [key, dflt === undefined ? field.optional() : field.default(dflt as never)];
    }),
  ) as unknown as Record<ScalarKey, z.ZodType>;
  const styleLayers = z
    .array(z.object({ layer: layerSchema('styleLayers'), weight: z.number().min(0, { error: 'The weight of a style layer must be 0 or more.' }) }), {
      error: 'styleLayers must list at least one VGG19 layer, e.g. block1_conv1.',
    })
    .min(1, { error: 'styleLayers must list at least one VGG19 layer, e.g. block1_conv1.' })
    .refine((ls) => new Set(ls.map((l) => l.layer)).size === ls.length, { error: 'styleLayers lists a layer twice.' })
    .default([...DEFAULT_STYLE_LAYERS]);
  const scale = z.object({
    size: numberSchema('scales[].size', MIN_SIZE, maxSize, true),
    iterations: numberSchema('scales[].iterations', 0, MAX_ITERATIONS, true),
  });
  const scales = z
    .union([z.literal('auto'), z.array(scale).min(1)], { error: 'scales must be "auto" or a list of { size, iterations }.' })
    .default('auto');
  return z
    .strictObject(
      { ...scalars, styleLayers, contentLayer: layerSchema('contentLayer').default(DEFAULT_CONTENT_LAYER), scales },
      // zod lists every unknown key; the first is enough for a sentence.
      { error: (i) => (i.code === 'unrecognized_keys' ? `Unknown option “${String(i.keys[0])}”.` : undefined) },
    )
    .superRefine((o, ctx) => {
      if (!Array.isArray(o.scales)) return;
      const size = o.size as number;
      o.scales.forEach((s, i) => {
        if (s.size > size) ctx.addIssue({ code: 'custom', message: `scales[${i}].size must be at most ${size} (you gave ${s.size}).` });
      });
    });
}

/** styleWeight multiplier for a strength in 0..1 (0.5 → 1): two decades either side. */
export function strengthFactor(strength: number): number {
  return 10 ** ((strength - 0.5) * 4);
}
