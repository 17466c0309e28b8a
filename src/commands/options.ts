/**
 * Which options each surface offers, under which name, and how a person's values are read: the
 * types, ranges, defaults and help come from the engine's one option schema (engine/options.ts);
 * this file adds only the snake_case name, the surfaces, an example, the narrower ranges the bot
 * offers to people, the adapter-only options and the picture inputs. Discord's slash command,
 * Slack's form, the CLI flags and /help are all derived from `STYLIZE_OPTIONS` and `IMAGE_INPUTS`.
 */
import { z } from 'zod';
import { maxOf, OPTION_SPECS, specSchema, type OptionSpec, type StylizeOptions } from '../engine/index.js';
import { optionErrorText, unknownOptionText } from './texts.js';

export type Surface = 'discord' | 'slack' | 'cli';

/** Where and under which name an engine option (or an adapter-only one) is offered to people. */
interface Offer {
  /** snake_case: Discord's rule for option names; the CLI and Slack use the same names. */
  name: string;
  surfaces: readonly Surface[];
  /** Where the value goes in the engine request; undefined = used by the adapter only. */
  engineKey?: keyof StylizeOptions;
  example?: string;
}
/**
 * An option as offered: the engine's spec itself (kind, range, default, help), its range narrowed
 * where the bot allows less, plus where it is offered. Validation reads it as the spec it is.
 */
export type OptionDef = OptionSpec & Offer;

const ALL: readonly Surface[] = ['discord', 'slack', 'cli'];
const CHAT_AND_CLI: readonly Surface[] = ['discord', 'cli'];

type EngineKey = keyof typeof OPTION_SPECS;

/** An engine option as offered to people; `min`/`max` only where the bot allows less than the engine. */
function offer(
  name: string,
  engineKey: EngineKey,
  surfaces: readonly Surface[],
  extra: { example?: string; min?: number; max?: number | 'max-size'; noDefault?: true } = {},
): OptionDef {
  const spec = OPTION_SPECS[engineKey];
  const offered = { name, surfaces, engineKey, ...(extra.example ? { example: extra.example } : {}) };
  if (spec.kind === 'number' || spec.kind === 'integer') {
    const { default: dflt, ...rest } = spec;
    return { ...rest, min: extra.min ?? spec.min, max: extra.max ?? spec.max, ...(dflt === undefined || extra.noDefault ? {} : { default: dflt }), ...offered };
  }
  return { ...spec, ...offered };
}

export const STYLIZE_OPTIONS: readonly OptionDef[] = [
  offer('mode', 'mode', ALL),
  offer('strength', 'strength', ALL, { example: '0.7' }),
  // Below 64 px a picture says little; the engine itself goes down to 32 (tests, previews).
  offer('size', 'size', ALL, { example: '768', min: 64, max: 'max-size' }),
  // People share one accelerator: the bot offers fewer steps and saner weights than the engine takes.
  offer('iterations', 'iterations', CHAT_AND_CLI, { min: 10, max: 2000 }),
  offer('content_weight', 'contentWeight', CHAT_AND_CLI, { max: 1e6 }),
  offer('style_weight', 'styleWeight', CHAT_AND_CLI, { max: 1e9 }),
  offer('tv_weight', 'tvWeight', CHAT_AND_CLI, { max: 100 }),
  offer('preserve_colors', 'preserveColors', ALL),
  // Within 31 bits, so a shown seed can be typed back into Discord's integer option.
  offer('seed', 'seed', ALL, { max: 2 ** 31 - 1, noDefault: true }),
  offer('optimizer', 'optimizer', ['cli']),
  offer('init', 'init', ['cli']),
  offer('pooling', 'pooling', ['cli']),
  offer('style_scale', 'styleScale', ['cli']),
  offer('format', 'format', ['cli']),
  { name: 'private', kind: 'boolean', default: false, help: 'Only you see the replies.', surfaces: ['discord'] },
];

