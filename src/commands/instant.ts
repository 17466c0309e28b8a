/**
 * The instant part of a job, as the flow shows it: what the lane is asked for (the job's options
 * in mode fast, at most 512 px, JPEG: a quick picture to look at while the painting waits) and the
 * line above the painting's own words.
 */
import { FAST_START_MAX_SIZE, type StylizeRequest } from '../engine/index.js';
import { instantLineText } from './texts.js';

/** Where the instant picture of a job stands. */
export type InstantState =
  | { state: 'making'; etaMs: number }
  | { state: 'shown'; ms: number }
  /** A painting preview took its place. */
  | { state: 'replaced' }
  | { state: 'none' };

/**
 * Past this the fast network streaks and takes longer than a glance is worth; the painting brings
 * the size. The painting's fast start is made at the same size, so it starts from what was shown.
 */
const INSTANT_MAX_SIZE = FAST_START_MAX_SIZE;

export function instantRequest(request: StylizeRequest): StylizeRequest {
  const size = request.options?.size;
  return {
    ...request,
    options: { ...request.options, mode: 'fast', format: 'jpeg', ...(size !== undefined && size > INSTANT_MAX_SIZE ? { size: INSTANT_MAX_SIZE } : {}) },
  };
}

/** The painting's text with the instant part's line above it (nothing when there is none). */
export function withInstant(instant: InstantState, paintingText: string): string {
  const line = instantLineText(instant);
  return line === undefined ? paintingText : `${line}\n${paintingText}`;
}
