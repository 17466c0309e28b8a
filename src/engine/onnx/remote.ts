/**
 * The onnx runtime behind a worker thread (session-worker.ts): the same Runtime, with every
 * session run off the caller's thread. Pixels go over by copy (2 MB at 512 px, next to a step of
 * a second or more), gradients come back by transfer. Runs are answered in order, one at a time.
 */
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../util/module-worker.js';
import { StylizeError, type StylizeErrorCode } from '../errors.js';
import type { Losses } from '../types.js';
import type { LossSpec, Runtime, ScaleImages, ScaleObjective } from '../runtime/types.js';
import { cudaRefusal } from './cuda.js';
import type { OnnxProvider, OnnxRuntimeOptions } from './runtime.js';

export type WorkerRequest =
  | { id: number; op: 'prepare'; images: ScaleImages; loss: LossSpec }
  | { id: number; op: 'evaluate' | 'losses'; objective: number; pixels: Float32Array }
  | { id: number; op: 'release'; objective: number };

export type WorkerReply =
  | { id: number; ok: true; info?: Losses; grad?: Float32Array }
  | { id: number; ok: false; error: { code: string; message: string } };

/** A request before it is given its id (Omit over each member of the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

type Hello = { ready: true; name: Runtime['name']; provider: string; threads: number } | { ready: false; error: { code: string; message: string } };

const asError = (e: { code: string; message: string }) => new StylizeError(e.code as StylizeErrorCode, e.message);

function spawn(workerData: unknown): Worker {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './session-worker.ts' : './session-worker.js', import.meta.url);
  return spawnModuleWorker(entry, { workerData });
}

export async function startOnnxWorker(provider: OnnxProvider, options: OnnxRuntimeOptions): Promise<Runtime> {
  // Known before any thread starts (the worker checks again, for callers that skip this module).
  const refusal = provider === 'cuda' ? cudaRefusal() : undefined;
  if (refusal) throw refusal;
  const worker = spawn({ provider, options });
  const pending = new Map<number, { resolve: (r: WorkerReply & { ok: true }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;

  const listeners: { message?: (m: Hello) => void; error?: (e: Error) => void; exit?: (code: number) => void } = {};
  const hello = await new Promise<Hello>((resolve, reject) => {
    listeners.message = resolve;
    listeners.error = reject;
    listeners.exit = (code) => reject(new Error(`the onnx worker exited with code ${code}`));
    worker.once('message', listeners.message).once('error', listeners.error).once('exit', listeners.exit);
  }).catch((e: unknown) => ({ ready: false as const, error: { code: 'backend-unavailable', message: `The ${provider === 'cuda' ? 'onnx-cuda' : 'onnx'} backend failed to start (${e instanceof Error ? e.message : String(e)}).` } }));
  // Only our own: Worker keeps internal listeners that removeAllListeners would take, and with them its port.
  worker.off('message', listeners.message!).off('error', listeners.error!).off('exit', listeners.exit!);
  if (!hello.ready) {
    await worker.terminate();
    throw asError(hello.error);
  }

  const fail = (e: Error) => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (r: WorkerReply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r);
    else p.reject(asError(r.error));
  });
  worker.on('error', (e) => fail(new StylizeError('internal', 'The onnx runtime stopped unexpectedly.', { cause: e })));
  worker.on('exit', () => fail(dead ?? new StylizeError('internal', 'The onnx runtime was shut down.')));

  function call(request: Unnumbered<WorkerRequest>): Promise<WorkerReply & { ok: true }> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  return {
    name: hello.name,
    library: 'onnxruntime',
    provider: hello.provider,
    threads: hello.threads,
    async prepare(images, loss): Promise<ScaleObjective> {
      const { id } = await call({ op: 'prepare', images, loss });
      let released = false;
      return {
        async evaluate(pixels) {
          const r = await call({ op: 'evaluate', objective: id, pixels });
          return { loss: r.info!.total, grad: r.grad!, info: r.info! };
        },
        async losses(pixels) {
          return (await call({ op: 'losses', objective: id, pixels })).info!;
        },
        dispose() {
          if (released || dead) return;
          released = true;
          worker.postMessage({ op: 'release', objective: id, id: nextId++ });
        },
      };
    },
    liveResources: () => pending.size,
    dispose() {
      dead ??= new StylizeError('internal', 'The engine was shut down.');
      void worker.terminate();
    },
  };
}
