/**
 * More style, Less style and HD: a new job made from a finished one (its kept inputs and picture,
 * reroll-store.ts), which says what it came from. The queue treats it like any /stylize (limits,
 * line); the decisions that need no queue (a bound reached, nothing kept) are a private sentence.
 */
import { DEFAULT_SIZE, OPTION_SPECS, planScales, type StylizeResult } from '../engine/index.js';
import type { CommandContext } from './context.js';
import type { Logger } from '../log.js';
import type { JobOwner } from '../queue/types.js';
import type { JobView } from './job-view.js';
import { largestAlreadyText, leastStyleText, mostStyleText, noResultKeptText, originText } from './iterate-texts.js';
import type { KeptJob, RerollInputs } from './reroll-store.js';

export type IterateKind = 'more' | 'less' | 'hd';
export const ITERATE_KINDS: readonly IterateKind[] = ['more', 'less', 'hd'];

/** One press of More or Less style moves strength by this much, within the bounds (the schema's range). */
export const STRENGTH_STEP = 0.1;
export const STRENGTH_BOUNDS = { min: 0, max: 1 } as const;
/** Strength when a job set none: the schema's default, else 0.5, which leaves the weights as given. */
const UNSET_STRENGTH = typeof OPTION_SPECS.strength.default === 'number' ? OPTION_SPECS.strength.default : 0.5;
/** HD doubles the long side (up to MAX_IMAGE_SIZE). */
export const HD_FACTOR = 2;
/**
 * The most of the job's budget HD spends: the finest scale's share in a default three-scale job.
 * More steps repaint more of the layout (correlation at 64 px with the picture HD starts from,
 * 64 → 128 px, three pairs: 0.89–0.93 after 40 steps, 0.94–0.95 after 13).
 */
const HD_BUDGET_SHARE = 1 / 3;

/** Where the adapter options keep the origin line, so a job resumed after a restart still shows it. */
const ORIGIN = 'origin';

export type Iteration = { ok: true; inputs: RerollInputs } | { ok: false; message: string };

const round = (v: number): number => Math.round(v * 100) / 100;

/** The job a button makes from `parent`, or the sentence saying why there is none. */
export function iterated(kind: IterateKind, parent: KeptJob, sizeCap: number): Iteration {
  return kind === 'hd' ? hd(parent, sizeCap) : restyled(kind, parent);
}

/** Strength one step up or down; the same seed, so strength is all that changes. */
function restyled(kind: 'more' | 'less', parent: KeptJob): Iteration {
  const from = parent.request.options.strength ?? UNSET_STRENGTH;
  const strength = round(kind === 'more' ? Math.min(STRENGTH_BOUNDS.max, from + STRENGTH_STEP) : Math.max(STRENGTH_BOUNDS.min, from - STRENGTH_STEP));
  if (strength === from) return { ok: false, message: kind === 'more' ? mostStyleText(STRENGTH_BOUNDS.max) : leastStyleText(STRENGTH_BOUNDS.min) };
  // Painted from the photo again (an HD parent's start picture and scales are left behind).
  const { initImage: _initImage, ...request } = parent.request;
  const { scales: _scales, ...options } = request.options;
  return {
    ok: true,
    inputs: {
      request: { ...request, options: { ...options, strength } },
      given: { ...parent.given, strength },
      adapter: { ...parent.adapter, [ORIGIN]: originText(kind, parent.requestId, { strength }) },
      requesterId: parent.requesterId,
    },
  };
}

/**
 * Twice the size, starting from the finished picture upscaled: only the finest scale is painted,
 * with its share of the usual schedule (at most HD_BUDGET_SHARE of the budget), so the composition
 * the user liked stays.
 * A fast picture is made again at the larger size (the network is quick and has no start picture).
 */
function hd(parent: KeptJob, sizeCap: number): Iteration {
  const options = parent.request.options;
  const from = options.size ?? DEFAULT_SIZE;
  const size = Math.min(sizeCap, from * HD_FACTOR);
  if (size <= from) return { ok: false, message: largestAlreadyText(sizeCap) };
  const adapter = { ...parent.adapter, [ORIGIN]: originText('hd', parent.requestId, { size }) };
  const given = { ...parent.given, size };
  const { initImage: _initImage, ...request } = parent.request;
  if (options.mode === 'fast') {
    return { ok: true, inputs: { request: { ...request, options: { ...options, size } }, given, adapter, requesterId: parent.requesterId } };
  }
  if (!parent.result) return { ok: false, message: noResultKeptText() };
  const { scales: _scales, ...rest } = options;
  const plan = planScales({ ...rest, size });
  const budget = plan.reduce((sum, scale) => sum + scale.iterations, 0);
  const iterations = Math.max(1, Math.min(plan.at(-1)!.iterations, Math.round(budget * HD_BUDGET_SHARE)));
  return {
    ok: true,
    inputs: {
      request: { ...request, initImage: parent.result.image, options: { ...rest, size, scales: [{ size, iterations }] } },
      given,
      adapter,
      requesterId: parent.requesterId,
    },
  };
}

/** The part of a finished job HD needs. */
export function keptResult(result: Pick<StylizeResult, 'image' | 'width' | 'height'>): NonNullable<KeptJob['result']> {
  return { image: result.image, width: result.width, height: result.height };
}

/** The job's view with its origin ("Less style of …") as the first line of every state. */
export function withOrigin(view: JobView, adapter: Record<string, unknown>): JobView {
  const origin = adapter[ORIGIN];
  if (typeof origin !== 'string') return view;
  return {
    get platform() {
      return view.platform;
    },
    get uploadLimit() {
      return view.uploadLimit;
    },
    get editIntervalMs() {
      return view.editIntervalMs;
    },
    get lost() {
      return view.lost;
    },
    open: () => view.open(),
    show: (screen) => view.show({ ...screen, text: `${origin}\n${screen.text}` }),
    refuse: (text) => view.refuse(text),
  };
}

/** A button's job, asked for by `owner`: started in `view` like any /stylize, with the queue's limits. */
export async function startIteration(
  ctx: CommandContext,
  inputs: RerollInputs,
  run: { owner: JobOwner; requestId: string; view: JobView; logger: Logger },
): Promise<void> {
  await ctx.flow.start({ ...run, inputs: { ...inputs, requesterId: run.owner.userId } });
}
