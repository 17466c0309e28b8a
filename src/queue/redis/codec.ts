/**
 * How jobs, progress and outcomes look in Redis: JSON, with image bytes as base64 inside job data
 * and as raw strings in their own keys (results, previews) so that the event stream stays small.
 */
import type { Progress, StylizeResult } from '../../engine/index.js';
import { cancelledBy, resultExpired } from '../failures.js';
import type { JobFailure, JobOutcome, JobOwner, JobSpec } from '../types.js';
import { decodeRequest, encodeRequest, fromBase64, toBase64, type WireRequest } from '../wire-request.js';

/** The spec as the user asked for it, in its one wire form: the same fields, pictures in base64. */
export type WireSpec = Omit<JobSpec, 'request'> & { request: WireRequest };

/** BullMQ job data: the spec, who answers it and how big it is. */
export interface JobData {
  spec: WireSpec;
  /** The chat process that accepted it and answers it. */
  chat: string;
  /** Megapixel-steps (eta.ts), for ETAs and the time limit's report. */
  work: number;
}

/** What the limits count, kept in the `active` hash. */
export interface AdmissionRecord {
  u: string;
  s?: string;
  owner: JobOwner;
  requestId: string;
  work: number;
  at: number;
}

/** Progress as the worker stores it; a preview is fetched from its own key. */
export type WireProgress = Progress & { previewKey?: string };

/** BullMQ's return value: the outcome without the picture, plus who made it and how fast. */
export type StoredOutcome =
  | {
      status: 'done';
      result: Omit<StylizeResult, 'image'>;
      resultKey: string;
      workerId: string;
      runMs: number;
      work: number;
    }
  | { status: 'failed'; failure: JobFailure; workerId?: string; runMs?: number }
  | { status: 'cancelled'; by: string; kept?: true; workerId?: string };

export function encodeJob(spec: JobSpec, chat: string, work: number): JobData {
  return { spec: { ...spec, request: encodeRequest(spec.request) }, chat, work };
}

export function decodeSpec(wire: WireSpec): JobSpec {
  return { ...wire, request: decodeRequest(wire.request) };
}

/** The user-facing outcome, given the stored one and the picture read from its key. */
export function decodeOutcome(stored: StoredOutcome, image: Uint8Array | undefined): JobOutcome {
  switch (stored.status) {
    case 'done':
      if (!image) return { status: 'failed', failure: resultExpired() };
      return { status: 'done', result: { ...stored.result, image } };
    case 'failed':
      return { status: 'failed', failure: stored.failure };
    case 'cancelled':
      return cancelledBy(stored.by, stored.kept);
  }
}

/** What a worker stores for an outcome: the picture goes to `resultKey`, the rest to BullMQ. */
export function storedOutcome(
  outcome: JobOutcome,
  run: { workerId: string; runMs: number; work: number; resultKey: string },
): StoredOutcome {
  const { workerId, runMs } = run;
  switch (outcome.status) {
    case 'done': {
      const { image: _image, ...result } = outcome.result;
      return { status: 'done', result, ...run };
    }
    case 'failed':
      return { status: 'failed', failure: outcome.failure, workerId, runMs };
    case 'cancelled':
      return { ...outcome, workerId };
  }
}

/** Who asked a job to stop, as its cancel mark and the cancel channel carry it. */
export interface CancelMark {
  by: string;
  keep?: boolean;
}

export const encodeCancelMark = (mark: CancelMark): string => JSON.stringify(mark.keep ? mark : { by: mark.by });

/** A mark written before Keep this travelled is the bare user id. */
export function decodeCancelMark(raw: string): CancelMark {
  if (!raw.startsWith('{')) return { by: raw };
  const mark = JSON.parse(raw) as CancelMark;
  return { by: mark.by, ...(mark.keep ? { keep: true } : {}) };
}

/** A picture kept as JSON (the instant picture of a job), its bytes in base64. */
export const encodeResult = (result: StylizeResult): string => JSON.stringify({ ...result, image: toBase64(result.image) });

export function decodeResult(raw: string): StylizeResult {
  const wire = JSON.parse(raw) as Omit<StylizeResult, 'image'> & { image: string };
  return { ...wire, image: fromBase64(wire.image) };
}
