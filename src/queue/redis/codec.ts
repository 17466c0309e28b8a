/**
 * How jobs, progress and outcomes look in Redis: JSON, with image bytes as base64 inside job data
 * and as raw strings in their own keys (results, previews) so that the event stream stays small.
 */
import type { StylizeRequest, StylizeResult } from '../../engine/index.js';
import type { DurableJobSpec, ReplyTarget } from '../port.js';
import type { JobFailure, JobOutcome, JobOwner, JobProgress, JobSpec } from '../types.js';

interface WireRequest {
  content: string;
  styles: { bytes: string; weight?: number }[];
  options?: StylizeRequest['options'];
}

/** BullMQ job data. */
export interface JobData {
  owner: JobOwner;
  requestId: string;
  previewAt: number[];
  request: WireRequest;
  reply?: ReplyTarget;
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

export function encodeJob(spec: DurableJobSpec, chat: string, work: number, previewAt: number[]): JobData {
  return {
    owner: spec.owner,
    requestId: spec.requestId,
    previewAt,
    request: {
      content: b64(spec.request.content),
      styles: spec.request.styles.map((s) => ({
        bytes: b64(s.bytes),
        ...(s.weight === undefined ? {} : { weight: s.weight }),
      })),
      ...(spec.request.options === undefined ? {} : { options: spec.request.options }),
    },
    ...(spec.reply === undefined ? {} : { reply: spec.reply }),
    chat,
    work,
  };
}

export function decodeRequest(wire: WireRequest): StylizeRequest {
  return {
    content: unb64(wire.content),
    styles: wire.styles.map((s) => ({
      bytes: unb64(s.bytes),
      ...(s.weight === undefined ? {} : { weight: s.weight }),
    })),
    ...(wire.options === undefined ? {} : { options: wire.options }),
  };
}

export function decodeSpec(data: JobData): JobSpec {
  return {
    owner: data.owner,
    requestId: data.requestId,
    previewAt: data.previewAt,
    request: decodeRequest(data.request),
  };
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

export const resultExpired = (): JobFailure => ({
  kind: 'engine',
  message:
    'Your picture was made, but it was kept too long without being delivered and has expired; please ask for it again.',
});

/** BullMQ failed the job itself: its worker died (or stopped answering) on every try. */
export const stalledTooOften = (): JobFailure => ({
  kind: 'worker-crash',
  message:
    'The image workers stopped twice while working on your picture, so it was not tried a third time; please try again, perhaps smaller.',
});

export const lostJob = (): JobFailure => ({
  kind: 'engine',
  message: 'Your picture is no longer in the queue and its result was not kept; please ask for it again.',
});
