/**
 * Where a request's options are checked: the schema of options.ts fills in the defaults and
 * validates; `strength` (0..1, the one knob for users) then multiplies `styleWeight` by
 * 10^((strength − 0.5) · 4), i.e. ×0.01 at 0, ×1 at 0.5 (the defaults), ×100 at 1.
 *
 * `iterations` is the evaluation budget over the automatic coarse-to-fine schedule (see schedule.ts);
 * its default is chosen there, by the delivered loss and the look of the picture on the onnx runtime.
 */
import { StylizeError } from './errors.js';
import { DEFAULT_MAX_SIZE, optionsSchema, strengthFactor } from './options.js';
import type { StylizeOptions } from './types.js';

export { DEFAULT_MAX_SIZE, DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, MAX_ITERATIONS, MIN_SIZE, strengthFactor } from './options.js';

const schemas = new Map<number, ReturnType<typeof optionsSchema>>();

/** Fills in the defaults, checks every value and applies `strength`; throws StylizeError('bad-option'). */
export function resolveOptions(given: Partial<StylizeOptions> | undefined, opts: { maxSize?: number } = {}): StylizeOptions {
  const maxSize = opts.maxSize ?? DEFAULT_MAX_SIZE;
  let schema = schemas.get(maxSize);
  if (!schema) schemas.set(maxSize, (schema = optionsSchema(maxSize)));
  const raw = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new StylizeError('bad-option', parsed.error.issues[0]?.message ?? 'The options are not valid.');
  const o = parsed.data as StylizeOptions;
  return o.strength === undefined ? o : { ...o, styleWeight: o.styleWeight * strengthFactor(o.strength) };
}
