/**
 * Whether the chat side can reach Redis, and for how long it has not: a lost connection is said
 * once (`lost`), an outage that lasts past the notice time once more (`long`, so that people
 * waiting hear their job is held up), and the end of it once (`over`).
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { delayedEvent, type JobTracker } from '../job-tracker.js';
import type { JobStates } from './reconcile.js';

export interface OutageEvents {
  lost: [why: string];
  long: [since: number];
  over: [outageMs: number];
}

export class Outage extends EventEmitter<OutageEvents> {
  #reachable = true;
  /** When Redis was last seen going away (undefined while it is reachable). */
  #since?: number;
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly noticeMs: number,
  ) {
    super();
    redis.on('error', (e: Error) => this.#lost(e.message));
    redis.on('close', () => this.#lost('connection closed'));
    redis.on('ready', () => this.#back());
  }

  get reachable(): boolean {
    return this.#reachable && this.redis.status === 'ready';
  }

  /** When the outage began (epoch ms), while there is one. */
  get since(): number | undefined {
    return this.#since;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #lost(why: string): void {
    if (this.#closed) return;
    if (this.#reachable) this.emit('lost', why);
    this.#reachable = false;
    if (this.#since !== undefined) return;
    const since = (this.#since = Date.now());
    this.#timer = setTimeout(() => !this.#closed && this.emit('long', since), this.noticeMs);
    this.#timer.unref();
  }

  #back(): void {
    const since = this.#since;
    const wasLost = !this.#reachable;
    this.#reachable = true;
    clearTimeout(this.#timer);
    this.#since = undefined;
    if (wasLost) this.emit('over', since === undefined ? 0 : Date.now() - since);
  }
}

/**
 * What the people waiting hear of an outage: once it has lasted, each job of this process still
 * followed is told it is held up (`delayed`); once it is over, where the job stands now.
 */
export function tellOutages(outage: Outage, tracker: JobTracker, states: JobStates, log?: Logger): void {
  outage.on('lost', (why) => log?.warn({ err: why }, 'redis unreachable; jobs wait in Redis and continue when it is back'));
  outage.on('long', (since) => {
    const held = tracker.all().filter((t) => t.owned && t.state !== 'settled' && t.delayedSince === undefined);
    log?.warn({ jobs: held.length, outageMs: Date.now() - since }, 'redis still unreachable; telling the users who wait');
    for (const job of held) {
      job.delayedSince = since;
      // Not through the job's chain: its steps may be waiting on Redis themselves.
      tracker.deliver(job, delayedEvent(job.jobId, since));
    }
  });
  outage.on('over', (outageMs) => {
    log?.info({ outageMs }, 'redis reachable again');
    for (const job of tracker.all()) {
      if (job.delayedSince === undefined) continue;
      job.delayedSince = undefined;
      if (job.state === 'settled') continue;
      tracker.enqueue(job, async () => {
        const event = await states.current(job);
        if (event) tracker.deliver(job, event);
      });
    }
  });
}
