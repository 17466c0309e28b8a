/**
 * The worker thread that owns the engine: the backend is initialised and the weights are loaded
 * once, then jobs run here one at a time so the main thread's event loop (and the chat
 * connections on it) stay responsive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Engine, ProgressEvent } from '../engine/index.js';
import { lowerThreadPriority } from '../util/thread-priority.js';
import { isRuntimeFault } from './failures.js';
import { ownedBytes, toWireError, transferListOf, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';
import type { JobProgress } from './types.js';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run inside a worker thread');
const init = workerData as WorkerInit;
const running = new Map<string, AbortController>();

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/**
 * Which thresholds have been passed; each preview is asked for once, at the first event past it.
 * `thresholds` come ascending and without repeats (the queue's validPreviewPoints).
 */
function previewCrossing(thresholds: number[]): (fraction: number) => boolean {
  let next = 0;
  return (fraction) => {
    let crossed = false;
    while (next < thresholds.length && fraction >= thresholds[next]!) {
      next += 1;
      crossed = true;
    }
    return crossed;
  };
}

async function runJob(engine: Engine, message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { id, request, previewAt } = message;
  const abort = new AbortController();
  running.set(id, abort);
  // Previews are encoded asynchronously; a chain keeps every message for this job in order.
  let outbox: Promise<void> = Promise.resolve();
  let queued = 0;
  const crossed = previewCrossing(previewAt);
  const onProgress = ({ preview: encode, iteration: _iteration, iterations: _iterations, ...event }: ProgressEvent): void => {
    const progress: JobProgress = event;
    // Asked for now, while the engine still holds this step's image.
    const preview = event.totalSteps > 0 && crossed(event.step / event.totalSteps) ? encode() : undefined;
    // Events from inside a long step arrive while this thread is busy and the chain cannot run:
    // with nothing waiting ahead, post at once so the main thread hears from us every interval.
    if (!preview && queued === 0) {
      post({ type: 'progress', id, progress });
      return;
    }
    queued += 1;
    outbox = outbox.then(async () => {
      if (preview) {
        try {
          progress.preview = ownedBytes(await preview);
        } catch {
          // A failed preview is not worth failing the job over; the progress still goes out.
        }
      }
      post({ type: 'progress', id, progress }, progress.preview ? transferListOf([progress.preview]) : []);
      queued -= 1;
    });
  };
  try {
    const result = await engine.stylize(request, {
      onProgress,
      signal: abort.signal,
      progressIntervalMs: init.progressIntervalMs,
    });
    await outbox;
    const image = ownedBytes(result.image);
    post({ type: 'done', id, result: { ...result, image } }, transferListOf([image]));
  } catch (e) {
    await outbox;
    const error = toWireError(e);
    if (isRuntimeFault(e)) {
      error.fatal = true;
      // The cause is where the trap's own words are ("memory access out of bounds").
      const cause = (e as Error).cause;
      if (cause instanceof Error) error.stack = `${error.stack ?? ''}\ncaused by: ${cause.stack ?? cause.message}`;
    }
    post({ type: 'failed', id, error });
  } finally {
    running.delete(id);
  }
}

async function main(): Promise<void> {
  let engine: Engine;
  // Before the engine starts, so the onnx process it forks (and every thread) inherits it:
  // paintings are batch work and give the cores to the chat process and its instant lane first.
  const niceness = init.niceness ? lowerThreadPriority(init.niceness) : undefined;
  try {
    const { createEngine } = await import('../engine/index.js');
    engine = await createEngine(init.engine);
  } catch (e) {
    post({ type: 'init-failed', error: toWireError(e) });
    return;
  }
  port!.on('message', (message: ToWorker) => {
    if (message.type === 'run') void runJob(engine, message);
    else if (message.type === 'cancel') running.get(message.id)?.abort();
  });
  post({ type: 'ready', backend: engine.backend, threads: engine.threads, niceness });
}

void main();
