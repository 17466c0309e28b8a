/**
 * Why a job could not be done, as a code for programs and a sentence for people. The sentence says
 * what is wrong; the code is what a caller keys its own advice on (an app adds how its operator
 * gets weights to 'weights-missing' and 'weights-corrupt': the engine knows no app's scripts or
 * settings).
 */
export type StylizeErrorCode =
  | 'empty-image'
  | 'image-too-large'
  | 'too-many-pixels'
  | 'unsupported-image'
  | 'corrupt-image'
  | 'bad-option'
  | 'weights-missing'
  | 'weights-corrupt'
  | 'weights-cache-unusable'
  | 'cancelled'
  | 'backend-unavailable'
  | 'internal';

export class StylizeError extends Error {
  override name = 'StylizeError';
  constructor(
    readonly code: StylizeErrorCode,
    /** What is wrong, in a sentence (with a library-level remedy where there is one). */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The cause of an error after which an engine cannot compute again: the runtime under it is gone
 * (its process died). Whoever hosts the engine should start a new one.
 */
export class RuntimeLostError extends Error {
  override name = 'RuntimeLostError';
}

export function isStylizeError(e: unknown): e is StylizeError {
  return e instanceof StylizeError;
}

/** A value as the user wrote it: JSON would print NaN and Infinity as "null". */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
