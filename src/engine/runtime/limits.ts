/**
 * Sizes the runtimes compute: onnx computes large pictures tile by tile (onnx/tiled-objective.ts);
 * the tfjs runtimes compute the whole picture at once, whose memory grows with its pixels.
 */
import { StylizeError } from '../errors.js';

/** The largest long side a tfjs runtime is given (a 1024 px job peaks at ~3.7 GB). */
export const TFJS_MAX_SIZE = 1024;

/** Refuses a job whose largest scale the runtime does not compute, in one sentence. */
export function checkRuntimeSize(runtime: { name: string; maxSize?: number }, sizes: readonly number[]): void {
  const largest = Math.max(...sizes);
  if (runtime.maxSize === undefined || largest <= runtime.maxSize) return;
  throw new StylizeError(
    'bad-option',
    `The ${runtime.name} backend makes pictures of up to ${runtime.maxSize} px (you asked for ${largest} px); choose a smaller size, or run the bot on the onnx backend, which makes larger ones tile by tile.`,
  );
}
