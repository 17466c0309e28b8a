/**
 * What the operator does about weights the engine could not load. The engine says what is wrong
 * (it is a library and knows no npm scripts or environment variables); the entry points add this,
 * chosen by the error's code, where they report a failed start.
 */
import { isStylizeError, type StylizeErrorCode } from '../engine/index.js';
import { WorkerInitError } from '../queue/worker-host.js';

const FIXES: Partial<Record<StylizeErrorCode, string>> = {
  'weights-missing':
    'Fix: run `npm run fetch-weights` (it downloads the official VGG19 weights), or set VGG19_WEIGHTS to a model.json, directory, URL or .h5 file.',
  'weights-corrupt':
    'Fix: run `npm run fetch-weights` to download the official VGG19 weights again, or point VGG19_WEIGHTS at a complete copy of VGG19 weights.',
};

/** The code of a weights error, whether thrown here or reported by an engine worker. */
function codeOf(e: unknown): string | undefined {
  if (isStylizeError(e)) return e.code;
  if (e instanceof WorkerInitError) return e.failure.code;
  return undefined;
}

/** The fast network's files (engine/fast/models.ts) have their own variable; the engine's sentence names them. */
const FAST_FIX =
  'Fix: run `npm run fetch-weights` (it also downloads the fast style models), or set FAST_STYLE_MODELS to a folder holding style_predict_quantized_256.tflite and style_transfer_f16_384.tflite.';

/** The operator's fix for a weights error, or undefined for any other failure. */
export function weightsFix(e: unknown): string | undefined {
  const code = codeOf(e);
  if (code === undefined || FIXES[code as StylizeErrorCode] === undefined) return undefined;
  return e instanceof Error && /fast style (\w+ )?model/.test(e.message) ? FAST_FIX : FIXES[code as StylizeErrorCode];
}

/** The error's own sentence, followed by the operator's fix when it is about the weights. */
export function withWeightsFix(e: Error): string {
  const fix = weightsFix(e);
  return fix === undefined ? e.message : `${e.message} ${fix}`;
}
