import { z } from 'zod';
import { shown } from '../engine/errors.js';
import type { StylizeOptions } from '../engine/types.js';

/**
 * The one definition of every /stylize option. The Discord slash command, the CLI flags, Slack's
 * modal, /help and the engine request are all derived from this list, so a new option is one edit.
 */
export type Surface = 'discord' | 'slack' | 'cli';

interface Base {
  /** snake_case: Discord's rule for option names; the CLI uses the same names as flags. */
  name: string;
  help: string;
  surfaces: readonly Surface[];
  /** Where the value goes in the engine request; undefined = used by the adapter only. */
  engineKey?: keyof StylizeOptions;
  example?: string;
}
export interface NumberOption extends Base {
  kind: 'number' | 'integer';
  min: number;
  /** `'size-cap'` = the configured MAX_IMAGE_SIZE. */
  max: number | 'size-cap';
  default?: number;
}
export interface BooleanOption extends Base {
  kind: 'boolean';
  default?: boolean;
}
export interface ChoiceOption extends Base {
  kind: 'choice';
  choices: readonly string[];
  default?: string;
}
export type OptionDef = NumberOption | BooleanOption | ChoiceOption;

const ALL: readonly Surface[] = ['discord', 'slack', 'cli'];
const CHAT_AND_CLI: readonly Surface[] = ['discord', 'cli'];

export const STYLIZE_OPTIONS: readonly OptionDef[] = [
  {
    name: 'strength',
    kind: 'number',
    min: 0,
    max: 1,
    help: 'How strongly the painting shows: 0 keeps the photo, 1 is mostly style (0.5 = balanced).',
    surfaces: ALL,
    engineKey: 'strength',
    example: '0.7',
  },
  {
    name: 'size',
    kind: 'integer',
    min: 64,
    max: 'size-cap',
    default: 512,
    help: 'Long side of the result in pixels; bigger takes longer.',
    surfaces: ALL,
    engineKey: 'size',
    example: '768',
  },
  {
    name: 'iterations',
    kind: 'integer',
    min: 10,
    max: 2000,
    default: 40,
    help: 'Optimisation steps over all scales; more refines detail but takes longer (40 ≈ 70 s at 512 px on 2 cores).',
    surfaces: CHAT_AND_CLI,
    engineKey: 'iterations',
  },
  {
    name: 'content_weight',
    kind: 'number',
    min: 0,
    max: 1e6,
    default: 5,
    help: 'How much the result must keep the photo’s shapes.',
    surfaces: CHAT_AND_CLI,
    engineKey: 'contentWeight',
  },
  {
    name: 'style_weight',
    kind: 'number',
    min: 0,
    max: 1e9,
    default: 100,
    help: 'How much the result must match the painting’s textures (strength scales this).',
    surfaces: CHAT_AND_CLI,
    engineKey: 'styleWeight',
  },
  {
    name: 'tv_weight',
    kind: 'number',
    min: 0,
    max: 100,
    default: 1e-3,
    help: 'Smoothness: higher removes speckle, too high blurs.',
    surfaces: CHAT_AND_CLI,
    engineKey: 'tvWeight',
  },
  {
    name: 'preserve_colors',
    kind: 'boolean',
    default: false,
    help: 'Keep the photo’s colours and take only brush strokes and texture from the painting.',
    surfaces: ALL,
    engineKey: 'preserveColors',
  },
  {
    name: 'seed',
    kind: 'integer',
    min: 0,
    max: 2 ** 31 - 1,
    help: 'Same seed and inputs give the same picture; empty picks a new one.',
    surfaces: CHAT_AND_CLI,
    engineKey: 'seed',
  },
  {
    name: 'optimizer',
    kind: 'choice',
    choices: ['lbfgs', 'adam'],
    default: 'lbfgs',
    help: 'L-BFGS converges in fewer steps; Adam uses less memory.',
    surfaces: ['cli'],
    engineKey: 'optimizer',
  },
  {
    name: 'init',
    kind: 'choice',
    choices: ['content', 'noise', 'style'],
    default: 'content',
    help: 'Start from the photo, from noise or from the painting.',
    surfaces: ['cli'],
    engineKey: 'init',
  },
  {
    name: 'pooling',
    kind: 'choice',
    choices: ['avg', 'max'],
    default: 'avg',
    help: 'VGG pooling: avg gives smoother results, max the classic look.',
    surfaces: ['cli'],
    engineKey: 'pooling',
  },
  {
    name: 'style_scale',
    kind: 'number',
    min: 0.1,
    max: 4,
    default: 1,
    help: 'Size of the painting relative to the result: below 1 gives larger brush strokes.',
    surfaces: ['cli'],
    engineKey: 'styleScale',
  },
  {
    name: 'format',
    kind: 'choice',
    choices: ['png', 'jpeg'],
    default: 'png',
    help: 'File type of the result.',
    surfaces: ['cli'],
    engineKey: 'format',
  },
  {
    name: 'private',
    kind: 'boolean',
    default: false,
    help: 'Only you see the replies.',
    surfaces: ['discord'],
  },
];

