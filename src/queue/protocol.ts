/**
 * Messages between the queue (main thread) and the engine worker. Everything here must survive
 * structured cloning; image bytes travel in the transfer list, so the sender's copy is detached.
 */
import type { BackendName, EngineConfig, StylizeRequest, StylizeResult } from '../engine/index.js';
import type { JobProgress, JobSpec } from './types.js';

export interface WorkerInit {
  engine: EngineConfig;
  /** Passed to `engine.stylize` as `progressIntervalMs`. */
  progressIntervalMs?: number;
  /** The thread lowers its OS priority to this nice (0–19) before the engine starts; 0 leaves it. */
  niceness?: number;
}

/** An error flattened for postMessage; `code` is a StylizeError code when the engine gave one. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** The runtime faulted (see isRuntimeFault): the worker that sent it must be replaced. */
  fatal?: boolean;
}

/** What the engine worker reads of a job's record: its request, and where previews are wanted (ascending, no repeats). */
export type WorkerJob = Required<Pick<JobSpec, 'request' | 'previewAt'>>;

export type ToWorker = ({ type: 'run'; id: string } & WorkerJob) | { type: 'cancel'; id: string };

export type FromWorker =
  | { type: 'ready'; backend: BackendName; threads: number; niceness?: number }
  | { type: 'init-failed'; error: WireError }
  | { type: 'progress'; id: string; progress: JobProgress }
  | { type: 'done'; id: string; result: StylizeResult }
  | { type: 'failed'; id: string; error: WireError };

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, code: typeof code === 'string' ? code : undefined, stack: e.stack };
  }
  return { name: 'Error', message: String(e) };
}

/**
 * Returns a view that owns its whole ArrayBuffer, so it can be transferred. Views into a larger
 * buffer (Node's pooled Buffers, slices) are copied once: transferring their buffer would detach
 * bytes that belong to someone else, and Node refuses to transfer its pool anyway.
 */
export function ownedBytes(view: Uint8Array): Uint8Array {
  const whole =
    view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return whole ? view : new Uint8Array(view);
}

/** The distinct ArrayBuffers behind some views (a buffer listed twice makes postMessage throw). */
export function transferListOf(views: readonly Uint8Array[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer && v.byteLength > 0) buffers.add(v.buffer);
  return [...buffers];
}

/**
 * A copy of the request's pictures for a queue that moves them to its worker (submit, the instant
 * lane), so the caller keeps its own (Reroll, More/Less style, HD start from them).
 */
export function copyForTransfer<R extends StylizeRequest>(request: R): R {
  return {
    ...request,
    content: new Uint8Array(request.content),
    styles: request.styles.map((s) => ({ ...s, bytes: new Uint8Array(s.bytes) })),
    ...(request.initImage ? { initImage: new Uint8Array(request.initImage) } : {}),
  };
}

/** The request with every image in a transferable view, and the buffers to transfer. */
export function transferableRequest(request: StylizeRequest): { request: StylizeRequest; transfer: ArrayBuffer[] } {
  const content = ownedBytes(request.content);
  const styles = request.styles.map((s) => ({ ...s, bytes: ownedBytes(s.bytes) }));
  const initImage = request.initImage ? ownedBytes(request.initImage) : undefined;
  return {
    request: { ...request, content, styles, ...(initImage ? { initImage } : {}) },
    transfer: transferListOf([content, ...styles.map((s) => s.bytes), ...(initImage ? [initImage] : [])]),
  };
}
