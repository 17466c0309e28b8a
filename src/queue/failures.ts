/** Every way a job can end badly, as a kind for programs and a sentence for the person waiting. */
import type { WireError } from './protocol.js';
import type { JobFailure } from './types.js';

const BAD_INPUT_CODES = new Set(['empty-image', 'image-too-large', 'too-many-pixels', 'unsupported-image', 'corrupt-image', 'bad-option']);

/** Messages V8, Node and Emscripten use when memory runs out (JS heap, ArrayBuffers, wasm heap). */
const OUT_OF_MEMORY = /out of memory|allocation failed|Cannot enlarge memory|Maximum memory size exceeded|could not allocate|Array buffer allocation/i;

export const outOfMemory = (): JobFailure => ({
  kind: 'out-of-memory',
  message: 'Your picture needed more memory than the bot has, so it was stopped; try a smaller size.',
});

export const workerCrash = (): JobFailure => ({
  kind: 'worker-crash',
  message: 'The image worker stopped unexpectedly while working on your picture; please try again.',
});

/** Something broke that the user can do nothing about; `code` is the error's, for the logs. */
export const internalError = (code?: string): JobFailure => ({
  kind: 'engine',
  message: 'Something went wrong while making your picture; please try again later.',
  ...(code === undefined ? {} : { code }),
});

export function timeLimit(limitMs: number): JobFailure {
  return {
    kind: 'time-limit',
    message: `Your picture took longer than the ${describeDuration(limitMs)} limit and was stopped; try a smaller size or fewer iterations.`,
  };
}

export const droppedAtShutdown = (): JobFailure => ({
  kind: 'shutdown',
  message: 'The bot is restarting, so your queued picture was dropped; please send it again in a minute.',
});

export const stoppedAtShutdown = (): JobFailure => ({
  kind: 'shutdown',
  message: 'The bot is restarting and had to stop your picture before it finished; please send it again in a minute.',
});

/** What the engine (or the runtime under it) threw, as the user should hear it. */
export function failureFromError(error: WireError): JobFailure {
  if (error.code !== undefined && BAD_INPUT_CODES.has(error.code)) {
    return { kind: 'bad-input', message: error.message, code: error.code };
  }
  if (error.name === 'StylizeError' && error.code !== 'internal') {
    return { kind: 'engine', message: error.message, code: error.code };
  }
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY' || OUT_OF_MEMORY.test(error.message)) return outOfMemory();
  return internalError(error.code);
}

/**
 * A fault of the runtime under the engine (a wasm trap, an Emscripten abort), anywhere in the
 * cause chain: the runtime's memory can no longer be trusted, so its worker must not run again.
 */
export function isRuntimeFault(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; x instanceof Error && depth < 8; depth++, x = x.cause) {
    // WebAssembly.RuntimeError, also as cloned across threads (where only its name survives).
    if (x.name === 'RuntimeError') return true;
  }
  return false;
}

export function isCancellation(error: WireError): boolean {
  return error.code === 'cancelled' || error.name === 'AbortError';
}

export function describeDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}-second`;
  const min = s / 60;
  return Number.isInteger(min) ? `${min}-minute` : `${Math.round(min * 10) / 10}-minute`;
}