/** The picture inputs of /stylize, in order: the photo, then the paintings (blended when two). */
export const IMAGE_INPUTS = [
  { name: 'content', label: 'content image', title: 'Photo', placeholder: '<photo>', required: true, help: 'The photo to repaint.' },
  { name: 'style', label: 'style image', title: 'Style', placeholder: '<painting>', required: true, help: 'The painting whose style to use.' },
  {
    name: 'style2',
    label: 'second style image',
    title: 'Second style',
    placeholder: '<painting>',
    required: false,
    help: 'Optional second painting, blended with the first.',
  },
] as const;
export type ImageInput = (typeof IMAGE_INPUTS)[number];

export function optionsFor(surface: Surface): OptionDef[] {
  return STYLIZE_OPTIONS.filter((o) => o.surfaces.includes(surface));
}

/** An option's largest value, given MAX_IMAGE_SIZE: the engine's rule, shared by every surface. */
export { maxOf } from '../engine/index.js';

/** The default a job gets: a size default above the cap is the cap, as the engine applies it. */
export function defaultOf(def: OptionDef, sizeCap: number): OptionDef['default'] {
  if ((def.kind === 'number' || def.kind === 'integer') && def.max === 'max-size' && def.default !== undefined) return Math.min(def.default, sizeCap);
  return def.default;
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

const TRUE = ['true', 'yes', '1'];
const FALSE = ['false', 'no', '0'];

/** A whole number typed with more digits than a double holds exactly (20 nines would read as 1e20). */
function isUnsafeWholeNumber(kind: OptionDef['kind'], value: unknown): value is string {
  return (kind === 'number' || kind === 'integer') && typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) && !Number.isSafeInteger(Number(value));
}

/** Strings from the CLI or Slack become numbers or booleans; anything else is left for the schema to refuse. */
function fromText(kind: OptionDef['kind'], value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  if ((kind === 'number' || kind === 'integer') && v !== '' && Number.isFinite(Number(v))) return Number(v);
  if (kind === 'boolean' && TRUE.includes(v.toLowerCase())) return true;
  if (kind === 'boolean' && FALSE.includes(v.toLowerCase())) return false;
  return value;
}

/** The engine's schema for one option, within the range this surface offers. */
function fieldSchema(def: OptionDef, sizeCap: number): z.ZodType {
  const max = def.kind === 'number' || def.kind === 'integer' ? maxOf(def, sizeCap) : 0;
  return z.preprocess((v) => fromText(def.kind, v), specSchema(def, def.name, max));
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
    if (!def) throw new OptionError(name, unknownOptionText(name));
    if (isUnsafeWholeNumber(def.kind, value) && def.kind !== 'boolean' && def.kind !== 'choice') {
      // Told in the digits the user typed, not the double they round to.
      const text = value.trim();
      const bound = text.startsWith('-') ? `at least ${def.min}` : `at most ${maxOf(def, opts.sizeCap)}`;
      throw new OptionError(name, optionErrorText(`${name} must be ${bound} (you gave ${text}).`, name));
    }
    const parsed = fieldSchema(def, opts.sizeCap).safeParse(value);
    if (!parsed.success) throw new OptionError(name, optionErrorText(parsed.error.issues[0]?.message, name));
    result.given[name] = parsed.data;
    if (def.engineKey) (result.engine as Record<string, unknown>)[def.engineKey] = parsed.data;
    else result.adapter[name] = parsed.data;
  }
  return result;
}

/** The options as the user would have typed them, from a request's engine options (Reroll, Parameters). */
export function givenFrom(engine: Partial<StylizeOptions>, adapter: Record<string, unknown> = {}): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const def of STYLIZE_OPTIONS) {
    const value = def.engineKey ? engine[def.engineKey] : adapter[def.name];
    if (value !== undefined) given[def.name] = value;
  }
  return given;
}

/** One line per option: the /help text of every surface. */
export function helpLines(surface: Surface, sizeCap: number): string[] {
  return optionsFor(surface).map((d) => {
    const range = d.kind === 'boolean' ? 'true/false' : d.kind === 'choice' ? d.choices.join(' | ') : `${d.min}–${maxOf(d, sizeCap)}`;
    const shownDefault = defaultOf(d, sizeCap);
    const dflt = shownDefault === undefined ? '' : `, default ${String(shownDefault)}`;
    return `${d.name} (${range}${dflt}): ${d.help}`;
  });
}
