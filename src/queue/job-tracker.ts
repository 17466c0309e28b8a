/**
 * Who follows which job, for both queues' ports: each job's listeners, the state a new watcher
 * hears first, its events delivered one after the other (some need a read first), subscribers who
 * hear every job of this process, and settled jobs kept a while for a late watcher.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import { defaultJobWork } from './line.js';
import type { JobEvent, QueueEvent } from './port.js';
import type { JobOutcome } from './types.js';

export type JobListener = (event: JobEvent) => void;

/** One job as this process follows it. */
export class TrackedJob {
  readonly listeners = new Set<JobListener>();
  state: 'queued' | 'running' | 'settled' = 'queued';
  outcome?: JobOutcome;
  /** The last place announced (or given at submission); a change is announced once. */
  position?: number;
  /** Where it stands, as a new watcher hears it first (a progress without its preview). */
  latest?: JobEvent;
  /** When the latest progress arrived. */
  latestAt = 0;
  /** Told it is held up by the queue since then (epoch ms, an outage); it hears where it stands once that ends. */
  delayedSince?: number;
  /** Events for one job are handled one after the other. */
  chain: Promise<void> = Promise.resolve();

  constructor(
    readonly jobId: string,
    /** Accepted by (or resumed in) this process: its events go to subscribers and it is answered here. */
    public owned: boolean,
    /** Megapixel-steps (eta.ts). */
    public work: number,
  ) {}

  /** What a new watcher hears first, from what this process has heard. */
  known(): JobEvent | undefined {
    return this.outcome ? { type: 'settled', jobId: this.jobId, outcome: this.outcome } : this.latest;
  }
}

/** The job is held up by the queue itself since `since` (epoch ms). */
export const delayedEvent = (jobId: string, since: number): JobEvent => ({
  type: 'delayed',
  jobId,
  reason: 'queue-unreachable',
  sinceMs: Date.now() - since,
});

export interface JobTrackerEvents {
  /** A settled job's outcome reached a listener here: the job has been answered. */
  answered: [job: TrackedJob];
}

export interface JobTrackerOptions {
  /** How long a settled job stays for a late `watch` (afterwards `current` is asked). */
  keepSettledMs?: number;
  /** Where the job stands now, for a new watcher (default: what this process has heard). */
  current?: (job: TrackedJob) => JobEvent | undefined | Promise<JobEvent | undefined>;
  /** The work of a job heard of but not submitted here: a default job (eta.ts). */
  defaultWork?: number;
  logger?: Logger;
}

export class JobTracker extends EventEmitter<JobTrackerEvents> {
  readonly #jobs = new Map<string, TrackedJob>();
  readonly #subscribers = new Set<(event: QueueEvent) => void>();
  readonly #keepSettledMs: number;
  readonly #current: NonNullable<JobTrackerOptions['current']>;
  readonly #log?: Logger;
  readonly #defaultWork: number;

  constructor(options: JobTrackerOptions = {}) {
    super();
    this.#keepSettledMs = options.keepSettledMs ?? 60_000;
    this.#current = options.current ?? ((job) => job.known());
    this.#log = options.logger;
    this.#defaultWork = options.defaultWork ?? defaultJobWork();
  }

  /** Follows a job (or returns the one followed already); `owned` only ever turns on. */
  track(jobId: string, owned: boolean, work: number): TrackedJob {
    let job = this.#jobs.get(jobId);
    if (!job) {
      job = new TrackedJob(jobId, owned, work);
      this.#jobs.set(jobId, job);
    }
    if (owned) job.owned = true;
    return job;
  }

  get(jobId: string): TrackedJob | undefined {
    return this.#jobs.get(jobId);
  }

  /** A job followed here that has not settled. */
  followed(jobId: string): TrackedJob | undefined {
    const job = this.#jobs.get(jobId);
    return job && job.state !== 'settled' ? job : undefined;
  }

