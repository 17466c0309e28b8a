import { EventEmitter } from 'node:events';
import type { JobEvents, JobOutcome, JobOwner, JobState } from './types.js';

/**
 * What `submit` returns: events as the job moves along, and `settled`, which always resolves.
 * Events are delivered on the next tick, so listeners attached right after `submit` hear `queued`.
 */
export interface JobHandle extends EventEmitter<JobEvents> {
  readonly id: string;
  readonly requestId: string;
  readonly owner: JobOwner;
  readonly state: JobState;
  readonly settled: Promise<JobOutcome>;
}

export class Handle extends EventEmitter<JobEvents> implements JobHandle {
  readonly settled: Promise<JobOutcome>;
  #state: JobState = 'queued';
  #resolve!: (outcome: JobOutcome) => void;

  constructor(
    readonly id: string,
    readonly requestId: string,
    readonly owner: JobOwner,
  ) {
    super();
    this.settled = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get state(): JobState {
    return this.#state;
  }

  markRunning(): void {
    this.#state = 'running';
  }

  /** Emits on the next tick, in the order called. */
  emitLater<K extends keyof JobEvents>(event: K, ...args: JobEvents[K]): void {
    process.nextTick(() => (this.emit as (e: K, ...a: JobEvents[K]) => boolean)(event, ...args));
  }

  /** Ends the job once; later calls are ignored (a crash racing a cancel must not settle twice). */
  settle(outcome: JobOutcome): boolean {
    if (this.#state === 'settled') return false;
    this.#state = 'settled';
    // The event first, then the promise: whoever awaits `settled` has seen every event.
    process.nextTick(() => {
      this.emit('settled', outcome);
      this.#resolve(outcome);
    });
    return true;
  }
}
