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

/** Longest value echoed back in a sentence; a longer one (a pasted essay) is cut with an ellipsis. */
const SHOWN_MAX = 40;
const cut = (text: string): string => (text.length > SHOWN_MAX ? `${text.slice(0, SHOWN_MAX - 1)}…` : text);

/** A value as the user wrote it: JSON would print NaN and Infinity as "null". */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return cut(String(v));
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(cut(v));
  try {
    return cut(JSON.stringify(v) ?? String(v));
  } catch {
    return cut(String(v));
  }
}
