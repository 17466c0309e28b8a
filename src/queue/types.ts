import type { Progress, StylizeRequest, StylizeResult } from '../engine/index.js';
import type { ReplyTarget } from './port.js';

/** Who asked and where: the queue needs this for limits and fairness, not to answer anyone. */
export interface JobOwner {
  userId: string;
  platform: 'discord' | 'slack' | 'cli';
  /** Discord guild or Slack team: the per-server limit counts by this. */
  serverId?: string;
}

/**
 * One job as it was asked for: the record that travels unchanged from the command through the
 * queue (Redis keeps its wire form, redis/codec.ts) to the worker, and back to a chat process
 * that resumes it after a restart.
 */
export interface JobSpec {
  owner: JobOwner;
  request: StylizeRequest;
  /** Correlates log lines of one job across the adapter, queue and worker. */
  requestId: string;
  /** Fractions of progress at which a preview PNG is sent along, e.g. [0.25, 0.5, 0.75]. */
  previewAt?: number[];
  /** Where the answer goes; kept with the job so a restarted chat process can answer it (distributed queue). */
  reply?: ReplyTarget;
}

/** The engine's progress with its preview as a PNG (present when this event crossed one of `previewAt`). */
export type JobProgress = Progress & { preview?: Uint8Array };

export type FailureKind = 'bad-input' | 'engine' | 'worker-crash' | 'out-of-memory' | 'time-limit' | 'shutdown';

export interface JobFailure {
  kind: FailureKind;
  /** A sentence the user can act on. */
  message: string;
  code?: string;
}

export type JobOutcome =
  | { status: 'done'; result: StylizeResult }
  | { status: 'failed'; failure: JobFailure }
  /** `kept`: stopped by Keep this (the requester keeps the picture on screen as the result). */
  | { status: 'cancelled'; by: string; kept?: true };

/** `unreachable`: the distributed queue's store is out of reach (a while, not a restart). */
export type RejectionCode = 'queue-full' | 'user-limit' | 'server-limit' | 'shutting-down' | 'unreachable';

/* ---- Queue API (added by the queue module; the shapes above are the shared contract) ---- */

/** Who asks to cancel: the adapter decides whether they moderate the server. */
export interface CancelRequester {
  userId: string;
  moderator?: boolean;
  /** Keep this: the picture on screen becomes the result. Only the requester may ask it. */
  keep?: boolean;
}

export type CancelRefusalCode = 'unknown-job' | 'not-allowed' | 'already-finished';

export type CancelResult =
  | { ok: true; was: 'queued' | 'running' }
  | { ok: false; code: CancelRefusalCode; /** A sentence for the person who asked. */ message: string };

/** One job as `/queue` shows it. */
export interface JobInfo {
  id: string;
  requestId: string;
  owner: JobOwner;
  state: 'queued' | 'running';
  /** 0 = running; 1 = next to start; 2 = one job waits ahead of it... */
  position: number;
  /** Estimated milliseconds until its result is ready. */
  etaMs: number;
}

export interface QueueSnapshot {
  /** Jobs waiting or running (what QUEUE_MAX_LENGTH limits). */
  length: number;
  waiting: number;
  running: number;
  concurrency: number;
  /** Running jobs first, then the waiting line in order. */
  jobs: JobInfo[];
  /** When a job submitted now would be ready, in ms. */
  etaForNewJobMs: number;
}
