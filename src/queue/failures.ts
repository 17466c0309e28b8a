/**
 * Every sentence the queue says: why a job was refused or could not be cancelled, and every way a
 * job can end badly, as a kind or code for programs and a sentence for the person waiting. (The
 * port carries these sentences, so they live below the commands' texts; both queues use these
 * and no others.)
 */
import { formatDuration } from '../util/units.js';
import type { WireError } from './protocol.js';
import type { CancelRefusalCode, CancelRequester, CancelResult, JobFailure, JobOutcome, RejectionCode } from './types.js';

export interface Refusal {
  code: RejectionCode;
  message: string;
}

const pictures = (n: number): string => (n === 1 ? 'a picture' : `${n} pictures`);

export function refusal(code: RejectionCode, limits: { maxLength: number; maxPerUser: number; maxPerServer: number }): Refusal {
  switch (code) {
    case 'shutting-down':
      return { code, message: 'The bot is restarting and is not taking new pictures right now; please try again in a minute.' };
    case 'unreachable':
      return { code, message: 'The picture queue cannot be reached right now; please try again in a minute.' };
    case 'user-limit':
      return {
        code,
        message:
          limits.maxPerUser === 1
            ? 'You already have a picture in the queue; wait for it to finish (or cancel it) before starting another.'
            : `You already have ${limits.maxPerUser} pictures in the queue, the most one person can have; wait for one to finish (or cancel it).`,
      };
    case 'server-limit':
      return {
        code,
        message: `This server already has ${pictures(limits.maxPerServer)} in the queue, the most one server can have; please try again when one finishes.`,
      };
    case 'queue-full':
      return { code, message: `The queue is full (${limits.maxLength} pictures waiting or in progress); please try again in a few minutes.` };
  }
}

/** `keep`: the refusal of a Keep this, which only the requester may press. */
export function cancelRefusal(code: CancelRefusalCode, keep = false): Extract<CancelResult, { ok: false }> {
  const messages: Record<CancelRefusalCode, string> = {
    'unknown-job': 'That picture is no longer in the queue; it may have finished already.',
    'not-allowed': keep
      ? 'Only the person who asked for this picture can keep it.'
      : 'Only the person who asked for this picture, or a moderator, can cancel it.',
    'already-finished': 'That picture is already finished.',
  };
  return { ok: false, code, message: messages[code] };
}

/** A job stopped by `by`; `keep` (Keep this): the picture on screen is its result. */
export const cancelledBy = (by: string, keep?: boolean): JobOutcome => ({ status: 'cancelled', by, ...(keep ? { kept: true as const } : {}) });

/** Who may stop a job: its owner, or a moderator; Keep this only its owner. Undefined: allowed. */
export function cancelDenied(ownerId: string, by: CancelRequester): Extract<CancelResult, { ok: false }> | undefined {
  if (by.userId === ownerId || (by.moderator && !by.keep)) return undefined;
  return cancelRefusal('not-allowed', by.keep);
}

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
    message: `Your picture took longer than the limit of ${formatDuration(limitMs)} and was stopped; try a smaller size or fewer iterations.`,
  };
}

/** Distributed: the picture was made but expired in Redis before its chat process delivered it. */
export const resultExpired = (): JobFailure => ({
  kind: 'engine',
  message: 'Your picture was made, but it was kept too long without being delivered and has expired; please ask for it again.',
});

/** Distributed: BullMQ failed the job itself; its worker died (or stopped answering) on every try. */
export const stalledTooOften = (): JobFailure => ({
  kind: 'worker-crash',
  message:
    'The image workers stopped twice while working on your picture, so it was not tried a third time; please try again, perhaps smaller.',
});

/** Distributed: the job and its outcome are gone from Redis (expired, or lost with its data). */
export const lostJob = (): JobFailure => ({
  kind: 'engine',
  message: 'Your picture is no longer in the queue and its result was not kept; please ask for it again.',
});

export const droppedAtShutdown = (): JobFailure => ({
  kind: 'shutdown',
  message: 'The bot is restarting, so your queued picture was dropped; please send it again in a minute.',
});

export const stoppedAtShutdown = (): JobFailure => ({
  kind: 'shutdown',
  message: 'The bot is restarting and had to stop your picture before it finished; please send it again in a minute.',
});

/**
 * Engine errors only the operator can fix (weights, backend). Their sentences name files, URLs
 * and settings, which are the operator's business and may hold credentials: users read
 * operatorError's sentence, the operator's log reads the engine's.
 */
const OPERATOR_CODES = new Set(['weights-missing', 'weights-corrupt', 'weights-cache-unusable', 'backend-unavailable']);

/** The bot is set up wrongly; the log has the detail (`code` is the engine's). */
export const operatorError = (code?: string): JobFailure => ({
  kind: 'engine',
  message: 'The bot cannot paint right now; its operator has been told.',
  ...(code === undefined ? {} : { code }),
});

/**
 * What the engine (or the runtime under it) threw, as the user should hear it: only a sentence
 * about the user's own input is passed on as the engine wrote it; every other error gets a fixed
 * sentence, so nothing of the operator's set-up can reach a channel.
 */
export function failureFromError(error: WireError): JobFailure {
  if (error.code !== undefined && BAD_INPUT_CODES.has(error.code)) {
    return { kind: 'bad-input', message: error.message, code: error.code };
  }
  if (error.name === 'StylizeError' && error.code !== undefined && OPERATOR_CODES.has(error.code)) return operatorError(error.code);
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY' || OUT_OF_MEMORY.test(error.message)) return outOfMemory();
  return internalError(error.code);
}

/**
 * A fault of the runtime under the engine (a wasm trap, an Emscripten abort, the onnx process
 * gone), anywhere in the cause chain: the runtime's memory can no longer be trusted, or it is no
 * more, so its worker must not run again.
 */
export function isRuntimeFault(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; x instanceof Error && depth < 8; depth++, x = x.cause) {
    // WebAssembly.RuntimeError, also as cloned across threads (where only its name survives).
    if (x.name === 'RuntimeError' || x.name === 'RuntimeLostError') return true;
  }
  return false;
}

export function isCancellation(error: WireError): boolean {
  return error.code === 'cancelled' || error.name === 'AbortError';
}
