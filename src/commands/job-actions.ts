/**
 * What the buttons mean on every platform: Cancel (the requester or a moderator, while queued or
 * running), Reroll (same pictures and options, new seed) and Parameters (the options used, as a
 * command to copy).
 */
import { randomInt } from 'node:crypto';
import type { StylizeOptions } from '../engine/index.js';
import type { JobQueuePort } from '../queue/port.js';
import type { CancelRefusalCode, CancelRequester } from '../queue/types.js';
import { IMAGE_INPUTS, optionsFor, type Surface } from './options.js';
import type { RerollInputs } from './reroll-store.js';
import { cancelDoneText, parametersText } from './texts.js';

/** Within the schema's seed range, so a shown seed can be typed back in. */
function randomSeed(): number {
  return randomInt(0, 2 ** 31 - 1);
}

/** The seed the job will use: the user's, or a fresh one so Reroll and Parameters can show it. */
export function withSeed(
  engine: Partial<StylizeOptions>,
  given: Record<string, unknown>,
  seed: number = typeof engine.seed === 'number' ? engine.seed : randomSeed(),
): { engine: Partial<StylizeOptions>; given: Record<string, unknown> } {
  return { engine: { ...engine, seed }, given: { ...given, seed } };
}

/** Reroll: the same inputs with a seed different from the last one. */
export function rerolled(inputs: RerollInputs): RerollInputs {
  let seed = randomSeed();
  if (seed === inputs.request.options.seed) seed = (seed + 1) % (2 ** 31 - 1);
  const { engine, given } = withSeed(inputs.request.options, inputs.given, seed);
  return { ...inputs, request: { ...inputs.request, options: engine }, given };
}

/** Asks the queue to cancel; the queue decides who may. Returns the sentence for the one who asked. */
export async function cancelFor(
  queue: Pick<JobQueuePort, 'cancel'>,
  jobId: string,
  requester: CancelRequester,
): Promise<{ ok: boolean; message: string; code?: CancelRefusalCode }> {
  const result = await queue.cancel(jobId, requester);
  if (result.ok) return { ok: true, message: cancelDoneText(result.was) };
  return { ok: false, message: result.message, code: result.code };
}

/** "size: 96 · strength: 0.7 · seed: 123" lines, in schema order; adapter-only options are left out. */
export function parameterLines(given: Record<string, unknown>, surface: Surface): string[] {
  return optionsFor(surface)
    .filter((d) => given[d.name] !== undefined && d.engineKey !== undefined)
    .map((d) => `${d.name}: ${String(given[d.name])}`);
}

/** The command that makes the same picture again (attachments must be added by hand). */
export function commandLine(given: Record<string, unknown>, surface: Surface, attachments: string[]): string {
  const opts = optionsFor(surface)
    .filter((d) => given[d.name] !== undefined)
    .map((d) => `${d.name}:${String(given[d.name])}`);
  return ['/stylize', ...attachments, ...opts].join(' ');
}

/** What the Parameters button answers: the options used and the command that makes the picture again. */
export function parametersMessage(inputs: RerollInputs, surface: Surface, bold: (s: string) => string): string {
  const attachments = IMAGE_INPUTS.slice(0, 1 + inputs.request.styles.length).map((o) => `${o.name}:${o.placeholder}`);
  return parametersText(parameterLines(inputs.given, surface), commandLine(inputs.given, surface, attachments), bold);
}