  all(): TrackedJob[] {
    return [...this.#jobs.values()];
  }

  forget(jobId: string): void {
    this.#jobs.delete(jobId);
  }

  /** Runs `step` after every step queued before it for this job. */
  enqueue(job: TrackedJob, step: () => Promise<void> | void): void {
    job.chain = job.chain.then(step).catch((e: unknown) => this.#log?.warn({ err: e, jobId: job.jobId }, 'job event not handled'));
  }

  /** Delivers `event` in turn, after those queued before it. */
  post(event: JobEvent): void {
    const job = this.#jobs.get(event.jobId);
    if (job) this.enqueue(job, () => this.deliver(job, event));
  }

  /** Tells a waiting job its new place, once per change. */
  announce(job: TrackedJob, position: number, etaMs?: number): void {
    if (job.state !== 'queued' || job.position === position) return;
    job.position = position;
    this.post({ type: 'position', jobId: job.jobId, position, etaMs });
  }

  /** Back in the line (a stall, a hand-back): its next place is news. */
  requeued(job: TrackedJob): void {
    job.state = 'queued';
    job.position = undefined;
  }

  /** Delivers now: the job's state, its listeners, and (owned) the subscribers. Nothing after `settled`. */
  deliver(job: TrackedJob, event: JobEvent): void {
    if (job.state === 'settled') return;
    if (event.type === 'settled') {
      job.state = 'settled';
      job.outcome = event.outcome;
      setTimeout(() => this.#jobs.get(job.jobId) === job && this.#jobs.delete(job.jobId), this.#keepSettledMs).unref();
    } else if (event.type === 'started' || event.type === 'progress') {
      job.state = 'running';
      job.latest = event.type === 'progress' ? { ...event, progress: { ...event.progress, preview: undefined } } : event;
      job.latestAt = Date.now();
    } else if (event.type === 'position') {
      job.state = 'queued';
      job.position = event.position;
      job.latest = event;
    }
    const listeners = [...job.listeners];
    for (const listener of listeners) this.#call(listener, event, job.jobId);
    if (job.owned) this.publish(event);
    if (event.type === 'settled') {
      job.listeners.clear();
      if (listeners.length > 0) this.emit('answered', job);
    }
  }

  /**
   * Follows one job: the listener hears where it stands first, then every event until `settled`.
   * Returns the function that stops listening.
   */
  watch(jobId: string, listener: JobListener): () => void {
    // A job not followed yet (another process's, or from before a restart) is sized as a default one.
    const job = this.track(jobId, false, this.#defaultWork);
    let stopped = false;
    const once: JobListener = (event) => {
      if (!stopped) listener(event);
    };
    this.enqueue(job, async () => {
      if (stopped) return;
      const first = job.outcome ? job.known() : await this.#current(job);
      if (first?.type === 'settled' && job.state !== 'settled') {
        job.listeners.add(once);
        this.deliver(job, first);
        return;
      }
      if (first) once(first);
      if (job.state !== 'settled') {
        if (job.delayedSince !== undefined) once(delayedEvent(jobId, job.delayedSince));
        job.listeners.add(once);
      } else if (first?.type === 'settled') this.emit('answered', job); // a quick job: this listener answers it
    });
    return () => {
      stopped = true;
      job.listeners.delete(once);
    };
  }

  /** Resolves once the job has settled, after every event `watch` delivers. */
  outcome(jobId: string): Promise<JobOutcome> {
    return new Promise((resolve) => {
      const stop = this.watch(jobId, (event) => {
        if (event.type !== 'settled') return;
        stop();
        resolve(event.outcome);
      });
    });
  }

  subscribe(listener: (event: QueueEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => {
      this.#subscribers.delete(listener);
    };
  }

  /** Every job's events of this process, and its refusals. */
  publish(event: QueueEvent): void {
    for (const listener of [...this.#subscribers]) this.#call(listener, event);
  }

  /** Resolves once every step queued so far has run. */
  async drain(): Promise<void> {
    await Promise.allSettled(this.all().map((j) => j.chain));
  }

  #call<E>(listener: (event: E) => void, event: E, jobId?: string): void {
    try {
      listener(event);
    } catch (e) {
      this.#log?.error({ err: e, jobId }, 'queue listener threw');
    }
  }
}
