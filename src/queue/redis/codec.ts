/**
 * How jobs, progress and outcomes look in Redis: JSON, with image bytes as base64 inside job data
 * and as raw strings in their own keys (results, previews) so that the event stream stays small.
 */
import type { StylizeRequest, StylizeResult } from '../../engine/index.js';
import type { DurableJobSpec } from '../port.js';
import { resultExpired } from '../failures.js';
import type { JobFailure, JobOutcome, JobOwner, JobProgress } from '../types.js';

/** The spec as the user asked for it, in its one wire form: the same fields, pictures in base64. */
export type WireSpec = Omit<DurableJobSpec, 'request'> & {
  request: Omit<StylizeRequest, 'content' | 'styles' | 'initImage'> & { content: string; styles: { bytes: string; weight?: number }[]; initImage?: string };
};

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
export type WireProgress = Omit<JobProgress, 'preview'> & { previewKey?: string };

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
  | { status: 'cancelled'; by: string; workerId?: string };

const b64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export function encodeJob(spec: DurableJobSpec, chat: string, work: number): JobData {
  const { content, styles, initImage, ...rest } = spec.request;
  const request = {
    ...rest,
    content: b64(content),
    styles: styles.map((s) => ({ ...s, bytes: b64(s.bytes) })),
    ...(initImage ? { initImage: b64(initImage) } : {}),
  };
  return { spec: { ...spec, request }, chat, work };
}

export function decodeSpec(wire: WireSpec): DurableJobSpec {
  const { content, styles, initImage, ...rest } = wire.request;
  const request = { ...rest, content: unb64(content), styles: styles.map((s) => ({ ...s, bytes: unb64(s.bytes) })), ...(initImage !== undefined ? { initImage: unb64(initImage) } : {}) };
  return { ...wire, request };
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
      return { status: 'cancelled', by: stored.by };
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
      return { status: 'cancelled', by: outcome.by, workerId };
  }
}
