/** Messages between the instant lane (main thread) and its worker thread. */
import type { StylizeRequest, StylizeResult } from '../engine/index.js';
import type { WireError } from './protocol.js';

export type ToLane = { type: 'run'; id: string; request: StylizeRequest };

export type FromLane =
  | { type: 'ready' }
  | { type: 'init-failed'; error: WireError }
  | { type: 'done'; id: string; result: StylizeResult }
  | { type: 'failed'; id: string; error: WireError };