export function optionsFor(surface: Surface): OptionDef[] {
  return STYLIZE_OPTIONS.filter((o) => o.surfaces.includes(surface));
}

export function maxOf(def: NumberOption, sizeCap: number): number {
  return def.max === 'size-cap' ? sizeCap : def.max;
}

/** An option value a user gave that the bot refuses; `message` is the sentence shown to them. */
export class OptionError extends Error {
  override name = 'OptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

function fieldSchema(def: OptionDef, sizeCap: number): z.ZodType {
  switch (def.kind) {
    case 'number':
    case 'integer': {
      const max = maxOf(def, sizeCap);
      let s = z.coerce.number({ error: `${def.name} must be a number` });
      if (def.kind === 'integer') s = s.int({ error: `${def.name} must be a whole number` });
      return s
        .min(def.min, { error: `${def.name} must be at least ${def.min}` })
        .max(max, { error: `${def.name} must be at most ${max}` });
    }
    case 'boolean':
      return z.union([
        z.boolean(),
        z.enum(['true', 'false', 'yes', 'no', '1', '0']).transform((v) => ['true', 'yes', '1'].includes(v)),
      ], { error: `${def.name} must be true or false` });
    case 'choice':
      return z.enum(def.choices as [string, ...string[]], {
        error: `${def.name} must be one of ${def.choices.join(', ')}`,
      });
  }
}

export interface ParsedOptions {
  engine: Partial<StylizeOptions>;
  /** Options for the adapter, not the engine (e.g. `private`). */
  adapter: Record<string, unknown>;
  /** Values as the user gave them (after validation), by option name. */
  given: Record<string, unknown>;
}

/**
 * Validates raw option values from any surface (strings from the CLI or Slack, typed values from
 * Discord). Unknown names and out-of-range values throw OptionError with a sentence for the user.
 * Options absent from `raw` stay absent so the engine's documented defaults apply.
 */
export function parseOptions(raw: Record<string, unknown>, opts: { sizeCap: number }): ParsedOptions {
  const result: ParsedOptions = { engine: {}, adapter: {}, given: {} };
  const byName = new Map(STYLIZE_OPTIONS.map((d) => [d.name, d]));
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === null || value === '') continue;
    const def = byName.get(name);
    if (!def) throw new OptionError(name, `Unknown option “${name}”. Try /help for the list.`);
    const parsed = fieldSchema(def, opts.sizeCap).safeParse(value);
    if (!parsed.success) {
      throw new OptionError(name, `${parsed.error.issues[0]?.message ?? `${name} is not valid`} (you gave ${shown(value)}).`);
    }
    result.given[name] = parsed.data;
    if (def.engineKey) (result.engine as Record<string, unknown>)[def.engineKey] = parsed.data;
    else result.adapter[name] = parsed.data;
  }
  return result;
}

/** One line per option: the /help text of every surface. */
export function helpLines(surface: Surface, sizeCap: number): string[] {
  return optionsFor(surface).map((d) => {
    const range =
      d.kind === 'boolean'
        ? 'true/false'
        : d.kind === 'choice'
          ? d.choices.join(' | ')
          : `${d.min}–${maxOf(d, sizeCap)}`;
    const dflt = d.default === undefined ? '' : `, default ${String(d.default)}`;
    return `${d.name} (${range}${dflt}): ${d.help}`;
  });
}
