import type { Losses, StylizeRequest, StylizeResult } from '../engine/types.js';

/** Who asked and where: the queue needs this for limits and fairness, not to answer anyone. */
export interface JobOwner {
  userId: string;
  platform: 'discord' | 'slack' | 'cli';
  /** Discord guild or Slack team: the per-server limit counts by this. */
  serverId?: string;
}

export interface JobSpec {
  owner: JobOwner;
  request: StylizeRequest;
  /** Correlates log lines of one job across the adapter, queue and worker. */
  requestId: string;
  /** Fractions of progress at which a preview PNG is sent along, e.g. [0.25, 0.5, 0.75]. */
  previewAt?: number[];
}

/** Serialisable progress (crosses the worker boundary). */
export interface JobProgress {
  scale: number;
  scales: number;
  width: number;
  height: number;
  step: number;
  totalSteps: number;
  losses: Losses;
  elapsedMs: number;
  etaMs?: number;
  /** Present when this event crossed one of `previewAt`. */
  preview?: Uint8Array;
}

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
  | { status: 'cancelled'; by: string };

export interface JobEvents {
  queued: [info: { position: number; etaMs?: number }];
  position: [info: { position: number; etaMs?: number }];
  started: [info: { etaMs?: number }];
  progress: [progress: JobProgress];
  settled: [outcome: JobOutcome];
}

export type RejectionCode = 'queue-full' | 'user-limit' | 'server-limit' | 'shutting-down';

/** A submission the queue refused; `message` is the sentence for the user. */
export class QueueRejection extends Error {
  override name = 'QueueRejection';
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
  }
}
