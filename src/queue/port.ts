/**
 * The job-queue port: all that commands and bots know of a queue. Two implementations satisfy it:
 * the in-process queue (p-queue and worker threads; the embedded default) and the distributed one
 * (BullMQ on Redis; workers on other machines). Everything is async and jobs are named by id, so a
 * queue in another process can stand behind it; image bytes travel inside specs and events only.
 */
import type { StylizeResult } from '../engine/index.js';
import type { Refusal } from './failures.js';
import type { EngineInfo } from './worker-host.js';
import type {
  CancelRequester,
  CancelResult,
  JobInfo,
  JobOutcome,
  JobOwner,
  JobProgress,
  JobSpec,
  QueueSnapshot,
  RejectionCode,
} from './types.js';

/**
 * Where a job's answer goes, as the platform that asked wrote it down (Discord: application id,
 * interaction token and its expiry, channel; Slack: channel and message ts). Opaque to the queue:
 * stored with the job so that a restarted chat process can rebuild its view and keep answering.
 */
export interface ReplyTarget {
  platform: JobOwner['platform'];
  /** JSON-serialisable. */
  data: Record<string, unknown>;
}

export type SubmitResult =
  | { accepted: true; jobId: string; position: number; etaMs?: number }
  | { accepted: false; code: RejectionCode; /** The sentence for the user. */ message: string };

export type JobEvent =
  | { type: 'position'; jobId: string; position: number; etaMs?: number }
  | { type: 'started'; jobId: string; etaMs?: number }
  | { type: 'progress'; jobId: string; progress: JobProgress }
  /**
   * The job is held up by the queue itself, not by its work (distributed: Redis has been out of
   * reach for `sinceMs`). Said once per hold-up; the next position, start or progress event ends
   * it. The in-process queue never says it.
   */
  | { type: 'delayed'; jobId: string; reason: 'queue-unreachable'; sinceMs: number }
  | { type: 'settled'; jobId: string; outcome: JobOutcome };

/** Every job's events, plus refusals: what health and metrics are fed by. */
export type QueueEvent =
  | JobEvent
  | { type: 'submitted'; jobId: string; owner: JobOwner }
  | { type: 'refused'; code: RejectionCode; owner: JobOwner };

/** A job this chat process had accepted and not yet answered when it last stopped: its record as submitted. */
export interface ResumableJob extends JobSpec {
  jobId: string;
  reply: ReplyTarget;
  /** The instant picture its message showed (keepInstant), to show again. */
  instant?: StylizeResult;
}

export interface JobQueuePort {
  submit(spec: JobSpec): Promise<SubmitResult>;
  /**
   * Why a job of this owner would be refused now, asked before its pictures are downloaded (a
   * refusal counts like one on submit); undefined where it would be admitted or the line cannot
   * be read now. Only a first look: `submit` decides.
   */
  refusalFor(owner: JobOwner): Promise<Refusal | undefined>;
  /**
   * Follows one job. The listener first hears the job's current state (position, or its latest
   * progress, or its outcome if it has settled recently), then every event until `settled`.
   * Returns the function that stops listening.
   */
  watch(jobId: string, listener: (event: JobEvent) => void): () => void;
  /** Resolves once the job has settled; every event `watch` delivers comes before it. */
  outcome(jobId: string): Promise<JobOutcome>;
  /** The owner or a moderator may cancel; anyone else gets a refusal with a sentence. */
  cancel(jobId: string, by: CancelRequester): Promise<CancelResult>;
  /** The user's waiting and running jobs. */
  jobsOf(userId: string, platform?: JobOwner['platform']): Promise<JobInfo[]>;
  snapshot(): Promise<QueueSnapshot>;
  /** Every job's events; returns the function that stops listening. */
  subscribe(listener: (event: QueueEvent) => void): () => void;
  /**
   * Keeps the instant picture a job's message shows with the job, so the chat process that resumes
   * it shows it again; undefined forgets it (a painting preview took its place). In-process: nothing
   * to do, its jobs end with the process.
   */
  keepInstant(jobId: string, picture: StylizeResult | undefined): Promise<void>;
  /** Jobs accepted by this chat process before a restart and not yet answered (empty in-process). */
  resumable(): Promise<ResumableJob[]>;
  /** Resolves once the engine is loaded where jobs run (rejects if it cannot load). */
  ready(): Promise<EngineInfo>;
  /** False once shutting down (or, distributed, while the queue's store cannot be reached). */
  readonly accepting: boolean;
  /**
   * Engine workers lost in a row (crash, runtime fault) without a job finishing between, where
   * this process hosts them; health turns bad when it keeps growing. Undefined where workers run
   * elsewhere.
   */
  readonly workerDeathsInARow?: number;
  /**
   * Stops accepting; in-process, drops the waiting jobs (their owners are told) and gives the
   * running ones `graceMs` to finish; distributed, leaves them in the store for the next process.
   * Calling it again returns the same promise.
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
}
